package handlers

import (
	"net/http"

	"github.com/a-h/templ"

	"github.com/labstack/echo/v4"

	"curfew/store"
	"curfew/views"
)

// revokeAccountSession is POST /settings/security/sessions/:id/revoke: an
// owner ends one session of the account.
func (s *Server) revokeAccountSession(c echo.Context) error {
	if err := s.sudoToEnd(c, c.Param("id"), c.FormValue("password")); err != nil {
		return s.askPasswordToEnd(c, err, "/settings/security/sessions")
	}
	return s.endSession(c, 0, "/settings/security/sessions", true)
}

// endSession ends one session from a list page: htmx gets the row's new
// content, a plain post a redirect back to the list. Ending one's own current
// session is signing out.
func (s *Server) endSession(c echo.Context, onlyUserID int64, listPath string, showPerson bool) error {
	p := principal(c)
	e, err := s.store.RevokeSession(c.Request().Context(), s.actor(c), c.Param("id"), onlyUserID, s.now())
	if err != nil {
		return err
	}
	s.counts.Forget(p.AccountID)
	if e.ID == p.SessionID {
		return s.sendToLogin(c, "/login?reason=logout")
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, listPath+"?ended=1")
	}
	l := s.sessionList(c, sessionPage{Sessions: []store.AccountSession{e.AccountSession}}, showPerson, listPath, listPath+"/", false)
	summary, err := s.sessionsSummary(c, showPerson)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.SessionEnded(l, l.Rows[0], summary))
}

// sessionsSummary is the heading of the list a session just ended from, with
// counts that include the change, to swap in out of band.
func (s *Server) sessionsSummary(c echo.Context, owners bool) (templ.Component, error) {
	p := principal(c)
	if owners {
		n, err := s.recentAccountCounts(c)
		if err != nil {
			return nil, err
		}
		return views.AccountSessionsSummary(n.Sessions, n.People, p.AccountName, true), nil
	}
	n, err := s.store.CountActiveSessions(c.Request().Context(), p.AccountID, p.UserID, s.activeAt(p), p.SessionID)
	if err != nil {
		return nil, err
	}
	return views.MySessionsHeader(views.MySessions{
		Page: s.page(c, "My sessions", "me"), Sessions: n.Sessions, Others: n.OtherSessions,
	}, true), nil
}
