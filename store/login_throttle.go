package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// LoginWindow is the sliding window in which sign-in attempts are counted.
const LoginWindow = 15 * time.Minute

// LoginLimits bound the attempts in the window per email and per client IP.
type LoginLimits struct {
	PerAccount int
	PerIP      int
}

// Advisory-lock namespaces (the first key of pg_advisory_xact_lock(int, int)).
// Every reservation takes its email lock before its IP lock, so two
// reservations can never wait on each other in a cycle.
const (
	lockLoginEmail = 0x4c6f6731 // "Log1"
	lockLoginIP    = 0x4c6f6732 // "Log2"
)

// ReserveLoginAttempt counts the attempts of the window for the email and for
// the IP and, when both are under their limits, records this attempt and
// returns the zero time. Otherwise it records nothing and returns when the
// next attempt will be allowed. Attempts on one email or one IP are
// serialised, so a concurrent burst gets exactly the limit and no more.
func (s *Store) ReserveLoginAttempt(ctx context.Context, email, ip string, limits LoginLimits, now time.Time) (retryAt time.Time, err error) {
	email = NormalizeEmail(email)
	err = s.withTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockLoginEmail, email); err != nil {
			return fmt.Errorf("lock sign-in attempts of an email: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockLoginIP, ip); err != nil {
			return fmt.Errorf("lock sign-in attempts of an IP: %w", err)
		}
		// The limit-th newest attempt in the window, per key: while it exists
		// the key is at its limit, and it leaves the window at retryAt.
		var byEmail, byIP sql.NullTime
		err := tx.QueryRowxContext(ctx, `SELECT
			(SELECT created_at FROM login_attempts WHERE email = $1 AND created_at > $3
				ORDER BY created_at DESC OFFSET $4 LIMIT 1),
			(SELECT created_at FROM login_attempts WHERE ip = $2 AND created_at > $3
				ORDER BY created_at DESC OFFSET $5 LIMIT 1)`,
			email, ip, now.Add(-LoginWindow), max(limits.PerAccount-1, 0), max(limits.PerIP-1, 0)).Scan(&byEmail, &byIP)
		if err != nil {
			return fmt.Errorf("count sign-in attempts: %w", err)
		}
		for _, t := range []sql.NullTime{byEmail, byIP} {
			if t.Valid && t.Time.Add(LoginWindow).After(retryAt) {
				retryAt = t.Time.Add(LoginWindow)
			}
		}
		if !retryAt.IsZero() {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_attempts (email, ip, created_at) VALUES ($1, $2, $3)`, email, ip, now); err != nil {
			return fmt.Errorf("record sign-in attempt: %w", err)
		}
		return nil
	})
	return retryAt, err
}

// ClearLoginAttempts forgets the attempts on an email after a successful
// sign-in, so its owner starts again from a clean count.
func (s *Store) ClearLoginAttempts(ctx context.Context, email string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM login_attempts WHERE email = $1`, NormalizeEmail(email)); err != nil {
		return fmt.Errorf("clear sign-in attempts: %w", err)
	}
	return nil
}

// PurgeLoginAttempts deletes up to one batch of attempts older than the window
// before now; the checks ignore such rows anyway, this only keeps the table small.
func (s *Store) PurgeLoginAttempts(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM login_attempts WHERE id IN (
		SELECT id FROM login_attempts WHERE created_at < $1 LIMIT 10000)`, now.Add(-LoginWindow))
	if err != nil {
		return 0, fmt.Errorf("purge sign-in attempts: %w", err)
	}
	return res.RowsAffected()
}
