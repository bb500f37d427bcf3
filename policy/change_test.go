package policy_test

import (
	"errors"
	"strings"
	"testing"

	"curfew/policy"
)

func TestApply(t *testing.T) {
	s := policy.DefaultSettings // idle 30 (5–43200), absolute 20160 (60–129600)
	tests := []struct {
		name      string
		old       policy.Overrides
		change    policy.Change
		want      policy.Overrides
		wantErr   map[string]string // field → a word of its message; nil means valid
		effective policy.Effective  // after, when valid
	}{
		{
			name:      "leaving both changes nothing",
			old:       policy.Overrides{IdleMinutes: ptr(15)},
			change:    policy.Change{},
			want:      policy.Overrides{IdleMinutes: ptr(15)},
			effective: policy.Effective{IdleMinutes: 15, AbsoluteMinutes: 20160},
		},
		{
			name:      "set one, leave the other",
			old:       policy.Overrides{AbsoluteMinutes: ptr(600)},
			change:    policy.Change{Idle: policy.Set(60)},
			want:      policy.Overrides{IdleMinutes: ptr(60), AbsoluteMinutes: ptr(600)},
			effective: policy.Effective{IdleMinutes: 60, AbsoluteMinutes: 600},
		},
		{
			name:      "clear one back to its default",
			old:       policy.Overrides{IdleMinutes: ptr(60), AbsoluteMinutes: ptr(600)},
			change:    policy.Change{Absolute: policy.Clear()},
			want:      policy.Overrides{IdleMinutes: ptr(60)},
			effective: policy.Effective{IdleMinutes: 60, AbsoluteMinutes: 20160},
		},
		{
			name:      "strict clears both whatever the fields say",
			old:       policy.Overrides{IdleMinutes: ptr(60), AbsoluteMinutes: ptr(600)},
			change:    policy.Change{Strict: true, Idle: policy.Set(7)},
			want:      policy.Overrides{},
			effective: policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 20160},
		},
		{
			name:      "a PATCH setting the default value sets an override",
			old:       policy.Overrides{},
			change:    policy.Change{Idle: policy.Set(30)},
			want:      policy.Overrides{IdleMinutes: ptr(30)},
			effective: policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 20160},
		},
		// The form's rule: a value left at the default the account already
		// follows keeps following it.
		{
			name:      "custom form saved unchanged on a strict account changes nothing",
			old:       policy.Overrides{},
			change:    policy.CustomChange(30, 20160),
			want:      policy.Overrides{},
			effective: policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 20160},
		},
		{
			name:      "custom form keeps the untouched default and sets the other",
			old:       policy.Overrides{},
			change:    policy.CustomChange(15, 20160),
			want:      policy.Overrides{IdleMinutes: ptr(15)},
			effective: policy.Effective{IdleMinutes: 15, AbsoluteMinutes: 20160},
		},
		{
			name:      "custom form keeps an override that happens to equal the default",
			old:       policy.Overrides{IdleMinutes: ptr(30)},
			change:    policy.CustomChange(30, 20160),
			want:      policy.Overrides{IdleMinutes: ptr(30)},
			effective: policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 20160},
		},
		{
			name:      "custom form sets both when both differ",
			old:       policy.Overrides{IdleMinutes: ptr(15)},
			change:    policy.CustomChange(60, 240),
			want:      policy.Overrides{IdleMinutes: ptr(60), AbsoluteMinutes: ptr(240)},
			effective: policy.Effective{IdleMinutes: 60, AbsoluteMinutes: 240},
		},
		{
			name:    "a value out of bounds names its field",
			old:     policy.Overrides{},
			change:  policy.Change{Idle: policy.Set(4)},
			want:    policy.Overrides{},
			wantErr: map[string]string{policy.FieldIdle: "between 5 and 43200"},
		},
		{
			name:    "idle beyond the absolute left at its default",
			old:     policy.Overrides{},
			change:  policy.Change{Idle: policy.Set(43200)},
			want:    policy.Overrides{},
			wantErr: map[string]string{policy.FieldIdle: "default absolute lifetime"},
		},
		{
			name:    "the rule is checked against the old override the change leaves",
			old:     policy.Overrides{IdleMinutes: ptr(600)},
			change:  policy.Change{Absolute: policy.Set(300)},
			want:    policy.Overrides{IdleMinutes: ptr(600)},
			wantErr: map[string]string{policy.FieldIdle: "cannot be longer"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.Apply(tt.old, tt.change)
			if !u.Old.Equal(tt.old) {
				t.Errorf("Old = %v, want the overrides given", u.Old)
			}
			if u.EffectiveOld != s.EffectivePolicy(tt.old) {
				t.Errorf("EffectiveOld = %+v, want %+v", u.EffectiveOld, s.EffectivePolicy(tt.old))
			}
			if tt.wantErr != nil {
				var fe policy.FieldErrors
				if !errors.As(err, &fe) {
					t.Fatalf("err = %v, want FieldErrors", err)
				}
				for f, word := range tt.wantErr {
					if !strings.Contains(fe[f], word) {
						t.Errorf("error for %s = %q, want it to mention %q (all: %v)", f, fe[f], word, fe)
					}
				}
				if u.Changed() {
					t.Error("a refused change reports itself as changed")
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if !u.New.Equal(tt.want) {
				t.Errorf("New = %s, want %s", show(u.New), show(tt.want))
			}
			if u.EffectiveNew != tt.effective {
				t.Errorf("EffectiveNew = %+v, want %+v", u.EffectiveNew, tt.effective)
			}
			if u.Changed() != !tt.old.Equal(tt.want) {
				t.Errorf("Changed = %v", u.Changed())
			}
		})
	}
}
