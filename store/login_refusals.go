package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// RefusalAuditEvery is how often, at most, refused (throttled) sign-in
// attempts on one email write an audit row. Refusals in between are counted
// in login_refusals and reported by the next row, so a flood of attempts on
// a throttled email costs one audit row per window, not one per attempt.
const RefusalAuditEvery = LoginWindow

// RecordLoginRefusal counts one throttled attempt on an account's email and,
// when the email's last refusal row is older than RefusalAuditEvery (or there
// is none), writes one auth.login_failed row marked throttled, whose
// "refused" is how many refusals it stands for: this one and those counted
// since the previous row. It reports whether it wrote the row.
func (s *Store) RecordLoginRefusal(ctx context.Context, actor Actor, email string, now time.Time) (audited bool, err error) {
	email = NormalizeEmail(email)
	err = s.withTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_refusals (email, audited_at, pending) VALUES ($1, to_timestamp(0), 0)
			ON CONFLICT (email) DO NOTHING`, email); err != nil {
			return fmt.Errorf("start counting sign-in refusals: %w", err)
		}
		var last struct {
			AuditedAt time.Time `db:"audited_at"`
			Pending   int       `db:"pending"`
		}
		err := tx.GetContext(ctx, &last, `SELECT audited_at, pending FROM login_refusals WHERE email = $1 FOR UPDATE`, email)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("count sign-in refusals: the row of %q vanished", email)
		}
		if err != nil {
			return fmt.Errorf("count sign-in refusals: %w", err)
		}
		if now.Sub(last.AuditedAt) < RefusalAuditEvery {
			if _, err := tx.ExecContext(ctx, `UPDATE login_refusals SET pending = pending + 1 WHERE email = $1`, email); err != nil {
				return fmt.Errorf("count sign-in refusal: %w", err)
			}
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE login_refusals SET audited_at = $2, pending = 0 WHERE email = $1`, email, now); err != nil {
			return fmt.Errorf("count sign-in refusal: %w", err)
		}
		audited = true
		return insertAudit(ctx, tx, actor, ActionLoginFailed, map[string]any{
			"email": email, "throttled": true, "refused": last.Pending + 1,
		})
	})
	return audited, err
}
