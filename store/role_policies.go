package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

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
		if err := endSessionsByPolicyChange(ctx, tx, accountID, actor.UserID, settings, u); err != nil {
			return err
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

// policyEndsInSave bounds how many sessions a policy save marks ended in its
// own transaction; past it the rest are recorded at their next request, as
// any expiry is, only without who caused it.
const policyEndsInSave = 10_000

// endSessionsByPolicyChange marks ended, in the save's transaction, the
// sessions that were valid under the old values and are over under the new
// ones (each under its person's role's), with the rule they now break
// (absolute before idle, as the session check decides), the limit, and the
// owner whose change it was: what the next request would record, plus who,
// so the ledger can say a policy change ended it.
func endSessionsByPolicyChange(ctx context.Context, tx *sqlx.Tx, accountID, actorID int64, settings policy.Settings, u policy.PolicyUpdate) error {
	n := len(policy.Roles)
	roles := make([]string, 0, n)
	curIdle, curAbs, nextIdle, nextAbs := make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n), make([]int64, 0, n)
	for _, role := range policy.Roles {
		c := settings.EffectiveForRole(u.OldPolicy.Account, u.OldPolicy.Role(role))
		x := settings.EffectiveForRole(u.NewPolicy.Account, u.NewPolicy.Role(role))
		roles = append(roles, role)
		curIdle, curAbs = append(curIdle, int64(c.IdleMinutes)), append(curAbs, int64(c.AbsoluteMinutes))
		nextIdle, nextAbs = append(nextIdle, int64(x.IdleMinutes)), append(nextAbs, int64(x.AbsoluteMinutes))
	}
	_, err := tx.ExecContext(ctx, `WITH lim AS (
			SELECT * FROM unnest($2::text[], $3::int[], $4::int[], $5::int[], $6::int[])
				AS l(role, cur_idle, cur_abs, next_idle, next_abs)),
		ended AS (
			SELECT s.id,
				s.created_at <= now() - make_interval(mins => l.next_abs) AS by_absolute,
				l.next_idle, l.next_abs
			FROM sessions s
			JOIN users u ON u.id = s.user_id
			JOIN lim l ON l.role = u.role
			WHERE s.account_id = $1 AND s.revoked_at IS NULL
			  AND s.last_seen_at > now() - make_interval(mins => l.cur_idle)
			  AND s.created_at > now() - make_interval(mins => l.cur_abs)
			  AND (s.last_seen_at <= now() - make_interval(mins => l.next_idle)
			    OR s.created_at <= now() - make_interval(mins => l.next_abs))
			  AND `+notRevokedByAccount+`
			LIMIT `+strconv.Itoa(policyEndsInSave)+`)
		UPDATE sessions s SET revoked_at = now(),
			revoked_reason = CASE WHEN e.by_absolute THEN '`+string(policy.ReasonAbsolute)+`' ELSE '`+string(policy.ReasonIdle)+`' END,
			revoked_after_minutes = CASE WHEN e.by_absolute THEN e.next_abs ELSE e.next_idle END,
			revoked_by_user_id = $7
		FROM ended e WHERE s.id = e.id`,
		accountID, pq.Array(roles), pq.Array(curIdle), pq.Array(curAbs), pq.Array(nextIdle), pq.Array(nextAbs), nullUserID(actorID))
	if err != nil {
		return fmt.Errorf("end the sessions a policy change ends: %w", err)
	}
	return nil
}
