package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// seeOther answers a GET of a POST-only address with its page. Such an
// address is left in the address bar after a form without JavaScript was
// refused (a 422 answers the POST in place); reloading it, or opening it from
// the history, should show the page rather than "Method Not Allowed".
func seeOther(page string) echo.HandlerFunc {
	return func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, page) }
}
