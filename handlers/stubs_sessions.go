package handlers

// Stubs for issue 4 (sessions and sign-out-everywhere); replaced by the real handlers.

import (
	"github.com/labstack/echo/v4"

	"curfew/views"
)

func (s *Server) mySessionsPage(c echo.Context) error          { return echo.ErrNotImplemented }
func (s *Server) revokeMySession(c echo.Context) error         { return echo.ErrNotImplemented }
func (s *Server) revokeMyOtherSessions(c echo.Context) error   { return echo.ErrNotImplemented }
func (s *Server) accountSessionsPage(c echo.Context) error     { return echo.ErrNotImplemented }
func (s *Server) revokeAccountSession(c echo.Context) error    { return echo.ErrNotImplemented }
func (s *Server) confirmRevokeSessions(c echo.Context) error   { return echo.ErrNotImplemented }
func (s *Server) revokeSessions(c echo.Context) error          { return echo.ErrNotImplemented }
func (s *Server) apiRevokeSessions(c echo.Context) error       { return echo.ErrNotImplemented }
func (s *Server) apiAccountSessions(c echo.Context) error      { return echo.ErrNotImplemented }
func (s *Server) apiDeleteAccountSession(c echo.Context) error { return echo.ErrNotImplemented }

// revokeSummary is the sign-out-everywhere section of the security page.
func (s *Server) revokeSummary(c echo.Context) (views.RevokeSummary, error) {
	return views.RevokeSummary{}, nil
}
