package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"curfew/internal/apptest"
)

// headerBytes is the size of a response's header block as sent on the wire.
func headerBytes(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(": ") + len(v) + len("\r\n")
		}
	}
	return n
}

// The CSRF cookie is sent to a client that lacks it, and at sign-in, but not
// again on every answer to a client that already holds it.
func TestCSRFCookieIsSentOnlyWhenMissing(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.NewClient(t)
	csrfSet := func(res *apptest.Response) bool {
		return strings.Contains(strings.Join(res.Header.Values("Set-Cookie"), "\n"), "curfew_csrf=")
	}

	first := c.Get("/login")
	if !csrfSet(first) {
		t.Fatalf("the first page did not set the CSRF cookie")
	}
	c.CSRF = first.FormCSRF()
	again := c.Get("/login")
	if csrfSet(again) {
		t.Errorf("the CSRF cookie was sent again to a browser that has it")
	}
	if again.FormCSRF() != c.CSRF {
		t.Errorf("the page's token changed: %q, want the cookie's %q", again.FormCSRF(), c.CSRF)
	}
	login := c.PostForm("/login", url.Values{"email": {team.Owner.Email}, "password": {apptest.Password}})
	if login.StatusCode != http.StatusSeeOther || !csrfSet(login) {
		t.Errorf("sign-in: %d, CSRF cookie sent again: %v (its lifetime starts with the session)", login.StatusCode, csrfSet(login))
	}
	api := c.Get("/api/session")
	if api.StatusCode != http.StatusOK || len(api.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("GET /api/session: %d, Set-Cookie %q", api.StatusCode, api.Header.Values("Set-Cookie"))
	}
	// The token still works for an unsafe request, from the cookie set once.
	if res := c.SendJSON(http.MethodPost, "/api/session/keepalive", nil); res.StatusCode != http.StatusOK {
		t.Errorf("keepalive with the token: %d %s", res.StatusCode, res.Body)
	}
	// A malformed cookie is replaced... by Echo's reuse of its value, so it is
	// answered with a cookie as before.
	junk := srv.NewClient(t).Do(http.MethodGet, "/login", nil, http.Header{"Cookie": {"curfew_csrf=x"}})
	if !csrfSet(junk) {
		t.Errorf("a malformed CSRF cookie was not answered with one")
	}

	var line int
	for _, v := range login.Header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "curfew_csrf=") {
			line = len("Set-Cookie: ") + len(v) + len("\r\n")
		}
	}
	t.Logf("GET /api/session header block: %d bytes; the CSRF cookie line it no longer repeats: %d bytes (%d before)",
		headerBytes(api.Header), line, headerBytes(api.Header)+line)
}
