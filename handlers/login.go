package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/store"
	"curfew/views"
)

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

// login is POST /login: the sign-in form, handed to signIn. A refusal shows
// the form again with its message; a new session sets the cookie and goes on
// to next (or home).
func (s *Server) login(c echo.Context) error {
	noStore(c)
	a := signInAttempt{
		Email:     store.NormalizeEmail(c.FormValue("email")),
		Password:  c.FormValue("password"),
		IP:        c.RealIP(),
		UserAgent: c.Request().UserAgent(),
		Current:   principal(c),
	}
	next := safeNext(c.FormValue("next"))
	in, err := s.signIn(c.Request().Context(), a)
	var refused *signInRefused
	if errors.As(err, &refused) {
		if refused.retryAfter > 0 {
			setRetryAfter(c, refused.retryAfter)
		}
		return render(c, refused.status, views.LoginView(views.Login{
			Page: s.page(c, "Sign in", ""), Email: a.Email, Error: refused.message, Next: next,
		}))
	}
	if err != nil {
		return err
	}
	if err := s.writeToken(c, in.token, in.policy.AbsoluteMinutes*60); err != nil {
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
	s.counts.Forget(p.AccountID)
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
