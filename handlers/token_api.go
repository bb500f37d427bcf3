package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"curfew/password"
	"curfew/policy"
	"curfew/store"
)

// maxEmailLen is the longest email address there can be (RFC 5321 path limit).
const maxEmailLen = 254

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
	ctx := c.Request().Context()
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
	} else if len(*body.Email) > maxEmailLen {
		fields["email"] = "An email address has at most 254 characters."
	}
	if body.Password == nil || *body.Password == "" {
		fields["password"] = "Enter your password."
	}
	if len(fields) > 0 {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: "Enter your email and password.", Fields: fields}
	}
	email, pw := store.NormalizeEmail(*body.Email), *body.Password

	if msg, err := s.throttleSignIn(c, email); err != nil {
		return err
	} else if msg != "" {
		return &Error{Status: http.StatusTooManyRequests, Code: "too_many_attempts", Message: msg}
	}
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		password.CheckNobody(pw)
		return errInvalidCredentials
	}
	if err != nil {
		return err
	}
	if err := password.Check(u.PasswordHash, pw); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			return err
		}
		actor := store.Actor{AccountID: u.AccountID, UserID: u.ID, IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
		if err := s.store.InsertAudit(ctx, actor, store.ActionLoginFailed, map[string]any{"email": email, "method": "token"}); err != nil {
			return err
		}
		return errInvalidCredentials
	}
	if err := s.store.ClearLoginAttempts(ctx, email); err != nil {
		return err
	}
	acct, err := s.store.Account(ctx, u.AccountID)
	if err != nil {
		return err
	}
	token, hash, err := newAPIToken()
	if err != nil {
		return err
	}
	sess, err := s.store.CreateSession(ctx, store.NewSession{
		AccountID: u.AccountID, UserID: u.ID, TokenHash: hash,
		IP: c.RealIP(), UserAgent: truncate(c.Request().UserAgent(), 512), Now: s.now(),
		Client: store.ClientAPI, Method: "token",
	})
	if err != nil {
		return err
	}
	s.counts.forget(u.AccountID)
	eff := s.settings.EffectivePolicy(acct.Overrides())
	expiry := policy.ExpiryOf(eff, sess.CreatedAt, sess.LastSeenAt)
	return c.JSON(http.StatusCreated, tokenBody{Token: token, Session: sessionBody{
		User:                   sessionUser{ID: u.ID, Email: u.Email, Role: u.Role},
		Account:                sessionAccount{ID: acct.ID, Name: acct.Name},
		IdleTimeoutSeconds:     eff.IdleMinutes * 60,
		AbsoluteTimeoutSeconds: eff.AbsoluteMinutes * 60,
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
	s.counts.forget(p.AccountID)
	s.clearToken(c)
	return c.NoContent(http.StatusNoContent)
}
