package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"curfew/internal/apptest"
	"curfew/policy"
	"curfew/store"
)

func intp(n int) *int { return &n }

func policyAuditPayloads(t *testing.T, st *store.Store, accountID int64) []map[string]json.RawMessage {
	t.Helper()
	var raws []string
	if err := st.DB().Select(&raws, `SELECT payload::text FROM audit_events WHERE account_id = $1 AND action = $2 ORDER BY id`,
		accountID, store.ActionPolicyUpdate); err != nil {
		t.Fatal(err)
	}
	var out []map[string]json.RawMessage
	for _, r := range raws {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(r), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestUpdatePolicyWritesAccountAndRolesInOneTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	actor := store.Actor{AccountID: team.Account.ID, UserID: team.Owner.ID, IP: "192.0.2.1", UserAgent: "test"}

	u, err := st.UpdatePolicy(ctx, team.Account.ID, actor, policy.DefaultSettings, policy.PolicyChange{
		Account: policy.Change{Absolute: policy.Set(7 * 24 * 60)},
		Roles:   map[string]policy.RoleChange{"owner": {Idle: policy.Set(15), Absolute: policy.Set(720)}},
	})
	if err != nil || !u.Changed() {
		t.Fatalf("UpdatePolicy = %+v, %v; want a change", u, err)
	}
	got, err := st.AccountPolicy(ctx, team.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := policy.Policy{Account: policy.Overrides{AbsoluteMinutes: intp(7 * 24 * 60)},
		Roles: map[string]policy.Overrides{"owner": {IdleMinutes: intp(15), AbsoluteMinutes: intp(720)}}}
	if !got.Equal(want) {
		t.Fatalf("stored policy = %+v, want %+v", got, want)
	}

	payloads := policyAuditPayloads(t, st, team.Account.ID)
	if len(payloads) != 1 {
		t.Fatalf("%d audit rows, want 1", len(payloads))
	}
	for _, k := range []string{"old", "new", "effective_old", "effective_new", "roles"} {
		if _, ok := payloads[0][k]; !ok {
			t.Errorf("payload has no %q: %v", k, payloads[0])
		}
	}
	var roles map[string]struct {
		Old          policy.Overrides `json:"old"`
		New          policy.Overrides `json:"new"`
		EffectiveOld policy.Effective `json:"effective_old"`
		EffectiveNew policy.Effective `json:"effective_new"`
	}
	if err := json.Unmarshal(payloads[0]["roles"], &roles); err != nil {
		t.Fatal(err)
	}
	o, ok := roles["owner"]
	if len(roles) != 1 || !ok {
		t.Fatalf("roles part = %s, want the owners only (the engineers' values did not change)", payloads[0]["roles"])
	}
	if !o.Old.IsStrict() || !o.New.Equal(policy.Overrides{IdleMinutes: intp(15), AbsoluteMinutes: intp(720)}) {
		t.Errorf("owner old/new = %+v / %+v", o.Old, o.New)
	}
	if o.EffectiveOld != (policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 20160}) {
		t.Errorf("owner effective_old = %+v", o.EffectiveOld)
	}
	if o.EffectiveNew != (policy.Effective{IdleMinutes: 15, AbsoluteMinutes: 720}) {
		t.Errorf("owner effective_new = %+v", o.EffectiveNew)
	}

	t.Run("the same values again write nothing", func(t *testing.T) {
		u, err := st.UpdatePolicy(ctx, team.Account.ID, actor, policy.DefaultSettings, policy.PolicyChange{
			Roles: map[string]policy.RoleChange{"owner": {Idle: policy.Set(15), Absolute: policy.Set(720)}, "engineer": {Idle: policy.Clear()}},
		})
		if err != nil || u.Changed() {
			t.Fatalf("UpdatePolicy = %+v, %v; want no change", u, err)
		}
		if n := len(policyAuditPayloads(t, st, team.Account.ID)); n != 1 {
			t.Errorf("%d audit rows after a no-op, want still 1", n)
		}
	})

	t.Run("a refused change writes nothing", func(t *testing.T) {
		_, err := st.UpdatePolicy(ctx, team.Account.ID, actor, policy.DefaultSettings, policy.PolicyChange{
			Account: policy.Change{Idle: policy.Set(60)},
			Roles:   map[string]policy.RoleChange{"owner": {Idle: policy.Set(900)}},
		})
		var fe policy.FieldErrors
		if !errors.As(err, &fe) || fe["roles.owner.idle_minutes"] == "" {
			t.Fatalf("UpdatePolicy = %v, want a refusal naming roles.owner.idle_minutes", err)
		}
		got, _ := st.AccountPolicy(ctx, team.Account.ID)
		if !got.Equal(want) {
			t.Errorf("after a refusal the policy is %+v, want it unchanged", got)
		}
		if n := len(policyAuditPayloads(t, st, team.Account.ID)); n != 1 {
			t.Errorf("%d audit rows after a refusal, want still 1", n)
		}
	})

	t.Run("clearing a role's values deletes its row", func(t *testing.T) {
		u, err := st.UpdatePolicy(ctx, team.Account.ID, actor, policy.DefaultSettings, policy.PolicyChange{
			Roles: map[string]policy.RoleChange{"owner": {Idle: policy.Clear(), Absolute: policy.Clear()}},
		})
		if err != nil || !u.Changed() {
			t.Fatalf("UpdatePolicy = %+v, %v", u, err)
		}
		var n int
		st.DB().Get(&n, `SELECT count(*) FROM role_policies WHERE account_id = $1`, team.Account.ID)
		if n != 0 {
			t.Errorf("%d role_policies rows left, want 0", n)
		}
		payloads := policyAuditPayloads(t, st, team.Account.ID)
		last := payloads[len(payloads)-1]
		if string(last["old"]) != string(last["new"]) {
			t.Errorf("account part changed: old %s new %s", last["old"], last["new"])
		}
		if _, ok := last["roles"]; !ok {
			t.Errorf("no roles part for a role change: %v", last)
		}
	})

	t.Run("an account-only change has no roles part", func(t *testing.T) {
		if _, err := st.UpdatePolicy(ctx, team.Account.ID, actor, policy.DefaultSettings, policy.PolicyChange{Account: policy.Change{Idle: policy.Set(45)}}); err != nil {
			t.Fatal(err)
		}
		payloads := policyAuditPayloads(t, st, team.Account.ID)
		if _, ok := payloads[len(payloads)-1]["roles"]; ok {
			t.Errorf("account-only change has a roles part: %v", payloads[len(payloads)-1])
		}
	})
}

// Two owners saving at once, one the account's idle timeout and the other
// the owners' lifetime, each see the other's result: neither change is lost.
func TestUpdatePolicyConcurrentOwnersLoseNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	second := apptest.AddUser(t, st, team.Account, "second-owner-"+fmt.Sprint(team.Account.ID)+"@example.test", store.RoleOwner)
	a := store.Actor{AccountID: team.Account.ID, UserID: team.Owner.ID}
	b := store.Actor{AccountID: team.Account.ID, UserID: second.ID}
	const rounds = 20
	for i := range rounds {
		idle, abs := 10+i, 120+i
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, errs[0] = st.UpdatePolicy(ctx, team.Account.ID, a, policy.DefaultSettings, policy.PolicyChange{Account: policy.Change{Idle: policy.Set(idle)}})
		}()
		go func() {
			defer wg.Done()
			_, errs[1] = st.UpdatePolicy(ctx, team.Account.ID, b, policy.DefaultSettings, policy.PolicyChange{Roles: map[string]policy.RoleChange{"owner": {Absolute: policy.Set(abs)}}})
		}()
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("round %d: %v / %v", i, errs[0], errs[1])
		}
		got, err := st.AccountPolicy(ctx, team.Account.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Account.IdleMinutes == nil || *got.Account.IdleMinutes != idle ||
			got.Role("owner").AbsoluteMinutes == nil || *got.Role("owner").AbsoluteMinutes != abs {
			t.Fatalf("round %d: policy %+v (owner %+v), want account idle %d and owners' lifetime %d",
				i, got.Account, got.Role("owner"), idle, abs)
		}
	}
	if n := len(policyAuditPayloads(t, st, team.Account.ID)); n != 2*rounds {
		t.Errorf("%d audit rows, want %d: one per change", n, 2*rounds)
	}
}

// The table holds the same rule as accounts, and no row without an override.
func TestRolePoliciesChecks(t *testing.T) {
	t.Parallel()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	tests := []struct {
		name, role string
		idle, abs  *int
		constraint string
	}{
		{"idle above absolute", "owner", intp(120), intp(60), "role_policies_idle_le_absolute"},
		{"no override at all", "owner", nil, nil, "role_policies_has_override"},
		{"unknown role", "admin", intp(15), nil, "role_policies_role_check"},
		{"zero minutes", "engineer", intp(0), nil, "role_policies_idle_minutes_check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := st.DB().Exec(`INSERT INTO role_policies (account_id, role, idle_minutes, absolute_minutes) VALUES ($1, $2, $3, $4)`,
				team.Account.ID, tt.role, tt.idle, tt.abs)
			var pqErr *pq.Error
			if !errors.As(err, &pqErr) || pqErr.Constraint != tt.constraint {
				t.Errorf("insert: %v, want a %s violation", err, tt.constraint)
			}
		})
	}
}

// The hot-path lookup brings every role's overrides with the session.
func TestLookupCarriesRolePolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	hash := sha256.Sum256([]byte(t.Name()))
	if _, err := st.CreateSession(ctx, store.NewSession{AccountID: team.Account.ID, UserID: team.Engineer.ID,
		TokenHash: hash[:], Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	row, err := st.SessionByTokenHash(ctx, hash[:])
	if err != nil {
		t.Fatal(err)
	}
	if p, err := row.Policy(); err != nil || len(p.Roles) != 0 {
		t.Fatalf("with no role overrides: %+v, %v", p, err)
	}
	if _, err := st.UpdatePolicy(ctx, team.Account.ID, store.Actor{AccountID: team.Account.ID}, policy.DefaultSettings,
		policy.PolicyChange{Roles: map[string]policy.RoleChange{"owner": {Idle: policy.Set(15)}, "engineer": {Absolute: policy.Set(600)}}}); err != nil {
		t.Fatal(err)
	}
	row, err = st.SessionByTokenHash(ctx, hash[:])
	if err != nil {
		t.Fatal(err)
	}
	p, err := row.Policy()
	if err != nil {
		t.Fatal(err)
	}
	if !p.Role("owner").Equal(policy.Overrides{IdleMinutes: intp(15)}) || !p.Role("engineer").Equal(policy.Overrides{AbsoluteMinutes: intp(600)}) {
		t.Errorf("lookup policy = %+v", p.Roles)
	}
}

// The preview per role counts each role's sessions under its own values:
// a 15-minute idle timeout for the owners would end an owner's session idle
// for 20 minutes and leave an engineer's alike.
func TestPolicyImpactByRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	owner2 := apptest.AddUser(t, st, team.Account, fmt.Sprintf("owner2-%d@example.test", team.Account.ID), store.RoleOwner)
	now := time.Now()
	mk := func(userID int64, name string, idleFor time.Duration) string {
		t.Helper()
		hash := sha256.Sum256([]byte(t.Name() + name))
		sess, err := st.CreateSession(ctx, store.NewSession{AccountID: team.Account.ID, UserID: userID, TokenHash: hash[:], Now: now.Add(-idleFor)})
		if err != nil {
			t.Fatal(err)
		}
		return sess.ID
	}
	mine := mk(team.Owner.ID, "mine", 20*time.Minute)
	mk(team.Owner.ID, "mine-other", 25*time.Minute)
	mk(owner2.ID, "owner2", 16*time.Minute)
	mk(owner2.ID, "owner2-fresh", time.Minute)
	mk(team.Engineer.ID, "engineer", 20*time.Minute)
	mk(team.Engineer.ID, "engineer-old", 40*time.Minute) // already over the default 30 minutes

	def := policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 20160}
	current := map[string]policy.Effective{"owner": def, "engineer": def}
	next := map[string]policy.Effective{"owner": {IdleMinutes: 15, AbsoluteMinutes: 720}, "engineer": def}
	got, err := st.PolicyImpactByRole(ctx, team.Account.ID, current, next, mine, team.Owner.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	o := got["owner"]
	if o.Sessions != 3 || o.People != 2 || !o.IncludesCurrent || o.Yours != 2 {
		t.Errorf("owners = %+v, want 3 sessions of 2 owners, this one and 2 of yours among them", o)
	}
	if e, ok := got["engineer"]; ok {
		t.Errorf("engineers = %+v, want none: their values do not change", e)
	}

	next["engineer"] = policy.Effective{IdleMinutes: 10, AbsoluteMinutes: 20160}
	got, err = st.PolicyImpactByRole(ctx, team.Account.ID, current, next, mine, team.Owner.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	if e := got["engineer"]; e.Sessions != 1 || e.People != 1 || e.IncludesCurrent || e.Yours != 0 {
		t.Errorf("engineers under 10 minutes = %+v, want the one session still valid now", e)
	}
	if _, err := st.PolicyImpactByRole(ctx, team.Account.ID, map[string]policy.Effective{}, next, mine, team.Owner.ID, now); err == nil {
		t.Error("a role without values was accepted")
	}
}

// Lists and counts hold each session to its person's role's limits: with
// the owners at 15 idle minutes, an owner idle for 20 is no longer active
// while an engineer idle as long (30 minutes, the default) still is.
func TestActiveSessionsPerRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	now := time.Now()
	for _, u := range []store.User{team.Owner, team.Engineer} {
		hash := sha256.Sum256([]byte(t.Name() + u.Email))
		if _, err := st.CreateSession(ctx, store.NewSession{AccountID: team.Account.ID, UserID: u.ID, TokenHash: hash[:], Now: now.Add(-20 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	def := policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 20160}
	tests := []struct {
		name   string
		active store.ActiveAt
		want   []string // roles of the sessions listed
	}{
		{"one policy for all", store.ActiveAt{Now: now, Policy: def}, []string{"engineer", "owner"}},
		{"the same for every role", store.ActiveAt{Now: now, Roles: map[string]policy.Effective{"owner": def, "engineer": def}}, []string{"engineer", "owner"}},
		{"owners at 15 minutes", store.ActiveAt{Now: now, Roles: map[string]policy.Effective{"owner": {IdleMinutes: 15, AbsoluteMinutes: 720}, "engineer": def}}, []string{"engineer"}},
		{"engineers at 10, owners longer", store.ActiveAt{Now: now, Roles: map[string]policy.Effective{"owner": {IdleMinutes: 120, AbsoluteMinutes: 20160}, "engineer": {IdleMinutes: 10, AbsoluteMinutes: 20160}}}, []string{"owner"}},
		{"owners' lifetime under 20 minutes' age", store.ActiveAt{Now: now, Roles: map[string]policy.Effective{"owner": {IdleMinutes: 5, AbsoluteMinutes: 60}, "engineer": def}}, []string{"engineer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := st.ActiveSessions(ctx, store.ActiveSessionsQuery{AccountID: team.Account.ID, Active: tt.active, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.UserRole)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("listed %q, want %q", got, tt.want)
			}
			n, err := st.CountActiveSessions(ctx, team.Account.ID, 0, tt.active, "")
			if err != nil {
				t.Fatal(err)
			}
			if n.Sessions != len(tt.want) || n.People != len(tt.want) {
				t.Errorf("counted %+v, want %d", n, len(tt.want))
			}
		})
	}
}
