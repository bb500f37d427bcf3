package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"curfew/internal/apptest"
	"curfew/policy"
	"curfew/store"
)

// TestUpdateSessionPolicyAppliesTheChangeToTheLockedRow checks the store's
// half of a policy change: applied to the overrides the row holds now (not
// to what the caller last saw), written with exactly one audit row carrying
// the effective values, and nothing written when the change is refused or
// changes nothing.
func TestUpdateSessionPolicyAppliesTheChangeToTheLockedRow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	actor := store.Actor{AccountID: team.Account.ID, UserID: team.Owner.ID, IP: "192.0.2.1", UserAgent: "test"}
	settings := policy.DefaultSettings

	u, err := st.UpdateSessionPolicy(ctx, team.Account.ID, actor, settings, policy.Change{Absolute: policy.Set(600)})
	if err != nil || !u.Changed() {
		t.Fatalf("set absolute: %+v, %v", u, err)
	}
	// The second change leaves absolute: it must keep the 600 written above.
	u, err = st.UpdateSessionPolicy(ctx, team.Account.ID, actor, settings, policy.Change{Idle: policy.Set(60)})
	if err != nil {
		t.Fatal(err)
	}
	if want := (policy.Effective{IdleMinutes: 60, AbsoluteMinutes: 600}); u.EffectiveNew != want {
		t.Errorf("effective after = %+v, want %+v", u.EffectiveNew, want)
	}
	a, err := st.Account(ctx, team.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Overrides(); !got.Equal(u.New) || got.IdleMinutes == nil || *got.IdleMinutes != 60 || got.AbsoluteMinutes == nil || *got.AbsoluteMinutes != 600 {
		t.Errorf("stored overrides = %+v, want idle 60, absolute 600", got)
	}
	if n := auditCount(t, st, team.Account.ID, store.ActionPolicyUpdate); n != 2 {
		t.Errorf("%d policy audit rows after two changes, want 2", n)
	}
	var payload struct {
		EffectiveOld policy.Effective `json:"effective_old"`
		EffectiveNew policy.Effective `json:"effective_new"`
	}
	var raw []byte
	if err := st.DB().Get(&raw, `SELECT payload FROM audit_events WHERE account_id = $1 AND action = $2 ORDER BY id DESC LIMIT 1`,
		team.Account.ID, store.ActionPolicyUpdate); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatal(err)
	}
	if payload.EffectiveOld != (policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 600}) || payload.EffectiveNew != u.EffectiveNew {
		t.Errorf("audit payload effective values = %+v", payload)
	}

	// Refused: idle beyond the stored absolute. Nothing written.
	u, err = st.UpdateSessionPolicy(ctx, team.Account.ID, actor, settings, policy.Change{Idle: policy.Set(601)})
	var fe policy.FieldErrors
	if !errors.As(err, &fe) || fe[policy.FieldIdle] == "" {
		t.Fatalf("idle beyond absolute: err = %v, want a field error on idle", err)
	}
	if u.Changed() || *u.Old.IdleMinutes != 60 {
		t.Errorf("refused update = %+v, want the stored overrides unchanged", u)
	}
	// No-op: nothing written.
	if u, err = st.UpdateSessionPolicy(ctx, team.Account.ID, actor, settings, policy.Change{Idle: policy.Set(60)}); err != nil || u.Changed() {
		t.Errorf("no-op: %+v, %v", u, err)
	}
	if n := auditCount(t, st, team.Account.ID, store.ActionPolicyUpdate); n != 2 {
		t.Errorf("%d policy audit rows after a refused and a no-op change, want still 2", n)
	}
}
