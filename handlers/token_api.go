package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/store"
)

var errInvalidCredentials = &Error{Status: http.StatusUnauthorized, Code: "invalid_credentials", Message: badSignIn}

// tokenSignIn says whether a request is the API's sign-in, which needs no CSRF
// token: it carries the password itself, and its answer, a token in the body,
// sets no cookie and cannot be read across origins.
func tokenSignIn(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/api/session"
}

type tokenBody struct {
	Token   string      `json:"token"`
	Session sessionBody `json:"session"`
}

// apiSignIn is POST /api/session {"email","password"}: the sign-in of
// scripts, mobile apps and services. It starts an API client session under
// the same policy, throttle and audit as the login form, and answers its
// bearer token once; only the token's hash is kept.
func (s *Server) apiSignIn(c echo.Context) error {
	noStore(c)
	var body struct {
		Email    *string `json:"email"`
		Password *string `json:"password"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	fields := map[string]string{}
	if body.Email == nil || store.NormalizeEmail(*body.Email) == "" {
		fields["email"] = "Enter your email."
	} else if len(*body.Email) > maxEmailBytes {
		fields["email"] = "An email address has at most 254 characters."
	}
	if body.Password == nil || *body.Password == "" {
		fields["password"] = "Enter your password."
	}
	if len(fields) > 0 {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: "Enter your email and password.", Fields: fields}
	}
	in, err := s.signIn(c.Request().Context(), signInAttempt{
		Email:     store.NormalizeEmail(*body.Email),
		Password:  *body.Password,
		IP:        c.RealIP(),
		UserAgent: c.Request().UserAgent(),
		Client:    store.ClientAPI,
		Method:    "token",
	})
	var refused *signInRefused
	if errors.As(err, &refused) {
		switch refused.status {
		case http.StatusTooManyRequests:
			setRetryAfter(c, refused.retryAfter)
			return &Error{Status: http.StatusTooManyRequests, Code: "too_many_attempts", Message: refused.message}
		case http.StatusUnauthorized:
			return errInvalidCredentials
		}
		return &Error{Status: refused.status, Code: "validation_failed", Message: refused.message}
	}
	if err != nil {
		return err
	}
	expiry := policy.ExpiryOf(in.policy, in.session.CreatedAt, in.session.LastSeenAt)
	return c.JSON(http.StatusCreated, tokenBody{Token: in.token, Session: sessionBody{
		User:                   sessionUser{ID: in.user.ID, Email: in.user.Email, Role: in.user.Role},
		Account:                sessionAccount{ID: in.account.ID, Name: in.account.Name},
		IdleTimeoutSeconds:     in.policy.IdleMinutes * 60,
		AbsoluteTimeoutSeconds: in.policy.AbsoluteMinutes * 60,
		IdleExpiresAt:          expiry.IdleAt.UTC(),
		AbsoluteExpiresAt:      expiry.AbsoluteAt.UTC(),
	}})
}

// apiSignOut is DELETE /api/session: it ends the calling session, a browser's
// (whose cookie it clears) or an API client's.
func (s *Server) apiSignOut(c echo.Context) error {
	p := principal(c)
	if err := s.store.Logout(c.Request().Context(), p.SessionID, s.actor(c), s.now()); err != nil {
		return err
	}
	s.counts.Forget(p.AccountID)
	s.clearToken(c)
	return c.NoContent(http.StatusNoContent)
}
