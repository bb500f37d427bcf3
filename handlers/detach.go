package handlers

import (
	"context"
	"errors"
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// detached is the request's context without its cancellation, under a
// deadline of its own as long as a request's: for work that must finish once
// begun even when the client goes away, such as writing the audit row of a
// sign-in attempt that was already counted.
func (s *Server) detached(c echo.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(c.Request().Context()), s.requestDeadline())
}

// clientGone reports whether the client closed the connection before the
// answer (its request's context is cancelled, not timed out): whatever err
// says then, context.Canceled or PostgreSQL's "canceling statement due to
// user request", it follows from the client leaving, nothing went wrong on
// Curfew's side and nobody is there to read an answer. The request is logged
// at info level with status 499, as nginx does, and no error page is written.
func (s *Server) clientGone(err error, c echo.Context) bool {
	if !errors.Is(c.Request().Context().Err(), context.Canceled) {
		return false
	}
	s.log.LogAttrs(c.Request().Context(), slog.LevelDebug, "client closed the connection",
		slog.String("request_id", requestID(c)), slog.String("err", err.Error()))
	c.Response().WriteHeader(middleware.StatusCodeContextCanceled)
	return true
}
