package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Audit actions (docs/design.md, "The audit log").
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

// AuditActions lists every action the log records, in the order filters
// offer them.
var AuditActions = []string{
	ActionPolicyUpdate, ActionSessionsRevoke, ActionSessionRevoke, ActionOwnSessionsRevoke, ActionPersonSessionsRevoke,
	ActionLogin, ActionLoginFailed, ActionLogout, ActionAccessForbidden, ActionReauth,
}

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
		VALUES ($1, $2, $3, $4, $5, $6)`, actor.AccountID, actor.userID(), action, string(body),
		CapText(actor.IP, MaxIPBytes), CapText(actor.UserAgent, MaxUserAgentBytes))
	if err != nil {
		return fmt.Errorf("insert audit event %s: %w", action, err)
	}
	return nil
}

// purgeBatch is how many audit rows one purge transaction deletes, so no
// lock is held for long.
const purgeBatch = 5000

// PurgeAudit deletes audit rows older than cutoff, in batches. It is the only
// delete path for audit rows: the table's trigger refuses every DELETE except
// in a transaction that set curfew.audit_purge, which only this does.
func (s *Store) PurgeAudit(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		err := s.withTx(ctx, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, `SET LOCAL curfew.audit_purge = 'on'`); err != nil {
				return fmt.Errorf("allow audit purge: %w", err)
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM audit_events WHERE id IN (
				SELECT id FROM audit_events WHERE created_at < $1 LIMIT $2)`, cutoff, purgeBatch)
			if err != nil {
				return fmt.Errorf("purge audit events: %w", err)
			}
			n, _ = res.RowsAffected()
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}
