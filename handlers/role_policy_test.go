package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"curfew/internal/apptest"
	"curfew/policy"
	"curfew/store"
)

// setRolePolicy stores an account's policy directly, as a saved change would:
// the account's values and every role's set to p's.
func setRolePolicy(t *testing.T, st *store.Store, team apptest.Team, p policy.Policy) {
	t.Helper()
	field := func(v *int) policy.FieldChange {
		if v == nil {
			return policy.Clear()
		}
		return policy.Set(*v)
	}
	change := policy.PolicyChange{
		Account: policy.Change{Idle: field(p.Account.IdleMinutes), Absolute: field(p.Account.AbsoluteMinutes)},
		Roles:   map[string]policy.RoleChange{},
	}
	for _, role := range policy.Roles {
		o := p.Role(role)
		change.Roles[role] = policy.RoleChange{Idle: field(o.IdleMinutes), Absolute: field(o.AbsoluteMinutes)}
	}
	_, err := st.UpdatePolicy(context.Background(), team.Account.ID, store.Actor{AccountID: team.Account.ID, UserID: team.Owner.ID},
		policy.DefaultSettings, change)
	if err != nil {
		t.Fatalf("set policy: %v", err)
	}
}

// ageSessions moves a person's sessions back in time.
func ageSessions(t *testing.T, st *store.Store, userID int64, set string) {
	t.Helper()
	if _, err := st.DB().Exec(`UPDATE sessions SET `+set+` WHERE user_id = $1`, userID); err != nil {
		t.Fatal(err)
	}
}

type apiSessionJSON struct {
	User struct {
		Role string `json:"role"`
	} `json:"user"`
	IdleTimeoutSeconds     int `json:"idle_timeout_seconds"`
	AbsoluteTimeoutSeconds int `json:"absolute_timeout_seconds"`
}

func sessionTimeouts(t *testing.T, c *apptest.Client) apiSessionJSON {
	t.Helper()
	res := c.Get("/api/session")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/session: %d %s", res.StatusCode, res.Body)
	}
	var b apiSessionJSON
	res.JSON(&b)
	return b
}

// Owners held to 15 minutes idle and 12 hours at most; engineers on the
// account's values (here the defaults, 30 minutes and 14 days). Each session
// is aged and then used: the owner's ends by the owners' values, the
// engineer's carries on.
func TestRolePolicyEnforcedPerRole(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	setRolePolicy(t, srv.Store, team, policy.Policy{Roles: map[string]policy.Overrides{
		"owner": {IdleMinutes: ptrInt(15), AbsoluteMinutes: ptrInt(12 * 60)},
	}})

	t.Run("GET /api/session reports the caller's own role's timeouts", func(t *testing.T) {
		owner := srv.Login(t, team.Owner.Email, apptest.Password)
		eng := srv.Login(t, team.Engineer.Email, apptest.Password)
		if got := sessionTimeouts(t, owner); got.IdleTimeoutSeconds != 15*60 || got.AbsoluteTimeoutSeconds != 12*3600 {
			t.Errorf("owner: %+v, want 900 / 43200", got)
		}
		if got := sessionTimeouts(t, eng); got.IdleTimeoutSeconds != 30*60 || got.AbsoluteTimeoutSeconds != 20160*60 {
			t.Errorf("engineer: %+v, want the defaults 1800 / 1209600", got)
		}
	})

	tests := []struct {
		name   string
		age    string
		reason string
		// minutes is the limit the login page names for the owner.
		minutes string
	}{
		{"20 minutes idle", `last_seen_at = now() - interval '20 minutes'`, "idle", "15"},
		{"13 hours old, active a minute ago",
			`created_at = now() - interval '13 hours', authenticated_at = now() - interval '13 hours', last_seen_at = now() - interval '1 minute'`,
			"absolute", "720"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			team := apptest.NewTeam(t, srv.Store)
			setRolePolicy(t, srv.Store, team, policy.Policy{Roles: map[string]policy.Overrides{
				"owner": {IdleMinutes: ptrInt(15), AbsoluteMinutes: ptrInt(12 * 60)},
			}})
			ownerAPI := srv.Login(t, team.Owner.Email, apptest.Password)
			ownerPage := srv.Login(t, team.Owner.Email, apptest.Password)
			eng := srv.Login(t, team.Engineer.Email, apptest.Password)
			ageSessions(t, srv.Store, team.Owner.ID, tt.age)
			ageSessions(t, srv.Store, team.Engineer.ID, tt.age)

			res := ownerAPI.Get("/api/session")
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Body, `"session_expired"`) {
				t.Errorf("owner API: %d %s, want 401 session_expired", res.StatusCode, res.Body)
			}
			res = ownerPage.Get("/settings/security")
			loc := res.Header.Get("Location")
			if res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "reason="+tt.reason) || !strings.Contains(loc, "minutes="+tt.minutes) {
				t.Errorf("owner page: %d to %q, want 303 to the login page with reason=%s&minutes=%s", res.StatusCode, loc, tt.reason, tt.minutes)
			}
			if got := sessionTimeouts(t, eng); got.User.Role != "engineer" {
				t.Errorf("engineer: %+v", got)
			}
			var reasons []string
			if err := srv.Store.DB().Select(&reasons, `SELECT coalesce(revoked_reason, 'active') FROM sessions WHERE user_id = $1`, team.Owner.ID); err != nil {
				t.Fatal(err)
			}
			for _, r := range reasons {
				if r != tt.reason {
					t.Errorf("an owner session ended as %q, want %q", r, tt.reason)
				}
			}
			var engEnded int
			srv.Store.DB().Get(&engEnded, `SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NOT NULL`, team.Engineer.ID)
			if engEnded != 0 {
				t.Errorf("%d engineer sessions ended; the engineers' policy did not change", engEnded)
			}
		})
	}

	// Tightening the engineers' values ends an engineer's session and leaves
	// the owner's, whose own values are longer.
	t.Run("engineers tightened, owners left alone", func(t *testing.T) {
		team := apptest.NewTeam(t, srv.Store)
		setRolePolicy(t, srv.Store, team, policy.Policy{Account: policy.Overrides{IdleMinutes: ptrInt(120)},
			Roles: map[string]policy.Overrides{"engineer": {IdleMinutes: ptrInt(10)}}})
		owner := srv.Login(t, team.Owner.Email, apptest.Password)
		eng := srv.Login(t, team.Engineer.Email, apptest.Password)
		ageSessions(t, srv.Store, team.Owner.ID, `last_seen_at = now() - interval '11 minutes'`)
		ageSessions(t, srv.Store, team.Engineer.ID, `last_seen_at = now() - interval '11 minutes'`)
		if got := sessionTimeouts(t, owner); got.IdleTimeoutSeconds != 120*60 {
			t.Errorf("owner: %+v, want the account's 2 hours", got)
		}
		if res := eng.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("engineer after 11 idle minutes under a 10-minute policy: %d %s", res.StatusCode, res.Body)
		}
	})
}

// /auth/verify, the check a proxy makes before the product, applies the
// role's values too: the owner's session idle past the owners' 15 minutes is
// refused with its reason, the engineer's, idle as long, passes.
func TestVerifyAppliesTheRolesValues(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	setRolePolicy(t, srv.Store, team, policy.Policy{Roles: map[string]policy.Overrides{"owner": {IdleMinutes: ptrInt(15)}}})
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	eng := srv.Login(t, team.Engineer.Email, apptest.Password)
	if res := owner.Get("/auth/verify"); res.StatusCode != http.StatusOK {
		t.Fatalf("owner before: %d", res.StatusCode)
	}
	ageSessions(t, srv.Store, team.Owner.ID, `last_seen_at = now() - interval '20 minutes'`)
	ageSessions(t, srv.Store, team.Engineer.ID, `last_seen_at = now() - interval '20 minutes'`)
	if res := owner.Get("/auth/verify"); res.StatusCode != http.StatusUnauthorized || res.Header.Get("X-Curfew-Reason") != "idle" {
		t.Errorf("owner idle 20 minutes: %d reason %q, want 401 idle", res.StatusCode, res.Header.Get("X-Curfew-Reason"))
	}
	res := eng.Get("/auth/verify")
	if res.StatusCode != http.StatusOK || res.Header.Get("X-Curfew-Role") != "engineer" {
		t.Errorf("engineer idle 20 minutes: %d, want 200 (30 minutes for engineers)", res.StatusCode)
	}
	idleAt, err := time.Parse(time.RFC3339, res.Header.Get("X-Curfew-Idle-Expires-At"))
	if err != nil || time.Until(idleAt) < 25*time.Minute {
		t.Errorf("engineer's X-Curfew-Idle-Expires-At = %q, want about 30 minutes from now", res.Header.Get("X-Curfew-Idle-Expires-At"))
	}
}
