package words_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"curfew/words"
)

func TestAuditSentencesInPlainWords(t *testing.T) {
	tests := []struct {
		name    string
		a       words.Audit
		payload string
		want    string
	}{
		{"refused page", words.AccessRefused, `{"method":"GET","path":"/settings/audit"}`, "Evan tried to open the audit log, without permission"},
		{"refused change", words.AccessRefused, `{"method":"POST","path":"/settings/security/policy"}`, "Evan tried to change the session policy, without permission"},
		{"refused sub-page", words.AccessRefused, `{"method":"POST","path":"/settings/security/sessions/12/revoke"}`, "Evan tried to end a session of the team, without permission"},
		{"refused API", words.AccessRefused, `{"method":"GET","path":"/api/accounts/me/audit"}`, "Evan tried to read the audit log through the API, without permission"},
		{"refused unknown", words.AccessRefused, `{"method":"GET","path":"/settings/other"}`, "Evan was refused access to GET /settings/other"},
		{"refused not a lookalike", words.AccessRefused, `{"method":"GET","path":"/settings/auditx"}`, "Evan was refused access to GET /settings/auditx"},
		{"back to the default, same value", words.PolicyChanged,
			`{"old":{"idle_minutes":30},"new":{"idle_minutes":null},"effective_old":{"idle_minutes":30},"effective_new":{"idle_minutes":30}}`,
			"Evan changed the idle timeout to follow the default (30 minutes, as before)"},
		{"own value at the default", words.PolicyChanged,
			`{"old":{"idle_minutes":null},"new":{"idle_minutes":30},"effective_old":{"idle_minutes":30},"effective_new":{"idle_minutes":30}}`,
			"Evan changed the idle timeout to 30 minutes as this account's own value (it was the default)"},
		{"a real change", words.PolicyChanged,
			`{"old":{"idle_minutes":null},"new":{"idle_minutes":15},"effective_old":{"idle_minutes":30},"effective_new":{"idle_minutes":15}}`,
			"Evan changed the idle timeout from 30 minutes (default) to 15 minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.a.Say(words.AuditEvent{Actor: "Evan", Payload: json.RawMessage(tt.payload)}).String()
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAuditDetails(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    []words.Detail
	}{
		{"policy change", `{"old":{"idle_minutes":null,"absolute_minutes":1440},"new":{"idle_minutes":15,"absolute_minutes":1440},
			"effective_old":{"idle_minutes":30,"absolute_minutes":1440},"effective_new":{"idle_minutes":15,"absolute_minutes":1440}}`,
			[]words.Detail{{"Idle timeout", "30 minutes (default) → 15 minutes"}, {"Absolute lifetime", "1 day, unchanged"}}},
		{"sign out everyone", `{"scope":"others","revoked_count":12,"people_count":4}`,
			[]words.Detail{{"People", "4"}, {"Sessions ended", "12"}, {"Who", "everyone but themself"}}},
		{"refused", `{"method":"GET","path":"/settings/audit"}`,
			[]words.Detail{{"Request", "GET"}, {"Address", "/settings/audit"}}},
		{"unknown keys", `{"some_flag":true,"nested":{"a":1},"nothing":null}`,
			[]words.Detail{{"Nested", `{"a":1}`}, {"Some flag", "yes"}}},
		{"sign-in", `{"method":"password","session_id":"s1"}`,
			[]words.Detail{{"Sign-in method", "password"}, {"Session", "s1"}}},
		{"empty", `{}`, nil},
		{"not an object", `[1]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := words.Details(words.AuditEvent{Payload: json.RawMessage(tt.payload)})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}
