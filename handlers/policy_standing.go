package handlers

import (
	"curfew/policy"
	"curfew/words"
)

// standingSummary is the card's one line on published limits, in
// proportion: what the policy meets, then what allows less, without
// making a longer limit read as a failure.
func standingSummary(e policy.Effective) string {
	var meets, longer []string
	for _, st := range policy.Compliance(e) {
		if st.Meets() {
			meets = append(meets, st.Short)
		} else {
			longer = append(longer, st.Short)
		}
	}
	switch {
	case len(longer) == 0:
		return "Meets the session limits of " + words.List(meets) + "."
	case len(meets) == 0:
		return "Longer than " + words.List(longer) + " allow."
	}
	return "Meets " + words.List(meets) + "; longer than " + words.List(longer) + " allow."
}
