package store

import (
	"context"
	"fmt"
	"time"

	"curfew/policy"
)

// PolicyImpact is what a proposed policy would do at once to an account's
// sessions: those valid under the current policy that the new one ends.
type PolicyImpact struct {
	// Sessions is how many active sessions would end.
	Sessions int `db:"sessions"`
	// People is how many distinct users those sessions belong to.
	People int `db:"people"`
	// IncludesCurrent reports whether the caller's own session is among them.
	IncludesCurrent bool `db:"includes_current"`
	// Yours is how many of them belong to the caller (this one included).
	Yours int `db:"yours"`
}

// PolicyImpactPreview counts the account's sessions that are valid at now
// under current and would be over at now under next, in one query over the
// active-sessions index. sessionID and userID identify the caller.
func (s *Store) PolicyImpactPreview(ctx context.Context, accountID int64, current, next policy.Effective,
	sessionID string, userID int64, now time.Time) (PolicyImpact, error) {
	// A session is valid while now < last_seen_at + idle and now < created_at
	// + absolute, so the cut-offs below are "now - limit".
	var im PolicyImpact
	err := s.db.GetContext(ctx, &im, `SELECT count(*) AS sessions,
			count(DISTINCT s.user_id) AS people,
			coalesce(bool_or(s.id = $6::uuid), false) AS includes_current,
			count(*) FILTER (WHERE s.user_id = $7) AS yours
		FROM sessions s
		WHERE s.account_id = $1 AND s.revoked_at IS NULL
		  AND s.last_seen_at > $2 AND s.created_at > $3
		  AND (s.last_seen_at <= $4 OR s.created_at <= $5)
		  AND `+notRevokedByAccount,
		accountID,
		now.Add(-current.Idle()), now.Add(-current.Absolute()),
		now.Add(-next.Idle()), now.Add(-next.Absolute()),
		sessionID, userID)
	if err != nil {
		return PolicyImpact{}, fmt.Errorf("preview policy impact: %w", err)
	}
	return im, nil
}
