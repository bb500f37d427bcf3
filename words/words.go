// Package words says things to people: counts with their nouns, lengths of
// time, moments relative to now, browsers and systems, and what an audit event
// did. Every page, message and export says a thing the same way because it is
// said here. The package is pure (no clock, no I/O) and knows no Curfew types,
// so the policy rules and the views can both use it.
package words

import (
	"strconv"
	"strings"
)

// Plural is a count with its noun: "1 session", "3 sessions", "0 people".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Minutes says a number of minutes in the largest units that divide it:
// "30 minutes", "4 hours", "14 days", "1 day 2 hours".
func Minutes(m int) string {
	if m <= 0 {
		return Plural(m, "minute", "minutes")
	}
	days, rest := m/1440, m%1440
	hours, mins := rest/60, rest%60
	var parts []string
	if days > 0 {
		parts = append(parts, Plural(days, "day", "days"))
	}
	if hours > 0 {
		parts = append(parts, Plural(hours, "hour", "hours"))
	}
	if mins > 0 {
		parts = append(parts, Plural(mins, "minute", "minutes"))
	}
	return strings.Join(parts, " ")
}

// List joins names as a sentence does: "A", "A and B", "A, B and C".
func List(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// Thousands writes a count with thousands separators: "100,000".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	end := 0
	if n < 0 {
		end = 1
	}
	for i := len(s) - 3; i > end; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Shorten cuts s to at most n bytes, on a character boundary, with an
// ellipsis when it cut anything.
func Shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
