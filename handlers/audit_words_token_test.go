package handlers

import (
	"encoding/json"
	"testing"

	"curfew/store"
)

// The log tells an API client's sign-in from a browser's.
func TestAuditWordsForTokenSignIn(t *testing.T) {
	name, email, id := "Evan", "evan@example.test", int64(1)
	for payload, want := range map[string]string{
		`{"session_id":"x","method":"token"}`:    "Evan signed in with an API token",
		`{"session_id":"x","method":"password"}`: "Evan signed in",
		`{"session_id":"x"}`:                     "Evan signed in",
	} {
		e := store.AuditEvent{Action: store.ActionLogin, Payload: json.RawMessage(payload), ActorUserID: &id, ActorName: &name, ActorEmail: &email}
		if got := describeAuditEvent(e, map[int64]string{}).String(); got != want {
			t.Errorf("%s = %q, want %q", payload, got, want)
		}
	}
}
