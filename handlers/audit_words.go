package handlers

import (
	"curfew/store"
	"curfew/words"
)

// auditWords says how the log speaks of each action the store records.
var auditWords = map[string]words.Audit{
	store.ActionPolicyUpdate:         words.PolicyChanged,
	store.ActionSessionsRevoke:       words.SessionsSignedOut,
	store.ActionSessionRevoke:        words.SessionEnded,
	store.ActionOwnSessionsRevoke:    words.OwnSessionsSignedOut,
	store.ActionPersonSessionsRevoke: words.PersonSignedOut,
	store.ActionLogin:                words.SignedIn,
	store.ActionLoginFailed:          words.SignInFailed,
	store.ActionLogout:               words.SignedOut,
	store.ActionAccessForbidden:      words.AccessRefused,
	store.ActionReauth:               words.PasswordConfirmed,
}

func auditWordsFor(action string) words.Audit {
	if w, ok := auditWords[action]; ok {
		return w
	}
	return words.Unknown(action)
}

func auditActionLabel(action string) string { return auditWordsFor(action).Label }

// describeAuditEvent says what happened. names maps the account's user ids to
// display names, for payloads that mention another person.
func describeAuditEvent(e store.AuditEvent, names map[int64]string) words.Sentence {
	return auditWordsFor(e.Action).Say(auditWordsEvent(e, names))
}

// auditWordsEvent is what the words package reads of an audit row.
func auditWordsEvent(e store.AuditEvent, names map[int64]string) words.AuditEvent {
	return words.AuditEvent{
		Action:      e.Action,
		Actor:       e.ActorDisplayName(),
		ActorUserID: e.ActorUserID,
		ActorEmail:  e.ActorEmail,
		Payload:     e.Payload,
		Names:       names,
	}
}
