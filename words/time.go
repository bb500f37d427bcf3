package words

import (
	"strconv"
	"time"
)

// Relative says how far t is from now, either way: "just now", "5 minutes
// ago", "in 2 hours", "yesterday", "tomorrow", "in 13 days"; a month or more
// away, the date ("29 Jan 2026").
func Relative(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	in := func(amount string) string {
		if future {
			return "in " + amount
		}
		return amount + " ago"
	}
	switch {
	case d < time.Minute && future:
		return "in under a minute"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return in(Plural(int(d/time.Minute), "minute", "minutes"))
	case d < 24*time.Hour:
		return in(Plural(int(d/time.Hour), "hour", "hours"))
	case d < 48*time.Hour && future:
		return "tomorrow"
	case d < 48*time.Hour:
		return "yesterday"
	case d < 30*24*time.Hour:
		return in(strconv.Itoa(int(d/(24*time.Hour))) + " days")
	}
	return t.UTC().Format("2 Jan 2006")
}

// Ago is Relative for something that has happened: a moment a little ahead
// of now (another server's clock) is "just now", not "in a minute".
func Ago(t, now time.Time) string {
	if t.After(now) {
		t = now
	}
	return Relative(t, now)
}

// Exact is the full time in UTC, for a title or a detail; the page's script
// shows it in the reader's own time zone where it can.
func Exact(t time.Time) string { return t.UTC().Format("Mon 2 Jan 2006, 15:04:05 UTC") }
