package handlers_test

import (
	"net/http"
	"testing"

	"curfew/internal/apptest"
)

// A POST-only address left in the address bar (a no-JS form answered in
// place) opens its page again instead of a 405 page.
func TestGETOfPostOnlyPageSeesOther(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	member := srv.Login(t, team.Engineer.Email, apptest.Password)
	tests := []struct {
		name   string
		client *apptest.Client
		path   string
		want   string
	}{
		{"policy save", owner, "/settings/security/policy", "/settings/security#policy-card"},
		{"policy preview", owner, "/settings/security/policy/preview", "/settings/security#policy-card"},
		{"sign-out-everywhere confirmation", owner, "/settings/security/revoke-sessions/confirm", "/settings/security#revoke-section"},
		{"end a session of the account", owner, "/settings/security/sessions/123/revoke", "/settings/security/sessions"},
		{"sign out my other sessions", member, "/me/sessions/revoke-others", "/me/sessions"},
		{"end one of my sessions", member, "/me/sessions/123/revoke", "/me/sessions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, header, _ := raw(t, tt.client, srv, http.MethodGet, tt.path, http.Header{}, "")
			if status != http.StatusSeeOther || header.Get("Location") != tt.want {
				t.Errorf("GET %s: %d Location=%q, want 303 to %s", tt.path, status, header.Get("Location"), tt.want)
			}
		})
	}
	t.Run("owner pages stay owner-only", func(t *testing.T) {
		status, _, _ := raw(t, member, srv, http.MethodGet, "/settings/security/policy", http.Header{}, "")
		if status != http.StatusForbidden {
			t.Errorf("member GET /settings/security/policy: %d, want 403", status)
		}
	})
}
