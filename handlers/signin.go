package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"curfew/password"
	"curfew/policy"
	"curfew/store"
)

const badSignIn = "That email and password don't match an account. Check both and try again."

// signInAttempt is a sign-in as a person gives it, with where it comes from.
type signInAttempt struct {
	Email    string // normalised (store.NormalizeEmail)
	Password string
	IP       string
	// UserAgent is the client's, as sent; the session keeps its first 512 bytes.
	UserAgent string
	// Device is the id of the client's device cookie issued to Email, or ""
	// (deviceFor): a device that signed in before keeps its own counter.
	Device string
	// Current is the session the client still holds, which a sign-in
	// replaces; nil when there is none.
	Current *Principal
	// Client is store.ClientBrowser (the login form, a cookie) or
	// store.ClientAPI (POST /api/session, a bearer token).
	Client string
	// Method is how the person proved who they are, for auth.login:
	// "password" for the form, "token" for an API client's sign-in.
	Method string
}

// signedIn is the session a sign-in started: its token (for the cookie or
// the client, never stored) and the policy it lives under.
type signedIn struct {
	token   string
	policy  policy.Effective
	user    store.User
	account store.Account
	session store.Session
}

// signInRefused is a sign-in refused for a reason the person can act on: a
// missing field, too many attempts, or an email and password that do not
// match. status is the HTTP status the refusal answers with.
type signInRefused struct {
	status     int
	message    string
	retryAfter time.Duration
}

func (e *signInRefused) Error() string { return e.message }

var errBadSignIn = &signInRefused{status: http.StatusUnauthorized, message: badSignIn}

// signIn checks a sign-in and starts a new session: within the attempt
// limits, the password checked (unknown emails and wrong passwords get the
// same answer after the same bcrypt work), the client's old session ended.
// Every step that refuses returns *signInRefused.
func (s *Server) signIn(ctx context.Context, a signInAttempt) (signedIn, error) {
	if a.Email == "" || a.Password == "" {
		return signedIn{}, &signInRefused{status: http.StatusUnprocessableEntity, message: "Enter your email and password."}
	}
	if len(a.Email) > maxEmailBytes {
		return signedIn{}, &signInRefused{status: http.StatusUnprocessableEntity, message: emailTooLong}
	}
	la := store.LoginAttempt{Email: a.Email, IP: a.IP, Device: a.Device}
	r, err := s.reserveSignIn(ctx, la, a.UserAgent)
	if err != nil {
		return signedIn{}, err
	}
	if !r.RetryAt.IsZero() {
		wait := r.RetryAt.Sub(s.now())
		return signedIn{}, &signInRefused{status: http.StatusTooManyRequests, message: throttledMessage(wait), retryAfter: max(wait, time.Second)}
	}
	u, err := s.checkPassword(ctx, a)
	if err != nil {
		return signedIn{}, err
	}
	// The password is right: its failures no longer count. (Before the
	// session is created, so that write and its audit row are the last.)
	if err := s.store.ClearLoginAttempts(ctx, la, r.Scope, s.now()); err != nil {
		return signedIn{}, err
	}
	if p := a.Current; p != nil {
		actor := store.Actor{AccountID: p.AccountID, UserID: p.UserID, IP: a.IP, UserAgent: a.UserAgent}
		if err := s.store.Logout(ctx, p.SessionID, actor, s.now()); err != nil {
			return signedIn{}, err
		}
		s.counts.Forget(p.AccountID)
	}
	return s.startSession(ctx, u, a)
}

// checkPassword finds the user of a sign-in and checks the password; a wrong
// one is audited as auth.login_failed on the user's account.
func (s *Server) checkPassword(ctx context.Context, a signInAttempt) (store.User, error) {
	u, err := s.store.UserByEmail(ctx, a.Email)
	if errors.Is(err, store.ErrNotFound) {
		password.CheckNobody(a.Password)
		return store.User{}, errBadSignIn
	}
	if err != nil {
		return store.User{}, err
	}
	if err := password.Check(u.PasswordHash, a.Password); err != nil {
		if !errors.Is(err, password.ErrMismatch) {
			return store.User{}, err
		}
		actor := store.Actor{AccountID: u.AccountID, UserID: u.ID, IP: a.IP, UserAgent: a.UserAgent}
		payload := map[string]any{"email": a.Email}
		if a.Client == store.ClientAPI {
			payload["method"] = a.Method
		}
		if err := s.store.InsertAudit(ctx, actor, store.ActionLoginFailed, payload); err != nil {
			return store.User{}, err
		}
		return store.User{}, errBadSignIn
	}
	return u, nil
}

// startSession creates the session of a checked sign-in, under the policy
// of the user's account and role as it is now.
func (s *Server) startSession(ctx context.Context, u store.User, a signInAttempt) (signedIn, error) {
	mint := newToken
	if a.Client == store.ClientAPI {
		mint = newAPIToken
	}
	token, hash, err := mint()
	if err != nil {
		return signedIn{}, err
	}
	acct, err := s.store.Account(ctx, u.AccountID)
	if err != nil {
		return signedIn{}, err
	}
	pol, err := s.store.AccountPolicy(ctx, u.AccountID)
	if err != nil {
		return signedIn{}, err
	}
	sess, err := s.store.CreateSession(ctx, store.NewSession{
		AccountID: u.AccountID, UserID: u.ID, TokenHash: hash,
		IP: a.IP, UserAgent: a.UserAgent, Now: s.now(), // the store caps the user agent
		Client: a.Client, Method: a.Method,
	})
	if err != nil {
		return signedIn{}, err
	}
	s.counts.Forget(u.AccountID)
	return signedIn{token: token, policy: s.settings.EffectiveForRole(pol.Account, pol.Role(u.Role)),
		user: u, account: acct, session: sess}, nil
}
