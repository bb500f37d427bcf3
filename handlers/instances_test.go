package handlers_test

import (
	"net/http"
	"testing"

	"curfew/internal/apptest"
)

// Two instances on one database with the same cookie keys behave as one
// deployment behind a load balancer: a browser may land on either for any
// request, and whatever one instance changes (a sign-in, a policy, a
// revocation) holds on the other at once, because no state lives in a process.
func TestTwoInstancesBehaveAsOne(t *testing.T) {
	t.Parallel()
	a := apptest.NewServer(t)
	b := apptest.NewServer(t)
	team := apptest.NewTeam(t, a.Store)

	// Signed in on A; the same browser is served by B.
	onA := a.Login(t, team.Owner.Email, apptest.Password)
	onB := b.SameBrowser(t, onA)
	if res := onB.Get("/api/session"); res.StatusCode != http.StatusOK {
		t.Fatalf("A's session on B: %d %s", res.StatusCode, res.Body)
	}

	// A policy saved through B is the policy A enforces on the next request,
	// and the CSRF token A handed out is accepted by B.
	res := onB.SendJSON(http.MethodPatch, "/api/accounts/me/security", map[string]any{"idle_minutes": 5})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH policy on B with A's CSRF token: %d %s", res.StatusCode, res.Body)
	}
	var s struct {
		Idle int `json:"idle_timeout_seconds"`
	}
	onA.Get("/api/session").JSON(&s)
	if s.Idle != 5*60 {
		t.Errorf("A enforces idle %ds after B saved 5 minutes", s.Idle)
	}

	// An engineer signed in on A is signed out everywhere by the owner on B.
	engOnA := a.Login(t, team.Engineer.Email, apptest.Password)
	res = onB.SendJSON(http.MethodPost, "/api/accounts/me/security/revoke-sessions", map[string]string{"scope": "others"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("revoke others on B: %d %s", res.StatusCode, res.Body)
	}
	if res := engOnA.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("engineer's session on A after B revoked it: %d, want 401", res.StatusCode)
	}
	if res := onA.Get("/api/session"); res.StatusCode != http.StatusOK {
		t.Errorf("the owner's own session (scope others) on A: %d, want 200", res.StatusCode)
	}

	// Signing out on A ends the session on B.
	if res := onA.PostForm("/logout", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout on A: %d", res.StatusCode)
	}
	if res := onB.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("session on B after logout on A: %d, want 401", res.StatusCode)
	}
}
