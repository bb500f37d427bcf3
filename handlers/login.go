package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"curfew/password"
	"curfew/policy"
	"curfew/store"
	"curfew/views"
)

const badSignIn = "That email and password don't match an account. Check both and try again."

// home sends each person to the page they use most.
func (s *Server) home(c echo.Context) error {
	p := principal(c)
	switch {
	case p == nil:
		return c.Redirect(http.StatusSeeOther, loginURLFor(signedOutFrom(c), c.Request()))
	case p.IsOwner():
		return c.Redirect(http.StatusSeeOther, "/settings/security")
	default:
		return c.Redirect(http.StatusSeeOther, "/me/sessions")
	}
}

func signedOutFrom(c echo.Context) signedOut {
	so, _ := c.Get(ctxSignedOut).(signedOut)
	return so
}

// loginPage shows the sign-in form, with why the person was signed out.
func (s *Server) loginPage(c echo.Context) error {
	if principal(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	noStore(c)
	minutes, _ := strconv.Atoi(c.QueryParam("minutes"))
	so := signedOut{reason: policy.Reason(c.QueryParam("reason")), minutes: minutes}
	if (so.reason == policy.ReasonIdle || so.reason == policy.ReasonAbsolute) && so.minutes <= 0 {
		so.reason = policy.ReasonRevoked
	}
	return render(c, http.StatusOK, views.LoginView(views.Login{
		Page:   s.page(c, "Sign in", ""),
		Notice: signedOutMessage(so),
		Next:   safeNext(c.QueryParam("next")),
	}))
}

// login checks the password and starts a new session. Unknown emails and wrong
// passwords get the same answer after the same bcrypt work.
func (s *Server) login(c echo.Context) error {
	noStore(c)
	ctx := c.Request().Context()
	email := store.NormalizeEmail(c.FormValue("email"))
	pw := c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	fail := func(status int, msg string) error {
		return render(c, status, views.LoginView(views.Login{
			Page: s.page(c, "Sign in", ""), Email: email, Error: msg, Next: next,
		}))
	}
	if email == "" || pw == "" {
		return fail(http.StatusUnprocessableEntity, "Enter your email and password.")
	}
	if msg, err := s.throttleSignIn(c, email); err != nil || msg != "" {
		if err != nil {
			return err
		}
		return fail(http.StatusTooManyRequests, msg)
	}
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		password.CheckNobody(pw)
		return fail(http.StatusUnauthorized, badSignIn)
	}
	if err != nil {
		return err
	}
	if err := password.Check(u.PasswordHash, pw); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			return err
		}
		actor := store.Actor{AccountID: u.AccountID, UserID: u.ID, IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
		if err := s.store.InsertAudit(ctx, actor, store.ActionLoginFailed, map[string]any{"email": email}); err != nil {
			return err
		}
		return fail(http.StatusUnauthorized, badSignIn)
	}
	// The password is right: its failures no longer count. (Before the
	// session is created, so that write and its audit row are the last.)
	if err := s.store.ClearLoginAttempts(ctx, email); err != nil {
		return err
	}
	// A sign-in on a browser that still holds a session replaces it.
	if p := principal(c); p != nil {
		if err := s.store.Logout(ctx, p.SessionID, s.actor(c), s.now()); err != nil {
			return err
		}
		s.counts.forget(p.AccountID)
	}
	token, hash, err := newToken()
	if err != nil {
		return err
	}
	pol, err := s.store.AccountPolicy(ctx, u.AccountID)
	if err != nil {
		return err
	}
	if _, err := s.store.CreateSession(ctx, store.NewSession{
		AccountID: u.AccountID, UserID: u.ID, TokenHash: hash,
		IP: c.RealIP(), UserAgent: truncate(c.Request().UserAgent(), 512), Now: s.now(),
	}); err != nil {
		return err
	}
	s.counts.forget(u.AccountID)
	eff := s.settings.EffectiveForRole(pol.Account, pol.Role(u.Role))
	if err := s.writeToken(c, token, eff.AbsoluteMinutes*60); err != nil {
		return err
	}
	if next == "" {
		next = "/"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// logout ends this session, clears the browser's data for Curfew and shows the login page.
func (s *Server) logout(c echo.Context) error {
	p := principal(c)
	if err := s.store.Logout(c.Request().Context(), p.SessionID, s.actor(c), s.now()); err != nil {
		return err
	}
	s.counts.forget(p.AccountID)
	s.clearToken(c)
	c.Response().Header().Set("Clear-Site-Data", `"cookies", "storage"`)
	target := "/login?reason=logout"
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", target)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, target)
}

// truncate shortens s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
