package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"curfew/password"
	"curfew/policy"
	"curfew/store"
)

// errReauthRequired means a sensitive action needs the password again: the
// session's last sign-in is older than the sudo window.
var errReauthRequired = &Error{Status: http.StatusForbidden, Code: "reauth_required",
	Message: "For your security, enter your password again to make this change."}

// inSudoWindow reports whether the caller signed in recently enough for
// sensitive actions.
func (s *Server) inSudoWindow(c echo.Context) bool {
	p := principal(c)
	return p != nil && policy.InSudoWindow(p.AuthenticatedAt, s.now())
}

// sudo lets a sensitive form action proceed: inside the sudo window at once;
// outside it only when the form carries the right password, which renews the
// window. It returns errReauthRequired when no password was given and a field
// error when it was wrong.
func (s *Server) sudo(c echo.Context, pw string) error {
	if s.inSudoWindow(c) {
		return nil
	}
	if pw == "" {
		return errReauthRequired
	}
	return s.reauthenticate(c, pw)
}

// reauthenticate checks the signed-in person's password and renews the window.
// Password guesses count against the same limits as sign-in, and a successful
// re-authentication rotates the session token (the old cookie stops working).
func (s *Server) reauthenticate(c echo.Context, pw string) error {
	p := principal(c)
	ctx := c.Request().Context()
	u, err := s.store.User(ctx, p.AccountID, p.UserID)
	if err != nil {
		return err
	}
	attempt := s.loginAttempt(c, u.Email)
	scope, msg, err := s.throttleSignIn(c, attempt)
	if err != nil {
		return err
	} else if msg != "" {
		return &Error{Status: http.StatusTooManyRequests, Code: "too_many_attempts", Message: msg, Fields: map[string]string{"password": msg}}
	}
	ctx, cancel := s.detached(c) // counted, so audited even if the client goes
	defer cancel()
	if err := password.Check(u.PasswordHash, pw); err != nil {
		if errors.Is(err, password.ErrMismatch) {
			if err := s.store.InsertAudit(ctx, s.actor(c), store.ActionLoginFailed, map[string]any{"email": u.Email, "reauth": true}); err != nil {
				return err
			}
			return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
				Message: "That password is not right.", Fields: map[string]string{"password": "That password is not right."}}
		}
		return err
	}
	if err := s.store.ClearLoginAttempts(ctx, attempt, scope, s.now()); err != nil {
		return err
	}
	token, hash, err := newToken()
	if err != nil {
		return err
	}
	if p.Client == store.ClientAPI {
		hash = nil // a bearer token is the client's to keep: it has no cookie to renew
	}
	now := s.now()
	if err := s.store.Reauthenticate(ctx, p.SessionID, hash, s.actor(c), now); err != nil {
		return err
	}
	if err := s.writeToken(c, token, p.Effective.AbsoluteMinutes*60); err != nil {
		return err
	}
	p.AuthenticatedAt = now
	return nil
}

// apiReauth is POST /api/session/reauth {"password":"…"}: it renews the sudo
// window of the caller's session.
func (s *Server) apiReauth(c echo.Context) error {
	var body struct {
		Password *string `json:"password"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Password == nil || *body.Password == "" {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
			Message: "Enter your password.", Fields: map[string]string{"password": "Enter your password."}}
	}
	if err := s.reauthenticate(c, *body.Password); err != nil {
		return err
	}
	p := principal(c)
	return c.JSON(http.StatusOK, map[string]any{
		"authenticated_at": p.AuthenticatedAt.UTC(),
		"sudo_expires_at":  p.AuthenticatedAt.Add(policy.SudoWindow).UTC(),
	})
}
