package handlers

import (
	"errors"
	"net/http"
	"strconv"

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
	returnTo := s.returnTo(c.QueryParam("return_to"), c.QueryParam("next"))
	if principal(c) != nil {
		// A proxy sent here a browser that Curfew sees signed in: the product
		// did not get the cookie (CURFEW_COOKIE_DOMAIN). Going back would loop.
		if returnTo == "" || c.QueryParam("reason") != "" {
			if returnTo != "" {
				s.log.WarnContext(c.Request().Context(), "a proxy sent a signed-in browser to sign in; does the product's host get the session cookie (CURFEW_COOKIE_DOMAIN)?",
					"request_id", requestID(c))
			}
			returnTo = "/"
		}
		return c.Redirect(http.StatusSeeOther, returnTo)
	}
	noStore(c)
	// reason comes from Curfew's own redirects and from a proxy passing on
	// /auth/verify's X-Curfew-Reason (without minutes); unknown ones say nothing.
	minutes, _ := strconv.Atoi(c.QueryParam("minutes"))
	so := signedOut{reason: policy.Reason(c.QueryParam("reason")), minutes: max(minutes, 0)}
	return render(c, http.StatusOK, views.LoginView(views.Login{
		Page:   s.page(c, "Sign in", ""),
		Notice: signedOutMessage(so),
		Next:   returnTo,
	}))
}

// login is POST /login: the sign-in form, handed to signIn. A refusal shows
// the form again with its message; a new session sets the cookie and goes on
// to next (or home).
func (s *Server) login(c echo.Context) error {
	noStore(c)
	email := store.NormalizeEmail(c.FormValue("email"))
	a := signInAttempt{
		Email:     email,
		Password:  c.FormValue("password"),
		IP:        c.RealIP(),
		UserAgent: c.Request().UserAgent(),
		Device:    s.deviceFor(c, email),
		Current:   principal(c),
		Method:    "password",
	}
	next := s.returnTo(c.FormValue("return_to"), c.FormValue("next"))
	// Once counted, an attempt runs to the end and its audit row is written,
	// even if the client goes away meanwhile.
	ctx, cancel := s.detached(c)
	defer cancel()
	in, err := s.signIn(ctx, a)
	var refused *signInRefused
	if errors.As(err, &refused) {
		if refused.retryAfter > 0 {
			setRetryAfter(c, refused.retryAfter)
		}
		return render(c, refused.status, views.LoginView(views.Login{
			Page: s.page(c, "Sign in", ""), Email: truncate(a.Email, maxEmailBytes), Error: refused.message, Next: next,
		}))
	}
	if err != nil {
		return err
	}
	if err := s.issueDeviceCookie(c, email); err != nil {
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
func truncate(s string, n int) string { return store.CapText(s, n) }
