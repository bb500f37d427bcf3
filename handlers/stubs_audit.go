package handlers

// Stubs for issue 5 (audit log); replaced by the real handlers.

import "github.com/labstack/echo/v4"

func (s *Server) auditPage(c echo.Context) error   { return echo.ErrNotImplemented }
func (s *Server) auditExport(c echo.Context) error { return echo.ErrNotImplemented }
func (s *Server) apiAudit(c echo.Context) error    { return echo.ErrNotImplemented }
