package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"curfew/internal/apptest"
)

func TestLoginAndSessionAPI(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	var body struct {
		User struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
			Role  string `json:"role"`
		} `json:"user"`
		Account struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"account"`
		Idle     int       `json:"idle_timeout_seconds"`
		Absolute int       `json:"absolute_timeout_seconds"`
		IdleAt   time.Time `json:"idle_expires_at"`
		AbsAt    time.Time `json:"absolute_expires_at"`
		CSRF     string    `json:"csrf_token"`
	}
	c.Get("/api/session").JSON(&body)
	if body.User.Email != team.Owner.Email || body.User.Role != "owner" || body.Account.ID != team.Account.ID {
		t.Errorf("session body = %+v", body)
	}
	if body.Idle != 30*60 || body.Absolute != 20160*60 {
		t.Errorf("timeouts = %d/%d, want the defaults 1800/1209600", body.Idle, body.Absolute)
	}
	if body.CSRF == "" || body.IdleAt.IsZero() || body.AbsAt.Sub(body.IdleAt) < 13*24*time.Hour {
		t.Errorf("expiry times or csrf missing: %+v", body)
	}

	var hashLen int
	var auditRows int
	db := srv.Store.DB()
	if err := db.Get(&hashLen, `SELECT octet_length(token_hash) FROM sessions WHERE user_id = $1`, team.Owner.ID); err != nil {
		t.Fatal(err)
	}
	if hashLen != 32 {
		t.Errorf("token hash is %d bytes, want a 32-byte SHA-256", hashLen)
	}
	db.Get(&auditRows, `SELECT count(*) FROM audit_events WHERE account_id = $1 AND action = 'auth.login' AND actor_user_id = $2`, team.Account.ID, team.Owner.ID)
	if auditRows != 1 {
		t.Errorf("auth.login rows = %d, want 1", auditRows)
	}
}

func TestSessionAPIShowsTheAccountPolicy(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	if _, err := srv.Store.DB().Exec(`UPDATE accounts SET idle_minutes = 60, absolute_minutes = 240 WHERE id = $1`, team.Account.ID); err != nil {
		t.Fatal(err)
	}
	c := srv.Login(t, team.Engineer.Email, apptest.Password)
	var body struct {
		Idle     int `json:"idle_timeout_seconds"`
		Absolute int `json:"absolute_timeout_seconds"`
	}
	c.Get("/api/session").JSON(&body)
	if body.Idle != 3600 || body.Absolute != 14400 {
		t.Errorf("timeouts = %d/%d, want 3600/14400", body.Idle, body.Absolute)
	}
}

func TestWrongPasswordAndUnknownEmailLookTheSame(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)

	wrong := srv.NewClient(t).LoginAs(team.Owner.Email, "not-the-password")
	unknown := srv.NewClient(t).LoginAs("nobody-"+team.Owner.Email, "not-the-password")
	if wrong.StatusCode != http.StatusUnauthorized || unknown.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status wrong=%d unknown=%d, want 401 both", wrong.StatusCode, unknown.StatusCode)
	}
	msg := "match an account. Check both and try again."
	if !strings.Contains(wrong.Body, msg) || !strings.Contains(unknown.Body, msg) {
		t.Errorf("the two failures do not give the same message")
	}
	if _, ok := wrong.Header["Set-Cookie"]; ok && strings.Contains(strings.Join(wrong.Header["Set-Cookie"], ";"), "curfew=") {
		t.Errorf("failed sign-in set a session cookie")
	}
	var failed int
	srv.Store.DB().Get(&failed, `SELECT count(*) FROM audit_events WHERE account_id = $1 AND action = 'auth.login_failed'`, team.Account.ID)
	if failed != 1 {
		t.Errorf("auth.login_failed rows = %d, want 1", failed)
	}
	empty := srv.NewClient(t).LoginAs("", "")
	if empty.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(empty.Body, "Enter your email and password") {
		t.Errorf("empty form: %d", empty.StatusCode)
	}
}

// Sessions are aged by moving their timestamps in the database, never by sleeping.
func TestExpiredSessionsAreRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		age        string
		wantReason string
		wantNotice string
	}{
		{"idle", `UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE user_id = $1`, "idle", "signed out after 30 minutes of inactivity"},
		{"absolute", `UPDATE sessions SET created_at = now() - interval '14 days 1 minute' WHERE user_id = $1`, "absolute", "sessions last at most 14 days"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := apptest.NewServer(t)
			team := apptest.NewTeam(t, srv.Store)
			page := srv.Login(t, team.Owner.Email, apptest.Password)
			api := srv.Login(t, team.Engineer.Email, apptest.Password)
			htmx := srv.Login(t, team.Owner.Email, apptest.Password)
			db := srv.Store.DB()
			for _, u := range []int64{team.Owner.ID, team.Engineer.ID} {
				if _, err := db.Exec(tc.age, u); err != nil {
					t.Fatal(err)
				}
			}

			res := page.Get("/settings/security")
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("page after expiry: %d, want 303", res.StatusCode)
			}
			loc, _ := url.Parse(res.Header.Get("Location"))
			if loc.Path != "/login" || loc.Query().Get("reason") != tc.wantReason {
				t.Errorf("redirect to %s, want /login with reason %s", loc, tc.wantReason)
			}
			login := page.Get(loc.RequestURI())
			if !strings.Contains(login.Body, tc.wantNotice) {
				t.Errorf("login page does not say %q", tc.wantNotice)
			}

			res = api.Get("/api/session")
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Body, `"session_expired"`) {
				t.Errorf("API after expiry: %d %s", res.StatusCode, res.Body)
			}

			res = htmx.GetHTMX("/settings/security")
			if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("HX-Redirect"), "/login?") {
				t.Errorf("htmx after expiry: %d HX-Redirect=%q", res.StatusCode, res.Header.Get("HX-Redirect"))
			}

			var ended int
			db.Get(&ended, `SELECT count(*) FROM sessions WHERE account_id = $1 AND revoked_reason = $2`, team.Account.ID, tc.wantReason)
			if ended != 3 {
				t.Errorf("%d sessions ended with reason %s, want 3", ended, tc.wantReason)
			}
			// The same cookie stays refused, now as a plain ended session.
			if res := api.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
				t.Errorf("replayed expired cookie: %d", res.StatusCode)
			}
		})
	}
}

func TestStillValidJustInsideTheLimits(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	srv.Store.DB().Exec(`UPDATE sessions SET last_seen_at = now() - interval '29 minutes',
		created_at = now() - interval '13 days 23 hours' WHERE user_id = $1`, team.Owner.ID)
	if res := c.Get("/api/session"); res.StatusCode != http.StatusOK {
		t.Fatalf("session inside both limits refused: %d %s", res.StatusCode, res.Body)
	}
}

func TestTighterPolicyAppliesToExistingSessions(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Engineer.Email, apptest.Password)
	db := srv.Store.DB()
	db.Exec(`UPDATE sessions SET last_seen_at = now() - interval '20 minutes' WHERE user_id = $1`, team.Engineer.ID)
	db.Exec(`UPDATE accounts SET idle_minutes = 15 WHERE id = $1`, team.Account.ID)
	res := c.Get("/api/session")
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Body, "15 minutes of inactivity") {
		t.Errorf("after tightening to 15 minutes: %d %s", res.StatusCode, res.Body)
	}
}

func TestLastSeenWritesAreThrottled(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	db := srv.Store.DB()
	lastSeen := func() time.Time {
		var ts time.Time
		if err := db.Get(&ts, `SELECT last_seen_at FROM sessions WHERE user_id = $1`, team.Owner.ID); err != nil {
			t.Fatal(err)
		}
		return ts
	}
	first := lastSeen()
	for range 3 {
		c.Get("/api/session")
	}
	if got := lastSeen(); !got.Equal(first) {
		t.Errorf("last_seen_at moved within a minute: %v -> %v", first, got)
	}
	db.Exec(`UPDATE sessions SET last_seen_at = now() - interval '2 minutes' WHERE user_id = $1`, team.Owner.ID)
	aged := lastSeen()
	c.Get("/api/session")
	if got := lastSeen(); !got.After(aged.Add(time.Minute)) {
		t.Errorf("last_seen_at not refreshed after 2 minutes: %v -> %v", aged, got)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	stolen := c.HTTP.Jar.Cookies(mustURL(srv.URL))

	res := c.PostForm("/logout", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?reason=logout" {
		t.Fatalf("logout: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if !strings.Contains(res.Header.Get("Clear-Site-Data"), "cookies") {
		t.Errorf("logout without Clear-Site-Data")
	}
	replay := srv.NewClient(t)
	replay.HTTP.Jar.SetCookies(mustURL(srv.URL), stolen)
	if res := replay.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("replayed cookie after logout: %d", res.StatusCode)
	}
	var reason string
	srv.Store.DB().Get(&reason, `SELECT revoked_reason FROM sessions WHERE user_id = $1`, team.Owner.ID)
	if reason != "logout" {
		t.Errorf("revoked_reason = %q, want logout", reason)
	}
	var n int
	srv.Store.DB().Get(&n, `SELECT count(*) FROM audit_events WHERE account_id = $1 AND action = 'auth.logout'`, team.Account.ID)
	if n != 1 {
		t.Errorf("auth.logout rows = %d", n)
	}
}

func TestEachSignInIsANewSession(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	if res := c.LoginAs(team.Owner.Email, apptest.Password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d", res.StatusCode)
	}
	var active, total int
	db := srv.Store.DB()
	db.Get(&total, `SELECT count(*) FROM sessions WHERE user_id = $1`, team.Owner.ID)
	db.Get(&active, `SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, team.Owner.ID)
	if total != 2 || active != 1 {
		t.Errorf("sessions total=%d active=%d, want 2 and 1 (the old one replaced)", total, active)
	}
}

func TestEngineerGetsForbiddenOnOwnerPages(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Engineer.Email, apptest.Password)
	res := c.Get("/settings/security")
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, "Only account owners") || !strings.Contains(res.Body, "<html") {
		t.Errorf("engineer on owner page: %d", res.StatusCode)
	}
	var n int
	srv.Store.DB().Get(&n, `SELECT count(*) FROM audit_events WHERE account_id = $1 AND action = 'auth.forbidden'`, team.Account.ID)
	if n != 1 {
		t.Errorf("refusal audited %d times, want 1", n)
	}
}

func TestBadCookiesAreASignInRedirect(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	good := srv.Login(t, team.Owner.Email, apptest.Password)
	cookies := good.HTTP.Jar.Cookies(mustURL(srv.URL))
	for _, ck := range cookies {
		if ck.Name == "curfew" {
			ck.Value = ck.Value[:len(ck.Value)-4] + "AAAA"
		}
	}
	for name, value := range map[string]string{"garbage": "not-a-cookie", "tampered": ""} {
		t.Run(name, func(t *testing.T) {
			c := srv.NewClient(t)
			if value != "" {
				c.HTTP.Jar.SetCookies(mustURL(srv.URL), []*http.Cookie{{Name: "curfew", Value: value}})
			} else {
				c.HTTP.Jar.SetCookies(mustURL(srv.URL), cookies)
			}
			res := c.Get("/settings/security")
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
				t.Errorf("got %d %s, want a redirect to /login", res.StatusCode, res.Header.Get("Location"))
			}
		})
	}
	// A cookie signed with another deployment's key is unknown here.
	other := apptest.NewServer(t, apptest.WithEnv("CURFEW_SESSION_KEYS", "another-deployments-key-0123456789abcdef"))
	c := other.NewClient(t)
	c.HTTP.Jar.SetCookies(mustURL(other.URL), good.HTTP.Jar.Cookies(mustURL(srv.URL)))
	if res := c.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("foreign-key cookie: %d", res.StatusCode)
	}
}

func TestKeyRotationKeepsOldCookiesValid(t *testing.T) {
	t.Parallel()
	oldKey := apptest.SharedKey
	newKey := "the-new-cookie-key-after-rotation-0123456789"
	before := apptest.NewServer(t)
	team := apptest.NewTeam(t, before.Store)
	c := before.Login(t, team.Owner.Email, apptest.Password)
	jar := c.HTTP.Jar.Cookies(mustURL(before.URL))

	rotated := apptest.NewServer(t, apptest.WithEnv("CURFEW_SESSION_KEYS", newKey+","+oldKey))
	rc := rotated.NewClient(t)
	rc.HTTP.Jar.SetCookies(mustURL(rotated.URL), jar)
	if res := rc.Get("/api/session"); res.StatusCode != http.StatusOK {
		t.Errorf("old cookie during rotation: %d", res.StatusCode)
	}
	removed := apptest.NewServer(t, apptest.WithEnv("CURFEW_SESSION_KEYS", newKey))
	xc := removed.NewClient(t)
	xc.HTTP.Jar.SetCookies(mustURL(removed.URL), jar)
	if res := xc.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("old cookie after its key was removed: %d", res.StatusCode)
	}
}

func TestCSRFRequiredOnUnsafeRequests(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	res := c.Do(http.MethodPost, "/logout", nil, http.Header{"X-CSRF-Token": {"wrong"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("logout with a bad token: %d, want 403", res.StatusCode)
	}
	res = c.Do(http.MethodPost, "/logout", nil, http.Header{"Sec-Fetch-Site": {"cross-site"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site logout: %d, want 403", res.StatusCode)
	}
	if res := c.Get("/api/session"); res.StatusCode != http.StatusOK {
		t.Errorf("session ended by a refused request: %d", res.StatusCode)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	c := srv.NewClient(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if res := c.Get(p); res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
	}
	c.Get("/login")
	if res := c.Get("/metrics"); !strings.Contains(res.Body, `curfew_http_requests_total{code="200",method="GET",route="/login"}`) {
		t.Errorf("metrics do not count /login requests")
	}
}

func TestSessionIsOnlyReadFromItsOwnAccount(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	a := apptest.NewTeam(t, srv.Store)
	b := apptest.NewTeam(t, srv.Store)
	ca := srv.Login(t, a.Owner.Email, apptest.Password)
	var body struct {
		Account struct{ ID int64 } `json:"account"`
	}
	ca.Get("/api/session").JSON(&body)
	if body.Account.ID != a.Account.ID || body.Account.ID == b.Account.ID {
		t.Errorf("account %d, want %d", body.Account.ID, a.Account.ID)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
