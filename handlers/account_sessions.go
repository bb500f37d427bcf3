package handlers

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"curfew/views"
)

// accountSessionsPage is GET /settings/security/sessions: every active session
// of the account, most recently active first. htmx asks for the next rows.
func (s *Server) accountSessionsPage(c echo.Context) error {
	list, err := s.sessionListPage(c, 0, "/settings/security/sessions", true)
	if err != nil {
		return err
	}
	return renderFragmentOrPage(c, http.StatusOK, views.SessionRowsFragment(list), func() (templ.Component, error) {
		n, err := s.recentAccountCounts(c)
		if err != nil {
			return nil, err
		}
		return views.AccountSessionsView(views.AccountSessions{
			Page:     s.page(c, "Active sessions", "sessions"),
			Sessions: n.Sessions,
			People:   n.People,
			Notice:   listNotice(c),
			List:     list,
		}), nil
	})
}
