package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"curfew/policy"
)

// Account is a tenant: a team with its own session policy.
type Account struct {
	ID              int64     `db:"id"`
	Name            string    `db:"name"`
	IdleMinutes     *int      `db:"idle_minutes"`
	AbsoluteMinutes *int      `db:"absolute_minutes"`
	CreatedAt       time.Time `db:"created_at"`
	UpdatedAt       time.Time `db:"updated_at"`
}

// Overrides are the account's policy overrides.
func (a Account) Overrides() policy.Overrides {
	return policy.Overrides{IdleMinutes: a.IdleMinutes, AbsoluteMinutes: a.AbsoluteMinutes}
}

const accountColumns = `id, name, idle_minutes, absolute_minutes, created_at, updated_at`

// CreateAccount adds an account; ErrConflict when the name is taken.
func (s *Store) CreateAccount(ctx context.Context, name string) (Account, error) {
	var a Account
	err := s.db.GetContext(ctx, &a, `INSERT INTO accounts (name) VALUES ($1) RETURNING `+accountColumns, name)
	if isUniqueViolation(err) {
		return Account{}, ErrConflict
	}
	if err != nil {
		return Account{}, fmt.Errorf("create account %q: %w", name, err)
	}
	return a, nil
}

// AccountByName finds an account by its case-insensitive name.
func (s *Store) AccountByName(ctx context.Context, name string) (Account, error) {
	var a Account
	err := s.db.GetContext(ctx, &a, `SELECT `+accountColumns+` FROM accounts WHERE lower(name) = lower($1)`, name)
	return a, notFound(err, "find account by name")
}

// Account reads one account by id.
func (s *Store) Account(ctx context.Context, id int64) (Account, error) {
	var a Account
	err := s.db.GetContext(ctx, &a, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id)
	return a, notFound(err, "read account")
}

// UpdateSessionPolicy applies a policy change to the account as it is now:
// it locks the account row, applies the change to the overrides it holds
// (policy.Settings.Apply, which validates), and writes the new overrides and
// one account.session_policy_update audit row in one transaction. A change
// that alters nothing writes nothing; a refused one returns the
// policy.FieldErrors with the update as it stood (Old and New the current
// overrides).
func (s *Store) UpdateSessionPolicy(ctx context.Context, accountID int64, actor Actor, settings policy.Settings,
	change policy.Change) (policy.Update, error) {
	var u policy.Update
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		var a Account
		if err := tx.GetContext(ctx, &a, `SELECT `+accountColumns+` FROM accounts WHERE id = $1 FOR UPDATE`, accountID); err != nil {
			return notFound(err, "lock account")
		}
		var err error
		if u, err = settings.Apply(a.Overrides(), change); err != nil || !u.Changed() {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET idle_minutes = $2, absolute_minutes = $3, updated_at = now() WHERE id = $1`,
			accountID, u.New.IdleMinutes, u.New.AbsoluteMinutes); err != nil {
			return fmt.Errorf("update session policy: %w", err)
		}
		payload := map[string]any{
			"old":           u.Old,
			"new":           u.New,
			"effective_old": u.EffectiveOld,
			"effective_new": u.EffectiveNew,
		}
		return insertAudit(ctx, tx, actor, ActionPolicyUpdate, payload)
	})
	return u, err
}
