package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"curfew/policy"
)

// ActionPersonSessionsRevoke is written when an owner signs one person out of
// every session: one row for the batch, with the person and the count.
const ActionPersonSessionsRevoke = "person.sessions_revoke"

// RevokePersonSessions ends every active session of one person of the actor's
// account, but callerSessionID (an owner signing themselves out this way stays
// signed in here), and writes one person.sessions_revoke row with
// {user_id, revoked_count}. A person of another account is ErrNotFound and
// nothing changes; nothing is written when the person has no session to end.
func (s *Store) RevokePersonSessions(ctx context.Context, actor Actor, userID int64, callerSessionID string, active ActiveAt) (int, error) {
	var n int
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		var one int
		if err := tx.GetContext(ctx, &one, `SELECT 1 FROM users WHERE id = $1 AND account_id = $2`, userID, actor.AccountID); err != nil {
			return notFound(err, "find person to sign out")
		}
		reason := policy.ReasonRevoked
		if userID == actor.UserID {
			reason = policy.ReasonLogout
		}
		args := append(active.args(actor.AccountID), userID, nullUUID(callerSessionID), string(reason), nullUserID(actor.UserID))
		err := tx.GetContext(ctx, &n, `WITH ended AS (
				UPDATE sessions s SET revoked_at = $2, revoked_reason = $7, revoked_by_user_id = $8
				WHERE `+active.activeSQL()+` AND s.user_id = $5 AND s.id IS DISTINCT FROM $6::uuid
				RETURNING s.id)
			SELECT count(*) FROM ended`, args...)
		if err != nil {
			return fmt.Errorf("sign out person: %w", err)
		}
		if n == 0 {
			return nil
		}
		return insertAudit(ctx, tx, actor, ActionPersonSessionsRevoke, map[string]any{"user_id": userID, "revoked_count": n})
	})
	return n, err
}

// PersonSessions is one person of an account with how many active sessions
// they have and when the latest was last used.
type PersonSessions struct {
	UserID     int64     `db:"user_id"`
	Email      string    `db:"email"`
	Name       string    `db:"name"`
	Role       string    `db:"role"`
	Sessions   int       `db:"sessions"`
	LastSeenAt time.Time `db:"last_seen_at"`
}

// PeopleSignedIn groups an account's active sessions (only those matching
// search when not "") by person, the most recently active first, reading at
// most limit people: one aggregate over the account's active sessions.
func (s *Store) PeopleSignedIn(ctx context.Context, accountID int64, active ActiveAt, search string, limit int) ([]PersonSessions, error) {
	args := active.args(accountID)
	where := active.activeSQL()
	if search != "" {
		args = append(args, searchPattern(search))
		where += " AND " + searchSessionsSQL(len(args))
	}
	args = append(args, limit)
	var out []PersonSessions
	err := s.db.SelectContext(ctx, &out, `SELECT u.id AS user_id, u.email, u.name, u.role,
			count(*) AS sessions, max(s.last_seen_at) AS last_seen_at
		FROM sessions s
		JOIN users u ON u.id = s.user_id
		WHERE `+where+`
		GROUP BY u.id
		ORDER BY max(s.last_seen_at) DESC, u.id
		LIMIT $`+fmt.Sprint(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list people signed in: %w", err)
	}
	return out, nil
}
