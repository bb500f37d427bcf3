package handlers

import (
	"curfew/policy"
	"curfew/store"
)

// recordedEnd is why a session whose row already says it ended is over, as
// the row recorded it: an idle or absolute expiry with the limit in minutes
// it ended by, so the second request on it says "after 30 minutes of
// inactivity" as the first did. Rows ended before the limit was recorded
// fall back to the limit in force now.
func recordedEnd(row store.AuthSession, eff policy.Effective) signedOut {
	so := signedOut{reason: revokedReason(row.RevokedReason)}
	switch so.reason {
	case policy.ReasonIdle, policy.ReasonAbsolute:
		so.minutes = eff.IdleMinutes
		if so.reason == policy.ReasonAbsolute {
			so.minutes = eff.AbsoluteMinutes
		}
		if m := row.RevokedAfterMinutes; m != nil && *m > 0 {
			so.minutes = *m
		}
	}
	return so
}
