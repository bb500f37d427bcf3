package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"curfew/internal/apptest"
	"curfew/policy"
)

// roleJSON is one role of GET /api/accounts/me/security.
type roleJSON struct {
	IdleMinutes              *int `json:"idle_minutes"`
	AbsoluteMinutes          *int `json:"absolute_minutes"`
	EffectiveIdleMinutes     int  `json:"effective_idle_minutes"`
	EffectiveAbsoluteMinutes int  `json:"effective_absolute_minutes"`
}

type securityRolesJSON struct {
	securityJSON
	Roles map[string]roleJSON `json:"roles"`
}

// A PATCH setting the account's idle timeout and the owners' values is one
// change: both stored, one audit row whose roles part has the owners only,
// and the same body from GET afterwards.
func TestSecurityAPIPatchAccountAndRoleTogether(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	body := `{"idle_minutes": 60, "roles": {"owner": {"idle_minutes": 15, "absolute_minutes": 720}}}`
	res := c.SendJSON(http.MethodPatch, securityAPI, body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d %s", res.StatusCode, res.Body)
	}
	var got securityRolesJSON
	res.JSON(&got)
	if fmtPtr(got.IdleMinutes) != "60" || got.EffectiveIdleMinutes != 60 {
		t.Errorf("account part = %+v", got.securityJSON)
	}
	owner, eng := got.Roles["owner"], got.Roles["engineer"]
	if fmtPtr(owner.IdleMinutes) != "15" || fmtPtr(owner.AbsoluteMinutes) != "720" || owner.EffectiveIdleMinutes != 15 || owner.EffectiveAbsoluteMinutes != 720 {
		t.Errorf("owner = %+v", owner)
	}
	if eng.IdleMinutes != nil || eng.AbsoluteMinutes != nil || eng.EffectiveIdleMinutes != 60 || eng.EffectiveAbsoluteMinutes != 20160 {
		t.Errorf("engineer = %+v, want no overrides, the account's 60 and the default 20160", eng)
	}
	if again := c.Get(securityAPI); !jsonEqual(t, []byte(again.Body), res.Body) {
		t.Errorf("GET after PATCH = %s, want the PATCH's body %s", again.Body, res.Body)
	}

	audits := policyAudits(t, srv.Store, team.Account.ID)
	if len(audits) != 1 {
		t.Fatalf("%d audit rows, want 1", len(audits))
	}
	var payload map[string]json.RawMessage
	json.Unmarshal(audits[0].Payload, &payload)
	for _, k := range []string{"old", "new", "effective_old", "effective_new", "roles"} {
		if _, ok := payload[k]; !ok {
			t.Errorf("payload has no %q: %s", k, audits[0].Payload)
		}
	}
	var roles map[string]map[string]json.RawMessage
	json.Unmarshal(payload["roles"], &roles)
	if len(roles) != 1 || roles["owner"] == nil {
		t.Errorf("roles part = %s, want the owners only", payload["roles"])
	}
	if !jsonEqual(t, roles["owner"]["effective_new"], `{"idle_minutes":15,"absolute_minutes":720}`) ||
		!jsonEqual(t, roles["owner"]["effective_old"], `{"idle_minutes":30,"absolute_minutes":20160}`) {
		t.Errorf("owner effective old/new = %s / %s", roles["owner"]["effective_old"], roles["owner"]["effective_new"])
	}

	t.Run("the same values again write nothing", func(t *testing.T) {
		res := c.SendJSON(http.MethodPatch, securityAPI, `{"idle_minutes": 60, "roles": {"owner": {"idle_minutes": 15}, "engineer": {}}}`)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("PATCH: %d %s", res.StatusCode, res.Body)
		}
		if n := len(policyAudits(t, srv.Store, team.Account.ID)); n != 1 {
			t.Errorf("%d audit rows after a no-op, want 1", n)
		}
	})

	t.Run("null clears a role's value", func(t *testing.T) {
		res := c.SendJSON(http.MethodPatch, securityAPI, `{"roles": {"owner": {"idle_minutes": null}}}`)
		var got securityRolesJSON
		res.JSON(&got)
		if o := got.Roles["owner"]; o.IdleMinutes != nil || o.EffectiveIdleMinutes != 60 || fmtPtr(o.AbsoluteMinutes) != "720" {
			t.Errorf("owner after clearing idle = %+v, want the account's 60 and its own 720 kept", o)
		}
	})

	t.Run("an engineer cannot", func(t *testing.T) {
		e := srv.Login(t, team.Engineer.Email, apptest.Password)
		if res := e.SendJSON(http.MethodPatch, securityAPI, `{"roles": {"engineer": {"idle_minutes": 600}}}`); res.StatusCode != http.StatusForbidden {
			t.Errorf("engineer PATCH: %d %s", res.StatusCode, res.Body)
		}
	})
}

// Every bad roles part is a 422 naming the field by its path, and nothing
// is written.
func TestSecurityAPIPatchRolesRefusals(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	// The owners already have a 2-hour idle timeout of their own.
	setRolePolicy(t, srv.Store, team, policy.Policy{Roles: map[string]policy.Overrides{"owner": {IdleMinutes: ptrInt(120)}}})
	before := len(policyAudits(t, srv.Store, team.Account.ID))

	tests := []struct {
		name, body string
		// fields maps each expected field path to a substring of its message.
		fields map[string]string
	}{
		{"an unknown role", `{"roles": {"admin": {"idle_minutes": 15}}}`,
			map[string]string{"roles.admin": "is not a role"}},
		{"a string for minutes", `{"roles": {"owner": {"idle_minutes": "15"}}}`,
			map[string]string{"roles.owner.idle_minutes": "not a string"}},
		{"a decimal", `{"roles": {"owner": {"absolute_minutes": 60.5}}}`,
			map[string]string{"roles.owner.absolute_minutes": "without a decimal point"}},
		{"an unknown field of a role", `{"roles": {"owner": {"idle": 15}}}`,
			map[string]string{"roles.owner.idle": "is not a known field"}},
		{"roles not an object", `{"roles": ["owner"]}`,
			map[string]string{"roles": "must be an object"}},
		{"a role not an object", `{"roles": {"owner": 15}}`,
			map[string]string{"roles.owner": "must be an object"}},
		{"a role field twice", `{"roles": {"owner": {"idle_minutes": 15, "idle_minutes": 20}}}`,
			map[string]string{"roles.owner.idle_minutes": "more than once"}},
		{"below the minimum", `{"roles": {"engineer": {"idle_minutes": 4}}}`,
			map[string]string{"roles.engineer.idle_minutes": "between 5 and 43200"}},
		{"a role idle above the default absolute", `{"roles": {"engineer": {"idle_minutes": 43200}}}`,
			map[string]string{"roles.engineer.idle_minutes": "engineers' idle timeout (30 days, set for engineers)"}},
		{"the account's absolute below the owners' idle", `{"absolute_minutes": 60}`,
			map[string]string{"absolute_minutes": "owners' absolute lifetime (1 hour, the account's) cannot be shorter than their idle timeout (2 hours, set for owners)"}},
		{"account and role errors together", `{"idle_minutes": "x", "roles": {"owner": {"absolute_minutes": true}}}`,
			map[string]string{"idle_minutes": "not a string", "roles.owner.absolute_minutes": "not true or false"}},
		{"an unknown top-level field still", `{"idle": 5}`,
			map[string]string{"idle": "is not a known field"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.SendJSON(http.MethodPatch, securityAPI, tt.body)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("PATCH %s: %d %s, want 422", tt.body, res.StatusCode, res.Body)
			}
			var e errorJSON
			res.JSON(&e)
			if len(e.Fields) != len(tt.fields) {
				t.Errorf("fields = %v, want %d: %v", e.Fields, len(tt.fields), tt.fields)
			}
			for f, sub := range tt.fields {
				if !strings.Contains(e.Fields[f], sub) {
					t.Errorf("fields[%q] = %q, want it to contain %q (all: %v)", f, e.Fields[f], sub, e.Fields)
				}
			}
		})
	}
	if n := len(policyAudits(t, srv.Store, team.Account.ID)); n != before {
		t.Errorf("%d audit rows after refusals, want %d", n, before)
	}
	p, err := srv.Store.AccountPolicy(context.Background(), team.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Equal(policy.Policy{Roles: map[string]policy.Overrides{"owner": {IdleMinutes: ptrInt(120)}}}) {
		t.Errorf("policy after refusals = %+v / %+v, want unchanged", p.Account, p.Roles)
	}
}
