package handlers

import (
	"encoding/json"
	"testing"

	"curfew/store"
)

// A policy change with a roles part says, per role, what was set, changed
// or cleared, after what happened to the account's own values.
func TestDescribePolicyChangeWithRoles(t *testing.T) {
	name, email, id := "Olivia", "olivia@example.test", int64(1)
	tests := []struct{ name, payload, want string }{
		{"the owners' idle timeout set",
			`{"old":{"idle_minutes":null,"absolute_minutes":null},"new":{"idle_minutes":null,"absolute_minutes":null},
			  "roles":{"owner":{"old":{"idle_minutes":null,"absolute_minutes":null},"new":{"idle_minutes":15,"absolute_minutes":null},
			           "effective_old":{"idle_minutes":30,"absolute_minutes":20160},"effective_new":{"idle_minutes":15,"absolute_minutes":20160}}}}`,
			"Olivia set the owners' idle timeout to 15 minutes"},
		{"both fields of two roles, owners first",
			`{"old":{},"new":{},"roles":{
			   "engineer":{"old":{"absolute_minutes":20160},"new":{"absolute_minutes":10080}},
			   "owner":{"old":{"idle_minutes":null,"absolute_minutes":null},"new":{"idle_minutes":15,"absolute_minutes":720}}}}`,
			"Olivia set the owners' idle timeout to 15 minutes, set the owners' absolute lifetime to 12 hours, and changed the engineers' absolute lifetime from 14 days to 7 days"},
		{"a role's value cleared",
			`{"old":{},"new":{},"roles":{"owner":{"old":{"idle_minutes":15},"new":{"idle_minutes":null},
			  "effective_new":{"idle_minutes":60,"absolute_minutes":20160}}}}`,
			"Olivia cleared the owners' idle timeout (now 1 hour, as for the account)"},
		{"account and role in one change",
			`{"old":{"idle_minutes":null},"new":{"idle_minutes":60},"effective_old":{"idle_minutes":30},
			  "roles":{"owner":{"old":{},"new":{"idle_minutes":15}}}}`,
			"Olivia changed the idle timeout from 30 minutes (default) to 1 hour, and set the owners' idle timeout to 15 minutes"},
		{"a roles part of the wrong shape says nothing more",
			`{"old":{},"new":{},"roles":["owner"]}`, "Olivia updated the session policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := store.AuditEvent{Action: store.ActionPolicyUpdate, Payload: json.RawMessage(tt.payload), ActorUserID: &id, ActorName: &name, ActorEmail: &email}
			if got := describeAuditEvent(e, nil).String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
