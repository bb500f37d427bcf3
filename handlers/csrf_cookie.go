package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// csrfTokenLen is the length of the tokens Echo's CSRF middleware makes
// (letters and digits).
const csrfTokenLen = 32

// csrfCookieOnce runs right after Echo's CSRF middleware, which sets its
// cookie on every answer. The cookie never changes, so an answer to a client
// that already holds a well-formed one drops it: about 0.2 KB less on every
// API answer (TestCSRFCookieIsSentOnlyWhenMissing). Sign-in still sends it,
// so its lifetime, the longest a session may live, starts again with every
// session. A malformed cookie is answered as before (Echo keeps its value).
func csrfCookieOnce(name string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if ck, err := r.Cookie(name); err == nil && wellFormedCSRF(ck.Value) && !(r.Method == http.MethodPost && r.URL.Path == "/login") {
				dropSetCookie(c.Response().Header(), name)
			}
			return next(c)
		}
	}
}

func wellFormedCSRF(v string) bool {
	if len(v) != csrfTokenLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// dropSetCookie removes the Set-Cookie lines of one cookie from h.
func dropSetCookie(h http.Header, name string) {
	lines := h[echo.HeaderSetCookie]
	kept := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(l, name+"=") {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		h.Del(echo.HeaderSetCookie)
		return
	}
	h[echo.HeaderSetCookie] = kept
}
