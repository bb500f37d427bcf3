package handlers

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"curfew/policy"
	"curfew/views"
	"curfew/words"
)

// The presets of the policy card.
const (
	presetStrict = "strict"
	presetCustom = "custom"
)

// fieldPreset and fieldPassword are the policy form's other fields;
// fieldIdleUnit and fieldAbsoluteUnit the unit a bare number counts in.
const (
	fieldPreset       = "preset"
	fieldPassword     = "password"
	fieldIdleUnit     = "idle_unit"
	fieldAbsoluteUnit = "absolute_unit"
	fieldLeft         = "_left"
)

// policyForm is the policy card's form as posted: the raw values, kept to show
// them back unchanged, and the numbers they parse to.
type policyForm struct {
	Preset       string
	Idle         string
	IdleUnit     string
	Absolute     string
	AbsoluteUnit string
	Password     string
	idle         int
	absolute     int
	// left names the limit whose input the owner just left (app.js sends
	// it with the preview a blur asks for): an empty one is flagged then.
	left string
}

// values is the form as the card shows it back.
func (f policyForm) values() views.PolicyFormValues {
	return views.PolicyFormValues{Preset: f.Preset, Idle: f.Idle, IdleUnit: shownUnit(f.IdleUnit),
		Absolute: f.Absolute, AbsoluteUnit: shownUnit(f.AbsoluteUnit)}
}

// shownUnit is the unit choice to show back: the one posted when it is one
// of the choices, else minutes (what a form without the choice meant).
func shownUnit(u string) string {
	if _, ok := words.UnitMinutes(u); ok {
		return u
	}
	return "minutes"
}

// parsePolicyForm reads the posted form strictly: one preset, and for Custom
// one length of time per field, a whole number in the unit chosen beside it
// (minutes when none is sent, as API clients and older pages post) or with
// its own unit ("8h", "14d"). Each problem is a message for the field it
// belongs to, in words that add to the hint rather than repeat it; the
// idle <= absolute rule comes later, from policy.Validate.
func parsePolicyForm(form url.Values, s policy.Settings) (policyForm, policy.FieldErrors) {
	f := policyForm{
		Preset:   strings.TrimSpace(first(form[fieldPreset])),
		Idle:     first(form[policy.FieldIdle]),
		Absolute: first(form[policy.FieldAbsolute]),
		Password: first(form[fieldPassword]),

		IdleUnit:     first(form[fieldIdleUnit]),
		AbsoluteUnit: first(form[fieldAbsoluteUnit]),
		left:         first(form[fieldLeft]),
	}
	errs := policy.FieldErrors{}
	switch {
	case len(form[fieldPreset]) > 1:
		errs[fieldPreset] = "Choose one preset, Strict or Custom."
	case f.Preset != presetStrict && f.Preset != presetCustom:
		errs[fieldPreset] = "Choose Strict or Custom."
	}
	if f.Preset != presetCustom {
		return f, errs
	}
	var msg string
	if f.idle, msg = parseLimit(form[policy.FieldIdle], form[fieldIdleUnit], "idle timeout", s.IdleMin, s.IdleMax); msg != "" {
		errs[policy.FieldIdle] = msg
	}
	if f.absolute, msg = parseLimit(form[policy.FieldAbsolute], form[fieldAbsoluteUnit], "absolute lifetime", s.AbsoluteMin, s.AbsoluteMax); msg != "" {
		errs[policy.FieldAbsolute] = msg
	}
	return f, errs
}

// parseLimit reads one limit of the form and checks its bounds, saying what
// is wrong with the value typed (the hint beside the input already gives the
// bounds).
func parseLimit(vs, units []string, name string, lo, hi int) (int, string) {
	per := 1
	switch {
	case len(units) > 1:
		return 0, fmt.Sprintf("The unit of the %s was sent %d times. Choose it once.", name, len(units))
	case len(units) == 1:
		var ok bool
		if per, ok = words.UnitMinutes(units[0]); !ok {
			return 0, fmt.Sprintf("Choose minutes, hours or days for the %s.", name)
		}
	}
	n, msg := parseMinutes(vs, per, name, hi)
	switch {
	case msg != "":
		return 0, msg
	case n < lo:
		return 0, fmt.Sprintf("%s is too short: the %s must be at least %s.", words.Minutes(n), name, words.Minutes(lo))
	case n > hi:
		return 0, fmt.Sprintf("%s is too long: the %s can be at most %s.", words.Minutes(n), name, words.Minutes(hi))
	}
	return n, ""
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// parseMinutes accepts exactly one length of time (words.ParseDuration) and
// says what is wrong with anything else.
func parseMinutes(vs []string, unitMinutes int, name string, hi int) (int, string) {
	if len(vs) > 1 {
		return 0, fmt.Sprintf("The %s was sent %d times. Enter it once.", name, len(vs))
	}
	n, err := words.ParseDuration(first(vs), unitMinutes)
	switch {
	case err == nil:
		return n, ""
	case errors.Is(err, words.ErrDurationEmpty):
		return 0, fmt.Sprintf("Enter the %s.", name)
	case errors.Is(err, words.ErrDurationTooLarge):
		return 0, fmt.Sprintf("That number is too large: the %s can be at most %s.", name, words.Minutes(hi))
	case errors.Is(err, words.ErrDurationNegative):
		return 0, fmt.Sprintf("The %s cannot be negative.", name)
	case errors.Is(err, words.ErrDurationSign):
		return 0, fmt.Sprintf("Enter the %s with digits only, without a + sign.", name)
	case errors.Is(err, words.ErrDurationDecimal):
		return 0, fmt.Sprintf("Enter the %s as a whole number, without decimals: 90 minutes rather than 1.5 hours.", name)
	case errors.Is(err, words.ErrDurationUnit):
		return 0, fmt.Sprintf("Enter the %s using digits and m, h or d (for example 90m, 8h or 14d).", name)
	}
	return 0, fmt.Sprintf("Enter the %s using digits only, or with a unit such as 8h or 14d.", name)
}

// change is the form as a policy change: Strict clears both limits; Custom
// sets both, keeping a value typed at the default the account follows on that
// default (policy.CustomChange).
func (f policyForm) change() policy.Change {
	if f.Preset == presetStrict {
		return policy.StrictChange()
	}
	return policy.CustomChange(f.idle, f.absolute)
}

// stillTyping takes the "Enter the …" of an empty limit out of a live
// preview's errors: an owner who has just cleared a field to type a new value
// is not told off for it (leaving the field or saving still is). It reports
// whether a limit of Custom is empty, so that the preview waits for it.
func (f policyForm) stillTyping(errs policy.FieldErrors) bool {
	if f.Preset != presetCustom {
		return false
	}
	empty := false
	for field, v := range map[string]string{policy.FieldIdle: f.Idle, policy.FieldAbsolute: f.Absolute} {
		if strings.TrimSpace(v) == "" {
			if field == f.left {
				continue
			}
			delete(errs, field)
			empty = true
		}
	}
	return empty
}
