package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// MaxSearchBytes bounds a session search: longer text matches no more
// sessions than its first 100 bytes do, and a pattern that long is already
// more than anyone types.
const MaxSearchBytes = 100

// searchPattern is q as an ILIKE pattern that matches q anywhere, with the
// pattern characters in q matched as themselves.
func searchPattern(q string) string {
	q = CapText(q, MaxSearchBytes)
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// searchSessionsSQL tests a session row s of account $1 against the pattern
// in parameter $n: its person's name and email (matched once per person of
// the account, not once per session), the user agent text, the IP, and "API
// client" for sessions of API clients (what the lists call them). It runs
// over the account's sessions that the other conditions left, which the
// account's partial indexes bound.
func searchSessionsSQL(n int) string {
	p := fmt.Sprintf("$%d", n)
	return `(s.user_id IN (SELECT m.id FROM users m WHERE m.account_id = $1
			AND (m.email ILIKE ` + p + ` ESCAPE '\' OR m.name ILIKE ` + p + ` ESCAPE '\'))
		OR s.user_agent ILIKE ` + p + ` ESCAPE '\' OR s.ip ILIKE ` + p + ` ESCAPE '\'
		OR (s.client = '` + ClientAPI + `' AND 'API client' ILIKE ` + p + ` ESCAPE '\'))`
}

// nullUserID turns 0 (no person, such as a job) into SQL NULL.
func nullUserID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// PastSession is an ended session with the person it belonged to and the
// person who ended it, if a person did.
type PastSession struct {
	AccountSession
	// EndedByID, EndedByName and EndedByEmail name who ended it: nil for
	// the rules (idle, absolute) and rows older than the column.
	EndedByID    *int64  `db:"ended_by_id"`
	EndedByName  *string `db:"ended_by_name"`
	EndedByEmail *string `db:"ended_by_email"`
}

// EndedSessionsQuery selects one page of an account's ended sessions.
type EndedSessionsQuery struct {
	AccountID int64
	// Since leaves out sessions that ended before it (the retention period:
	// older rows are about to be purged).
	Since time.Time
	// After continues after the last session of the previous page; its
	// LastSeenAt holds that session's end.
	After  *SessionCursor
	Limit  int
	Search string
}

// EndedSessions lists ended sessions, the most recently ended first, reading
// Limit+1 rows so the caller can tell whether there is another page. Sessions
// that expired and were never used again are not marked ended, so they are
// not listed; they are refused all the same.
func (s *Store) EndedSessions(ctx context.Context, q EndedSessionsQuery) ([]PastSession, error) {
	args := []any{q.AccountID, q.Since}
	where := `s.account_id = $1 AND s.revoked_at IS NOT NULL AND s.revoked_at >= $2`
	if q.Search != "" {
		args = append(args, searchPattern(q.Search))
		where += " AND " + searchSessionsSQL(len(args))
	}
	if q.After != nil {
		args = append(args, q.After.LastSeenAt, q.After.ID)
		where += fmt.Sprintf(" AND (s.revoked_at, s.id) < ($%d::timestamptz, $%d::uuid)", len(args)-1, len(args))
	}
	args = append(args, q.Limit+1)
	var out []PastSession
	err := s.db.SelectContext(ctx, &out, `SELECT s.id, s.account_id, s.user_id, s.created_at, s.last_seen_at,
			s.authenticated_at, s.revoked_at, s.revoked_reason, s.revoked_after_minutes, s.ip, s.user_agent, s.client,
			u.email AS user_email, u.name AS user_name, u.role AS user_role,
			b.id AS ended_by_id, b.name AS ended_by_name, b.email AS ended_by_email
		FROM sessions s
		JOIN users u ON u.id = s.user_id
		LEFT JOIN users b ON b.id = s.revoked_by_user_id AND b.account_id = s.account_id
		WHERE `+where+`
		ORDER BY s.revoked_at DESC, s.id DESC
		LIMIT $`+fmt.Sprint(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list ended sessions: %w", err)
	}
	return out, nil
}
