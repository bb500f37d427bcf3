package handlers

import (
	"encoding/json"
	"slices"
	"testing"

	"curfew/store"
)

func TestCSVSafe(t *testing.T) {
	got := csvSafe("=1+1", "+1", "-1", "@A1", "\tx", "\rx", "plain", "", "a=b", "{\"x\":1}")
	want := []string{"'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\rx", "plain", "", "a=b", "{\"x\":1}"}
	if !slices.Equal(got, want) {
		t.Errorf("csvSafe = %q\nwant     %q", got, want)
	}
}

// TestDescribeAuditEventToleratesOddPayloads: rows written by older or newer
// versions may miss keys or carry other types; the sentence says less
// instead of failing.
func TestDescribeAuditEventToleratesOddPayloads(t *testing.T) {
	name := "Olivia"
	tests := []struct {
		action, payload, want string
	}{
		{store.ActionPolicyUpdate, `{}`, "Olivia updated the session policy"},
		{store.ActionPolicyUpdate, `{"old":{"idle_minutes":null},"new":{"idle_minutes":60}}`, "Olivia changed the idle timeout from the default to 1 hour"},
		{store.ActionSessionsRevoke, `{"scope":"all"}`, "Olivia signed out sessions (everyone)"},
		{store.ActionSessionsRevoke, `{"scope":"others","revoked_count":0}`, "Olivia signed out no sessions (everyone but themself)"},
		{store.ActionSessionsRevoke, `{"revoked_count":"many"}`, "Olivia signed out sessions"},
		{store.ActionSessionRevoke, `{"session_id":"x"}`, "Olivia ended a session"},
		{store.ActionSessionRevoke, `{"user_id":"7","email":"chris@example.test"}`, "Olivia ended chris@example.test's session"},
		{store.ActionSessionRevoke, `{"user_id":99,"email":"jess@example.test"}`, "Olivia ended jess@example.test's session"},
		{store.ActionOwnSessionsRevoke, `{"scope":"others","revoked_count":2}`, "Olivia signed out 2 other sessions of their own"},
		{store.ActionLoginFailed, `{"email":"x@y.test","throttled":true}`, "Someone was refused sign-in as x@y.test after too many attempts"},
		{store.ActionLoginFailed, `null`, "Someone failed to sign in as olivia@example.test"},
		{store.ActionAccessForbidden, `[]`, "Olivia was refused access to an owner page"},
		{"something.new", `{}`, "Olivia did something.new"},
	}
	email := "olivia@example.test"
	id := int64(1)
	for _, tt := range tests {
		e := store.AuditEvent{Action: tt.action, Payload: json.RawMessage(tt.payload), ActorUserID: &id, ActorName: &name, ActorEmail: &email}
		if got := describeAuditEvent(e, map[int64]string{}).String(); got != tt.want {
			t.Errorf("%s %s = %q\nwant %q", tt.action, tt.payload, got, tt.want)
		}
	}
	anonymous := store.AuditEvent{Action: store.ActionLogin, Payload: json.RawMessage(`{}`)}
	if got := describeAuditEvent(anonymous, nil).String(); got != "Someone signed in" {
		t.Errorf("an event without an actor says %q", got)
	}
}
