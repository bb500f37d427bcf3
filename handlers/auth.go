package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/store"
	"curfew/words"
)

// touchEvery throttles last_seen_at writes: at most one per session per minute,
// so the hot path stays one read. The idle limit is therefore exact to within
// this interval.
const touchEvery = time.Minute

// Principal is the signed-in person of a request, with the policy in force.
// Policy is the account's whole policy, Overrides its own values (the same as
// Policy.Account); Effective is what this session lives by (the role's, else
// the account's, else the defaults).
type Principal struct {
	SessionID       string
	UserID          int64
	AccountID       int64
	Email           string
	Name            string
	Role            string
	AccountName     string
	Policy          policy.Policy
	Overrides       policy.Overrides
	Effective       policy.Effective
	Expiry          policy.Expiry
	CreatedAt       time.Time
	AuthenticatedAt time.Time
	// revokedThrough and revokedKept are the account's revocation point as
	// this request's lookup read it.
	revokedThrough int64
	revokedKept    string

	// Client is store.ClientBrowser (cookie) or store.ClientAPI (bearer token).
	Client string
	// settings are the system's, for what the people of another role live by.
	settings policy.Settings
}

// EffectiveFor is what the sessions of people with role live by in p's
// account, from the policy the request's lookup read.
func (p *Principal) EffectiveFor(role string) policy.Effective {
	return p.settings.EffectiveForRole(p.Policy.Account, p.Policy.Role(role))
}

// AccountEffective is what the account's own values put in force, which the
// policy card shows and roles without values of their own follow. Only the
// owner's pages need it, so it is not worked out on every request.
func (p *Principal) AccountEffective() policy.Effective {
	return p.settings.EffectivePolicy(p.Policy.Account)
}

// IsOwner reports the owner role.
func (p *Principal) IsOwner() bool { return p.Role == store.RoleOwner }

// signedOut says why a request that carried a session cookie has none now.
type signedOut struct {
	reason  policy.Reason
	minutes int
}

const (
	ctxPrincipal = "curfew.principal"
	ctxSignedOut = "curfew.signed_out"
)

func principal(c echo.Context) *Principal {
	p, _ := c.Get(ctxPrincipal).(*Principal)
	return p
}

// actor describes the request for the audit log.
func (s *Server) actor(c echo.Context) store.Actor {
	a := store.Actor{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	if p := principal(c); p != nil {
		a.AccountID, a.UserID = p.AccountID, p.UserID
	}
	return a
}

// authenticate is the one place sessions are checked: one indexed read of the
// session with its user, the account's policy and its roles' overrides, the
// expiry rules applied with the current values of the person's role, and at
// most one throttled last_seen_at write. The
// token comes from the cookie, or on the API from Authorization: Bearer
// (requestToken).
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token, client, err := s.requestToken(c)
		if err != nil {
			return err
		}
		if token == "" {
			if client == store.ClientBrowser {
				if _, err := c.Cookie(s.cookie); err == nil {
					s.clearToken(c) // tampered or signed with a retired key
				}
			}
			return next(c)
		}
		p, so, err := s.checkSession(c.Request().Context(), token, client)
		if err != nil {
			return err
		}
		if p == nil {
			if client == store.ClientBrowser {
				s.clearToken(c)
			} else {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer error="invalid_token"`)
			}
			if so.reason != policy.ReasonNone {
				c.Set(ctxSignedOut, so)
			}
			return next(c)
		}
		// Pages read these to warn before an idle sign-out without polling,
		// which would itself count as activity.
		h := c.Response().Header()
		h.Set(hdrIdleExpiresAt, p.Expiry.IdleAt.UTC().Format(time.RFC3339))
		h.Set(hdrAbsoluteExpiresAt, p.Expiry.AbsoluteAt.UTC().Format(time.RFC3339))
		c.Set(ctxPrincipal, p)
		return next(c)
	}
}

// checkSession finds the session of a token and applies the expiry rules with
// the account's current policy: the principal when it is valid; otherwise nil
// and, when the session exists but is over, why (recorded on its row the first
// time, as any request would). A token only works the way it was issued:
// client is store.ClientBrowser for the cookie, store.ClientAPI for a bearer.
func (s *Server) checkSession(ctx context.Context, token, client string) (*Principal, signedOut, error) {
	row, err := s.store.SessionByTokenHash(ctx, hashToken(token))
	if errors.Is(err, store.ErrNotFound) || (err == nil && row.Client != client) {
		return nil, signedOut{}, nil
	}
	if err != nil {
		return nil, signedOut{}, err
	}
	now := s.now()
	pol, err := row.Policy()
	if err != nil {
		return nil, signedOut{}, err
	}
	eff := s.settings.EffectiveForRole(pol.Account, pol.Role(row.UserRole))
	expiry := policy.ExpiryOf(eff, row.CreatedAt, row.LastSeenAt)
	if so, record := endedBy(row, eff, expiry, now); so.reason != policy.ReasonNone {
		if record != policy.ReasonNone {
			if err := s.store.EndSessionOnUse(ctx, row.ID, record, so.minutes, now); err != nil {
				return nil, signedOut{}, err
			}
		}
		return nil, so, nil
	}
	if now.Sub(row.LastSeenAt) >= touchEvery {
		if err := s.store.TouchSession(ctx, row.ID, now); err != nil {
			return nil, signedOut{}, err
		}
		row.LastSeenAt = now
		expiry = policy.ExpiryOf(eff, row.CreatedAt, row.LastSeenAt)
	}
	return &Principal{
		SessionID:       row.ID,
		UserID:          row.UserID,
		AccountID:       row.AccountID,
		Email:           row.UserEmail,
		Name:            row.UserName,
		Role:            row.UserRole,
		AccountName:     row.AccountName,
		Client:          row.Client,
		Policy:          pol,
		Overrides:       pol.Account,
		Effective:       eff,
		settings:        s.settings,
		Expiry:          expiry,
		CreatedAt:       row.CreatedAt,
		AuthenticatedAt: row.AuthenticatedAt,
		revokedThrough:  row.AccountRevokedThrough,
		revokedKept:     deref(row.AccountRevokedKept),
	}, signedOut{}, nil
}

// endedBy says whether a session the lookup found is over and why, for the
// person, and the reason to record on its row now (none when the row already
// says it ended). Time limits come first: a session past them had ended before
// any sign-out-everywhere reached it.
func endedBy(row store.AuthSession, eff policy.Effective, expiry policy.Expiry, now time.Time) (signedOut, policy.Reason) {
	if row.RevokedAt != nil {
		return recordedEnd(row, eff), policy.ReasonNone
	}
	if reason := expiry.Expired(now); reason != policy.ReasonNone {
		minutes := eff.IdleMinutes
		if reason == policy.ReasonAbsolute {
			minutes = eff.AbsoluteMinutes
		}
		return signedOut{reason: reason, minutes: minutes}, reason
	}
	if revoked, reason := row.RevokedByAccount(); revoked {
		return signedOut{reason: policy.ReasonRevoked}, policy.Reason(reason)
	}
	return signedOut{}, policy.ReasonNone
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// revokedReason is what a person is told of a session that ended with the
// stored reason r (NULL reads as an owner's doing).
func revokedReason(r *string) policy.Reason {
	if r == nil {
		return policy.ReasonRevoked
	}
	return policy.Reason(*r).Told()
}

// requireSession refuses requests without a valid session: 401 JSON for the
// API, HX-Redirect for htmx, and a redirect to the login page otherwise, each
// saying why when the session just ended. Every answer behind it, page, API
// or error, is kept out of caches.
func (s *Server) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		noStore(c)
		if principal(c) != nil {
			return next(c)
		}
		so, _ := c.Get(ctxSignedOut).(signedOut)
		loginURL := loginURLFor(so, c.Request())
		if isAPI(c) {
			code, msg := "unauthenticated", "Sign in first."
			if so.reason != policy.ReasonNone {
				code, msg = "session_expired", signedOutMessage(so)
			}
			return &Error{Status: http.StatusUnauthorized, Code: code, Message: msg}
		}
		if isHTMX(c) {
			c.Response().Header().Set("HX-Redirect", loginURL)
			return c.NoContent(http.StatusUnauthorized)
		}
		return c.Redirect(http.StatusSeeOther, loginURL)
	}
}

// requireOwner answers 403 to anyone but an owner, and audits the refusal.
func (s *Server) requireOwner(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := principal(c)
		if p != nil && p.IsOwner() {
			return next(c)
		}
		payload := map[string]any{"method": c.Request().Method, "path": storableText(c.Request().URL.Path, maxPathBytes), "role": p.Role}
		if err := s.store.InsertAudit(c.Request().Context(), s.actor(c), store.ActionAccessForbidden, payload); err != nil {
			s.log.ErrorContext(c.Request().Context(), "audit refused access", "err", err)
		}
		return &Error{Status: http.StatusForbidden, Code: "forbidden",
			Message: "Only account owners can do this. Ask an owner of " + p.AccountName + " if you need a change."}
	}
}

// loginURLFor builds /login with the reason and, for page loads, where to go back to.
func loginURLFor(so signedOut, r *http.Request) string {
	q := url.Values{}
	if so.reason != policy.ReasonNone {
		q.Set("reason", string(so.reason))
		if so.minutes > 0 {
			q.Set("minutes", strconv.Itoa(so.minutes))
		}
	}
	if r.Method == http.MethodGet && r.Header.Get("HX-Request") == "" && r.URL.Path != "/" {
		q.Set("return_to", r.URL.RequestURI())
	}
	if len(q) == 0 {
		return "/login"
	}
	return "/login?" + q.Encode()
}

// signedOutMessage tells a person why they were signed out.
func signedOutMessage(so signedOut) string {
	switch so.reason {
	case policy.ReasonIdle:
		if so.minutes <= 0 { // from a proxy, which knows the reason only
			return "You were signed out after a period of inactivity. Sign in again to continue."
		}
		return "You were signed out after " + words.Minutes(so.minutes) + " of inactivity. Sign in again to continue."
	case policy.ReasonAbsolute:
		if so.minutes <= 0 {
			return "You were signed out because your session reached its longest allowed lifetime. Sign in again to continue."
		}
		return "You were signed out because sessions last at most " + words.Minutes(so.minutes) + ". Sign in again to continue."
	case policy.ReasonLogout:
		return "You have signed out."
	case policy.ReasonRevoked:
		return "Your session was ended by an account owner. Sign in again to continue."
	}
	return ""
}
