package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// csrfMiddleware is Echo's CSRF protection: browsers that send Sec-Fetch-Site
// are checked by it (same-origin passes, cross-site unsafe requests are
// refused even with a token, same-site falls back to the token), others must
// echo the token from the cookie in the X-CSRF-Token header or the _csrf form
// field. Every refusal is the same csrf_failed answer.
func (s *Server) csrfMiddleware() (echo.MiddlewareFunc, error) {
	name := "__Host-csrf"
	if s.cfg.Dev {
		name = "curfew_csrf"
	}
	csrf, err := middleware.CSRFConfig{
		// A bearer request is authenticated by its header alone, and the
		// API's sign-in by the password it carries; neither reads or sets
		// a cookie.
		Skipper: func(c echo.Context) bool {
			return bearerRequest(c.Request()) || tokenSignIn(c.Request())
		},
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		CookieName:     name,
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   !s.cfg.Dev,
		CookieSameSite: http.SameSiteLaxMode,
		// As long as a session can live: the cookie is only sent again
		// at sign-in (csrfCookieOnce).
		CookieMaxAge: s.settings.AbsoluteMax * 60,
		ErrorHandler: func(err error, c echo.Context) error {
			return csrfError()
		},
		AllowSecFetchSiteFunc: func(c echo.Context) (bool, error) {
			if c.Request().Header.Get(echo.HeaderSecFetchSite) == "same-site" {
				return false, nil // a sibling host cannot read the token: it decides
			}
			return false, csrfError()
		},
	}.ToMiddleware()
	if err != nil {
		return nil, err
	}
	once := csrfCookieOnce(name)
	return func(next echo.HandlerFunc) echo.HandlerFunc { return csrf(once(next)) }, nil
}

// requestDeadline bounds a request's database work (CURFEW_REQUEST_TIMEOUT).
func (s *Server) requestDeadline() time.Duration {
	if s.cfg.RequestTimeout > 0 {
		return s.cfg.RequestTimeout
	}
	return 10 * time.Second
}

// requestTimeout gives every request a deadline: the store passes the
// request's context to each query, so nothing waits forever on a database that
// does not answer. The error handler runs after it with the original context,
// so even a timed-out request gets its error page rendered.
func (s *Server) requestTimeout(next echo.HandlerFunc) echo.HandlerFunc {
	d := s.requestDeadline()
	return func(c echo.Context) error {
		req := c.Request()
		c.Set(ctxUntimed, req.Context()) // for exports, which bound each batch instead
		ctx, cancel := context.WithTimeout(req.Context(), d)
		defer cancel()
		c.SetRequest(req.WithContext(ctx))
		err := next(c)
		c.SetRequest(req)
		return err
	}
}

// securityHeaders sets the headers every response carries. The CSP allows no
// inline script: htmx is configured by a meta tag and Curfew's script is a file.
// Its form-action also names the origins sign-in may return to: browsers hold
// a form's redirect to that rule too.
func securityHeaders(dev bool, returnOrigins []string) echo.MiddlewareFunc {
	formAction := strings.Join(append([]string{"'self'"}, returnOrigins...), " ")
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action " + formAction + "; frame-ancestors 'none'"
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Cross-Origin-Resource-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
			if !dev {
				h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			return next(c)
		}
	}
}

// requestLogger writes one structured line per request with its id.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus:    true,
		LogURIPath:   true,
		LogMethod:    true,
		LogLatency:   true,
		LogRequestID: true,
		LogRemoteIP:  true,
		LogError:     true,
		HandleError:  true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			attrs := []slog.Attr{
				slog.String("request_id", v.RequestID),
				slog.String("method", methodLabel(c)),
				slog.String("path", storableText(v.URIPath, maxLoggedPath)),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
				slog.String("ip", v.RemoteIP),
			}
			var he *echo.HTTPError
			if v.Error != nil && !errors.As(v.Error, &he) {
				var e *Error
				if !errors.As(v.Error, &e) {
					attrs = append(attrs, slog.String("err", v.Error.Error()))
				}
			}
			s.log.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

// unrouted answers requests no route takes. Each Echo group with middleware
// registers a catch-all 404 route that runs the group's middleware, and the
// owner group's comes last: without this an unknown URL would need a session,
// an engineer's typo (or a browser's /favicon.ico) would be audited as a
// refused owner action, and a GET on a POST-only route would be a 404 where
// HTTP says 405. routes are the registered routes, read once at start-up.
func unrouted(routes []*echo.Route) echo.HandlerFunc {
	allowed := map[string][]string{}
	var paths []string
	for _, r := range routes {
		if r.Method == echo.RouteNotFound || strings.HasPrefix(r.Method, "echo_") {
			continue
		}
		if _, ok := allowed[r.Path]; !ok {
			paths = append(paths, r.Path)
		}
		allowed[r.Path] = append(allowed[r.Path], r.Method)
	}
	return func(c echo.Context) error {
		var methods []string
		for _, p := range paths {
			if pathMatches(p, c.Request().URL.Path) {
				methods = append(methods, allowed[p]...)
			}
		}
		if len(methods) == 0 {
			return echo.ErrNotFound
		}
		methods = append(methods, http.MethodOptions)
		slices.Sort(methods)
		c.Response().Header().Set(echo.HeaderAllow, strings.Join(slices.Compact(methods), ", "))
		if c.Request().Method == http.MethodOptions {
			return c.NoContent(http.StatusNoContent)
		}
		return echo.ErrMethodNotAllowed
	}
}

// pathMatches matches a request path against a route pattern with :params
// and a trailing * as Echo's router does.
func pathMatches(pattern, path string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if ps[i] != xs[i] && !(strings.HasPrefix(ps[i], ":") && xs[i] != "") {
			return false
		}
	}
	return true
}
