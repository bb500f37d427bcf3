package words

import "strings"

// Device is what a session runs on, in one phrase for the session lists:
// "Chrome 126 on macOS", a script's own name ("curl 8"), "API client (curl
// 8)" for a session signed in with a token, and "Unrecognised browser" when
// the user agent names nothing (the page shows the raw text on hover).
func Device(apiClient bool, ua string) string {
	if apiClient {
		kind, program := APIClient(ua)
		return kind + " (" + program + ")"
	}
	browser, system := Browser(ua)
	switch {
	case strings.HasPrefix(browser, "Unknown"):
		return "Unrecognised browser"
	case strings.HasPrefix(system, "Unknown"):
		return browser
	}
	return browser + " on " + system
}

// ExpiresBy says which rule a session's expiry comes from, measured from
// the moment the expiry is counted from, so that it agrees with the expiry
// time beside it: "8 hours after last activity", "14 days after sign-in".
func ExpiresBy(idle bool, minutes int) string {
	if idle {
		return Minutes(minutes) + " after last activity"
	}
	return Minutes(minutes) + " after sign-in"
}

// Ended reasons as the session ledger states them, in the words the sign-in
// page tells the person signed out. minutes is the limit an expiry ended the
// session by (0 when unknown); by is who ended it ("" when no one did).
func Ended(reason string, minutes int, by string) string {
	switch reason {
	case "idle":
		if by != "" && minutes > 0 { // recorded by the save of a tighter policy
			return "Ended by a policy change by " + by + ": " + Minutes(minutes) + " without activity is now the limit"
		}
		if minutes <= 0 {
			return "Signed out after a period of inactivity"
		}
		return "Signed out after " + Minutes(minutes) + " of inactivity"
	case "absolute":
		if by != "" && minutes > 0 {
			return "Ended by a policy change by " + by + ": sessions now last at most " + Minutes(minutes)
		}
		if minutes <= 0 {
			return "Ended at the longest allowed lifetime"
		}
		return "Ended because sessions last at most " + Minutes(minutes)
	case "logout":
		return "Signed out"
	case "revoked":
		return "Ended by " + orOwner(by)
	case "revoked_all":
		return "Signed out everywhere by " + orOwner(by)
	case "revoked_others":
		return "Signed out everywhere by " + orOwner(by) + " (everyone but them)"
	}
	return "Ended"
}

func orOwner(by string) string {
	if by == "" {
		return "an account owner"
	}
	return by
}

// PersonSignedOut is the audit log's sentence for an owner signing one
// person out of every session.
var PersonSignedOut = Audit{Label: "Person signed out", say: func(e AuditEvent, p payload, actor string) Sentence {
	target := "a person"
	if id, ok := p.int("user_id"); ok {
		if e.ActorUserID != nil && int64(id) == *e.ActorUserID {
			target = "themself"
		} else if name := e.Names[int64(id)]; name != "" {
			target = name
		}
	}
	if n, ok := p.int("revoked_count"); ok {
		return Sentence{actor, "signed " + target + " out of " + Plural(n, "session", "sessions")}
	}
	return Sentence{actor, "signed " + target + " out of every session"}
}}
