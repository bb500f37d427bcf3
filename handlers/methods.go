package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// maxLoggedPath bounds the path a log line repeats; a request line may be
// as long as the server's header limit.
const maxLoggedPath = 1024

// ctxHead marks a HEAD request that headAsGet handed to a GET route.
const ctxHead = "curfew.head"

// knownMethods are the methods a metric label or a log line may name; any
// other method, which a client can make up at any length, is "other".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
	http.MethodConnect: true, http.MethodTrace: true,
}

// methodLabel is the request's method as metrics and logs record it: one of
// knownMethods or "other".
func methodLabel(c echo.Context) string {
	if head, _ := c.Get(ctxHead).(bool); head {
		return http.MethodHead // also when headRestored has not run: a 404 or 405
	}
	if m := c.Request().Method; knownMethods[m] {
		return m
	}
	return "other"
}

// headAsGet routes HEAD to the GET route of the path, which Echo's router
// does not do by itself (a HEAD was a 405 on every page, /healthz and /readyz
// included, and load balancers probe with HEAD). It runs before the router,
// which reads the method of the request as net/http gave it, so it changes
// that method in place; headRestored, the first middleware after routing,
// puts HEAD back, so handlers, the error handler and net/http, which then
// sends the headers and status without a body, all see the HEAD it is.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if req := c.Request(); req.Method == http.MethodHead {
			req.Method = http.MethodGet
			c.Set(ctxHead, true)
		}
		return next(c)
	}
}

// headRestored undoes headAsGet once the route is found.
func headRestored(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if head, _ := c.Get(ctxHead).(bool); head {
			c.Request().Method = http.MethodHead
		}
		return next(c)
	}
}
