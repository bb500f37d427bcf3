package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"curfew/internal/countcache"
	"curfew/store"
	"curfew/views"
)

// revokedLoginURL is where a browser goes when its own session was among
// those an owner ended.
const revokedLoginURL = "/login?reason=revoked"

// revokeSummary is the sign-out-everywhere section: how many sessions of how
// many people it would end, counted now.
func (s *Server) revokeSummary(c echo.Context) (views.RevokeSummary, error) {
	p := principal(c)
	n, err := s.store.CountActiveSessions(c.Request().Context(), p.AccountID, 0, s.activeAt(p), p.SessionID)
	if err != nil {
		return views.RevokeSummary{}, err
	}
	return s.summaryOf(c, n), nil
}

// recentAccountCounts are the caller's account's active sessions, as
// CountActiveSessions counts them, up to countcache.TTL old: for the headings of
// the security page and the session lists, which every view and every API
// page would otherwise recount (35 ms at 100,000 sessions).
func (s *Server) recentAccountCounts(c echo.Context) (store.SessionCounts, error) {
	p := principal(c)
	active := s.activeAt(p)
	key := countcache.Key{AccountID: p.AccountID, SessionID: p.SessionID,
		RevokedThrough: p.revokedThrough, RevokedKept: p.revokedKept, Policy: p.AccountEffective(), Limits: active.Limits()}
	return s.counts.Get(c.Request().Context(), key, func(ctx context.Context) (store.SessionCounts, error) {
		return s.store.CountActiveSessions(ctx, p.AccountID, 0, active, p.SessionID)
	})
}

func (s *Server) summaryOf(c echo.Context, n store.SessionCounts) views.RevokeSummary {
	return views.RevokeSummary{
		CSRF:           csrfToken(c),
		ActiveSessions: n.Sessions,
		People:         n.People,
		OtherSessions:  n.OtherSessions,
		OtherPeople:    n.OtherPeople,
		// The choice that does the least harm comes first: the owner stays
		// signed in.
		Scope: views.RevokeScopeOthers,
		// Only htmx keeps the button's count in step with the choice.
		Live: isHTMX(c),
	}
}

// activeAt is the test for active sessions in the caller's account right
// now, each session under its person's role's values.
func (s *Server) activeAt(p *Principal) store.ActiveAt {
	return store.ActiveAt{Now: s.now(), Roles: s.roleEffectives(p.Policy)}
}

// parseRevokeScope reads a scope; empty means all.
func parseRevokeScope(v string) (string, bool) {
	switch v {
	case "", store.ScopeAll:
		return store.ScopeAll, true
	case store.ScopeOthers:
		return store.ScopeOthers, true
	}
	return "", false
}

const badScope = `Choose "all" (everyone) or "others" (everyone but you).`

// revokeSection is GET /settings/security/revoke-sessions: the section in its
// first step, which Cancel puts back.
func (s *Server) revokeSection(c echo.Context) error {
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, "/settings/security#revoke-section")
	}
	m, err := s.revokeSummary(c)
	if err != nil {
		return err
	}
	return renderPageOrFragment(c, http.StatusOK, s.revokePage(c, m), views.RevokeSectionBody(m))
}

// confirmRevokeSessions is POST /settings/security/revoke-sessions/confirm:
// the confirmation with how many sessions of how many people each scope ends.
func (s *Server) confirmRevokeSessions(c echo.Context) error {
	m, err := s.revokeSummary(c)
	if err != nil {
		return err
	}
	m.Step = views.RevokeConfirm
	m.NeedsPassword = !s.inSudoWindow(c)
	status := http.StatusOK
	if c.FormValue("scope") == "" {
		m.Scope = views.RevokeScopeOthers
	} else if scope, ok := parseRevokeScope(c.FormValue("scope")); ok {
		m.Scope = scope
	} else {
		m.ScopeError, status = badScope, http.StatusUnprocessableEntity
	}
	return renderPageOrFragment(c, status, s.revokePage(c, m), views.RevokeSectionBody(m))
}

// revokeSessions is POST /settings/security/revoke-sessions: sign-out-
// everywhere from the confirmation. It asks for the password outside the sudo
// window, ends the sessions, and shows how many; a browser whose own session
// ended goes to the sign-in page.
func (s *Server) revokeSessions(c echo.Context) error {
	scope, ok := parseRevokeScope(c.FormValue("scope"))
	if !ok {
		return s.reconfirmRevoke(c, c.FormValue("scope"), func(m *views.RevokeSummary) { m.ScopeError = badScope })
	}
	if err := s.sudo(c, c.FormValue("password")); err != nil {
		var e *Error
		switch {
		case errors.Is(err, errReauthRequired):
			return s.reconfirmRevoke(c, scope, func(m *views.RevokeSummary) {
				m.PasswordError = revokePasswordPrompt(scope)
			})
		case errors.As(err, &e) && e.Fields["password"] != "":
			return s.reconfirmRevoke(c, scope, func(m *views.RevokeSummary) { m.PasswordError = e.Fields["password"] })
		}
		return err
	}
	r, err := s.revokeAccountSessions(c, scope)
	if err != nil {
		return err
	}
	if r.IncludesCaller {
		return s.sendToLogin(c, revokedLoginURL)
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, "/settings/security/sessions?signed_out="+strconv.Itoa(r.Count))
	}
	m, err := s.revokeSummary(c)
	if err != nil {
		return err
	}
	m.Step, m.Revoked = views.RevokeDone, r.Count
	return render(c, http.StatusOK, views.RevokeSectionBody(m))
}

// reconfirmRevoke shows the confirmation again (422) with what needs fixing.
func (s *Server) reconfirmRevoke(c echo.Context, scope string, fix func(*views.RevokeSummary)) error {
	m, err := s.revokeSummary(c)
	if err != nil {
		return err
	}
	m.Step, m.Scope = views.RevokeConfirm, scope
	m.NeedsPassword = !s.inSudoWindow(c)
	fix(&m)
	return renderPageOrFragment(c, http.StatusUnprocessableEntity, s.revokePage(c, m), views.RevokeSectionBody(m))
}

// revokePage is the section on a page of its own, for plain form posts.
func (s *Server) revokePage(c echo.Context, m views.RevokeSummary) templ.Component {
	return views.RevokePageView(views.RevokePage{Page: s.page(c, "Sign out everywhere", "security"), Revoke: m})
}

// sendToLogin ends the browser's hold on a session that has just been ended
// and sends it to the sign-in page: HX-Redirect for htmx, 303 otherwise.
func (s *Server) sendToLogin(c echo.Context, target string) error {
	s.clearToken(c)
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", target)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// apiRevokeSessions is POST /api/accounts/me/security/revoke-sessions
// {"scope":"all"|"others"} → {"revoked_count":N}. An empty body means all.
func (s *Server) apiRevokeSessions(c echo.Context) error {
	var body struct {
		Scope *string `json:"scope"`
	}
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
	}
	scope := store.ScopeAll
	if body.Scope != nil {
		var ok bool
		if scope, ok = parseRevokeScope(*body.Scope); !ok || *body.Scope == "" {
			return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: badScope,
				Fields: map[string]string{"scope": `must be "all" or "others"`}}
		}
	}
	if err := s.sudo(c, ""); err != nil {
		return err
	}
	r, err := s.revokeAccountSessions(c, scope)
	if err != nil {
		return err
	}
	if r.IncludesCaller {
		s.clearToken(c)
	}
	return c.JSON(http.StatusOK, map[string]int{"revoked_count": r.Count})
}

// revokeAccountSessions signs out the caller's account (scope all or others).
// The revocation is in force when it returns; a large one has its session rows
// marked ended in the background.
func (s *Server) revokeAccountSessions(c echo.Context, scope string) (store.Revoked, error) {
	p := principal(c)
	r, err := s.store.RevokeAccountSessions(c.Request().Context(), s.actor(c), scope, p.SessionID, s.activeAt(p))
	if err != nil {
		return r, err
	}
	s.counts.Forget(p.AccountID)
	if !r.Unmarked {
		return r, nil
	}
	go func(accountID int64, active store.ActiveAt) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if _, err := s.store.MarkRevokedSessions(ctx, accountID, active); err != nil {
			s.log.Warn("mark revoked sessions", "account_id", accountID, "err", err)
		}
	}(p.AccountID, s.activeAt(p))
	return r, nil
}

// revokePasswordPrompt asks for the password in the words of the choice made.
func revokePasswordPrompt(scope string) string {
	if scope == store.ScopeOthers {
		return "Enter your password to sign everyone else out."
	}
	return "Enter your password to sign everyone out."
}
