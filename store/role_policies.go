package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"curfew/policy"
)

// policyRow is one row of an account's policy read with its role overrides:
// the account's values on every row, and one role's (or none) beside them.
type policyRow struct {
	IdleMinutes         *int    `db:"idle_minutes"`
	AbsoluteMinutes     *int    `db:"absolute_minutes"`
	Role                *string `db:"role"`
	RoleIdleMinutes     *int    `db:"role_idle_minutes"`
	RoleAbsoluteMinutes *int    `db:"role_absolute_minutes"`
}

const accountPolicySQL = `SELECT a.idle_minutes, a.absolute_minutes,
		rp.role, rp.idle_minutes AS role_idle_minutes, rp.absolute_minutes AS role_absolute_minutes
	FROM accounts a
	LEFT JOIN role_policies rp ON rp.account_id = a.id
	WHERE a.id = $1`

// AccountPolicy reads an account's whole session policy, its roles' overrides
// included, in one query.
func (s *Store) AccountPolicy(ctx context.Context, accountID int64) (policy.Policy, error) {
	return readPolicy(ctx, s.db, accountID, accountPolicySQL)
}

func readPolicy(ctx context.Context, q sqlx.QueryerContext, accountID int64, query string) (policy.Policy, error) {
	var rows []policyRow
	if err := sqlx.SelectContext(ctx, q, &rows, query, accountID); err != nil {
		return policy.Policy{}, fmt.Errorf("read session policy: %w", err)
	}
	if len(rows) == 0 {
		return policy.Policy{}, ErrNotFound
	}
	p := policy.Policy{
		Account: policy.Overrides{IdleMinutes: rows[0].IdleMinutes, AbsoluteMinutes: rows[0].AbsoluteMinutes},
		Roles:   map[string]policy.Overrides{},
	}
	for _, r := range rows {
		if r.Role != nil {
			p.Roles[*r.Role] = policy.Overrides{IdleMinutes: r.RoleIdleMinutes, AbsoluteMinutes: r.RoleAbsoluteMinutes}
		}
	}
	return p, nil
}

// UpdatePolicy applies a change to an account's whole policy, its own values
// and its roles', in one transaction: it locks the account row (so two owners
// saving at once apply their changes one after the other, each to the other's
// result), reads the policy, applies the change (policy.Settings.ApplyPolicy,
// which validates), and writes what differs with one
// account.session_policy_update audit row. The payload has the account's four
// keys always and a "roles" part for the roles whose overrides changed. A
// change that changes nothing writes nothing; a refused one returns the
// policy.FieldErrors with the update as it stood.
func (s *Store) UpdatePolicy(ctx context.Context, accountID int64, actor Actor, settings policy.Settings,
	change policy.PolicyChange) (policy.PolicyUpdate, error) {
	var u policy.PolicyUpdate
	err := s.withTx(ctx, func(tx *sqlx.Tx) error {
		// The lock first, then the read in a statement of its own: under READ
		// COMMITTED a locking read that waited returns the joined role rows of
		// its first snapshot, which may miss what the other owner just wrote.
		var locked int64
		if err := tx.GetContext(ctx, &locked, `SELECT id FROM accounts WHERE id = $1 FOR UPDATE`, accountID); err != nil {
			return notFound(err, "lock account")
		}
		old, err := readPolicy(ctx, tx, accountID, accountPolicySQL)
		if err != nil {
			return err
		}
		if u, err = settings.ApplyPolicy(old, change); err != nil || !u.Changed() {
			return err
		}
		if !u.New.Equal(u.Old) {
			if _, err := tx.ExecContext(ctx, `UPDATE accounts SET idle_minutes = $2, absolute_minutes = $3, updated_at = now() WHERE id = $1`,
				accountID, u.New.IdleMinutes, u.New.AbsoluteMinutes); err != nil {
				return fmt.Errorf("update session policy: %w", err)
			}
		}
		changed := u.ChangedRoles()
		for _, role := range changed {
			if err := writeRolePolicy(ctx, tx, accountID, role, u.NewPolicy.Role(role)); err != nil {
				return err
			}
		}
		return insertAudit(ctx, tx, actor, ActionPolicyUpdate, policyPayload(settings, u, changed))
	})
	return u, err
}

// writeRolePolicy stores one role's overrides, or deletes its row when it has
// none left.
func writeRolePolicy(ctx context.Context, tx *sqlx.Tx, accountID int64, role string, o policy.Overrides) error {
	if o.IsStrict() {
		if _, err := tx.ExecContext(ctx, `DELETE FROM role_policies WHERE account_id = $1 AND role = $2`, accountID, role); err != nil {
			return fmt.Errorf("clear %s session policy: %w", role, err)
		}
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO role_policies (account_id, role, idle_minutes, absolute_minutes)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id, role) DO UPDATE
		SET idle_minutes = excluded.idle_minutes, absolute_minutes = excluded.absolute_minutes, updated_at = now()`,
		accountID, role, o.IdleMinutes, o.AbsoluteMinutes)
	if err != nil {
		return fmt.Errorf("set %s session policy: %w", role, err)
	}
	return nil
}

// policyPayload is the audit payload of a policy change.
func policyPayload(settings policy.Settings, u policy.PolicyUpdate, changedRoles []string) map[string]any {
	payload := map[string]any{
		"old":           u.Old,
		"new":           u.New,
		"effective_old": u.EffectiveOld,
		"effective_new": u.EffectiveNew,
	}
	if len(changedRoles) == 0 {
		return payload
	}
	roles := map[string]any{}
	for _, role := range changedRoles {
		was, is := u.OldPolicy.Role(role), u.NewPolicy.Role(role)
		roles[role] = map[string]any{
			"old":           was,
			"new":           is,
			"effective_old": settings.EffectiveForRole(u.OldPolicy.Account, was),
			"effective_new": settings.EffectiveForRole(u.NewPolicy.Account, is),
		}
	}
	payload["roles"] = roles
	return payload
}
