package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Audit actions, as DESIGN.md names them.
const (
	ActionPolicyUpdate    = "account.session_policy_update"
	ActionSessionsRevoke  = "account.sessions_revoke"
	ActionSessionRevoke   = "session.revoke"
	ActionLogin           = "auth.login"
	ActionLoginFailed     = "auth.login_failed"
	ActionLogout          = "auth.logout"
	ActionAccessForbidden = "auth.forbidden"
	ActionReauth          = "auth.reauth"
)

// Actor is who did something, from where: the account it happened in, the
// user (0 when nobody is signed in) and the request's IP and user agent.
type Actor struct {
	AccountID int64
	UserID    int64
	IP        string
	UserAgent string
}

func (a Actor) userID() *int64 {
	if a.UserID == 0 {
		return nil
	}
	return &a.UserID
}

// InsertAudit writes one audit row on its own, for events that change nothing
// else (a failed sign-in, a refused owner action).
func (s *Store) InsertAudit(ctx context.Context, actor Actor, action string, payload any) error {
	return insertAudit(ctx, s.db, actor, action, payload)
}

func insertAudit(ctx context.Context, q sqlx.ExecerContext, actor Actor, action string, payload any) error {
	if payload == nil {
		payload = map[string]any{}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode audit payload for %s: %w", action, err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_events (account_id, actor_user_id, action, payload, ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6)`, actor.AccountID, actor.userID(), action, body, actor.IP, actor.UserAgent)
	if err != nil {
		return fmt.Errorf("insert audit event %s: %w", action, err)
	}
	return nil
}

// PurgeAudit deletes audit rows older than cutoff, the only delete path for
// audit rows, in batches.
func (s *Store) PurgeAudit(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.db.ExecContext(ctx, `DELETE FROM audit_events WHERE id IN (
			SELECT id FROM audit_events WHERE created_at < $1 LIMIT 5000)`, cutoff)
		if err != nil {
			return total, fmt.Errorf("purge audit events: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 5000 {
			return total, nil
		}
	}
}
