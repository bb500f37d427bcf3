package words

import "time"

// When is the date and time of a past moment, short enough for a list:
// "Tue 10 Mar, 12:04 UTC", with the year when it is not now's year. The
// page's script shows it in the reader's own time zone where it can.
func When(t, now time.Time) string {
	t = t.UTC()
	if t.Year() != now.UTC().Year() {
		return t.Format("Mon 2 Jan 2006, 15:04 UTC")
	}
	return t.Format("Mon 2 Jan, 15:04 UTC")
}
