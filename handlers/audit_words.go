package handlers

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"curfew/policy"
	"curfew/store"
)

// auditSentence is an audit event in plain words, split so a page can set
// the subject apart: "Olivia" + "changed the idle timeout from 30 minutes
// (default) to 15 minutes".
type auditSentence struct {
	Subject   string
	Predicate string
}

func (s auditSentence) String() string { return s.Subject + " " + s.Predicate }

// auditActionLabels names each action for filters and badges.
var auditActionLabels = map[string]string{
	store.ActionPolicyUpdate:      "Policy changed",
	store.ActionSessionsRevoke:    "Sessions signed out",
	store.ActionSessionRevoke:     "Session ended",
	store.ActionOwnSessionsRevoke: "Own sessions signed out",
	store.ActionLogin:             "Signed in",
	store.ActionLoginFailed:       "Failed sign-in",
	store.ActionLogout:            "Signed out",
	store.ActionAccessForbidden:   "Access refused",
	store.ActionReauth:            "Password confirmed",
}

func auditActionLabel(action string) string {
	if l, ok := auditActionLabels[action]; ok {
		return l
	}
	return action
}

// describeAuditEvent says what happened. names maps the account's user ids to
// display names, for payloads that mention another person. Payloads written
// by other versions of Curfew may lack keys or carry extra ones: every key is
// optional, and the sentence says less rather than failing.
func describeAuditEvent(e store.AuditEvent, names map[int64]string) auditSentence {
	var p map[string]any
	_ = json.Unmarshal(e.Payload, &p)
	actor := e.ActorDisplayName()
	if actor == "" {
		actor = "Someone"
	}
	say := func(predicate string) auditSentence { return auditSentence{Subject: actor, Predicate: predicate} }
	switch e.Action {
	case store.ActionPolicyUpdate:
		return say(auditPolicyWords(p))
	case store.ActionSessionsRevoke:
		return say(auditRevokeAllWords(p))
	case store.ActionSessionRevoke:
		return say(auditRevokeOneWords(e, p, names))
	case store.ActionOwnSessionsRevoke:
		if n, ok := auditPayloadInt(p, "revoked_count"); ok {
			return say("signed out " + auditPlural(n, "other session", "other sessions") + " of their own")
		}
		return say("signed out their other sessions")
	case store.ActionLogin:
		return say("signed in")
	case store.ActionLoginFailed:
		if b, _ := p["reauth"].(bool); b {
			return say("entered a wrong password when asked to confirm it")
		}
		as := ""
		if email := auditPayloadString(p, "email"); email != "" {
			as = " as " + email
		} else if e.ActorEmail != nil {
			as = " as " + *e.ActorEmail
		}
		if b, _ := p["throttled"].(bool); b {
			return auditSentence{Subject: "Someone", Predicate: "was refused sign-in" + as + " after too many attempts"}
		}
		return auditSentence{Subject: "Someone", Predicate: "failed to sign in" + as}
	case store.ActionLogout:
		return say("signed out")
	case store.ActionAccessForbidden:
		target := strings.TrimSpace(auditPayloadString(p, "method") + " " + auditPayloadString(p, "path"))
		if target == "" {
			return say("was refused access to an owner page")
		}
		return say("was refused access to " + target)
	case store.ActionReauth:
		return say("confirmed their password")
	}
	return say("did " + e.Action)
}

// auditPolicyWords describes each limit whose override changed, from the
// value in force before to the value in force after, marking defaults.
func auditPolicyWords(p map[string]any) string {
	var parts []string
	for _, f := range []struct{ key, label string }{
		{policy.FieldIdle, "the idle timeout"},
		{policy.FieldAbsolute, "the absolute lifetime"},
	} {
		oldV, oldSet := auditPayloadInt(auditPayloadObject(p, "old"), f.key)
		newV, newSet := auditPayloadInt(auditPayloadObject(p, "new"), f.key)
		if oldSet == newSet && oldV == newV {
			continue
		}
		effOld, effOldOK := auditPayloadInt(auditPayloadObject(p, "effective_old"), f.key)
		effNew, effNewOK := auditPayloadInt(auditPayloadObject(p, "effective_new"), f.key)
		parts = append(parts, f.label+" from "+auditLimitWords(oldV, oldSet, effOld, effOldOK)+
			" to "+auditLimitWords(newV, newSet, effNew, effNewOK))
	}
	clauses := auditRoleWords(p)
	if len(parts) > 0 {
		clauses = append([]string{"changed " + strings.Join(parts, " and ")}, clauses...)
	}
	if len(clauses) == 0 {
		return "updated the session policy"
	}
	return auditJoin(clauses)
}

// auditLimitWords is one side of a change: the override, or the default in force
// then (from the payload, since defaults may have changed since).
func auditLimitWords(override int, set bool, effective int, effectiveKnown bool) string {
	switch {
	case set:
		return policy.HumanMinutes(override)
	case effectiveKnown:
		return policy.HumanMinutes(effective) + " (default)"
	}
	return "the default"
}

func auditRevokeAllWords(p map[string]any) string {
	count, countOK := auditPayloadInt(p, "revoked_count")
	what := "sessions"
	if countOK {
		what = auditPlural(count, "session", "sessions")
		if count == 0 {
			what = "no sessions"
		}
	}
	for _, key := range []string{"people_count", "user_count", "users_count", "people"} {
		if people, ok := auditPayloadInt(p, key); ok && countOK && count > 0 {
			return "signed out " + what + " of " + auditPlural(people, "person", "people")
		}
	}
	switch auditPayloadString(p, "scope") {
	case "all":
		return "signed out " + what + " (everyone)"
	case "others":
		return "signed out " + what + " (everyone but themself)"
	}
	return "signed out " + what
}

func auditRevokeOneWords(e store.AuditEvent, p map[string]any, names map[int64]string) string {
	target := ""
	if id, ok := auditPayloadInt(p, "user_id"); ok {
		if e.ActorUserID != nil && int64(id) == *e.ActorUserID {
			return "ended one of their own sessions"
		}
		target = names[int64(id)]
	}
	for _, key := range []string{"user_name", "name", "user_email", "email"} {
		if target == "" {
			target = auditPayloadString(p, key)
		}
	}
	if target == "" {
		return "ended a session"
	}
	return "ended " + target + "'s session"
}

func auditPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func auditPayloadObject(p map[string]any, key string) map[string]any {
	m, _ := p[key].(map[string]any)
	return m
}

func auditPayloadString(p map[string]any, key string) string {
	s, _ := p[key].(string)
	return s
}

// auditPayloadInt reads a whole number; ok is false when the key is absent, null
// or not a number.
func auditPayloadInt(p map[string]any, key string) (int, bool) {
	f, ok := p[key].(float64)
	if !ok {
		return 0, false
	}
	return int(f), true
}

// auditAgo is a time relative to now, as the list shows it.
func auditAgo(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return auditPlural(int(d/time.Minute), "minute", "minutes") + " ago"
	case d < 24*time.Hour:
		return auditPlural(int(d/time.Hour), "hour", "hours") + " ago"
	case d < 48*time.Hour:
		return "yesterday"
	case d < 30*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
	}
	return t.UTC().Format("2 Jan 2006")
}

// auditExactTime is the full timestamp, shown on hover and in details.
func auditExactTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// auditBrowser names the browser and system in a few words, or shows the
// start of a user agent it cannot read; the full one is in the title and the
// details.
func auditBrowser(ua string) string {
	if strings.TrimSpace(ua) == "" {
		return "Unknown browser"
	}
	browser, system := describeUserAgent(ua)
	switch {
	case strings.HasPrefix(browser, "Unknown"):
		if len(ua) > 40 {
			return truncate(ua, 40) + "…"
		}
		return ua
	case strings.HasPrefix(system, "Unknown"):
		return browser
	}
	return browser + " on " + system
}
