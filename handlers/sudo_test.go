package handlers_test

import (
	"net/http"
	"testing"

	"curfew/internal/apptest"
)

// ASVS 7.2.4: re-authentication issues a new session token; the cookie from
// before stops working.
func TestReauthRotatesTheSessionToken(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	before := c.HTTP.Jar.Cookies(mustURL(srv.URL))

	if res := c.SendJSON(http.MethodPost, "/api/session/reauth", map[string]string{"password": apptest.Password}); res.StatusCode != http.StatusOK {
		t.Fatalf("reauth: %d %s", res.StatusCode, res.Body)
	}
	if res := c.Get("/api/session"); res.StatusCode != http.StatusOK {
		t.Errorf("the re-authenticated browser was signed out: %d", res.StatusCode)
	}
	old := srv.NewClient(t)
	old.HTTP.Jar.SetCookies(mustURL(srv.URL), before)
	if res := old.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the cookie from before re-authentication still works: %d", res.StatusCode)
	}
	var sessions int
	srv.Store.DB().Get(&sessions, `SELECT count(*) FROM sessions WHERE user_id = $1`, team.Owner.ID)
	if sessions != 1 {
		t.Errorf("re-authentication made %d sessions, want the same one", sessions)
	}
}

// Password guesses through re-authentication count against the sign-in limit.
func TestReauthGuessesAreThrottled(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t, apptest.WithEnv("CURFEW_LOGIN_LIMIT_PER_ACCOUNT", "3"))
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	for i := range 3 {
		if res := c.SendJSON(http.MethodPost, "/api/session/reauth", map[string]string{"password": "guess"}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d: %d %s", i+1, res.StatusCode, res.Body)
		}
	}
	res := c.SendJSON(http.MethodPost, "/api/session/reauth", map[string]string{"password": apptest.Password})
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("fourth attempt: %d Retry-After=%q, want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
}
