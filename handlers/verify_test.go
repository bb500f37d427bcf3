package handlers_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"curfew/internal/apptest"
)

// A proxy's check of a signed-in browser names the person in headers, with an
// empty body and no cookie of any kind.
func TestVerifyNamesTheSignedInPerson(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	res := c.Get("/auth/verify")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /auth/verify: %d %s", res.StatusCode, res.Body)
	}
	if res.Body != "" {
		t.Errorf("body = %q, want empty", res.Body)
	}
	if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("a 200 set cookies: %q", sc)
	}
	var sessionID string
	if err := srv.Store.DB().Get(&sessionID, `SELECT id FROM sessions WHERE user_id = $1`, team.Owner.ID); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"X-Curfew-User-Id":    strconv.FormatInt(team.Owner.ID, 10),
		"X-Curfew-User-Email": team.Owner.Email,
		"X-Curfew-Role":       "owner",
		"X-Curfew-Account-Id": strconv.FormatInt(team.Account.ID, 10),
		"X-Curfew-Session-Id": sessionID,
		"Cache-Control":       "no-store",
	}
	for k, v := range want {
		if got := res.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	idle, err1 := time.Parse(time.RFC3339, res.Header.Get("X-Curfew-Idle-Expires-At"))
	abs, err2 := time.Parse(time.RFC3339, res.Header.Get("X-Curfew-Absolute-Expires-At"))
	if err1 != nil || err2 != nil {
		t.Fatalf("expiry headers are not RFC 3339 times: %v, %v", err1, err2)
	}
	if d := time.Until(idle); d < 29*time.Minute || d > 31*time.Minute {
		t.Errorf("idle expiry in %v, want about 30 minutes", d)
	}
	if d := time.Until(abs); d < 14*24*time.Hour-time.Hour || d > 14*24*time.Hour+time.Minute {
		t.Errorf("absolute expiry in %v, want about 14 days", d)
	}
	if res.Header.Get("X-Curfew-Reason") != "" {
		t.Errorf("a 200 carries X-Curfew-Reason %q", res.Header.Get("X-Curfew-Reason"))
	}

	// HEAD answers the same; proxies ask with GET, and nothing else is taken.
	if res := c.Do(http.MethodHead, "/auth/verify", nil, nil); res.StatusCode != http.StatusOK || res.Header.Get("X-Curfew-User-Email") != team.Owner.Email {
		t.Errorf("HEAD /auth/verify: %d %q", res.StatusCode, res.Header.Get("X-Curfew-User-Email"))
	}
	if res := c.Do(http.MethodPost, "/auth/verify", nil, nil); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /auth/verify: %d, want 405", res.StatusCode)
	}
}

// Without a session the answer is 401 with the reason "none", also for a
// cookie that fails to verify, and nothing is set on the browser.
func TestVerifyWithoutASession(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	for name, cookie := range map[string]string{"no cookie": "", "forged cookie": "curfew=forged-value"} {
		t.Run(name, func(t *testing.T) {
			c := srv.NewClient(t)
			h := http.Header{}
			if cookie != "" {
				h.Set("Cookie", cookie)
			}
			res := c.Do(http.MethodGet, "/auth/verify", nil, h)
			if res.StatusCode != http.StatusUnauthorized || res.Header.Get("X-Curfew-Reason") != "none" {
				t.Errorf("%d reason %q, want 401 none", res.StatusCode, res.Header.Get("X-Curfew-Reason"))
			}
			if res.Header.Get("X-Curfew-User-Id") != "" || len(res.Header.Values("Set-Cookie")) != 0 {
				t.Errorf("a 401 names a user or sets cookies: %v", res.Header)
			}
		})
	}
}

// Each way a session ends is the reason of the proxy's 401, and an expiry the
// check finds is recorded on the session as a page request records it.
func TestVerifySaysWhyTheSessionEnded(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	db := srv.Store.DB()
	cases := []struct {
		name       string
		end        func(t *testing.T, team apptest.Team, c *apptest.Client)
		wantReason string
		wantRow    string
	}{
		{"idle", func(t *testing.T, team apptest.Team, c *apptest.Client) {
			db.MustExec(`UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE account_id = $1`, team.Account.ID)
		}, "idle", "idle"},
		{"absolute", func(t *testing.T, team apptest.Team, c *apptest.Client) {
			db.MustExec(`UPDATE sessions SET created_at = now() - interval '14 days 1 minute' WHERE account_id = $1`, team.Account.ID)
		}, "absolute", "absolute"},
		{"sign-out everywhere", func(t *testing.T, team apptest.Team, c *apptest.Client) {
			owner := srv.Login(t, team.Owner.Email, apptest.Password)
			if res := owner.SendJSON(http.MethodPost, "/api/accounts/me/security/revoke-sessions", map[string]string{"scope": "others"}); res.StatusCode != http.StatusOK {
				t.Fatalf("revoke: %d %s", res.StatusCode, res.Body)
			}
		}, "revoked", "revoked_others"},
		{"logout", func(t *testing.T, team apptest.Team, c *apptest.Client) {
			stolen := srv.NewClient(t) // the cookie as it was before sign-out
			stolen.HTTP.Jar.SetCookies(mustURL(srv.URL), c.HTTP.Jar.Cookies(mustURL(srv.URL)))
			if res := c.PostForm("/logout", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("logout: %d", res.StatusCode)
			}
			*c = *stolen
		}, "logout", "logout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			team := apptest.NewTeam(t, srv.Store)
			c := srv.Login(t, team.Engineer.Email, apptest.Password)
			tc.end(t, team, c)
			res := c.Get("/auth/verify")
			if res.StatusCode != http.StatusUnauthorized || res.Header.Get("X-Curfew-Reason") != tc.wantReason {
				t.Fatalf("%d reason %q, want 401 %s", res.StatusCode, res.Header.Get("X-Curfew-Reason"), tc.wantReason)
			}
			var reason string
			if err := db.Get(&reason, `SELECT coalesce(revoked_reason, '') FROM sessions WHERE user_id = $1`, team.Engineer.ID); err != nil {
				t.Fatal(err)
			}
			if reason != tc.wantRow {
				t.Errorf("session recorded as ended by %q, want %q", reason, tc.wantRow)
			}
			// Asked again, the same reason: the ended row now says it.
			if res := c.Get("/auth/verify"); res.Header.Get("X-Curfew-Reason") != tc.wantReason {
				t.Errorf("second check: reason %q, want %s", res.Header.Get("X-Curfew-Reason"), tc.wantReason)
			}
		})
	}
}

// ?role=owner lets owners through and refuses everyone else with 403; a role
// Curfew does not know is the proxy configuration's mistake, a 400 that says so.
func TestVerifyRole(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	eng := srv.Login(t, team.Engineer.Email, apptest.Password)
	cases := []struct {
		name string
		c    *apptest.Client
		path string
		want int
	}{
		{"owner at an owner location", owner, "/auth/verify?role=owner", http.StatusOK},
		{"engineer at an owner location", eng, "/auth/verify?role=owner", http.StatusForbidden},
		{"engineer at an engineer location", eng, "/auth/verify?role=engineer", http.StatusOK},
		{"owner at an engineer location", owner, "/auth/verify?role=engineer", http.StatusForbidden},
		{"unknown role", owner, "/auth/verify?role=admin", http.StatusBadRequest},
		{"nobody at an owner location", srv.NewClient(t), "/auth/verify?role=owner", http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.c.Get(tc.path)
			if res.StatusCode != tc.want {
				t.Errorf("GET %s: %d, want %d", tc.path, res.StatusCode, tc.want)
			}
		})
	}
	if res := owner.Get("/auth/verify?role=admin"); res.StatusCode == http.StatusBadRequest {
		var body struct {
			Fields map[string]string `json:"fields"`
		}
		res.JSON(&body)
		if body.Fields["role"] == "" {
			t.Errorf("the 400 does not name the role field: %s", res.Body)
		}
	}
}

// The check counts as activity, with the same once-a-minute write as pages.
func TestVerifyCountsAsActivity(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	db := srv.Store.DB()
	db.MustExec(`UPDATE sessions SET last_seen_at = now() - interval '25 minutes' WHERE user_id = $1`, team.Owner.ID)
	if res := c.Get("/auth/verify"); res.StatusCode != http.StatusOK {
		t.Fatalf("verify: %d", res.StatusCode)
	}
	var secs float64
	if err := db.Get(&secs, `SELECT extract(epoch FROM now() - last_seen_at) FROM sessions WHERE user_id = $1`, team.Owner.ID); err != nil {
		t.Fatal(err)
	}
	if idleFor := time.Duration(secs * float64(time.Second)); idleFor > time.Minute {
		t.Errorf("last_seen_at is %v old after a check, want it refreshed", idleFor)
	}
}
