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

// KnownAddressFor is how long an address that signed in to an email keeps
// its own counter for that email.
const KnownAddressFor = 90 * 24 * time.Hour

// LoginAttempt is who is trying to sign in as whom: the email typed, the
// client's address, and the id of a valid device cookie the browser holds for
// that email ("" when none).
type LoginAttempt struct {
	Email  string
	IP     string
	Device string
}

// Attempt scopes: the counter an attempt counts against (login_attempts.scope).
const (
	scopeStranger = ""
	scopeAddress  = "address"
	scopeDevice   = "device:"
)

// LoginReservation is the outcome of ReserveLoginAttempt: RetryAt is zero
// when the attempt may go ahead (and was counted), else when the next one
// will be allowed. Scope names the counter it was counted against, for
// ClearLoginAttempts.
type LoginReservation struct {
	RetryAt time.Time
	Scope   string
}

// ReserveLoginAttempt counts the attempts of the window against the email's
// counter and the IP's and, when both are under their limits, records this
// attempt. The email's counter is chosen by who is trying (OWASP's "device
// cookies"): a browser with a valid device cookie for the email counts on its
// own, an address that has signed in to the email before counts on its own,
// and everyone else shares the email's counter of strangers. So failures from
// elsewhere slow strangers down without locking the owner out. Attempts on
// one email or one IP are serialised, so a concurrent burst gets exactly the
// limit and no more.
func (s *Store) ReserveLoginAttempt(ctx context.Context, a LoginAttempt, limits LoginLimits, now time.Time) (r LoginReservation, err error) {
	email := NormalizeEmail(a.Email)
	err = s.withTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockLoginEmail, email); err != nil {
			return fmt.Errorf("lock sign-in attempts of an email: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockLoginIP, a.IP); err != nil {
			return fmt.Errorf("lock sign-in attempts of an IP: %w", err)
		}
		r.Scope = scopeStranger
		if a.Device != "" {
			r.Scope = scopeDevice + a.Device
		} else {
			var known bool
			if err := tx.GetContext(ctx, &known, `SELECT EXISTS (SELECT 1 FROM login_known_addresses
				WHERE email = $1 AND ip = $2 AND last_success_at > $3)`, email, a.IP, now.Add(-KnownAddressFor)); err != nil {
				return fmt.Errorf("look up known sign-in address: %w", err)
			}
			if known {
				r.Scope = scopeAddress
			}
		}
		// The limit-th newest attempt in the window, per counter: while it
		// exists the counter is at its limit, and it leaves the window at
		// RetryAt. The address counter is the email's attempts at this IP.
		var byEmail, byIP sql.NullTime
		err := tx.QueryRowxContext(ctx, `SELECT
			(SELECT created_at FROM login_attempts WHERE email = $1 AND scope = $6 AND ($6 <> 'address' OR ip = $2)
				AND created_at > $3 ORDER BY created_at DESC OFFSET $4 LIMIT 1),
			(SELECT created_at FROM login_attempts WHERE ip = $2 AND created_at > $3
				ORDER BY created_at DESC OFFSET $5 LIMIT 1)`,
			email, a.IP, now.Add(-LoginWindow), max(limits.PerAccount-1, 0), max(limits.PerIP-1, 0), r.Scope).Scan(&byEmail, &byIP)
		if err != nil {
			return fmt.Errorf("count sign-in attempts: %w", err)
		}
		for _, t := range []sql.NullTime{byEmail, byIP} {
			if t.Valid && t.Time.Add(LoginWindow).After(r.RetryAt) {
				r.RetryAt = t.Time.Add(LoginWindow)
			}
		}
		if !r.RetryAt.IsZero() {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_attempts (email, ip, scope, created_at) VALUES ($1, $2, $3, $4)`,
			email, a.IP, r.Scope, now); err != nil {
			return fmt.Errorf("record sign-in attempt: %w", err)
		}
		return nil
	})
	return r, err
}

// ClearLoginAttempts is a successful sign-in (the right password) of attempt
// a, counted against scope: that counter starts again from zero, and the
// address becomes a known one for the email, with a counter of its own.
// Other counters are left alone, so the owner signing in from a known place
// does not hand the attackers elsewhere a fresh set of guesses.
func (s *Store) ClearLoginAttempts(ctx context.Context, a LoginAttempt, scope string, now time.Time) error {
	email := NormalizeEmail(a.Email)
	return s.withTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE email = $1
			AND (scope = $2 AND ($2 <> 'address' OR ip = $3) OR scope = 'address' AND ip = $3)`, email, scope, a.IP); err != nil {
			return fmt.Errorf("clear sign-in attempts: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_known_addresses (email, ip, last_success_at) VALUES ($1, $2, $3)
			ON CONFLICT (email, ip) DO UPDATE SET last_success_at = greatest(login_known_addresses.last_success_at, EXCLUDED.last_success_at)`,
			email, a.IP, now); err != nil {
			return fmt.Errorf("remember sign-in address: %w", err)
		}
		return nil
	})
}

// PurgeLoginAttempts deletes up to one batch of attempts older than the window
// before now, and of known addresses past KnownAddressFor; the checks ignore
// such rows anyway, this only keeps the tables small.
func (s *Store) PurgeLoginAttempts(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM login_attempts WHERE id IN (
		SELECT id FROM login_attempts WHERE created_at < $1 LIMIT 10000)`, now.Add(-LoginWindow))
	if err != nil {
		return 0, fmt.Errorf("purge sign-in attempts: %w", err)
	}
	n, _ := res.RowsAffected()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM login_known_addresses WHERE (email, ip) IN (
		SELECT email, ip FROM login_known_addresses WHERE last_success_at < $1 LIMIT 10000)`, now.Add(-KnownAddressFor)); err != nil {
		return n, fmt.Errorf("purge known sign-in addresses: %w", err)
	}
	return n, nil
}
