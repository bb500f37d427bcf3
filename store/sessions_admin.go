package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"curfew/policy"
)

// ActionOwnSessionsRevoke is written when a person signs out their own other
// sessions from /me/sessions: one row for the whole batch, like
// account.sessions_revoke, but it only ever touches the actor's own sessions.
const ActionOwnSessionsRevoke = "user.sessions_revoke"

// Scopes of sign-out-everywhere.
const (
	ScopeAll    = "all"
	ScopeOthers = "others"
)

// ActiveAt says which sessions count as active: not ended, and still valid
// under the account's current effective policy at Now. Sessions past their
// limits that nobody has used since are not marked ended yet (the next request
// does that), so every query of active sessions applies the limits itself.
type ActiveAt struct {
	Now    time.Time
	Policy policy.Effective
	// Roles, when set, are the limits of each role: a session is then active
	// under its person's role's limits, and Policy is not used.
	Roles map[string]policy.Effective
}

// activeSessions is the SQL test for ActiveAt; $2 is Now, $3 and $4 the idle
// and absolute limits in minutes, and the account id is always $1. Sessions
// that the account's last sign-out-everywhere ended, but that are not marked
// yet, are left out too. It is for an ActiveAt whose roles all have the same
// limits; activeSessionsByRole is for one whose roles differ (see
// ActiveAt.activeSQL).
const activeSessions = liveSessions + ` AND ` + notRevokedByAccount

// liveSessions is activeSessions without the account's revocation point.
const liveSessions = `s.account_id = $1 AND s.revoked_at IS NULL
	AND s.last_seen_at > $2::timestamptz - make_interval(mins => $3::int)
	AND s.created_at > $2::timestamptz - make_interval(mins => $4::int)`

// activeSessionsByRole and liveSessionsByRole hold each session to its
// person's role's limits: $3 and $4 are JSON objects of minutes by role, the
// longest under "*". The longest bound the index range, as in liveSessions;
// then each session's person is read by primary key for its role's limits.
// (A separate text, so that accounts with no role values keep the plain
// plan: the subplan's cost steers the planner off the bitmap scan.)
const activeSessionsByRole = liveSessionsByRole + ` AND ` + notRevokedByAccount

const liveSessionsByRole = `s.account_id = $1 AND s.revoked_at IS NULL
	AND s.last_seen_at > $2::timestamptz - make_interval(mins => (SELECT ($3::jsonb ->> '*')::int))
	AND s.created_at > $2::timestamptz - make_interval(mins => (SELECT ($4::jsonb ->> '*')::int))
	AND EXISTS (SELECT 1 FROM users ru WHERE ru.id = s.user_id
		AND s.last_seen_at > $2::timestamptz - make_interval(mins => coalesce(($3::jsonb ->> ru.role)::int, ($3::jsonb ->> '*')::int))
		AND s.created_at > $2::timestamptz - make_interval(mins => coalesce(($4::jsonb ->> ru.role)::int, ($4::jsonb ->> '*')::int)))`

// notRevokedByAccount keeps sessions after the account's revocation point, and
// the one session it kept. The subqueries run once per statement.
const notRevokedByAccount = `(s.seq > (SELECT sessions_revoked_through FROM accounts WHERE id = $1)
	OR s.id = (SELECT sessions_revoked_kept FROM accounts WHERE id = $1))`

func (a ActiveAt) args(accountID int64) []any {
	loosest, byRole := a.limits()
	if byRole == nil {
		return []any{accountID, a.Now, loosest.IdleMinutes, loosest.AbsoluteMinutes}
	}
	idles, absolutes := map[string]int{"*": loosest.IdleMinutes}, map[string]int{"*": loosest.AbsoluteMinutes}
	for role, e := range byRole {
		idles[role], absolutes[role] = e.IdleMinutes, e.AbsoluteMinutes
	}
	i, _ := json.Marshal(idles)
	b, _ := json.Marshal(absolutes)
	return []any{accountID, a.Now, string(i), string(b)}
}

// activeSQL and liveSQL are activeSessions and liveSessions, or their by-role
// forms when the roles' limits differ; args gives each its parameters.
func (a ActiveAt) activeSQL() string {
	if _, byRole := a.limits(); byRole != nil {
		return activeSessionsByRole
	}
	return activeSessions
}

func (a ActiveAt) liveSQL() string {
	if _, byRole := a.limits(); byRole != nil {
		return liveSessionsByRole
	}
	return liveSessions
}

// Limits says every limit the test applies, in one comparable string, for
// caches of its results.
func (a ActiveAt) Limits() string {
	return fmt.Sprint(a.args(0)[2:])
}

// limits are the longest limits of any role (Policy when Roles is not set),
// and the roles whose limits are shorter, nil when there is none.
func (a ActiveAt) limits() (loosest policy.Effective, byRole map[string]policy.Effective) {
	if len(a.Roles) == 0 {
		return a.Policy, nil
	}
	for _, e := range a.Roles {
		loosest.IdleMinutes = max(loosest.IdleMinutes, e.IdleMinutes)
		loosest.AbsoluteMinutes = max(loosest.AbsoluteMinutes, e.AbsoluteMinutes)
	}
	for role, e := range a.Roles {
		if e != loosest {
			if byRole == nil {
				byRole = map[string]policy.Effective{}
			}
			byRole[role] = e
		}
	}
	return loosest, byRole
}

// AccountSession is a session with the person it belongs to.
type AccountSession struct {
	Session
	UserEmail string `db:"user_email"`
	UserName  string `db:"user_name"`
	UserRole  string `db:"user_role"`
}

// SessionCursor is where one page of a session list ended: lists are ordered
// by last activity, newest first, with the id breaking ties.
type SessionCursor struct {
	LastSeenAt time.Time
	ID         string
}

// ActiveSessionsQuery selects one page of an account's active sessions.
type ActiveSessionsQuery struct {
	AccountID int64
	// UserID, when not 0, keeps only that person's sessions.
	UserID int64
	Active ActiveAt
	// After continues a list after the last session of the previous page.
	After *SessionCursor
	Limit int
	// Search, when not "", keeps sessions whose person, email, user agent or
	// IP contains it (SearchSessions bounds and escapes it).
	Search string
}

// ActiveSessions lists active sessions, most recently active first. It reads
// Limit+1 rows so the caller can tell whether there is another page. A session
// used while someone pages through the list moves to its top, which is where
// a person looking for recent activity looks first.
func (s *Store) ActiveSessions(ctx context.Context, q ActiveSessionsQuery) ([]AccountSession, error) {
	args := q.Active.args(q.AccountID)
	where := q.Active.activeSQL()
	if q.UserID != 0 {
		args = append(args, q.UserID)
		where += fmt.Sprintf(" AND s.user_id = $%d", len(args))
	}
	if q.Search != "" {
		args = append(args, searchPattern(q.Search))
		where += " AND " + searchSessionsSQL(len(args))
	}
	if q.After != nil {
		args = append(args, q.After.LastSeenAt, q.After.ID)
		where += fmt.Sprintf(" AND (s.last_seen_at, s.id) < ($%d::timestamptz, $%d::uuid)", len(args)-1, len(args))
	}
	args = append(args, q.Limit+1)
	var out []AccountSession
	err := s.db.SelectContext(ctx, &out, `SELECT s.id, s.account_id, s.user_id, s.created_at, s.last_seen_at,
			s.authenticated_at, s.revoked_at, s.revoked_reason, s.ip, s.user_agent, s.client,
			u.email AS user_email, u.name AS user_name, u.role AS user_role
		FROM sessions s
		JOIN users u ON u.id = s.user_id
		WHERE `+where+`
		ORDER BY s.last_seen_at DESC, s.id DESC
		LIMIT $`+fmt.Sprint(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list active sessions: %w", err)
	}
	return out, nil
}

// SessionCounts are how many active sessions, and of how many people, there
// are in an account, in total and apart from one session (the caller's).
type SessionCounts struct {
	Sessions      int `db:"sessions"`
	People        int `db:"people"`
	OtherSessions int `db:"other_sessions"`
	OtherPeople   int `db:"other_people"`
}

// CountActiveSessions counts an account's active sessions; "other" leaves out
// the session exceptID. With userID not 0 it counts only that person's.
func (s *Store) CountActiveSessions(ctx context.Context, accountID, userID int64, active ActiveAt, exceptID string) (SessionCounts, error) {
	var c SessionCounts
	args := append(active.args(accountID), nullUUID(exceptID), userID)
	if err := s.getHot(ctx, &c, countActiveSessionsSQL(active), args...); err != nil {
		return SessionCounts{}, fmt.Errorf("count active sessions: %w", err)
	}
	return c, nil
}

// countActiveSessionsSQL backs the security page, the session lists and the
// sign-out-everywhere confirmation, so it is prepared.
// Grouping by person first is one hash aggregate; count(DISTINCT) would sort
// every session twice.
func countActiveSessionsSQL(active ActiveAt) string {
	return `SELECT coalesce(sum(n), 0) AS sessions, count(*) AS people,
		coalesce(sum(n - mine), 0) AS other_sessions, count(*) FILTER (WHERE n > mine) AS other_people
	FROM (SELECT count(*) AS n, count(*) FILTER (WHERE s.id = $5::uuid) AS mine
		FROM sessions s
		WHERE ` + active.activeSQL() + ` AND ($6::bigint = 0 OR s.user_id = $6)
		GROUP BY s.user_id) AS per_person`
}

// Revoked is the outcome of ending sessions in bulk.
type Revoked struct {
	Count int
	// People is how many different people lost a session.
	People int
	// IncludesCaller reports whether the caller's own session was among them.
	IncludesCaller bool
	// Unmarked reports that the rows are not marked ended yet: the revocation
	// is in force, and MarkRevokedSessions records it on the rows.
	Unmarked bool
}

// markInline is how many sessions sign-out-everywhere marks ended in its own
// transaction; past it the rows are marked afterwards, in batches.
const markInline = 1000

// RevokeAccountSessions is sign-out-everywhere for the actor's account: every
// active session (scope "all") or all but callerSessionID (scope "others"). It
// takes a revocation point in the order sessions were created and stores it on
// the account, which the hot-path lookup reads in the same query, so its cost
// does not grow with the number of sessions; one account.sessions_revoke audit
// row records scope and count in the same transaction. Small revocations also
// mark their rows at once; large ones leave that to MarkRevokedSessions.
func (s *Store) RevokeAccountSessions(ctx context.Context, actor Actor, scope, callerSessionID string, active ActiveAt) (Revoked, error) {
	var kept any
	reason := policy.ReasonRevokedAll
	switch scope {
	case ScopeAll:
	case ScopeOthers:
		kept, reason = nullUUID(callerSessionID), policy.ReasonRevokedOthers
	default:
		return Revoked{}, fmt.Errorf("revoke sessions: unknown scope %q", scope)
	}
	var r Revoked
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		// The row lock waits for sign-ins in flight (they hold FOR SHARE) and
		// holds new ones until commit, so every session created so far has a
		// seq below the point taken here and every later one above it.
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, actor.AccountID); err != nil {
			return fmt.Errorf("lock account: %w", err)
		}
		var through int64
		if err := tx.GetContext(ctx, &through, `SELECT nextval(pg_get_serial_sequence('sessions', 'seq'))`); err != nil {
			return fmt.Errorf("take revocation point: %w", err)
		}
		args := append(active.args(actor.AccountID), kept, nullUUID(callerSessionID))
		err := tx.QueryRowxContext(ctx, `SELECT coalesce(sum(n), 0), count(*), coalesce(bool_or(mine), false)
			FROM (SELECT count(*) AS n, bool_or(s.id = $6::uuid) AS mine
				FROM sessions s
				WHERE `+active.activeSQL()+` AND ($5::uuid IS NULL OR s.id <> $5::uuid)
				GROUP BY s.user_id) AS per_person`, args...).
			Scan(&r.Count, &r.People, &r.IncludesCaller)
		if err != nil {
			return fmt.Errorf("count sessions to revoke: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET sessions_revoked_through = $2, sessions_revoked_kept = $3,
				sessions_revoked_reason = $4, sessions_revoked_at = $5, sessions_revoked_by = $6 WHERE id = $1`,
			actor.AccountID, through, kept, string(reason), active.Now, nullUserID(actor.UserID)); err != nil {
			return fmt.Errorf("record revocation point: %w", err)
		}
		if r.Count <= markInline {
			if _, err := markRevoked(ctx, tx, actor.AccountID, active, markInline+1); err != nil {
				return err
			}
		} else {
			r.Unmarked = true
		}
		return insertAudit(ctx, tx, actor, ActionSessionsRevoke, map[string]any{"scope": scope, "revoked_count": r.Count})
	})
	return r, err
}

// MarkRevokedSessions records an account's sign-out-everywhere on the session
// rows it ended (those active at the time, as active describes it), in
// batches, so lists and history read plain rows again. The revocation is in
// force before this runs; it only tidies. Rows it misses (a restart in the
// middle) stay refused and hidden from lists, and are purged with the rest.
func (s *Store) MarkRevokedSessions(ctx context.Context, accountID int64, active ActiveAt) (int64, error) {
	var total int64
	for {
		n, err := markRevoked(ctx, s.db, accountID, active, 5000)
		total += n
		if err != nil || n < 5000 {
			return total, err
		}
	}
}

// markRevoked marks up to limit sessions that were active under active and
// that the account's revocation point ended, with its time and reason.
func markRevoked(ctx context.Context, q sqlx.ExecerContext, accountID int64, active ActiveAt, limit int) (int64, error) {
	args := append(active.args(accountID), limit)
	res, err := q.ExecContext(ctx, `UPDATE sessions t
		SET revoked_at = a.sessions_revoked_at, revoked_reason = a.sessions_revoked_reason,
			revoked_by_user_id = a.sessions_revoked_by
		FROM accounts a
		WHERE a.id = $1 AND t.account_id = $1 AND t.id IN (
			SELECT s.id FROM sessions s, accounts p
			WHERE `+active.liveSQL()+` AND p.id = $1
			  AND s.seq <= p.sessions_revoked_through AND s.id IS DISTINCT FROM p.sessions_revoked_kept
			LIMIT $5)`, args...)
	if err != nil {
		return 0, fmt.Errorf("mark revoked sessions: %w", err)
	}
	return res.RowsAffected()
}

// RevokeOwnOtherSessions ends every active session of the actor except
// callerSessionID, with one audit row. Nothing is written when there is none.
func (s *Store) RevokeOwnOtherSessions(ctx context.Context, actor Actor, callerSessionID string, active ActiveAt) (int, error) {
	var n int
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		args := append(active.args(actor.AccountID), actor.UserID, nullUUID(callerSessionID))
		err := tx.GetContext(ctx, &n, `WITH ended AS (
				UPDATE sessions s SET revoked_at = $2, revoked_reason = '`+string(policy.ReasonLogout)+`', revoked_by_user_id = $5
				WHERE `+active.activeSQL()+` AND s.user_id = $5 AND s.id IS DISTINCT FROM $6::uuid
				RETURNING s.id)
			SELECT count(*) FROM ended`, args...)
		if err != nil {
			return fmt.Errorf("sign out other sessions: %w", err)
		}
		if n == 0 {
			return nil
		}
		return insertAudit(ctx, tx, actor, ActionOwnSessionsRevoke, map[string]any{"scope": ScopeOthers, "revoked_count": n})
	})
	return n, err
}

// EndedSession is a session RevokeSession ended, or found already ended.
type EndedSession struct {
	AccountSession
	// Changed is false when the session had already ended; nothing was written.
	Changed bool
}

// RevokeSession ends one session of the actor's account and writes one
// session.revoke row naming the session and its owner. With onlyUserID not 0
// the session must belong to that person. A session of another account (or
// person) is ErrNotFound and nothing changes. A person ending their own
// session is recorded as a sign-out; anyone else's as a revocation.
func (s *Store) RevokeSession(ctx context.Context, actor Actor, sessionID string, onlyUserID int64, now time.Time) (EndedSession, error) {
	var e EndedSession
	if !ValidSessionID(sessionID) {
		return e, ErrNotFound
	}
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &e.AccountSession, `SELECT s.id, s.account_id, s.user_id, s.created_at, s.last_seen_at,
				s.authenticated_at, s.revoked_at, s.revoked_reason, s.ip, s.user_agent, s.client,
				u.email AS user_email, u.name AS user_name, u.role AS user_role
			FROM sessions s
			JOIN users u ON u.id = s.user_id
			WHERE s.id = $1::uuid AND s.account_id = $2 AND ($3::bigint = 0 OR s.user_id = $3)
			FOR UPDATE OF s`, sessionID, actor.AccountID, onlyUserID)
		if err != nil {
			return notFound(err, "find session to end")
		}
		if e.RevokedAt != nil {
			return nil
		}
		reason := string(policy.ReasonRevoked)
		if e.UserID == actor.UserID {
			reason = string(policy.ReasonLogout)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = $3, revoked_reason = $4, revoked_by_user_id = $5
			WHERE id = $1 AND account_id = $2`, e.ID, actor.AccountID, now, reason, nullUserID(actor.UserID)); err != nil {
			return fmt.Errorf("end session: %w", err)
		}
		e.Changed, e.RevokedAt, e.RevokedReason = true, &now, &reason
		return insertAudit(ctx, tx, actor, ActionSessionRevoke, map[string]any{
			"session_id": e.ID, "user_id": e.UserID, "email": e.UserEmail,
		})
	})
	return e, err
}

// ValidSessionID reports whether id has the shape of a session id (a UUID in
// its canonical text form), so a malformed id is "not found", not an error.
func ValidSessionID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i, r := range id {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case '0' <= r && r <= '9', 'a' <= r && r <= 'f', 'A' <= r && r <= 'F':
		default:
			return false
		}
	}
	return true
}

// nullUUID turns "" into SQL NULL for optional uuid parameters.
func nullUUID(id string) any {
	if id == "" {
		return nil
	}
	return id
}
