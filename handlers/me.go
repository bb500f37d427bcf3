package handlers

import (
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"curfew/views"
)

// mySessionsPage is GET /me/sessions: where the signed-in person is signed
// in, for every role, with a way to end any of them or all the others.
func (s *Server) mySessionsPage(c echo.Context) error {
	p := principal(c)
	list, err := s.sessionListPage(c, p.UserID, sessionFilter{State: stateActive}, "/me/sessions", false)
	if err != nil {
		return err
	}
	return renderFragmentOrPage(c, http.StatusOK, views.SessionRowsFragment(list), func() (templ.Component, error) {
		n, err := s.store.CountActiveSessions(c.Request().Context(), p.AccountID, p.UserID, s.activeAt(p), p.SessionID)
		if err != nil {
			return nil, err
		}
		return views.MySessionsView(views.MySessions{
			Page:     s.page(c, "My sessions", "me"),
			Sessions: n.Sessions,
			Others:   n.OtherSessions,
			Notice:   listNotice(c),
			List:     list,
		}), nil
	})
}

// revokeMySession is POST /me/sessions/:id/revoke: end one of one's own
// sessions; anyone else's is not found.
func (s *Server) revokeMySession(c echo.Context) error {
	return s.endSession(c, principal(c).UserID, "/me/sessions", false)
}

// revokeMyOtherSessions is POST /me/sessions/revoke-others: sign out of every
// other browser, staying signed in here.
func (s *Server) revokeMyOtherSessions(c echo.Context) error {
	p := principal(c)
	n, err := s.store.RevokeOwnOtherSessions(c.Request().Context(), s.actor(c), p.SessionID, s.activeAt(p))
	if err != nil {
		return err
	}
	s.counts.Forget(p.AccountID)
	target := "/me/sessions?signed_out=" + strconv.Itoa(n)
	if isHTMX(c) {
		c.Response().Header().Set("HX-Location", target)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, target)
}
