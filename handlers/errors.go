package handlers

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/lib/pq"

	"curfew/policy"
	"curfew/store"
	"curfew/views"
)

// Error is an error with an answer for the person: a status, a stable code
// for the API, a message, and per-field messages.
type Error struct {
	Status  int
	Code    string
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// errorBody is the JSON shape of every API error.
type errorBody struct {
	Error   string            `json:"error"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// handleError is the one place errors become responses: JSON for the API, a
// toast for htmx, a styled page otherwise. Internal errors are logged with the
// request id and never shown.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed || s.clientGone(err, c) {
		return
	}
	e := s.classify(err, c)
	if e.Status == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", "5")
	}
	var rerr error
	switch {
	case c.Request().Method == http.MethodHead:
		rerr = c.NoContent(e.Status)
	case isAPI(c):
		rerr = c.JSON(e.Status, errorBody{Error: e.Code, Message: e.Message, Fields: e.Fields})
	case isHTMX(c):
		c.Response().Header().Set("HX-Retarget", "#toasts")
		c.Response().Header().Set("HX-Reswap", "innerHTML")
		rerr = render(c, e.Status, views.Toast(e.Message))
	default:
		rerr = render(c, e.Status, views.ErrorView(views.ErrorPage{
			Page:    s.page(c, views.StatusTitle(e.Status), ""),
			Status:  e.Status,
			Heading: heading(e),
			Message: e.Message,
		}))
	}
	if rerr != nil {
		s.log.ErrorContext(c.Request().Context(), "write error response", "err", rerr)
	}
}

func (s *Server) classify(err error, c echo.Context) *Error {
	var e *Error
	var he *echo.HTTPError
	var fe policy.FieldErrors
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &fe):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: "Some values need fixing.", Fields: fe}
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "That does not exist, or it belongs to another account."}
	case errors.Is(err, middleware.ErrCSRFInvalid):
		return csrfError()
	case errors.As(err, &he):
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && he.Code < 500 {
			msg = m
		}
		code := strings.ToLower(strings.ReplaceAll(http.StatusText(he.Code), " ", "_"))
		if he.Code == http.StatusNotFound {
			msg = "There is no page at this address."
		}
		if he.Code == http.StatusRequestEntityTooLarge {
			msg = "The request is too large."
		}
		return &Error{Status: he.Code, Code: code, Message: msg}
	case isUnavailable(err):
		s.log.WarnContext(c.Request().Context(), "database unavailable", "err", err, "request_id", requestID(c))
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "Curfew cannot reach its database right now. Nothing was changed; try again in a few seconds."}
	default:
		s.log.ErrorContext(c.Request().Context(), "internal error", "err", err, "request_id", requestID(c),
			"method", methodLabel(c), "path", storableText(c.Request().URL.Path, maxLoggedPath))
		return &Error{Status: http.StatusInternalServerError, Code: "internal",
			Message: "Something went wrong on our side. Nothing was changed. Reference: " + requestID(c)}
	}
}

func csrfError() *Error {
	return &Error{Status: http.StatusForbidden, Code: "csrf_failed",
		Message: "This form has expired or did not come from Curfew. Reload the page and try again."}
}

// isUnavailable recognises a database that is down, out of reach or too slow:
// what lib/pq and database/sql return when the server is stopped (connection
// refused, EOF, driver.ErrBadConn, FATAL 57P01 admin shutdown), starting
// (57P03), out of connections (53300), or when a query outlives the request's
// deadline (context.DeadlineExceeded, or 57014 once PostgreSQL cancelled it).
func isUnavailable(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		// Class 08: connection exception; 57P01..03: admin shutdown, crash, cannot connect now;
		// 57014: statement cancelled (the request's deadline); 53300: too many connections.
		code := string(pqErr.Code)
		return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P") || code == "57014" || code == "53300"
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "bad connection") ||
		strings.Contains(msg, "unexpected EOF") || strings.Contains(msg, "broken pipe")
}

func heading(e *Error) string {
	switch e.Status {
	case http.StatusForbidden:
		return "You don't have access to this"
	case http.StatusNotFound:
		return "Not found"
	case http.StatusServiceUnavailable:
		return "Curfew is temporarily unavailable"
	case http.StatusTooManyRequests:
		return "Too many attempts"
	}
	if e.Status >= 500 {
		return "Something went wrong"
	}
	return "That didn't work"
}

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}
