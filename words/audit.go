package words

import (
	"encoding/json"
	"strings"
)

// Sentence is an audit event in plain words, split so that a page can set the
// subject apart: "Olivia" + "changed the idle timeout from 30 minutes
// (default) to 15 minutes".
type Sentence struct {
	Subject   string
	Predicate string
}

func (s Sentence) String() string { return s.Subject + " " + s.Predicate }

// AuditEvent is what the sentences read of an audit row. Payloads written by
// other versions of Curfew may lack keys or carry extra ones: every key is
// optional, and a sentence says less rather than failing.
type AuditEvent struct {
	Action string
	// Actor is the actor's display name, "" when the row has none.
	Actor       string
	ActorUserID *int64
	ActorEmail  *string
	Payload     json.RawMessage
	// Names maps the account's user ids to display names, for payloads that
	// mention another person.
	Names map[int64]string
}

// Audit is how the log speaks of one kind of event: a label for filters and
// badges, and the sentence for one row.
type Audit struct {
	Label string
	say   func(e AuditEvent, p payload, actor string) Sentence
}

// Say is the event's sentence.
func (a Audit) Say(e AuditEvent) Sentence {
	var p payload
	_ = json.Unmarshal(e.Payload, &p)
	actor := e.Actor
	if actor == "" {
		actor = "Someone"
	}
	return a.say(e, p, actor)
}

// Unknown speaks of an action this version does not know: "did <action>".
func Unknown(action string) Audit {
	return Audit{Label: action, say: func(_ AuditEvent, _ payload, actor string) Sentence {
		return Sentence{actor, "did " + action}
	}}
}

// The kinds of audit event, by what they say.
var (
	PolicyChanged = Audit{Label: "Policy changed", say: func(_ AuditEvent, p payload, actor string) Sentence {
		return Sentence{actor, policyChange(p)}
	}}
	SessionsSignedOut = Audit{Label: "Sessions signed out", say: func(_ AuditEvent, p payload, actor string) Sentence {
		return Sentence{actor, signedOutEveryone(p)}
	}}
	SessionEnded = Audit{Label: "Session ended", say: func(e AuditEvent, p payload, actor string) Sentence {
		return Sentence{actor, endedOne(e, p)}
	}}
	OwnSessionsSignedOut = Audit{Label: "Own sessions signed out", say: func(_ AuditEvent, p payload, actor string) Sentence {
		if n, ok := p.int("revoked_count"); ok {
			return Sentence{actor, "signed out " + Plural(n, "other session", "other sessions") + " of their own"}
		}
		return Sentence{actor, "signed out their other sessions"}
	}}
	SignedIn = Audit{Label: "Signed in", say: func(_ AuditEvent, p payload, actor string) Sentence {
		if p.string("method") == "token" {
			return Sentence{actor, "signed in with an API token"}
		}
		return Sentence{actor, "signed in"}
	}}
	SignInFailed = Audit{Label: "Failed sign-in", say: failedSignIn}
	SignedOut    = Audit{Label: "Signed out", say: func(_ AuditEvent, _ payload, actor string) Sentence {
		return Sentence{actor, "signed out"}
	}}
	AccessRefused = Audit{Label: "Access refused", say: func(_ AuditEvent, p payload, actor string) Sentence {
		return Sentence{actor, refusedAccess(p.string("method"), p.string("path"))}
	}}
	PasswordConfirmed = Audit{Label: "Password confirmed", say: func(_ AuditEvent, _ payload, actor string) Sentence {
		return Sentence{actor, "confirmed their password"}
	}}
)

func failedSignIn(e AuditEvent, p payload, actor string) Sentence {
	if b, _ := p["reauth"].(bool); b {
		return Sentence{actor, "entered a wrong password when asked to confirm it"}
	}
	as := ""
	if email := p.string("email"); email != "" {
		as = " as " + email
	} else if e.ActorEmail != nil {
		as = " as " + *e.ActorEmail
	}
	if b, _ := p["throttled"].(bool); b {
		return Sentence{"Someone", "was refused sign-in" + as + " after too many attempts"}
	}
	return Sentence{"Someone", "failed to sign in" + as}
}

// policyChange describes each limit whose override changed, from the value in
// force before to the value in force after, marking defaults, then what
// changed for roles (roleChanges).
func policyChange(p payload) string {
	var parts []string
	for _, f := range []struct{ key, label string }{
		{"idle_minutes", "the idle timeout"},
		{"absolute_minutes", "the absolute lifetime"},
	} {
		oldV, oldSet := p.object("old").int(f.key)
		newV, newSet := p.object("new").int(f.key)
		if oldSet == newSet && oldV == newV {
			continue
		}
		effOld, effOldOK := p.object("effective_old").int(f.key)
		effNew, effNewOK := p.object("effective_new").int(f.key)
		if effOldOK && effNewOK && effOld == effNew {
			// Only where the value comes from changed: say that, not
			// "from 30 minutes to 30 minutes (default)".
			if newSet {
				parts = append(parts, f.label+" to "+Minutes(effNew)+" as this account's own value (it was the default)")
			} else {
				parts = append(parts, f.label+" to follow the default ("+Minutes(effNew)+", as before)")
			}
			continue
		}
		parts = append(parts, f.label+" from "+limit(oldV, oldSet, effOld, effOldOK)+
			" to "+limit(newV, newSet, effNew, effNewOK))
	}
	cs := roleChanges(p)
	if len(parts) > 0 {
		cs = append([]string{"changed " + strings.Join(parts, " and ")}, cs...)
	}
	if len(cs) == 0 {
		return "updated the session policy"
	}
	return clauses(cs)
}

// limit is one side of a change: the override, or the default in force then
// (from the payload, since defaults may have changed since).
func limit(override int, set bool, effective int, effectiveKnown bool) string {
	switch {
	case set:
		return Minutes(override)
	case effectiveKnown:
		return Minutes(effective) + " (default)"
	}
	return "the default"
}

func signedOutEveryone(p payload) string {
	count, countOK := p.int("revoked_count")
	what := "sessions"
	if countOK {
		what = Plural(count, "session", "sessions")
		if count == 0 {
			what = "no sessions"
		}
	}
	for _, key := range []string{"people_count", "user_count", "users_count", "people"} {
		if people, ok := p.int(key); ok && countOK && count > 0 {
			return "signed out " + what + " of " + Plural(people, "person", "people")
		}
	}
	switch p.string("scope") {
	case "all":
		return "signed out " + what + " (everyone)"
	case "others":
		return "signed out " + what + " (everyone but themself)"
	}
	return "signed out " + what
}

func endedOne(e AuditEvent, p payload) string {
	target := ""
	if id, ok := p.int("user_id"); ok {
		if e.ActorUserID != nil && int64(id) == *e.ActorUserID {
			return "ended one of their own sessions"
		}
		target = e.Names[int64(id)]
	}
	for _, key := range []string{"user_name", "name", "user_email", "email"} {
		if target == "" {
			target = p.string(key)
		}
	}
	if target == "" {
		return "ended a session"
	}
	return "ended " + target + "'s session"
}

// payload is an audit payload as decoded JSON; its readers treat a missing
// key and a value of the wrong type alike.
type payload map[string]any

func (p payload) object(key string) payload {
	m, _ := p[key].(map[string]any)
	return m
}

func (p payload) string(key string) string {
	s, _ := p[key].(string)
	return s
}

// int reads a whole number; ok is false when the key is absent, null or not a
// number.
func (p payload) int(key string) (int, bool) {
	f, ok := p[key].(float64)
	if !ok {
		return 0, false
	}
	return int(f), true
}
