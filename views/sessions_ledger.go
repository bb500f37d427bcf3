package views

import (
	"net/url"
	"strconv"

	"curfew/words"
)

// sessionsURL is the owner's sessions page with ?state=state (omitted when
// "") and ?q=q (omitted when "").
func sessionsURL(state, q string) string {
	v := url.Values{}
	if state != "" {
		v.Set("state", state)
	}
	if q != "" {
		v.Set("q", q)
	}
	if len(v) == 0 {
		return "/settings/security/sessions"
	}
	return "/settings/security/sessions?" + v.Encode()
}

// stateParam is a list's ?state= value: none for the active list.
func stateParam(state string) string {
	if state == SessionsStateActive {
		return ""
	}
	return state
}

func itoa(n int) string     { return strconv.Itoa(n) }
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// personEndConsequence is the confirmation's sentence for signing one person
// out of every session.
func personEndConsequence(r PersonRow) string {
	if r.Self {
		n := r.Sessions - 1
		if n <= 0 {
			return "You have no other session to sign out; you stay signed in here."
		}
		return "Sign yourself out of " + words.Plural(n, "other session", "other sessions") + "? You stay signed in here."
	}
	return "Sign " + r.Person + " out of " + words.Plural(r.Sessions, "session", "sessions") + "? Each one's next request goes to the sign-in page."
}

func personEndLabel(r PersonRow) string {
	n := r.Sessions
	if r.Self {
		n--
	}
	return "Sign out " + words.Plural(n, "session", "sessions")
}

func personPasswordErrorID(r PersonRow) string {
	if r.PasswordError == "" {
		return ""
	}
	return " person-password-error-" + itoa64(r.UserID)
}
