// Package policy holds Curfew's session-policy rules: system settings and their
// bounds, an account's overrides, the effective values, validation of an update,
// and whether a session has expired at a given time. It is pure: no database, no
// HTTP, no clock of its own.
package policy

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"curfew/words"
)

// Settings are the system-wide defaults and bounds, in minutes, read from the
// environment at start-up.
type Settings struct {
	IdleDefault     int
	AbsoluteDefault int
	IdleMin         int
	IdleMax         int
	AbsoluteMin     int
	AbsoluteMax     int
}

// DefaultSettings are the values used when the environment sets nothing.
var DefaultSettings = Settings{
	IdleDefault:     30,
	AbsoluteDefault: 20160,
	IdleMin:         5,
	IdleMax:         43200,
	AbsoluteMin:     60,
	AbsoluteMax:     129600,
}

// Check reports inconsistent settings: every min <= default <= max, and the idle
// default must not exceed the absolute default.
func (s Settings) Check() error {
	var problems []string
	check := func(name string, lo, def, hi int) {
		if lo < 1 {
			problems = append(problems, fmt.Sprintf("%s minimum must be at least 1 minute (got %d)", name, lo))
		}
		if !(lo <= def && def <= hi) {
			problems = append(problems, fmt.Sprintf("%s default %d must lie within its minimum %d and maximum %d", name, def, lo, hi))
		}
	}
	check("idle", s.IdleMin, s.IdleDefault, s.IdleMax)
	check("absolute", s.AbsoluteMin, s.AbsoluteDefault, s.AbsoluteMax)
	if s.IdleDefault > s.AbsoluteDefault {
		problems = append(problems, fmt.Sprintf("idle default %d must not exceed absolute default %d", s.IdleDefault, s.AbsoluteDefault))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// Overrides are an account's own values; nil means "use the system default".
type Overrides struct {
	IdleMinutes     *int `json:"idle_minutes"`
	AbsoluteMinutes *int `json:"absolute_minutes"`
}

// IsStrict reports whether the account uses the system defaults for both limits.
func (o Overrides) IsStrict() bool { return o.IdleMinutes == nil && o.AbsoluteMinutes == nil }

// Equal reports whether two sets of overrides hold the same values.
func (o Overrides) Equal(p Overrides) bool {
	return eqPtr(o.IdleMinutes, p.IdleMinutes) && eqPtr(o.AbsoluteMinutes, p.AbsoluteMinutes)
}

func eqPtr(a, b *int) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// Effective is the pair of limits in force, in minutes.
type Effective struct {
	IdleMinutes     int `json:"idle_minutes"`
	AbsoluteMinutes int `json:"absolute_minutes"`
}

// Idle is the idle limit as a duration.
func (e Effective) Idle() time.Duration { return time.Duration(e.IdleMinutes) * time.Minute }

// Absolute is the absolute lifetime as a duration.
func (e Effective) Absolute() time.Duration { return time.Duration(e.AbsoluteMinutes) * time.Minute }

// EffectivePolicy applies the system defaults to an account's overrides.
func (s Settings) EffectivePolicy(o Overrides) Effective {
	e := Effective{IdleMinutes: s.IdleDefault, AbsoluteMinutes: s.AbsoluteDefault}
	if o.IdleMinutes != nil {
		e.IdleMinutes = *o.IdleMinutes
	}
	if o.AbsoluteMinutes != nil {
		e.AbsoluteMinutes = *o.AbsoluteMinutes
	}
	return e
}

// Field names used in validation errors; they match the JSON and form fields.
const (
	FieldIdle     = "idle_minutes"
	FieldAbsolute = "absolute_minutes"
)

// FieldErrors maps a field name to a message a person can act on.
type FieldErrors map[string]string

// Error lists the messages in a stable order.
func (f FieldErrors) Error() string {
	var parts []string
	for _, k := range []string{FieldIdle, FieldAbsolute} {
		if m, ok := f[k]; ok {
			parts = append(parts, k+": "+m)
		}
	}
	for k, m := range f {
		if k != FieldIdle && k != FieldAbsolute {
			parts = append(parts, k+": "+m)
		}
	}
	return strings.Join(parts, "; ")
}

// Validate checks proposed overrides in the order docs/design.md gives: each
// given field within its own bounds, then the effective idle <= the effective
// absolute. It returns nil or FieldErrors.
func (s Settings) Validate(o Overrides) error { return s.validate(o, s.EffectivePolicy(o)) }

// validate is Validate with the effective values of o already computed.
func (s Settings) validate(o Overrides, e Effective) error {
	errs := FieldErrors{}
	if v := o.IdleMinutes; v != nil && (*v < s.IdleMin || *v > s.IdleMax) {
		errs[FieldIdle] = fmt.Sprintf("Idle timeout must be between %d and %d minutes (%s to %s).",
			s.IdleMin, s.IdleMax, words.Minutes(s.IdleMin), words.Minutes(s.IdleMax))
	}
	if v := o.AbsoluteMinutes; v != nil && (*v < s.AbsoluteMin || *v > s.AbsoluteMax) {
		errs[FieldAbsolute] = fmt.Sprintf("Absolute lifetime must be between %d and %d minutes (%s to %s).",
			s.AbsoluteMin, s.AbsoluteMax, words.Minutes(s.AbsoluteMin), words.Minutes(s.AbsoluteMax))
	}
	if len(errs) > 0 {
		return errs
	}
	if e.IdleMinutes > e.AbsoluteMinutes {
		field, msg := FieldIdle, fmt.Sprintf("Idle timeout (%s) cannot be longer than the absolute lifetime (%s).",
			words.Minutes(e.IdleMinutes), words.Minutes(e.AbsoluteMinutes))
		if o.AbsoluteMinutes == nil {
			msg = fmt.Sprintf("Idle timeout (%s) cannot be longer than the default absolute lifetime (%s); raise the absolute lifetime too.",
				words.Minutes(e.IdleMinutes), words.Minutes(e.AbsoluteMinutes))
		} else if o.IdleMinutes == nil {
			field = FieldAbsolute
			msg = fmt.Sprintf("Absolute lifetime (%s) cannot be shorter than the default idle timeout (%s).",
				words.Minutes(e.AbsoluteMinutes), words.Minutes(e.IdleMinutes))
		}
		return FieldErrors{field: msg}
	}
	return nil
}

// Expiry is when a session ends under a policy, and by which rule.
type Expiry struct {
	IdleAt     time.Time
	AbsoluteAt time.Time
}

// ExpiryOf computes both deadlines of a session.
func ExpiryOf(e Effective, createdAt, lastSeenAt time.Time) Expiry {
	return Expiry{IdleAt: lastSeenAt.Add(e.Idle()), AbsoluteAt: createdAt.Add(e.Absolute())}
}

// At is the earlier of the two deadlines and the rule it comes from.
func (x Expiry) At() (time.Time, Reason) {
	if x.AbsoluteAt.Before(x.IdleAt) || x.AbsoluteAt.Equal(x.IdleAt) {
		return x.AbsoluteAt, ReasonAbsolute
	}
	return x.IdleAt, ReasonIdle
}

// Expired reports whether a session is over at now, and why. A session is valid
// while now < last_seen + idle and now < created + absolute; the absolute limit
// wins when both have passed since it cannot be extended by activity.
func (x Expiry) Expired(now time.Time) Reason {
	if !now.Before(x.AbsoluteAt) {
		return ReasonAbsolute
	}
	if !now.Before(x.IdleAt) {
		return ReasonIdle
	}
	return ReasonNone
}

// SudoWindow is how recent a sign-in must be for sensitive actions.
const SudoWindow = 15 * time.Minute

// InSudoWindow reports whether a session authenticated at authAt may perform a
// sensitive action at now without asking for the password again.
func InSudoWindow(authAt, now time.Time) bool {
	return now.Sub(authAt) < SudoWindow
}
