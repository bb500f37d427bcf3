package policy_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"curfew/policy"
)

// ptr returns a pointer to a copy of n, for building overrides in tables.
func ptr(n int) *int { return &n }

// with returns DefaultSettings changed by fn, so each case shows only what it varies.
func with(fn func(s *policy.Settings)) policy.Settings {
	s := policy.DefaultSettings
	fn(&s)
	return s
}

func TestSettingsCheck(t *testing.T) {
	tests := []struct {
		name     string
		settings policy.Settings
		want     []string // substrings of the error; none means the settings are accepted
	}{
		{name: "defaults are consistent", settings: policy.DefaultSettings},
		{
			name: "min, default and max may all be equal",
			settings: policy.Settings{
				IdleMin: 60, IdleDefault: 60, IdleMax: 60,
				AbsoluteMin: 60, AbsoluteDefault: 60, AbsoluteMax: 60,
			},
		},
		{
			name:     "idle min above idle default",
			settings: with(func(s *policy.Settings) { s.IdleMin = 31 }),
			want:     []string{"idle default 30 must lie within its minimum 31 and maximum 43200"},
		},
		{
			name:     "idle default above idle max",
			settings: with(func(s *policy.Settings) { s.IdleMax = 29 }),
			want:     []string{"idle default 30 must lie within its minimum 5 and maximum 29"},
		},
		{
			name:     "absolute min above absolute default",
			settings: with(func(s *policy.Settings) { s.AbsoluteMin = 20161 }),
			want:     []string{"absolute default 20160 must lie within its minimum 20161 and maximum 129600"},
		},
		{
			name:     "absolute default above absolute max",
			settings: with(func(s *policy.Settings) { s.AbsoluteDefault = 129601 }),
			want:     []string{"absolute default 129601 must lie within its minimum 60 and maximum 129600"},
		},
		{
			name:     "idle default above absolute default",
			settings: with(func(s *policy.Settings) { s.IdleDefault = 120; s.AbsoluteDefault = 60 }),
			want:     []string{"idle default 120 must not exceed absolute default 60"},
		},
		{
			name:     "idle min zero",
			settings: with(func(s *policy.Settings) { s.IdleMin = 0 }),
			want:     []string{"idle minimum must be at least 1 minute (got 0)"},
		},
		{
			name:     "absolute min negative",
			settings: with(func(s *policy.Settings) { s.AbsoluteMin = -5 }),
			want:     []string{"absolute minimum must be at least 1 minute (got -5)"},
		},
		{
			name: "every problem is reported at once",
			settings: with(func(s *policy.Settings) {
				s.IdleMin = 0
				s.AbsoluteDefault = 200000
				s.IdleDefault = 50000
				s.IdleMax = 60000
			}),
			want: []string{
				"idle minimum must be at least 1 minute",
				"absolute default 200000 must lie within",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.settings.Check()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check() = nil, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestEffectivePolicy(t *testing.T) {
	s := policy.DefaultSettings
	tests := []struct {
		name      string
		overrides policy.Overrides
		want      policy.Effective
	}{
		{
			name: "no overrides use the defaults",
			want: policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 20160},
		},
		{
			name:      "idle override alone",
			overrides: policy.Overrides{IdleMinutes: ptr(10)},
			want:      policy.Effective{IdleMinutes: 10, AbsoluteMinutes: 20160},
		},
		{
			name:      "absolute override alone",
			overrides: policy.Overrides{AbsoluteMinutes: ptr(480)},
			want:      policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 480},
		},
		{
			name:      "both overrides",
			overrides: policy.Overrides{IdleMinutes: ptr(15), AbsoluteMinutes: ptr(720)},
			want:      policy.Effective{IdleMinutes: 15, AbsoluteMinutes: 720},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.EffectivePolicy(tt.overrides)
			if got != tt.want {
				t.Errorf("EffectivePolicy(%s) = %+v, want %+v", show(tt.overrides), got, tt.want)
			}
			if got.Idle() != time.Duration(tt.want.IdleMinutes)*time.Minute {
				t.Errorf("Idle() = %v, want %d minutes", got.Idle(), tt.want.IdleMinutes)
			}
			if got.Absolute() != time.Duration(tt.want.AbsoluteMinutes)*time.Minute {
				t.Errorf("Absolute() = %v, want %d minutes", got.Absolute(), tt.want.AbsoluteMinutes)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	highIdleDefault := with(func(s *policy.Settings) { s.IdleDefault = 120 })
	tests := []struct {
		name      string
		settings  policy.Settings
		overrides policy.Overrides
		// want maps each expected field to a substring of its message; nil means valid.
		want map[string]string
	}{
		{name: "strict: no overrides", settings: policy.DefaultSettings},
		{
			name:      "idle below min",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(4)},
			want:      map[string]string{policy.FieldIdle: "between 5 and 43200 minutes (5 minutes to 30 days)"},
		},
		{
			name:      "idle zero",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(0)},
			want:      map[string]string{policy.FieldIdle: "between 5 and 43200"},
		},
		{
			name:      "idle negative",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(-30)},
			want:      map[string]string{policy.FieldIdle: "between 5 and 43200"},
		},
		{
			name:      "idle above max",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(43201), AbsoluteMinutes: ptr(129600)},
			want:      map[string]string{policy.FieldIdle: "between 5 and 43200"},
		},
		{
			name:      "absolute below min",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{AbsoluteMinutes: ptr(59)},
			want:      map[string]string{policy.FieldAbsolute: "between 60 and 129600 minutes (1 hour to 90 days)"},
		},
		{
			name:      "absolute above max",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{AbsoluteMinutes: ptr(129601)},
			want:      map[string]string{policy.FieldAbsolute: "between 60 and 129600"},
		},
		{
			name:      "both out of bounds report both fields",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(4), AbsoluteMinutes: ptr(129601)},
			want: map[string]string{
				policy.FieldIdle:     "between 5 and 43200",
				policy.FieldAbsolute: "between 60 and 129600",
			},
		},
		{
			// Step 1 comes first: an out-of-bounds idle is reported as such, not as
			// "longer than the absolute lifetime".
			name:      "bounds are checked before idle <= absolute",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(43201), AbsoluteMinutes: ptr(60)},
			want:      map[string]string{policy.FieldIdle: "between 5 and 43200"},
		},
		{
			name:      "absolute out of bounds hides idle > absolute",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(120), AbsoluteMinutes: ptr(59)},
			want:      map[string]string{policy.FieldAbsolute: "between 60 and 129600"},
		},
		{
			name:      "idle longer than absolute, both set",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(120), AbsoluteMinutes: ptr(60)},
			want:      map[string]string{policy.FieldIdle: "Idle timeout (2 hours) cannot be longer than the absolute lifetime (1 hour)"},
		},
		{
			name:      "partial override: idle above the default absolute",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(43200)},
			want:      map[string]string{policy.FieldIdle: "default absolute lifetime (14 days)"},
		},
		{
			name:      "partial override: short absolute above the default idle",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{AbsoluteMinutes: ptr(60)},
		},
		{
			name:      "partial override: absolute below the default idle",
			settings:  highIdleDefault,
			overrides: policy.Overrides{AbsoluteMinutes: ptr(60)},
			want:      map[string]string{policy.FieldAbsolute: "Absolute lifetime (1 hour) cannot be shorter than the default idle timeout (2 hours)"},
		},
		{
			name:      "partial override: absolute equal to the default idle",
			settings:  highIdleDefault,
			overrides: policy.Overrides{AbsoluteMinutes: ptr(120)},
		},
		{
			name:      "idle equal to absolute",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(60), AbsoluteMinutes: ptr(60)},
		},
		{
			name:      "idle at min",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(5)},
		},
		{
			name:      "idle at max with absolute at max",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(43200), AbsoluteMinutes: ptr(129600)},
		},
		{
			name:      "idle at max with absolute equal",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(43200), AbsoluteMinutes: ptr(43200)},
		},
		{
			name:      "absolute at min",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{AbsoluteMinutes: ptr(60)},
		},
		{
			name:      "absolute at max",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{AbsoluteMinutes: ptr(129600)},
		},
		{
			name:      "both at their mins",
			settings:  policy.DefaultSettings,
			overrides: policy.Overrides{IdleMinutes: ptr(5), AbsoluteMinutes: ptr(60)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.settings.Validate(tt.overrides)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate(%s) = %v, want nil", show(tt.overrides), err)
				}
				return
			}
			var fe policy.FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("Validate(%s) = %#v, want FieldErrors", show(tt.overrides), err)
			}
			if got, want := sortedKeys(fe), sortedKeys(tt.want); !slices.Equal(got, want) {
				t.Fatalf("Validate(%s) fields = %q, want %q (errors: %v)", show(tt.overrides), got, want, fe)
			}
			for field, sub := range tt.want {
				if !strings.Contains(fe[field], sub) {
					t.Errorf("Validate(%s)[%s] = %q, want it to contain %q", show(tt.overrides), field, fe[field], sub)
				}
			}
		})
	}
}

func TestFieldErrorsError(t *testing.T) {
	fe := policy.FieldErrors{
		policy.FieldAbsolute: "too long",
		policy.FieldIdle:     "too short",
	}
	if got, want := fe.Error(), "idle_minutes: too short; absolute_minutes: too long"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestExpired(t *testing.T) {
	// Idle 30 minutes, absolute 2 hours; created at 09:00.
	e := policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 120}
	created := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	at := func(h, m, s int) time.Time { return time.Date(2025, 3, 10, h, m, s, 0, time.UTC) }
	const ns = time.Nanosecond
	tests := []struct {
		name     string
		lastSeen time.Time
		now      time.Time
		want     policy.Reason
	}{
		{name: "fresh", lastSeen: created, now: created, want: policy.ReasonNone},
		{name: "just before idle deadline", lastSeen: at(10, 0, 0), now: at(10, 30, 0).Add(-ns), want: policy.ReasonNone},
		{name: "exactly at idle deadline", lastSeen: at(10, 0, 0), now: at(10, 30, 0), want: policy.ReasonIdle},
		{name: "after idle deadline", lastSeen: at(10, 0, 0), now: at(10, 45, 0), want: policy.ReasonIdle},
		{name: "just before absolute deadline", lastSeen: at(10, 50, 0), now: at(11, 0, 0).Add(-ns), want: policy.ReasonNone},
		{name: "exactly at absolute deadline", lastSeen: at(10, 50, 0), now: at(11, 0, 0), want: policy.ReasonAbsolute},
		{name: "both passed: absolute wins", lastSeen: at(9, 10, 0), now: at(12, 0, 0), want: policy.ReasonAbsolute},
		{name: "both deadlines at the same instant: absolute", lastSeen: at(10, 30, 0), now: at(11, 0, 0), want: policy.ReasonAbsolute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := policy.ExpiryOf(e, created, tt.lastSeen)
			if got := x.Expired(tt.now); got != tt.want {
				t.Errorf("Expired(%s) = %q, want %q (idle at %s, absolute at %s)",
					tt.now.Format(time.RFC3339Nano), got, tt.want,
					x.IdleAt.Format(time.RFC3339), x.AbsoluteAt.Format(time.RFC3339))
			}
		})
	}
}

func TestExpiryOf(t *testing.T) {
	e := policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 20160}
	created := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	lastSeen := created.Add(3 * time.Hour)
	x := policy.ExpiryOf(e, created, lastSeen)
	if want := lastSeen.Add(30 * time.Minute); !x.IdleAt.Equal(want) {
		t.Errorf("IdleAt = %s, want %s", x.IdleAt, want)
	}
	if want := created.Add(14 * 24 * time.Hour); !x.AbsoluteAt.Equal(want) {
		t.Errorf("AbsoluteAt = %s, want %s", x.AbsoluteAt, want)
	}
}

func TestExpiryAt(t *testing.T) {
	early := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	late := early.Add(time.Hour)
	tests := []struct {
		name       string
		expiry     policy.Expiry
		wantAt     time.Time
		wantReason policy.Reason
	}{
		{name: "idle first", expiry: policy.Expiry{IdleAt: early, AbsoluteAt: late}, wantAt: early, wantReason: policy.ReasonIdle},
		{name: "absolute first", expiry: policy.Expiry{IdleAt: late, AbsoluteAt: early}, wantAt: early, wantReason: policy.ReasonAbsolute},
		{name: "same instant is absolute", expiry: policy.Expiry{IdleAt: early, AbsoluteAt: early}, wantAt: early, wantReason: policy.ReasonAbsolute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, reason := tt.expiry.At()
			if !at.Equal(tt.wantAt) || reason != tt.wantReason {
				t.Errorf("At() = %s, %q; want %s, %q", at, reason, tt.wantAt, tt.wantReason)
			}
		})
	}
}

func TestInSudoWindow(t *testing.T) {
	auth := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		since time.Duration
		want  bool
	}{
		{name: "just signed in", since: 0, want: true},
		{name: "14m59s later", since: 14*time.Minute + 59*time.Second, want: true},
		{name: "exactly 15m later", since: 15 * time.Minute, want: false},
		{name: "an hour later", since: time.Hour, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := policy.InSudoWindow(auth, auth.Add(tt.since)); got != tt.want {
				t.Errorf("InSudoWindow(auth, auth+%s) = %v, want %v", tt.since, got, tt.want)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	tests := []struct {
		name       string
		a, b       policy.Overrides
		wantEqual  bool
		wantStrict bool // of a
	}{
		{name: "both strict", wantEqual: true, wantStrict: true},
		{name: "same values in different pointers", a: policy.Overrides{IdleMinutes: ptr(10), AbsoluteMinutes: ptr(60)}, b: policy.Overrides{IdleMinutes: ptr(10), AbsoluteMinutes: ptr(60)}, wantEqual: true},
		{name: "different idle", a: policy.Overrides{IdleMinutes: ptr(10)}, b: policy.Overrides{IdleMinutes: ptr(11)}},
		{name: "idle set vs unset", a: policy.Overrides{IdleMinutes: ptr(30)}, b: policy.Overrides{}},
		{name: "unset vs absolute set", a: policy.Overrides{}, b: policy.Overrides{AbsoluteMinutes: ptr(20160)}, wantStrict: true},
		{name: "absolute only is not strict", a: policy.Overrides{AbsoluteMinutes: ptr(60)}, b: policy.Overrides{AbsoluteMinutes: ptr(60)}, wantEqual: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Equal(tt.b); got != tt.wantEqual {
				t.Errorf("%s.Equal(%s) = %v, want %v", show(tt.a), show(tt.b), got, tt.wantEqual)
			}
			if got := tt.b.Equal(tt.a); got != tt.wantEqual {
				t.Errorf("%s.Equal(%s) = %v, want %v (not symmetric)", show(tt.b), show(tt.a), got, tt.wantEqual)
			}
			if got := tt.a.IsStrict(); got != tt.wantStrict {
				t.Errorf("%s.IsStrict() = %v, want %v", show(tt.a), got, tt.wantStrict)
			}
		})
	}
}

// FuzzValidate checks, for arbitrary overrides under several consistent
// settings, that Validate never panics, that its errors are FieldErrors on the
// two known fields, and that whatever it accepts is within bounds with the
// effective idle no longer than the effective absolute.
func FuzzValidate(f *testing.F) {
	f.Add(false, 0, false, 0)
	f.Add(true, 30, true, 20160)
	f.Add(true, 43200, false, 0)
	f.Add(false, 0, true, 60)
	f.Add(true, 5, true, 60)
	f.Add(true, 4, true, 129601)
	f.Add(true, 120, true, 60)
	f.Add(true, -1, true, -1)
	f.Add(true, int(^uint(0)>>1), true, -int(^uint(0)>>1)-1)
	settings := []policy.Settings{
		policy.DefaultSettings,
		with(func(s *policy.Settings) { s.IdleDefault = 120 }),
		{IdleMin: 1, IdleDefault: 1, IdleMax: 1, AbsoluteMin: 1, AbsoluteDefault: 1, AbsoluteMax: 1},
		{IdleMin: 10, IdleDefault: 60, IdleMax: 600, AbsoluteMin: 30, AbsoluteDefault: 60, AbsoluteMax: 90},
	}
	for _, s := range settings {
		if err := s.Check(); err != nil {
			f.Fatalf("seed settings %+v are inconsistent: %v", s, err)
		}
	}
	f.Fuzz(func(t *testing.T, idleSet bool, idle int, absSet bool, abs int) {
		var o policy.Overrides
		if idleSet {
			o.IdleMinutes = &idle
		}
		if absSet {
			o.AbsoluteMinutes = &abs
		}
		for _, s := range settings {
			err := s.Validate(o)
			if err != nil {
				var fe policy.FieldErrors
				if !errors.As(err, &fe) || len(fe) == 0 {
					t.Fatalf("%+v: Validate(%s) = %#v, want non-empty FieldErrors", s, show(o), err)
				}
				for k, msg := range fe {
					if k != policy.FieldIdle && k != policy.FieldAbsolute {
						t.Errorf("%+v: Validate(%s) reports unknown field %q", s, show(o), k)
					}
					if msg == "" {
						t.Errorf("%+v: Validate(%s) gives an empty message for %q", s, show(o), k)
					}
				}
				continue
			}
			if idleSet && (idle < s.IdleMin || idle > s.IdleMax) {
				t.Errorf("%+v: Validate accepted idle %d outside [%d, %d]", s, idle, s.IdleMin, s.IdleMax)
			}
			if absSet && (abs < s.AbsoluteMin || abs > s.AbsoluteMax) {
				t.Errorf("%+v: Validate accepted absolute %d outside [%d, %d]", s, abs, s.AbsoluteMin, s.AbsoluteMax)
			}
			if e := s.EffectivePolicy(o); e.IdleMinutes > e.AbsoluteMinutes {
				t.Errorf("%+v: Validate accepted %s with effective idle %d > absolute %d", s, show(o), e.IdleMinutes, e.AbsoluteMinutes)
			}
		}
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// show renders overrides readably in failure messages.
func show(o policy.Overrides) string {
	f := func(p *int) string {
		if p == nil {
			return "nil"
		}
		return strconv.Itoa(*p)
	}
	return "{idle=" + f(o.IdleMinutes) + " absolute=" + f(o.AbsoluteMinutes) + "}"
}
