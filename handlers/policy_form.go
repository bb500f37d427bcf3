package handlers

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
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

// fieldPreset and fieldPassword are the policy form's other fields.
const (
	fieldPreset   = "preset"
	fieldPassword = "password"
)

// policyForm is the policy card's form as posted: the raw values, kept to show
// them back unchanged, and the numbers they parse to.
type policyForm struct {
	Preset   string
	Idle     string
	Absolute string
	Password string
	idle     int
	absolute int
}

// values is the form as the card shows it back.
func (f policyForm) values() views.PolicyFormValues {
	return views.PolicyFormValues{Preset: f.Preset, Idle: f.Idle, Absolute: f.Absolute}
}

// parsePolicyForm reads the posted form strictly: one preset, and for Custom
// one whole number of minutes per field. Each problem is a message for the
// field it belongs to; bounds and the idle <= absolute rule come later, from
// policy.Validate.
func parsePolicyForm(form url.Values, s policy.Settings) (policyForm, policy.FieldErrors) {
	f := policyForm{
		Preset:   strings.TrimSpace(first(form[fieldPreset])),
		Idle:     first(form[policy.FieldIdle]),
		Absolute: first(form[policy.FieldAbsolute]),
		Password: first(form[fieldPassword]),
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
	if f.idle, msg = parseMinutes(form[policy.FieldIdle], "idle timeout", s.IdleMin, s.IdleMax); msg != "" {
		errs[policy.FieldIdle] = msg
	}
	if f.absolute, msg = parseMinutes(form[policy.FieldAbsolute], "absolute lifetime", s.AbsoluteMin, s.AbsoluteMax); msg != "" {
		errs[policy.FieldAbsolute] = msg
	}
	return f, errs
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// parseMinutes accepts exactly one value of plain digits and says what is
// wrong with anything else, in terms of the field's name and bounds.
func parseMinutes(vs []string, name string, lo, hi int) (int, string) {
	if len(vs) > 1 {
		return 0, fmt.Sprintf("The %s was sent %d times. Enter it once.", name, len(vs))
	}
	v := strings.TrimSpace(first(vs))
	example := fmt.Sprintf("a whole number of minutes from %d to %d", lo, hi)
	switch {
	case v == "":
		return 0, fmt.Sprintf("Enter the %s in minutes.", name)
	case isDigits(v):
		n, err := strconv.Atoi(v)
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Sprintf("That number is too large: the %s can be at most %d minutes (%s).", name, hi, words.Minutes(hi))
		}
		if err != nil {
			return 0, fmt.Sprintf("Enter the %s as %s.", name, example)
		}
		return n, ""
	case strings.HasPrefix(v, "-"):
		return 0, fmt.Sprintf("The %s cannot be negative. Enter %s.", name, example)
	case strings.HasPrefix(v, "+"):
		return 0, fmt.Sprintf("Enter the %s with digits only, without a + sign.", name)
	case isDecimal(v):
		return 0, fmt.Sprintf("Enter the %s as a whole number of minutes, without decimals.", name)
	default:
		return 0, fmt.Sprintf("Enter the %s as %s, using digits only.", name, example)
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// isDecimal recognises "1.5", ".5", "2," and the like.
func isDecimal(s string) bool {
	i := strings.IndexAny(s, ".,")
	if i < 0 {
		return false
	}
	whole, frac := s[:i], s[i+1:]
	return (whole == "" || isDigits(whole)) && (frac == "" || isDigits(frac)) && whole+frac != ""
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
