package words

import (
	"errors"
	"strings"
)

// Unit is a unit a length of time can be typed in.
type Unit struct {
	// Name is the unit as a form sends it and a person reads it: "hours".
	Name    string
	Minutes int
}

// Units are the units of the policy form's unit choice, smallest first.
var Units = []Unit{{"minutes", 1}, {"hours", 60}, {"days", 1440}}

// unitWords maps what an owner may type after a number to its unit.
var unitWords = map[string]int{
	"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1,
	"h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
	"d": 1440, "day": 1440, "days": 1440,
	"w": 10080, "week": 10080, "weeks": 10080,
}

// UnitMinutes is the length of a unit named in Units; ok is false for any
// other name.
func UnitMinutes(name string) (int, bool) {
	for _, u := range Units {
		if u.Name == name {
			return u.Minutes, true
		}
	}
	return 0, false
}

// InUnit says a number of minutes as a whole number of the largest unit that
// divides it: 20160 is 14 days, 480 is 8 hours, 90 stays 90 minutes.
func InUnit(minutes int) (n int, unit string) {
	for i := len(Units) - 1; i > 0; i-- {
		if u := Units[i]; minutes > 0 && minutes%u.Minutes == 0 {
			return minutes / u.Minutes, u.Name
		}
	}
	return minutes, Units[0].Name
}

// Between says a range of minutes: "between 5 minutes and 30 days".
func Between(lo, hi int) string { return "between " + Minutes(lo) + " and " + Minutes(hi) }

// What ParseDuration can find wrong with a length of time.
var (
	ErrDurationEmpty    = errors.New("empty")
	ErrDurationNegative = errors.New("negative")
	ErrDurationSign     = errors.New("plus sign")
	ErrDurationDecimal  = errors.New("decimal")
	ErrDurationTooLarge = errors.New("too large")
	ErrDurationUnit     = errors.New("unknown unit")
	ErrDurationSyntax   = errors.New("not a length of time")
)

// maxDurationMinutes bounds what ParseDuration adds up, far above any
// policy bound, so a typed number can never overflow.
const maxDurationMinutes = 1_000_000_000

// ParseDuration reads a length of time as an owner types it, in minutes:
// "90", "8h", "14 days", "1d 12h". A number without a unit counts in
// unitMinutes (the unit chosen beside the input). Only whole numbers of ASCII
// digits are read.
func ParseDuration(s string, unitMinutes int) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		return 0, ErrDurationEmpty
	case s[0] == '-':
		return 0, ErrDurationNegative
	case s[0] == '+':
		return 0, ErrDurationSign
	}
	total, parts := 0, 0
	for s != "" {
		digits := leading(s, func(b byte) bool { return b >= '0' && b <= '9' })
		if digits == "" {
			return 0, ErrDurationSyntax
		}
		s = s[len(digits):]
		if s != "" && (s[0] == '.' || s[0] == ',') {
			return 0, ErrDurationDecimal
		}
		if len(digits) > 9 {
			return 0, ErrDurationTooLarge
		}
		n := 0
		for i := 0; i < len(digits); i++ {
			n = n*10 + int(digits[i]-'0')
		}
		s = strings.TrimLeft(s, " ")
		word := leading(s, func(b byte) bool { return b >= 'a' && b <= 'z' })
		s = strings.TrimLeft(s[len(word):], " ")
		per := unitMinutes
		switch {
		case word != "":
			var ok bool
			if per, ok = unitWords[word]; !ok {
				return 0, ErrDurationUnit
			}
		case s != "" || parts > 0:
			return 0, ErrDurationSyntax // "1d 30" or "30 x": a bare number only alone
		}
		if n > maxDurationMinutes/per || total+n*per > maxDurationMinutes {
			return 0, ErrDurationTooLarge
		}
		total += n * per
		parts++
	}
	return total, nil
}

func leading(s string, ok func(byte) bool) string {
	i := 0
	for i < len(s) && ok(s[i]) {
		i++
	}
	return s[:i]
}
