package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"curfew/internal/apptest"
)

// The security page reuses its sign-out-everywhere counts for a moment, but
// never across a change that decides them: a sign-in or sign-out through the
// same instance, a policy saved on another instance, or a sign-out-everywhere
// on another instance shows on the very next view.
func TestSecurityPageCountsFollowChanges(t *testing.T) {
	t.Parallel()
	a := apptest.NewServer(t)
	b := apptest.NewServer(t)
	team := apptest.NewTeam(t, a.Store)
	owner := a.Login(t, team.Owner.Email, apptest.Password)
	a.Login(t, team.Engineer.Email, apptest.Password)

	summary := func(want string) {
		t.Helper()
		res := owner.Get("/settings/security")
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, want) {
			i := strings.Index(res.Body, `id="revoke-section"`)
			t.Fatalf("security page = %d, want %q in the sign-out-everywhere section:\n%.600s", res.StatusCode, want, res.Body[max(i, 0):])
		}
	}
	summary("2 active sessions of 2 people")
	summary("2 active sessions of 2 people") // from the cache

	// A sign-in and a sign-out through this instance.
	engineer := a.Login(t, team.Engineer.Email, apptest.Password)
	summary("3 active sessions of 2 people")
	if res := engineer.PostForm("/logout", nil); res.StatusCode >= 400 {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	summary("2 active sessions of 2 people")

	// A policy saved on B: the engineer's session, idle for 30 minutes, is
	// over under a 15-minute limit.
	if _, err := a.Store.DB().Exec(`UPDATE sessions SET last_seen_at = now() - interval '30 minutes'
		WHERE user_id = $1 AND revoked_at IS NULL`, team.Engineer.ID); err != nil {
		t.Fatal(err)
	}
	onB := b.SameBrowser(t, owner)
	if res := onB.SendJSON(http.MethodPatch, "/api/accounts/me/security", map[string]any{"idle_minutes": 15}); res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH policy on B: %d %s", res.StatusCode, res.Body)
	}
	summary("1 active session of 1 person")

	// Sign-out-everywhere on B, with a new engineer session to end.
	a.Login(t, team.Engineer.Email, apptest.Password)
	summary("2 active sessions of 2 people")
	if res := onB.SendJSON(http.MethodPost, "/api/accounts/me/security/revoke-sessions", map[string]any{"scope": "others"}); res.StatusCode != http.StatusOK {
		t.Fatalf("revoke others on B: %d %s", res.StatusCode, res.Body)
	}
	summary("1 active session of 1 person")
}
