package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// apiDeleteAccountSession is DELETE /api/accounts/me/sessions/:id: end one
// session of the account. 204 when it has ended (or already had), 404 when
// it is not one of the account's.
func (s *Server) apiDeleteAccountSession(c echo.Context) error {
	p := principal(c)
	if err := s.sudoToEnd(c, c.Param("id"), ""); err != nil {
		return err
	}
	e, err := s.store.RevokeSession(c.Request().Context(), s.actor(c), c.Param("id"), 0, s.now())
	if err != nil {
		return err
	}
	s.counts.Forget(p.AccountID)
	if e.ID == p.SessionID {
		s.clearToken(c)
	}
	return c.NoContent(http.StatusNoContent)
}
