package handlers_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"
	"time"

	"curfew/internal/apptest"
	"curfew/store"
)

// tokenClient signs in through POST /api/session and returns the token.
func tokenSignIn(t *testing.T, srv *apptest.Server, email string) string {
	t.Helper()
	res := srv.NewClient(t).Do(http.MethodPost, "/api/session",
		strings.NewReader(`{"email":"`+email+`","password":"`+apptest.Password+`"}`),
		http.Header{"Content-Type": {"application/json"}, "User-Agent": {"curl/8.5.0"}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/session: %d %s", res.StatusCode, res.Body)
	}
	var body struct {
		Token string `json:"token"`
	}
	res.JSON(&body)
	return body.Token
}

// bearer sends a request with only the token: no cookie jar, no CSRF token.
func bearer(t *testing.T, srv *apptest.Server, token, method, path, body string) *apptest.Response {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}, "X-CSRF-Token": nil}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	var r *strings.Reader
	if body != "" {
		r = strings.NewReader(body)
	} else {
		r = strings.NewReader("")
	}
	return srv.NewClient(t).Do(method, path, r, h)
}

func TestTokenSignInStartsAnAPIClientSession(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.NewClient(t)
	res := c.Do(http.MethodPost, "/api/session",
		strings.NewReader(`{"email":" `+strings.ToUpper(team.Owner.Email)+`","password":"`+apptest.Password+`"}`),
		http.Header{"Content-Type": {"application/json"}, "User-Agent": {"curl/8.5.0"}})
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /api/session: %d %s", res.StatusCode, res.Body)
	}
	if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("token sign-in set cookies: %q", sc)
	}
	var body struct {
		Token   string `json:"token"`
		Session struct {
			User struct {
				ID    int64  `json:"id"`
				Email string `json:"email"`
				Role  string `json:"role"`
			} `json:"user"`
			Account struct {
				ID int64 `json:"id"`
			} `json:"account"`
			Idle int `json:"idle_timeout_seconds"`
		} `json:"session"`
	}
	res.JSON(&body)
	if !strings.HasPrefix(body.Token, "curfew_") || len(body.Token) != len("curfew_")+43 {
		t.Errorf("token %q is not curfew_ and 43 base64url characters", body.Token)
	}
	if body.Session.User.ID != team.Owner.ID || body.Session.User.Role != "owner" || body.Session.Account.ID != team.Account.ID || body.Session.Idle != 1800 {
		t.Errorf("session = %+v", body.Session)
	}

	db := srv.Store.DB()
	var row struct {
		Hash   []byte `db:"token_hash"`
		Client string `db:"client"`
	}
	if err := db.Get(&row, `SELECT token_hash, client FROM sessions WHERE user_id = $1`, team.Owner.ID); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body.Token))
	if string(row.Hash) != string(sum[:]) || row.Client != "api" {
		t.Errorf("stored session: client %q, hash is the token's SHA-256: %v", row.Client, string(row.Hash) == string(sum[:]))
	}
	var method string
	db.Get(&method, `SELECT payload->>'method' FROM audit_events WHERE account_id = $1 AND action = 'auth.login'`, team.Account.ID)
	if method != "token" {
		t.Errorf("auth.login method = %q, want token", method)
	}
	// The form's sign-in says it was a password.
	srv.Login(t, team.Engineer.Email, apptest.Password)
	db.Get(&method, `SELECT payload->>'method' FROM audit_events WHERE actor_user_id = $1 AND action = 'auth.login'`, team.Engineer.ID)
	if method != "password" {
		t.Errorf("form auth.login method = %q, want password", method)
	}
}

// The token works on the API and the proxy check with no CSRF token, and no
// answer to it ever sets a cookie.
func TestBearerTokenOnTheAPI(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	token := tokenSignIn(t, srv, team.Owner.Email)
	cases := []struct {
		method, path, body string
		want               int
	}{
		{http.MethodGet, "/api/session", "", http.StatusOK},
		{http.MethodGet, "/api/accounts/me/security", "", http.StatusOK},
		{http.MethodPatch, "/api/accounts/me/security", `{"idle_minutes":45}`, http.StatusOK},
		{http.MethodGet, "/api/accounts/me/sessions", "", http.StatusOK},
		{http.MethodGet, "/api/accounts/me/audit", "", http.StatusOK},
		{http.MethodPost, "/api/session/keepalive", "", http.StatusOK},
		{http.MethodPost, "/api/session/reauth", `{"password":"` + apptest.Password + `"}`, http.StatusOK},
		{http.MethodGet, "/auth/verify?role=owner", "", http.StatusOK},
	}
	for _, tc := range cases {
		res := bearer(t, srv, token, tc.method, tc.path, tc.body)
		if res.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d\n%s", tc.method, tc.path, res.StatusCode, tc.want, res.Body)
		}
		if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
			t.Errorf("%s %s set cookies: %q", tc.method, tc.path, sc)
		}
	}
	// Re-authenticating kept the token (it has no cookie to renew).
	if res := bearer(t, srv, token, http.MethodGet, "/auth/verify", ""); res.Header.Get("X-Curfew-User-Email") != team.Owner.Email {
		t.Errorf("after reauth the token no longer verifies: %d", res.StatusCode)
	}
	// Listed as an API client, with the program it said it was.
	var list struct {
		Sessions []struct {
			Client  string `json:"client"`
			Browser string `json:"browser"`
			OS      string `json:"os"`
			Current bool   `json:"current"`
		} `json:"sessions"`
	}
	bearer(t, srv, token, http.MethodGet, "/api/accounts/me/sessions", "").JSON(&list)
	if len(list.Sessions) != 1 || list.Sessions[0].Client != "api" || list.Sessions[0].Browser != "API client" || !list.Sessions[0].Current {
		t.Errorf("sessions = %+v, want the one API client session", list.Sessions)
	}
	// And in words on the owner's page.
	page := srv.Login(t, team.Owner.Email, apptest.Password).Get("/settings/security/sessions")
	if !strings.Contains(page.Body, "API client (curl 8)") {
		t.Errorf("the sessions page does not say API client (curl 8)")
	}
	// An engineer's token gets the same 403 as the engineer's browser.
	eng := tokenSignIn(t, srv, team.Engineer.Email)
	if res := bearer(t, srv, eng, http.MethodGet, "/api/accounts/me/security", ""); res.StatusCode != http.StatusForbidden {
		t.Errorf("engineer token on an owner route: %d", res.StatusCode)
	}
}

func TestTokenSignInRefusals(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t, apptest.WithEnv("CURFEW_LOGIN_LIMIT_PER_ACCOUNT", "3"))
	team := apptest.NewTeam(t, srv.Store)
	post := func(body string) *apptest.Response {
		return srv.NewClient(t).Do(http.MethodPost, "/api/session", strings.NewReader(body), http.Header{"Content-Type": {"application/json"}})
	}
	cases := []struct {
		name, body string
		want       int
		code       string
		field      string
	}{
		{"not JSON", `email=a&password=b`, http.StatusBadRequest, "bad_request", ""},
		{"no password", `{"email":"` + team.Owner.Email + `"}`, http.StatusUnprocessableEntity, "validation_failed", "password"},
		{"no email", `{"password":"x"}`, http.StatusUnprocessableEntity, "validation_failed", "email"},
		{"email too long", `{"email":"` + strings.Repeat("a", 300) + `@example.test","password":"x"}`, http.StatusUnprocessableEntity, "validation_failed", "email"},
		{"wrong type", `{"email":1,"password":"x"}`, http.StatusUnprocessableEntity, "validation_failed", "email"},
		{"unknown field", `{"email":"a@b.c","password":"x","remember":true}`, http.StatusUnprocessableEntity, "validation_failed", "remember"},
		{"unknown email", `{"email":"nobody@example.test","password":"x"}`, http.StatusUnauthorized, "invalid_credentials", ""},
		{"wrong password", `{"email":"` + team.Engineer.Email + `","password":"wrong"}`, http.StatusUnauthorized, "invalid_credentials", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := post(tc.body)
			var body struct {
				Error  string            `json:"error"`
				Fields map[string]string `json:"fields"`
			}
			res.JSON(&body)
			if res.StatusCode != tc.want || body.Error != tc.code || (tc.field != "" && body.Fields[tc.field] == "") {
				t.Errorf("%d %s, want %d %s naming %q", res.StatusCode, res.Body, tc.want, tc.code, tc.field)
			}
		})
	}
	var failed int
	srv.Store.DB().Get(&failed, `SELECT count(*) FROM audit_events WHERE account_id = $1 AND action = 'auth.login_failed'`, team.Account.ID)
	if failed != 1 {
		t.Errorf("auth.login_failed rows = %d, want 1 (the wrong password)", failed)
	}
	// The login form's throttle: the owner's email has 3 attempts per window.
	for i := range 3 {
		if res := post(`{"email":"` + team.Owner.Email + `","password":"wrong"}`); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, res.StatusCode)
		}
	}
	res := post(`{"email":"` + team.Owner.Email + `","password":"` + apptest.Password + `"}`)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(res.Body, `"too_many_attempts"`) {
		t.Errorf("fourth attempt: %d Retry-After=%q %s", res.StatusCode, res.Header.Get("Retry-After"), res.Body)
	}
	// ... shared with the form: it is throttled there too.
	if res := srv.NewClient(t).LoginAs(team.Owner.Email, apptest.Password); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("form sign-in after the token attempts: %d, want 429", res.StatusCode)
	}
}

// A malformed Authorization header is a clear 401, whatever it holds, and a
// token in the URL is refused even when it is valid.
func TestBadAuthorizationIsAClear401(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	token := tokenSignIn(t, srv, team.Owner.Email)
	cases := map[string][]string{
		"scheme only":         {"Bearer"},
		"empty token":         {"Bearer "},
		"basic":               {"Basic b3duZXI6cGFzcw=="},
		"short token":         {"Bearer curfew_short"},
		"no prefix":           {"Bearer " + strings.TrimPrefix(token, "curfew_") + "xxxxxxx"},
		"token and more":      {"Bearer " + token + " extra"},
		"two spaces":          {"Bearer  " + token},
		"bad character":       {"Bearer " + token[:len(token)-1] + "!"},
		"two headers":         {"Bearer " + token, "Bearer " + token},
		"ten kilobytes":       {"Bearer curfew_" + strings.Repeat("A", 10<<10)},
		"non-ASCII byte":      {"Bearer curfew_\xe9" + token[8:]},
		"unknown valid shape": {"Bearer curfew_" + strings.Repeat("A", 43)},
	}
	for name, values := range cases {
		t.Run(name, func(t *testing.T) {
			for _, path := range []string{"/api/session", "/auth/verify"} {
				res := srv.NewClient(t).Do(http.MethodGet, path, nil, http.Header{"Authorization": values})
				if res.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s: %d, want 401\n%s", path, res.StatusCode, res.Body)
					continue
				}
				if path == "/api/session" {
					var body struct {
						Error   string `json:"error"`
						Message string `json:"message"`
					}
					res.JSON(&body)
					want := "invalid_authorization"
					if name == "unknown valid shape" {
						want = "unauthenticated"
					}
					if body.Error != want || body.Message == "" {
						t.Errorf("%s: %s, want error %s with a message", path, res.Body, want)
					}
				} else if res.Header.Get("X-Curfew-Reason") != "none" {
					t.Errorf("%s: reason %q, want none", path, res.Header.Get("X-Curfew-Reason"))
				}
				if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
					t.Errorf("%s: a refused bearer set cookies: %q", path, sc)
				}
				if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s: WWW-Authenticate = %q", path, res.Header.Get("WWW-Authenticate"))
				}
			}
		})
	}
	for _, path := range []string{"/api/session?access_token=" + token, "/auth/verify?access_token=" + token} {
		res := srv.NewClient(t).Get(path)
		if res.StatusCode != http.StatusUnauthorized || res.Header.Get("X-Curfew-User-Id") != "" {
			t.Errorf("token in the URL %s: %d", strings.SplitN(path, "?", 2)[0], res.StatusCode)
		}
	}
	if res := srv.NewClient(t).Get("/api/session?access_token=" + token); !strings.Contains(res.Body, `"token_in_url"`) {
		t.Errorf("token in the URL: %s, want token_in_url", res.Body)
	}
}

// A token only authenticates as a bearer, and the session of a browser only
// by its cookie: a browser session's token sent as a bearer is refused.
func TestBearerOnlyForAPIClientSessions(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	token := "curfew_" + strings.Repeat("B", 43)
	sum := sha256.Sum256([]byte(token))
	if _, err := srv.Store.CreateSession(context.Background(), store.NewSession{
		AccountID: team.Account.ID, UserID: team.Owner.ID, TokenHash: sum[:], Now: timeNow(), Client: store.ClientBrowser,
	}); err != nil {
		t.Fatal(err)
	}
	if res := bearer(t, srv, token, http.MethodGet, "/api/session", ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a browser session's token as a bearer: %d, want 401", res.StatusCode)
	}
}

// Cookie and bearer together: the bearer decides, and the cookie is not
// read, so a junk Authorization header never lets a cookie skip CSRF.
func TestCookieAndBearerTogether(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password) // a browser with a cookie and a CSRF token
	engToken := tokenSignIn(t, srv, team.Engineer.Email)

	// Bearer wins: the engineer's token on the owner's browser is the engineer.
	res := owner.Do(http.MethodGet, "/api/session", nil, http.Header{"Authorization": {"Bearer " + engToken}})
	if !strings.Contains(res.Body, team.Engineer.Email) {
		t.Errorf("cookie and bearer: %d %s, want the bearer's engineer", res.StatusCode, res.Body)
	}
	// A junk header does not authenticate by the cookie instead.
	for _, h := range []string{"Bearer junk", "Basic x", ""} {
		res := owner.Do(http.MethodPatch, "/api/accounts/me/security", strings.NewReader(`{"idle_minutes":50}`),
			http.Header{"Authorization": {h}, "Content-Type": {"application/json"}, "X-CSRF-Token": nil})
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("cookie with Authorization %q and no CSRF token: %d, want 401\n%s", h, res.StatusCode, res.Body)
		}
	}
	// Pages take no bearer: the cookie still needs its CSRF token there.
	res = owner.Do(http.MethodPost, "/settings/security/policy", strings.NewReader("preset=strict"),
		http.Header{"Authorization": {"Bearer " + engToken}, "Content-Type": {"application/x-www-form-urlencoded"}, "X-CSRF-Token": nil})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("page POST with a bearer and no CSRF token: %d, want 403", res.StatusCode)
	}
	var idle *int
	srv.Store.DB().Get(&idle, `SELECT idle_minutes FROM accounts WHERE id = $1`, team.Account.ID)
	if idle != nil {
		t.Errorf("the policy changed to %d", *idle)
	}
}

// DELETE /api/session ends the calling session, by token or by cookie (the
// cookie's with its CSRF token).
func TestDeleteSessionEndsTheCaller(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	token := tokenSignIn(t, srv, team.Engineer.Email)
	if res := bearer(t, srv, token, http.MethodDelete, "/api/session", ""); res.StatusCode != http.StatusNoContent || len(res.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("DELETE /api/session by token: %d %v", res.StatusCode, res.Header.Values("Set-Cookie"))
	}
	if res := bearer(t, srv, token, http.MethodGet, "/auth/verify", ""); res.StatusCode != http.StatusUnauthorized || res.Header.Get("X-Curfew-Reason") != "logout" {
		t.Errorf("token after DELETE: %d reason %q", res.StatusCode, res.Header.Get("X-Curfew-Reason"))
	}
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	if res := c.Do(http.MethodDelete, "/api/session", nil, http.Header{"X-CSRF-Token": nil}); res.StatusCode != http.StatusForbidden {
		t.Errorf("cookie DELETE without CSRF: %d, want 403", res.StatusCode)
	}
	res := c.Do(http.MethodDelete, "/api/session", nil, nil)
	if res.StatusCode != http.StatusNoContent || !strings.Contains(strings.Join(res.Header.Values("Set-Cookie"), "\n"), "Max-Age=0") {
		t.Errorf("cookie DELETE: %d, cookie cleared: %v", res.StatusCode, res.Header.Values("Set-Cookie"))
	}
	var n int
	srv.Store.DB().Get(&n, `SELECT count(*) FROM audit_events WHERE account_id = $1 AND action = 'auth.logout'`, team.Account.ID)
	if n != 2 {
		t.Errorf("auth.logout rows = %d, want 2", n)
	}
}

// Token sessions are ended by the same policy and sign-out-everywhere.
func TestTokenSessionsFollowThePolicy(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	db := srv.Store.DB()
	idle := tokenSignIn(t, srv, team.Engineer.Email)
	db.MustExec(`UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id = $1`, team.Engineer.ID)
	res := bearer(t, srv, idle, http.MethodGet, "/api/session", "")
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Body, `"session_expired"`) || len(res.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("idle token: %d %s, cookies %q", res.StatusCode, res.Body, res.Header.Values("Set-Cookie"))
	}
	revoked := tokenSignIn(t, srv, team.Engineer.Email)
	owner := tokenSignIn(t, srv, team.Owner.Email)
	if res := bearer(t, srv, owner, http.MethodPost, "/api/accounts/me/security/revoke-sessions", `{"scope":"others"}`); res.StatusCode != http.StatusOK {
		t.Fatalf("revoke by token: %d %s", res.StatusCode, res.Body)
	}
	if res := bearer(t, srv, revoked, http.MethodGet, "/auth/verify", ""); res.Header.Get("X-Curfew-Reason") != "revoked" {
		t.Errorf("revoked token: %d reason %q", res.StatusCode, res.Header.Get("X-Curfew-Reason"))
	}
	if res := bearer(t, srv, owner, http.MethodGet, "/auth/verify", ""); res.StatusCode != http.StatusOK {
		t.Errorf("the revoking token itself: %d", res.StatusCode)
	}
}

func timeNow() time.Time { return time.Now() }

// The API's sign-in needs no CSRF token, even from a browser that has a
// session cookie: it proves itself with the password, and what it answers, a
// token in the body, sets nothing on the browser and is not readable cross-site.
func TestTokenSignInNeedsNoCSRF(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	browser := srv.Login(t, team.Owner.Email, apptest.Password)
	res := browser.Do(http.MethodPost, "/api/session",
		strings.NewReader(`{"email":"`+team.Engineer.Email+`","password":"`+apptest.Password+`"}`),
		http.Header{"Content-Type": {"application/json"}, "X-CSRF-Token": nil, "Sec-Fetch-Site": {"cross-site"}})
	if res.StatusCode != http.StatusCreated || len(res.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("token sign-in from a browser: %d cookies %v", res.StatusCode, res.Header.Values("Set-Cookie"))
	}
	// The browser is still the owner: its cookie session was not touched.
	if !strings.Contains(browser.Get("/api/session").Body, team.Owner.Email) {
		t.Errorf("the browser's own session changed")
	}
}
