package handlers_test

// Fuzz targets for the inputs an attacker types: the sign-in form, the
// post-sign-in destination, the audit filters and session ids. `go test`
// runs the seeds; `go test -fuzz=FuzzX ./handlers/` explores. The
// invariants: never a 5xx, a refusal that names what it refuses, and the
// audit row where one is due.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"curfew/internal/apptest"
	"curfew/store"
)

// awkward are seeds every target gets: NUL, bytes that are not UTF-8,
// control characters, escapes and sheer length.
var awkward = []string{
	"", "\x00", "a\x00b", "\xff\xfe", "\xc3", "\r\nX-Injected: 1", "\t", "%00", "%zz", `\u0000`,
	"😀", "\u202e", "../../etc/passwd", "'; DROP TABLE users; --", strings.Repeat("a", 5000),
}

func formHeader(csrf string, v url.Values) (http.Header, string) {
	v.Set("_csrf", csrf)
	return http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, v.Encode()
}

func loginFailedRows(t *testing.T, srv *apptest.Server, userID int64) int {
	t.Helper()
	var n int
	if err := srv.Store.DB().Get(&n, `SELECT count(*) FROM audit_events WHERE actor_user_id = $1 AND action = 'auth.login_failed'`, userID); err != nil {
		t.Fatal(err)
	}
	return n
}

// FuzzSignInForm posts the sign-in form with any email and password: never a
// 5xx; an email PostgreSQL cannot store is a 422 naming the field; and a wrong
// password for a real person is audited as auth.login_failed.
func FuzzSignInForm(f *testing.F) {
	for _, s := range awkward {
		f.Add(s, "pw")
		f.Add("owner@acme.test"+s, s)
	}
	f.Add("owner@acme.test", "wrong-password")
	f.Add("  owner@acme.test ", "wrong-password\x00")
	srv := apptest.NewServer(f)
	team := apptest.NewTeam(f, srv.Store)
	c := srv.NewClient(f)
	csrf := c.Get("/login").FormCSRF()
	f.Fuzz(func(t *testing.T, email, pw string) {
		clearThrottle(t, srv)
		// Seeds name the owner as owner@acme.test; the account's is unique.
		email = strings.ReplaceAll(email, "owner@acme.test", team.Owner.Email)
		forReal := store.NormalizeEmail(email) == team.Owner.Email && pw != "" && pw != apptest.Password
		before := loginFailedRows(t, srv, team.Owner.ID)
		h, body := formHeader(csrf, url.Values{"email": {email}, "password": {pw}})
		status, _, resp := raw(t, c, srv, http.MethodPost, "/login", h, body)
		if status >= 500 {
			t.Fatalf("POST /login email=%q: %d\n%s", email, status, resp)
		}
		if unstorable(email) && (status != http.StatusUnprocessableEntity || !strings.Contains(resp, "The field email")) {
			t.Errorf("POST /login email=%q: %d, want a 422 that names the email\n%s", email, status, resp)
		}
		if status == http.StatusSeeOther {
			t.Fatalf("POST /login email=%q password=%q signed in", email, pw)
		}
		after := loginFailedRows(t, srv, team.Owner.ID)
		if forReal && status == http.StatusUnauthorized && after != before+1 {
			t.Errorf("a wrong password for %q: %d auth.login_failed rows, want 1", email, after-before)
		}
	})
}

// clearThrottle forgets the failed sign-ins, so a fuzz run is not all 429s.
func clearThrottle(t *testing.T, srv *apptest.Server) {
	t.Helper()
	if _, err := srv.Store.DB().Exec(`TRUNCATE login_attempts`); err != nil {
		t.Fatal(err)
	}
}

// FuzzLoginNext gives the sign-in page and form any destination (next, and
// return_to as the product links it): never a 5xx, and a successful sign-in
// sends the browser to a local path only.
func FuzzLoginNext(f *testing.F) {
	for _, s := range awkward {
		f.Add("/" + s)
	}
	for _, s := range []string{"/settings/audit?x=1", "//evil.test", "/\\evil.test", "https://evil.test/", "/%2F%2Fevil.test", "javascript:alert(1)", "/\x00//evil.test"} {
		f.Add(s)
	}
	srv := apptest.NewServer(f)
	team := apptest.NewTeam(f, srv.Store)
	f.Fuzz(func(t *testing.T, next string) {
		clearThrottle(t, srv)
		c := srv.NewClient(t)
		q := url.Values{"next": {next}, "return_to": {next}}.Encode()
		status, _, page := raw(t, c, srv, http.MethodGet, "/login?"+q, nil, "")
		if status != http.StatusOK {
			t.Fatalf("GET /login?%s: %d\n%s", q, status, page)
		}
		csrf := csrfField(page)
		h, body := formHeader(csrf, url.Values{"email": {team.Engineer.Email}, "password": {apptest.Password}, "next": {next}, "return_to": {next}})
		status, rh, resp := raw(t, c, srv, http.MethodPost, "/login", h, body)
		switch {
		case status >= 500:
			t.Fatalf("POST /login next=%q: %d\n%s", next, status, resp)
		case status == http.StatusSeeOther:
			loc := rh.Get("Location")
			if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
				t.Fatalf("next=%q sent the browser to %q", next, loc)
			}
		case status == http.StatusUnprocessableEntity && unstorable(next):
			if !strings.Contains(resp, "The field next") {
				t.Errorf("next=%q: a 422 that does not name next\n%s", next, resp)
			}
		default:
			t.Fatalf("POST /login next=%q: %d, want 303, or 422 for text that cannot be stored\n%s", next, status, resp)
		}
	})
}

// unstorable is what the server refuses to pass to PostgreSQL: bytes that
// are not UTF-8, NUL and the control characters other than tab and line breaks.
func unstorable(s string) bool {
	return !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
	})
}

func csrfField(page string) string {
	const mark = `name="_csrf" value="`
	i := strings.Index(page, mark)
	if i < 0 {
		return ""
	}
	rest := page[i+len(mark):]
	return rest[:strings.IndexByte(rest, '"')]
}

// FuzzAuditFilters sends any action, actor, before and limit to the audit
// API and export as the owner (never a 5xx: a 200 or a 4xx naming the
// parameter) and to the API as an engineer (a 403, audited every time).
func FuzzAuditFilters(f *testing.F) {
	for _, s := range awkward {
		f.Add(s, "1", "", "")
		f.Add("auth.login", s, s, s)
	}
	f.Add("auth.login", "", "9223372036854775807", "200")
	f.Add("", "-1", "0", "201")
	srv := apptest.NewServer(f)
	team := apptest.NewTeam(f, srv.Store)
	owner := srv.Login(f, team.Owner.Email, apptest.Password)
	engineer := srv.Login(f, team.Engineer.Email, apptest.Password)
	f.Fuzz(func(t *testing.T, action, actor, before, limit string) {
		q := url.Values{"action": {action}, "actor": {actor}, "before": {before}, "limit": {limit}}.Encode()
		for _, path := range []string{"/api/accounts/me/audit?" + q, "/settings/audit?" + q, "/settings/audit/export?format=json&" + q} {
			status, _, body := raw(t, owner, srv, http.MethodGet, path, nil, "")
			if status >= 500 || (status != http.StatusOK && status != http.StatusBadRequest && status != http.StatusUnprocessableEntity) {
				t.Fatalf("GET %s: %d\n%s", path, status, body)
			}
		}
		n := forbiddenRows(t, srv, team.Engineer.ID)
		if status, _, body := raw(t, engineer, srv, http.MethodGet, "/api/accounts/me/audit?"+q, nil, ""); status != http.StatusForbidden {
			t.Fatalf("engineer GET the audit API: %d, want 403\n%s", status, body)
		}
		if m := forbiddenRows(t, srv, team.Engineer.ID); m != n+1 {
			t.Errorf("the engineer's refused audit request (%s): %d auth.forbidden rows, want 1", q, m-n)
		}
	})
}

// FuzzSessionID ends "sessions" of any id: as the owner never a 5xx (a 404
// for anything but a session of the account), as an engineer on the owner
// route a 403 that is audited.
func FuzzSessionID(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Add("00000000-0000-4000-8000-000000000000")
	f.Add("00000000-0000-4000-8000-00000000000\x00")
	f.Add("ffffffff-ffff-ffff-ffff-ffffffffffff")
	f.Add("{00000000-0000-4000-8000-000000000000}")
	srv := apptest.NewServer(f)
	team := apptest.NewTeam(f, srv.Store)
	owner := srv.Login(f, team.Owner.Email, apptest.Password)
	engineer := srv.Login(f, team.Engineer.Email, apptest.Password)
	f.Fuzz(func(t *testing.T, id string) {
		if id == "" {
			return // not a route: /sessions//revoke is a 404 of the router
		}
		esc := url.PathEscape(id)
		status, _, body := raw(t, owner, srv, http.MethodDelete, "/api/accounts/me/sessions/"+esc, http.Header{"X-CSRF-Token": {owner.CSRF}}, "")
		if status >= 500 || status == http.StatusOK {
			t.Fatalf("owner DELETE session %q: %d\n%s", id, status, body)
		}
		n := forbiddenRows(t, srv, team.Engineer.ID)
		status, _, body = raw(t, engineer, srv, http.MethodPost, "/settings/security/sessions/"+esc+"/revoke", http.Header{"X-CSRF-Token": {engineer.CSRF}}, "")
		if status >= 500 {
			t.Fatalf("engineer revoke session %q: %d\n%s", id, status, body)
		}
		if status == http.StatusForbidden {
			if m := forbiddenRows(t, srv, team.Engineer.ID); m != n+1 {
				t.Errorf("the engineer's refused revoke of %q: %d auth.forbidden rows, want 1", id, m-n)
			}
		}
	})
}
