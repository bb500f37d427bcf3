package store

import (
	"context"
	"fmt"
	"time"

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

// UpdateSessionPolicy applies a change of the account's own values: it is
// UpdatePolicy with no role named, so the change is still checked against
// every role's values (an account lifetime below the owners' idle timeout is
// refused). A change that alters nothing writes nothing; a refused one returns
// the policy.FieldErrors with the update as it stood (Old and New the current
// overrides).
func (s *Store) UpdateSessionPolicy(ctx context.Context, accountID int64, actor Actor, settings policy.Settings,
	change policy.Change) (policy.Update, error) {
	u, err := s.UpdatePolicy(ctx, accountID, actor, settings, policy.PolicyChange{Account: change})
	return u.Update, err
}
