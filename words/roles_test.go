package words_test

import (
	"encoding/json"
	"testing"

	"curfew/words"
)

// A policy change with a roles part says, per role, what was set, changed
// or cleared, after what happened to the account's own values.
func TestPolicyChangeWithRoles(t *testing.T) {
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
		{"a role unknown to this version comes last",
			`{"old":{},"new":{},"roles":{"auditor":{"old":{},"new":{"idle_minutes":5}},"owner":{"old":{},"new":{"idle_minutes":15}}}}`,
			"Olivia set the owners' idle timeout to 15 minutes, and set the auditors' idle timeout to 5 minutes"},
		{"a roles part of the wrong shape says nothing more",
			`{"old":{},"new":{},"roles":["owner"]}`, "Olivia updated the session policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := words.PolicyChanged.Say(words.AuditEvent{Action: "account.session_policy_update", Actor: "Olivia", Payload: json.RawMessage(tt.payload)}).String()
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestRoleWords(t *testing.T) {
	if got := words.RolePlural("owner"); got != "owners" {
		t.Errorf("RolePlural = %q", got)
	}
	if got := words.RoleTitle("engineer"); got != "Engineers" {
		t.Errorf("RoleTitle = %q", got)
	}
}
