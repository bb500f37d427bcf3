package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"curfew/views"
)

// securityPage is the owner's security page: the policy in force.
func (s *Server) securityPage(c echo.Context) error {
	p := principal(c)
	noStore(c)
	acct, err := s.store.Account(c.Request().Context(), p.AccountID)
	if err != nil {
		return err
	}
	revoke, err := s.revokeSummary(c)
	if err != nil {
		return err
	}
	eff := s.settings.EffectivePolicy(acct.Overrides())
	return render(c, http.StatusOK, views.SecurityView(views.Security{
		Page:            s.page(c, "Security", "security"),
		IdleMinutes:     eff.IdleMinutes,
		AbsoluteMinutes: eff.AbsoluteMinutes,
		Strict:          acct.Overrides().IsStrict(),
		Revoke:          revoke,
	}))
}
