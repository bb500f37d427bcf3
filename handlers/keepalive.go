package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"curfew/policy"
)

// apiKeepalive is the idle warning's "Stay signed in": it records activity now,
// whatever the throttle, and answers the new deadlines. The absolute lifetime
// never moves.
func (s *Server) apiKeepalive(c echo.Context) error {
	p := principal(c)
	now := s.now()
	if err := s.store.TouchSession(c.Request().Context(), p.SessionID, now); err != nil {
		return err
	}
	expiry := policy.ExpiryOf(p.Effective, p.CreatedAt, now)
	return c.JSON(http.StatusOK, map[string]any{
		"idle_expires_at":     expiry.IdleAt.UTC(),
		"absolute_expires_at": expiry.AbsoluteAt.UTC(),
	})
}
