package policy_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"curfew/policy"
)

// owners builds a policy with account overrides and the owners' overrides.
func owners(account, owner policy.Overrides) policy.Policy {
	return policy.Policy{Account: account, Roles: map[string]policy.Overrides{"owner": owner}}
}

func TestEffectiveForRole(t *testing.T) {
	s := policy.DefaultSettings
	tests := []struct {
		name          string
		account, role policy.Overrides
		want          policy.Effective
		idle, abs     policy.Source
	}{
		{name: "nothing set: the defaults", want: policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 20160},
			idle: policy.SourceDefault, abs: policy.SourceDefault},
		{name: "the account's values", account: policy.Overrides{IdleMinutes: ptr(60), AbsoluteMinutes: ptr(600)},
			want: policy.Effective{IdleMinutes: 60, AbsoluteMinutes: 600}, idle: policy.SourceAccount, abs: policy.SourceAccount},
		{name: "the role's values win", account: policy.Overrides{IdleMinutes: ptr(60), AbsoluteMinutes: ptr(600)},
			role: policy.Overrides{IdleMinutes: ptr(15), AbsoluteMinutes: ptr(720)},
			want: policy.Effective{IdleMinutes: 15, AbsoluteMinutes: 720}, idle: policy.SourceRole, abs: policy.SourceRole},
		{name: "per field: role idle, account absolute", account: policy.Overrides{AbsoluteMinutes: ptr(600)},
			role: policy.Overrides{IdleMinutes: ptr(15)},
			want: policy.Effective{IdleMinutes: 15, AbsoluteMinutes: 600}, idle: policy.SourceRole, abs: policy.SourceAccount},
		{name: "per field: role absolute, default idle", role: policy.Overrides{AbsoluteMinutes: ptr(720)},
			want: policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 720}, idle: policy.SourceDefault, abs: policy.SourceRole},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.AppliedForRole(tt.account, tt.role)
			if a.Effective != tt.want || a.IdleFrom != tt.idle || a.AbsoluteFrom != tt.abs {
				t.Errorf("AppliedForRole = %+v from %s/%s, want %+v from %s/%s", a.Effective, a.IdleFrom, a.AbsoluteFrom, tt.want, tt.idle, tt.abs)
			}
			if got := s.EffectiveForRole(tt.account, tt.role); got != tt.want {
				t.Errorf("EffectiveForRole = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// Every role is listed, in order, with what applies to it.
func TestApplied(t *testing.T) {
	p := owners(policy.Overrides{IdleMinutes: ptr(60)}, policy.Overrides{IdleMinutes: ptr(15), AbsoluteMinutes: ptr(720)})
	got := policy.DefaultSettings.Applied(p)
	if len(got) != len(policy.Roles) || got[0].Role != "owner" || got[1].Role != "engineer" {
		t.Fatalf("Applied roles = %+v, want owner then engineer", got)
	}
	if got[0].Effective != (policy.Effective{IdleMinutes: 15, AbsoluteMinutes: 720}) {
		t.Errorf("owner = %+v", got[0].Effective)
	}
	if got[1].Effective != (policy.Effective{IdleMinutes: 60, AbsoluteMinutes: 20160}) || got[1].IdleFrom != policy.SourceAccount {
		t.Errorf("engineer = %+v from %s, want the account's idle and the default absolute", got[1].Effective, got[1].IdleFrom)
	}
}

// A role's sessions end by the role's values: at the same moment, with the
// same history, an owner's session is over and an engineer's is not.
func TestRoleExpiryWithFixedClock(t *testing.T) {
	s := policy.DefaultSettings
	p := owners(policy.Overrides{AbsoluteMinutes: ptr(14 * 24 * 60)}, policy.Overrides{IdleMinutes: ptr(15), AbsoluteMinutes: ptr(12 * 60)})
	created := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		role     string
		lastSeen time.Duration // after created
		now      time.Duration // after created
		want     policy.Reason
	}{
		{"owner within both", "owner", 2 * time.Hour, 2*time.Hour + 14*time.Minute, policy.ReasonNone},
		{"owner idle 15 minutes", "owner", 2 * time.Hour, 2*time.Hour + 15*time.Minute, policy.ReasonIdle},
		{"engineer idle 15 minutes is fine", "engineer", 2 * time.Hour, 2*time.Hour + 15*time.Minute, policy.ReasonNone},
		{"engineer idle 30 minutes (the default)", "engineer", 2 * time.Hour, 2*time.Hour + 30*time.Minute, policy.ReasonIdle},
		{"owner at 12 hours", "owner", 12*time.Hour - time.Minute, 12 * time.Hour, policy.ReasonAbsolute},
		{"engineer at 12 hours", "engineer", 12*time.Hour - time.Minute, 12 * time.Hour, policy.ReasonNone},
		{"engineer at 14 days", "engineer", 14*24*time.Hour - time.Minute, 14 * 24 * time.Hour, policy.ReasonAbsolute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eff := s.EffectiveForRole(p.Account, p.Role(tt.role))
			x := policy.ExpiryOf(eff, created, created.Add(tt.lastSeen))
			if got := x.Expired(created.Add(tt.now)); got != tt.want {
				t.Errorf("Expired = %q, want %q (policy %+v)", got, tt.want, eff)
			}
		})
	}
}

func TestValidatePolicy(t *testing.T) {
	highIdleDefault := with(func(s *policy.Settings) { s.IdleDefault = 120 })
	none := policy.Policy{}
	tests := []struct {
		name      string
		settings  policy.Settings
		old, next policy.Policy
		// want maps each expected field to substrings of its message; nil means valid.
		want map[string][]string
	}{
		{name: "nothing set", next: none},
		{name: "owners held to AAL3 under the defaults", old: none,
			next: owners(policy.Overrides{}, policy.Overrides{IdleMinutes: ptr(15), AbsoluteMinutes: ptr(720)})},
		{name: "role idle below its minimum", old: none,
			next: owners(policy.Overrides{}, policy.Overrides{IdleMinutes: ptr(4)}),
			want: map[string][]string{"roles.owner.idle_minutes": {"owners' idle timeout", "between 5 and 43200"}}},
		{name: "role absolute above its maximum", old: none,
			next: owners(policy.Overrides{}, policy.Overrides{AbsoluteMinutes: ptr(129601)}),
			want: map[string][]string{"roles.owner.absolute_minutes": {"owners' absolute lifetime", "between 60 and 129600"}}},
		{name: "account and role bounds are reported together", old: none,
			next: owners(policy.Overrides{IdleMinutes: ptr(1)}, policy.Overrides{AbsoluteMinutes: ptr(1)}),
			want: map[string][]string{"idle_minutes": {"between 5"}, "roles.owner.absolute_minutes": {"between 60"}}},
		{name: "bounds come before the idle <= absolute rule", old: none,
			next: owners(policy.Overrides{}, policy.Overrides{IdleMinutes: ptr(43201), AbsoluteMinutes: ptr(60)}),
			want: map[string][]string{"roles.owner.idle_minutes": {"between 5"}}},
		{name: "the account's own rule is still checked", old: none,
			next: owners(policy.Overrides{IdleMinutes: ptr(120), AbsoluteMinutes: ptr(60)}, policy.Overrides{}),
			want: map[string][]string{"idle_minutes": {"Idle timeout (2 hours) cannot be longer than the absolute lifetime (1 hour)"}}},
		{name: "role idle longer than role absolute", old: none,
			next: owners(policy.Overrides{}, policy.Overrides{IdleMinutes: ptr(120), AbsoluteMinutes: ptr(60)}),
			want: map[string][]string{
				"roles.owner.idle_minutes":     {"owners' idle timeout (2 hours, set for owners)", "(1 hour, set for owners)"},
				"roles.owner.absolute_minutes": {"owners' absolute lifetime (1 hour, set for owners)"},
			}},
		{name: "partial: a role idle override above the account's absolute",
			old:  owners(policy.Overrides{AbsoluteMinutes: ptr(60)}, policy.Overrides{}),
			next: owners(policy.Overrides{AbsoluteMinutes: ptr(60)}, policy.Overrides{IdleMinutes: ptr(120)}),
			want: map[string][]string{"roles.owner.idle_minutes": {"owners' idle timeout (2 hours, set for owners)", "absolute lifetime (1 hour, the account's)"}}},
		{name: "partial: a role idle override above the default absolute", old: none,
			next: owners(policy.Overrides{}, policy.Overrides{IdleMinutes: ptr(43200)}),
			want: map[string][]string{"roles.owner.idle_minutes": {"(30 days, set for owners)", "(14 days, the default)"}}},
		{name: "partial: the account's absolute drops below a role's idle override",
			old:  owners(policy.Overrides{}, policy.Overrides{IdleMinutes: ptr(120)}),
			next: owners(policy.Overrides{AbsoluteMinutes: ptr(60)}, policy.Overrides{IdleMinutes: ptr(120)}),
			want: map[string][]string{"absolute_minutes": {"owners' absolute lifetime (1 hour, the account's)", "idle timeout (2 hours, set for owners)"}}},
		{name: "partial: the account's absolute may drop when the role has its own absolute",
			old:  owners(policy.Overrides{}, policy.Overrides{IdleMinutes: ptr(120), AbsoluteMinutes: ptr(720)}),
			next: owners(policy.Overrides{IdleMinutes: ptr(15), AbsoluteMinutes: ptr(60)}, policy.Overrides{IdleMinutes: ptr(120), AbsoluteMinutes: ptr(720)})},
		{name: "partial: clearing a role's absolute leaves it the account's, shorter than its idle",
			old:  owners(policy.Overrides{AbsoluteMinutes: ptr(60)}, policy.Overrides{IdleMinutes: ptr(120), AbsoluteMinutes: ptr(720)}),
			next: owners(policy.Overrides{AbsoluteMinutes: ptr(60)}, policy.Overrides{IdleMinutes: ptr(120)}),
			want: map[string][]string{"roles.owner.absolute_minutes": {"owners' absolute lifetime (1 hour, the account's)"}}},
		{name: "partial: a role absolute below the account's idle",
			old:  owners(policy.Overrides{IdleMinutes: ptr(240)}, policy.Overrides{}),
			next: owners(policy.Overrides{IdleMinutes: ptr(240)}, policy.Overrides{AbsoluteMinutes: ptr(120)}),
			want: map[string][]string{"roles.owner.absolute_minutes": {"owners' absolute lifetime (2 hours, set for owners)", "idle timeout (4 hours, the account's)"}}},
		{name: "partial: the account's idle rises above a role's absolute",
			old:  owners(policy.Overrides{}, policy.Overrides{AbsoluteMinutes: ptr(120)}),
			next: owners(policy.Overrides{IdleMinutes: ptr(240)}, policy.Overrides{AbsoluteMinutes: ptr(120)}),
			want: map[string][]string{"idle_minutes": {"owners' idle timeout (4 hours, the account's)"}}},
		{name: "partial: a role absolute below the default idle",
			settings: highIdleDefault, old: none,
			next: owners(policy.Overrides{}, policy.Overrides{AbsoluteMinutes: ptr(60)}),
			want: map[string][]string{"roles.owner.absolute_minutes": {"(1 hour, set for owners)", "(2 hours, the default)"}}},
		{name: "a conflict no change caused is put on the role's override",
			old:  owners(policy.Overrides{}, policy.Overrides{IdleMinutes: ptr(43200)}),
			next: owners(policy.Overrides{}, policy.Overrides{IdleMinutes: ptr(43200)}),
			want: map[string][]string{"roles.owner.idle_minutes": {"cannot be longer"}}},
		{name: "every role is checked: engineers too",
			old: policy.Policy{Account: policy.Overrides{AbsoluteMinutes: ptr(600)}},
			next: policy.Policy{Account: policy.Overrides{AbsoluteMinutes: ptr(600)},
				Roles: map[string]policy.Overrides{"owner": {IdleMinutes: ptr(15)}, "engineer": {IdleMinutes: ptr(601)}}},
			want: map[string][]string{"roles.engineer.idle_minutes": {"engineers' idle timeout (10 hours 1 minute, set for engineers)", "(10 hours, the account's)"}}},
		{name: "one change to both sides of a conflict names both fields", old: none,
			next: owners(policy.Overrides{AbsoluteMinutes: ptr(60)}, policy.Overrides{IdleMinutes: ptr(120)}),
			want: map[string][]string{
				"absolute_minutes":         {"owners' absolute lifetime (1 hour, the account's)"},
				"roles.owner.idle_minutes": {"owners' idle timeout (2 hours, set for owners)"},
			}},
		{name: "an unknown role", old: none,
			next: policy.Policy{Roles: map[string]policy.Overrides{"admin": {IdleMinutes: ptr(15)}}},
			want: map[string][]string{"roles.admin": {"is not a role", "owner and engineer"}}},
		{name: "equal idle and absolute for a role", old: none,
			next: owners(policy.Overrides{AbsoluteMinutes: ptr(60)}, policy.Overrides{IdleMinutes: ptr(60)})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.settings
			if s == (policy.Settings{}) {
				s = policy.DefaultSettings
			}
			err := s.ValidatePolicy(tt.old, tt.next)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ValidatePolicy = %v, want nil", err)
				}
				return
			}
			var fe policy.FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("ValidatePolicy = %#v, want FieldErrors", err)
			}
			var got, want []string
			for k := range fe {
				got = append(got, k)
			}
			for k := range tt.want {
				want = append(want, k)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("fields = %q, want %q (errors: %v)", got, want, fe)
			}
			for field, subs := range tt.want {
				for _, sub := range subs {
					if !strings.Contains(fe[field], sub) {
						t.Errorf("[%s] = %q, want it to contain %q", field, fe[field], sub)
					}
				}
			}
		})
	}
}

func TestPolicyEqualAndChangedRoles(t *testing.T) {
	a := owners(policy.Overrides{IdleMinutes: ptr(60)}, policy.Overrides{})
	b := policy.Policy{Account: policy.Overrides{IdleMinutes: ptr(60)}}
	if !a.Equal(b) || len(a.ChangedRoles(b)) != 0 {
		t.Errorf("a zero role and an absent one differ: Equal=%v changed=%v", a.Equal(b), a.ChangedRoles(b))
	}
	c := owners(policy.Overrides{IdleMinutes: ptr(60)}, policy.Overrides{IdleMinutes: ptr(15)})
	if a.Equal(c) {
		t.Error("a role override set is no change")
	}
	if got := a.ChangedRoles(c); !slices.Equal(got, []string{"owner"}) {
		t.Errorf("ChangedRoles = %q, want [owner]", got)
	}
	d := c.Clone()
	d.Roles["owner"] = policy.Overrides{}
	if !c.Role("owner").Equal(policy.Overrides{IdleMinutes: ptr(15)}) {
		t.Error("Clone shares its roles with the original")
	}
}

func TestApplyPolicy(t *testing.T) {
	s := policy.DefaultSettings
	ownersOwn := owners(policy.Overrides{}, policy.Overrides{IdleMinutes: ptr(120)})
	tests := []struct {
		name    string
		old     policy.Policy
		change  policy.PolicyChange
		want    policy.Policy
		changed []string // roles changed
		wantErr []string // fields refused; nil means valid
	}{
		{name: "nothing asked, nothing changes", old: ownersOwn, want: ownersOwn},
		{name: "account and role in one change", old: policy.Policy{},
			change: policy.PolicyChange{Account: policy.Change{Idle: policy.Set(60)},
				Roles: map[string]policy.RoleChange{"owner": {Idle: policy.Set(15), Absolute: policy.Set(720)}}},
			want:    owners(policy.Overrides{IdleMinutes: ptr(60)}, policy.Overrides{IdleMinutes: ptr(15), AbsoluteMinutes: ptr(720)}),
			changed: []string{"owner"}},
		{name: "leave keeps a role's value, clear removes it", old: owners(policy.Overrides{}, policy.Overrides{IdleMinutes: ptr(15), AbsoluteMinutes: ptr(720)}),
			change: policy.PolicyChange{Roles: map[string]policy.RoleChange{"owner": {Idle: policy.Clear()}}},
			want:   owners(policy.Overrides{}, policy.Overrides{AbsoluteMinutes: ptr(720)}), changed: []string{"owner"}},
		{name: "Strict clears the account's values, not the roles'", old: owners(policy.Overrides{IdleMinutes: ptr(60)}, policy.Overrides{IdleMinutes: ptr(15)}),
			change: policy.PolicyChange{Account: policy.StrictChange()},
			want:   owners(policy.Overrides{}, policy.Overrides{IdleMinutes: ptr(15)})},
		{name: "the account's lifetime below the owners' idle is refused", old: ownersOwn,
			change:  policy.PolicyChange{Account: policy.Change{Absolute: policy.Set(60)}},
			wantErr: []string{"absolute_minutes"}},
		{name: "account and role bounds in one answer", old: policy.Policy{},
			change: policy.PolicyChange{Account: policy.Change{Idle: policy.Set(1)},
				Roles: map[string]policy.RoleChange{"engineer": {Absolute: policy.Set(1)}}},
			wantErr: []string{"idle_minutes", "roles.engineer.absolute_minutes"}},
		{name: "an unknown role", old: policy.Policy{},
			change:  policy.PolicyChange{Roles: map[string]policy.RoleChange{"admin": {Idle: policy.Set(15)}}},
			wantErr: []string{"roles.admin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.ApplyPolicy(tt.old, tt.change)
			if tt.wantErr != nil {
				var fe policy.FieldErrors
				if !errors.As(err, &fe) {
					t.Fatalf("ApplyPolicy = %v, want FieldErrors", err)
				}
				var got []string
				for k := range fe {
					got = append(got, k)
				}
				slices.Sort(got)
				if !slices.Equal(got, tt.wantErr) {
					t.Errorf("refused fields = %q, want %q (%v)", got, tt.wantErr, fe)
				}
				if u.Changed() || !u.NewPolicy.Equal(tt.old) {
					t.Errorf("a refused update changes the policy: %+v", u.NewPolicy)
				}
				return
			}
			if err != nil {
				t.Fatalf("ApplyPolicy = %v", err)
			}
			if !u.NewPolicy.Equal(tt.want) || !u.New.Equal(tt.want.Account) {
				t.Errorf("new policy = %+v %+v, want %+v %+v", u.NewPolicy.Account, u.NewPolicy.Roles, tt.want.Account, tt.want.Roles)
			}
			if u.Changed() != !tt.old.Equal(tt.want) {
				t.Errorf("Changed = %v", u.Changed())
			}
			if got := u.ChangedRoles(); !slices.Equal(got, tt.changed) {
				t.Errorf("ChangedRoles = %q, want %q", got, tt.changed)
			}
		})
	}
}
