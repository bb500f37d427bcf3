package handlers

// Stubs for issue 3 (security page and policy API); replaced by the real handlers.

import "github.com/labstack/echo/v4"

func (s *Server) updatePolicy(c echo.Context) error     { return echo.ErrNotImplemented }
func (s *Server) previewPolicy(c echo.Context) error    { return echo.ErrNotImplemented }
func (s *Server) apiGetSecurity(c echo.Context) error   { return echo.ErrNotImplemented }
func (s *Server) apiPatchSecurity(c echo.Context) error { return echo.ErrNotImplemented }
