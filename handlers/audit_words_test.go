package handlers

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"curfew/store"
)

func TestAuditAgo(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		ago  time.Duration
		want string
	}{
		{-time.Minute, "just now"}, // a clock a little ahead
		{59 * time.Second, "just now"},
		{time.Minute, "1 minute ago"},
		{59 * time.Minute, "59 minutes ago"},
		{time.Hour, "1 hour ago"},
		{23 * time.Hour, "23 hours ago"},
		{24 * time.Hour, "yesterday"},
		{48 * time.Hour, "2 days ago"},
		{29 * 24 * time.Hour, "29 days ago"},
		{40 * 24 * time.Hour, "29 Jan 2026"},
	}
	for _, tt := range tests {
		if got := auditAgo(now, now.Add(-tt.ago)); got != tt.want {
			t.Errorf("%v ago = %q, want %q", tt.ago, got, tt.want)
		}
	}
}

func TestCSVSafe(t *testing.T) {
	got := csvSafe("=1+1", "+1", "-1", "@A1", "\tx", "\rx", "plain", "", "a=b", "{\"x\":1}")
	want := []string{"'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\rx", "plain", "", "a=b", "{\"x\":1}"}
	if !slices.Equal(got, want) {
		t.Errorf("csvSafe = %q\nwant     %q", got, want)
	}
}

func TestAuditThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567"} {
		if got := auditThousands(n); got != want {
			t.Errorf("auditThousands(%d) = %q, want %q", n, got, want)
		}
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
