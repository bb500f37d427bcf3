package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"curfew/policy"
)

// Session is one sign-in of one user.
type Session struct {
	ID              string     `db:"id"`
	AccountID       int64      `db:"account_id"`
	UserID          int64      `db:"user_id"`
	CreatedAt       time.Time  `db:"created_at"`
	LastSeenAt      time.Time  `db:"last_seen_at"`
	AuthenticatedAt time.Time  `db:"authenticated_at"`
	RevokedAt       *time.Time `db:"revoked_at"`
	RevokedReason   *string    `db:"revoked_reason"`
	// RevokedAfterMinutes is the limit an idle or absolute expiry ended the
	// session by, as it was then (NULL for other reasons and older rows).
	RevokedAfterMinutes *int   `db:"revoked_after_minutes"`
	IP                  string `db:"ip"`
	UserAgent           string `db:"user_agent"`
	// Client is ClientBrowser or ClientAPI.
	Client string `db:"client"`
}

// Kinds of client a session belongs to (sessions.client).
const (
	// ClientBrowser signed in with the login form; its token is in the cookie.
	ClientBrowser = "browser"
	// ClientAPI signed in with POST /api/session; its token is a bearer token.
	ClientAPI = "api"
)

// AuthSession is everything one authenticated request needs, read in one query:
// the session, its user and the account's current policy.
type AuthSession struct {
	Session
	UserEmail       string `db:"user_email"`
	UserName        string `db:"user_name"`
	UserRole        string `db:"user_role"`
	AccountName     string `db:"account_name"`
	IdleMinutes     *int   `db:"idle_minutes"`
	AbsoluteMinutes *int   `db:"absolute_minutes"`
	// RolePolicies are the overrides the account set for its roles
	// (role_policies), as one JSON object by role, or NULL when none.
	RolePolicies []byte `db:"role_policies"`
	// Seq orders sessions by creation; the account's sign-out-everywhere
	// point ends every session up to AccountRevokedThrough except
	// AccountRevokedKept.
	Seq                   int64   `db:"seq"`
	AccountRevokedThrough int64   `db:"sessions_revoked_through"`
	AccountRevokedKept    *string `db:"sessions_revoked_kept"`
	AccountRevokedReason  *string `db:"sessions_revoked_reason"`
}

// RevokedByAccount reports whether an owner's sign-out-everywhere ended this
// session, and the reason to record for it.
func (a AuthSession) RevokedByAccount() (bool, policy.Reason) {
	if a.Seq > a.AccountRevokedThrough || (a.AccountRevokedKept != nil && *a.AccountRevokedKept == a.ID) {
		return false, policy.ReasonNone
	}
	reason := policy.ReasonRevokedAll
	if a.AccountRevokedReason != nil {
		reason = policy.Reason(*a.AccountRevokedReason)
	}
	return true, reason
}

// Overrides are the account's policy overrides at the time of the lookup.
func (a AuthSession) Overrides() policy.Overrides {
	return policy.Overrides{IdleMinutes: a.IdleMinutes, AbsoluteMinutes: a.AbsoluteMinutes}
}

// Policy is the account's whole policy at the time of the lookup: its own
// overrides and every role's, so pages can tell what applies to each session
// without another query.
func (a AuthSession) Policy() (policy.Policy, error) {
	p := policy.Policy{Account: a.Overrides()}
	if a.RolePolicies == nil {
		return p, nil
	}
	if err := json.Unmarshal(a.RolePolicies, &p.Roles); err != nil {
		return policy.Policy{}, fmt.Errorf("read role policies of account %d: %w", a.AccountID, err)
	}
	return p, nil
}

// NewSession is what sign-in knows about a session it starts.
type NewSession struct {
	AccountID int64
	UserID    int64
	TokenHash []byte
	IP        string
	UserAgent string
	Now       time.Time
	// Client is ClientBrowser (the default) or ClientAPI.
	Client string
	// Method is how the person proved who they are, for auth.login.
	Method string
}

// CreateSession stores a new session and its auth.login audit row together.
func (s *Store) CreateSession(ctx context.Context, n NewSession) (Session, error) {
	var sess Session
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		// Sign-out-everywhere locks the account row to take its revocation
		// point; a sign-in waits for it, so its session is never counted as
		// ended by a revocation that started before it.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR SHARE`, n.AccountID); err != nil {
			return fmt.Errorf("lock account for sign-in: %w", err)
		}
		client := n.Client
		if client == "" {
			client = ClientBrowser
		}
		err := tx.GetContext(ctx, &sess, `INSERT INTO sessions
			(account_id, user_id, token_hash, created_at, last_seen_at, authenticated_at, ip, user_agent, client)
			VALUES ($1, $2, $3, $4, $4, $4, $5, $6, $7)
			RETURNING id, account_id, user_id, created_at, last_seen_at, authenticated_at, revoked_at, revoked_reason, ip, user_agent, client`,
			n.AccountID, n.UserID, n.TokenHash, n.Now, CapText(n.IP, MaxIPBytes), CapText(n.UserAgent, MaxUserAgentBytes), client)
		if err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		actor := Actor{AccountID: n.AccountID, UserID: n.UserID, IP: n.IP, UserAgent: n.UserAgent}
		payload := map[string]any{"session_id": sess.ID}
		if n.Method != "" {
			payload["method"] = n.Method
		}
		return insertAudit(ctx, tx, actor, ActionLogin, payload)
	})
	return sess, err
}

// SessionByTokenHash is the hot-path lookup: one indexed read joining the
// session's user, its account and the overrides of the account's roles (the
// caller's among them). Revoked sessions are returned too, so the caller
// can tell the person why they were signed out.
func (s *Store) SessionByTokenHash(ctx context.Context, tokenHash []byte) (AuthSession, error) {
	var a AuthSession
	err := s.getHot(ctx, &a, SessionByTokenHashSQL, tokenHash)
	return a, notFound(err, "look up session")
}

// SessionByTokenHashSQL is the lookup, run as a prepared statement; exported
// for the test of its plan. The session's person is in its account by a
// foreign key (sessions_user_in_account), so users is joined by id alone,
// which keeps even the generic plan on a unique index of users, whatever the
// size of the account. The roles' overrides are a few rows found by
// role_policies' primary key, and NULL (nothing to decode) when none is set.
const SessionByTokenHashSQL = `SELECT s.id, s.account_id, s.user_id, s.created_at, s.last_seen_at,
			s.authenticated_at, s.revoked_at, s.revoked_reason, s.revoked_after_minutes, s.ip, s.user_agent, s.client,
			u.email AS user_email, u.name AS user_name, u.role AS user_role,
			a.name AS account_name, a.idle_minutes, a.absolute_minutes,
			(SELECT jsonb_object_agg(rp.role, jsonb_build_object('idle_minutes', rp.idle_minutes, 'absolute_minutes', rp.absolute_minutes))
				FROM role_policies rp WHERE rp.account_id = s.account_id) AS role_policies,
			s.seq, a.sessions_revoked_through, a.sessions_revoked_kept, a.sessions_revoked_reason
		FROM sessions s
		JOIN users u ON u.id = s.user_id
		JOIN accounts a ON a.id = s.account_id
		WHERE s.token_hash = $1`

// TouchSession records activity. It only moves last_seen_at forward and never
// revives an ended session.
func (s *Store) TouchSession(ctx context.Context, id string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2
		WHERE id = $1 AND revoked_at IS NULL AND last_seen_at < $2`, id, now)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// EndSessionOnUse marks a session ended when its next request finds it over:
// by the idle or absolute rule (after the given limit in minutes, kept so a
// later request can say so), or by the account's sign-out-everywhere
// (minutes 0).
func (s *Store) EndSessionOnUse(ctx context.Context, id string, reason policy.Reason, minutes int, now time.Time) error {
	var after *int
	if minutes > 0 {
		after = &minutes
	}
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET revoked_at = $2, revoked_reason = $3, revoked_after_minutes = $4
		WHERE id = $1 AND revoked_at IS NULL`, id, now, string(reason), after)
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// Logout ends the caller's own session and writes auth.logout.
func (s *Store) Logout(ctx context.Context, sessionID string, actor Actor, now time.Time) error {
	return s.withTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $3, revoked_reason = '`+string(policy.ReasonLogout)+`', revoked_by_user_id = $4
			WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL`, sessionID, actor.AccountID, now, nullUserID(actor.UserID))
		if err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return insertAudit(ctx, tx, actor, ActionLogout, map[string]any{"session_id": sessionID})
	})
}

// Reauthenticate renews a session's sudo window after the password was given
// again, and replaces its token hash: a re-authenticated session gets a new
// token. A nil tokenHash keeps the token (an API client's bearer token).
func (s *Store) Reauthenticate(ctx context.Context, sessionID string, tokenHash []byte, actor Actor, now time.Time) error {
	var newHash any
	if tokenHash != nil {
		newHash = tokenHash
	}
	return s.withTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET authenticated_at = $3, last_seen_at = greatest(last_seen_at, $3),
			token_hash = coalesce($4::bytea, token_hash)
			WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL`, sessionID, actor.AccountID, now, newHash)
		if err != nil {
			return fmt.Errorf("renew sign-in: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return insertAudit(ctx, tx, actor, ActionReauth, map[string]any{"session_id": sessionID})
	})
}

// PurgeSessions deletes sessions that ended before cutoff, and sessions never
// marked ended that are older than the longest possible lifetime, in batches so
// no lock is held for long. It returns how many rows went.
func (s *Store) PurgeSessions(ctx context.Context, cutoff time.Time, absoluteMaxMinutes int) (int64, error) {
	var total int64
	for {
		res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id IN (
			SELECT id FROM sessions
			WHERE (revoked_at IS NOT NULL AND revoked_at < $1)
			   OR (revoked_at IS NULL AND created_at < $1 - make_interval(mins => $2))
			LIMIT 5000)`, cutoff, absoluteMaxMinutes)
		if err != nil {
			return total, fmt.Errorf("purge sessions: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 5000 {
			return total, nil
		}
	}
}
