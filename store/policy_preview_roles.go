package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"curfew/policy"
)

// RoleImpact is PolicyImpact for the people of one role.
type RoleImpact struct {
	Role string `db:"role"`
	PolicyImpact
}

// PolicyImpactByRole counts, per role, the account's sessions that are valid
// at now under the role's current effective values and would be over under
// its next ones: one query over the account's active sessions and their
// people. current and next give every role of policy.Roles; roles no session
// would leave are absent from the result. sessionID and userID identify the
// caller.
func (s *Store) PolicyImpactByRole(ctx context.Context, accountID int64, current, next map[string]policy.Effective,
	sessionID string, userID int64, now time.Time) (map[string]RoleImpact, error) {
	n := len(policy.Roles)
	roles := make([]string, 0, n)
	curIdle, curAbs, nextIdle, nextAbs := make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
	for _, role := range policy.Roles {
		c, ok := current[role]
		x, ok2 := next[role]
		if !ok || !ok2 {
			return nil, fmt.Errorf("preview policy impact: no values for role %q", role)
		}
		roles = append(roles, role)
		curIdle, curAbs = append(curIdle, int64(c.IdleMinutes)), append(curAbs, int64(c.AbsoluteMinutes))
		nextIdle, nextAbs = append(nextIdle, int64(x.IdleMinutes)), append(nextAbs, int64(x.AbsoluteMinutes))
	}
	// A session is valid while now < last_seen_at + idle and now < created_at
	// + absolute, each limit its person's role's.
	var rows []RoleImpact
	err := s.db.SelectContext(ctx, &rows, `WITH lim AS (
			SELECT * FROM unnest($2::text[], $3::int[], $4::int[], $5::int[], $6::int[])
				AS l(role, cur_idle, cur_abs, next_idle, next_abs))
		SELECT l.role, count(*) AS sessions,
			count(DISTINCT s.user_id) AS people,
			coalesce(bool_or(s.id = $8::uuid), false) AS includes_current,
			count(*) FILTER (WHERE s.user_id = $9) AS yours
		FROM sessions s
		JOIN users u ON u.id = s.user_id
		JOIN lim l ON l.role = u.role
		WHERE s.account_id = $1 AND s.revoked_at IS NULL
		  AND s.last_seen_at > $7::timestamptz - make_interval(mins => l.cur_idle)
		  AND s.created_at > $7::timestamptz - make_interval(mins => l.cur_abs)
		  AND (s.last_seen_at <= $7::timestamptz - make_interval(mins => l.next_idle)
		    OR s.created_at <= $7::timestamptz - make_interval(mins => l.next_abs))
		  AND `+notRevokedByAccount+`
		GROUP BY l.role`,
		accountID, pq.Array(roles), pq.Array(curIdle), pq.Array(curAbs), pq.Array(nextIdle), pq.Array(nextAbs),
		now, nullUUID(sessionID), userID)
	if err != nil {
		return nil, fmt.Errorf("preview policy impact by role: %w", err)
	}
	out := make(map[string]RoleImpact, len(rows))
	for _, r := range rows {
		out[r.Role] = r
	}
	return out, nil
}
