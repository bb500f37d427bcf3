package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"curfew/internal/apptest"
)

// forbiddenRows counts the auth.forbidden rows of a user.
func forbiddenRows(t *testing.T, srv *apptest.Server, userID int64) int {
	t.Helper()
	var n int
	if err := srv.Store.DB().Get(&n, `SELECT count(*) FROM audit_events WHERE actor_user_id = $1 AND action = 'auth.forbidden'`, userID); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTextPostgreSQLCannotStoreIsA4xx: a NUL or bytes that are not UTF-8 in
// a form field, a query parameter or a JSON string are a 422 that names the
// field, never the 500 of PostgreSQL's "invalid byte sequence"; what Curfew
// only records (a path, a User-Agent) is stored made valid; and an engineer's
// refused owner request is audited whatever its path or query holds.
func TestTextPostgreSQLCannotStoreIsA4xx(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)

	form := func(c *apptest.Client, csrf string, v url.Values) (http.Header, string) {
		v.Set("_csrf", csrf)
		return http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, v.Encode()
	}
	signedOut := srv.NewClient(t)
	loginCSRF := signedOut.Get("/login").FormCSRF()
	tests := []struct {
		name      string
		c         *apptest.Client
		method    string
		path      string
		h         http.Header
		body      string
		wantField string
	}{
		{"sign-in email with a NUL", signedOut, http.MethodPost, "/login", nil, "", "email"},
		{"sign-in email not UTF-8", signedOut, http.MethodPost, "/login", nil, "", "email"},
		{"session search with a NUL", owner, http.MethodGet, "/api/accounts/me/sessions?q=%00", nil, "", "q"},
		{"session search not UTF-8", owner, http.MethodGet, "/settings/security/sessions?q=ab%FF", nil, "", "q"},
		{"audit filter with a NUL", owner, http.MethodGet, "/api/accounts/me/audit?action=auth.login%00", nil, "", "action"},
		{"JSON string with \\u0000", owner, http.MethodPost, "/api/accounts/me/security/revoke-sessions",
			http.Header{"Content-Type": {"application/json"}, "X-CSRF-Token": {owner.CSRF}}, `{"scope":"all\u0000"}`, "scope"},
	}
	tests[0].h, tests[0].body = form(signedOut, loginCSRF, url.Values{"email": {strings.ToUpper(team.Owner.Email) + "\x00"}, "password": {apptest.Password}})
	tests[1].h, tests[1].body = form(signedOut, loginCSRF, url.Values{"email": {"\xff" + team.Owner.Email}, "password": {apptest.Password}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := raw(t, tt.c, srv, tt.method, tt.path, tt.h, tt.body)
			if status != http.StatusUnprocessableEntity {
				t.Fatalf("%s %s: %d, want 422\n%s", tt.method, tt.path, status, body)
			}
			if !strings.Contains(body, "The field "+tt.wantField) {
				t.Errorf("the answer does not name %s:\n%s", tt.wantField, body)
			}
		})
	}

	t.Run("the engineer's refused owner request is audited", func(t *testing.T) {
		for _, tc := range []struct{ method, path string }{
			{http.MethodPost, "/settings/security/sessions/%00/revoke"},
			{http.MethodPost, "/settings/security/sessions/%FF%FE/revoke"},
			{http.MethodGet, "/settings/audit?action=%00"},
		} {
			before := forbiddenRows(t, srv, team.Engineer.ID)
			status, _, body := raw(t, engineer, srv, tc.method, tc.path, http.Header{"X-CSRF-Token": {engineer.CSRF}}, "")
			if status != http.StatusForbidden {
				t.Errorf("%s %s: %d, want 403\n%s", tc.method, tc.path, status, body)
			}
			if after := forbiddenRows(t, srv, team.Engineer.ID); after != before+1 {
				t.Errorf("%s %s: %d auth.forbidden rows written, want 1", tc.method, tc.path, after-before)
			}
		}
		var paths []string
		srv.Store.DB().Select(&paths, `SELECT payload->>'path' FROM audit_events WHERE actor_user_id = $1 AND action = 'auth.forbidden'`, team.Engineer.ID)
		for _, p := range paths {
			if !utf8.ValidString(p) || strings.ContainsRune(p, 0) {
				t.Errorf("audited path %q is not clean text", p)
			}
		}
	})

	t.Run("a form past the body limit is still a 413", func(t *testing.T) {
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-CSRF-Token": {owner.CSRF}}
		body := "idle_minutes=30&note=" + strings.Repeat("a", 70<<10)
		if status, _, b := raw(t, owner, srv, http.MethodPost, "/settings/security/policy/preview", h, body); status != http.StatusRequestEntityTooLarge {
			t.Errorf("a 70 KB form: %d, want 413\n%.300s", status, b)
		}
	})

	t.Run("a User-Agent that is not UTF-8 is stored made valid", func(t *testing.T) {
		c := srv.NewClient(t)
		csrf := c.Get("/login").FormCSRF()
		h, body := form(c, csrf, url.Values{"email": {team.Engineer.Email}, "password": {apptest.Password}})
		h.Set("User-Agent", "Mozilla/5.0 \xff\xfe broken")
		if status, _, b := raw(t, c, srv, http.MethodPost, "/login", h, body); status != http.StatusSeeOther {
			t.Fatalf("sign-in: %d, want 303\n%s", status, b)
		}
		var uas []string
		srv.Store.DB().Select(&uas, `SELECT user_agent FROM sessions WHERE user_id = $1 AND user_agent LIKE '%broken'`, team.Engineer.ID)
		if len(uas) != 1 || !utf8.ValidString(uas[0]) {
			t.Errorf("stored user agents %q, want one, valid UTF-8", uas)
		}
	})
}
