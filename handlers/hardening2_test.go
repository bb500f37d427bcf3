package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"curfew/internal/apptest"
)

// ageSudo puts a user's sessions outside the 15-minute sudo window.
func ageSudo(t *testing.T, srv *apptest.Server, userID int64) {
	t.Helper()
	srv.Store.DB().MustExec(`UPDATE sessions SET authenticated_at = now() - interval '20 minutes' WHERE user_id = $1`, userID)
}

// Outside the sudo window, ending another person's session, one at a time,
// needs the password as sign-out-everywhere does; ending one's own does not.
func TestEndingAnotherPersonsSessionNeedsTheSudoWindow(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	ownLaptop := srv.Login(t, team.Owner.Email, apptest.Password)
	laptopID := sessionIDOf(t, srv, team.Owner.ID, 1)
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)
	engineerID := sessionIDOf(t, srv, team.Engineer.ID, 0)
	ageSudo(t, srv, team.Owner.ID)

	t.Run("API", func(t *testing.T) {
		res := owner.Do(http.MethodDelete, "/api/accounts/me/sessions/"+engineerID, nil, nil)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, `"error":"reauth_required"`) {
			t.Errorf("DELETE another person's session: %d %s, want 403 reauth_required", res.StatusCode, res.Body)
		}
		wantWorking(t, srv.URL, signedInCookie(t, engineer, srv), "engineer after the refused DELETE")
		if n := auditCount(t, srv, team.Account.ID, `action = 'session.revoke'`); n != 0 {
			t.Errorf("a refused DELETE wrote %d session.revoke rows", n)
		}
		if res := owner.Do(http.MethodDelete, "/api/accounts/me/sessions/00000000-0000-0000-0000-000000000000", nil, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("DELETE of no session: %d, want 404", res.StatusCode)
		}
	})

	t.Run("page", func(t *testing.T) {
		list := owner.Get("/settings/security/sessions")
		if !strings.Contains(list.Body, `id="end-password-`+engineerID+`"`) {
			t.Errorf("the End form of the engineer's session does not ask for the password")
		}
		if strings.Contains(list.Body, `id="end-password-`+laptopID+`"`) {
			t.Errorf("the End form of the owner's own other session asks for the password")
		}
		path := "/settings/security/sessions/" + engineerID + "/revoke"
		for _, tt := range []struct{ name, password, want string }{
			{"no password", "", "Enter your password to end this session."},
			{"wrong password", "not it", "That password is not right."},
		} {
			for _, htmx := range []bool{false, true} {
				form := url.Values{"password": {tt.password}}
				post := owner.PostForm
				if htmx {
					post = owner.PostFormHTMX
				}
				res := post(path, form)
				if htmx {
					if res.Header.Get("HX-Retarget") != "#session-"+engineerID || res.Header.Get("HX-Reswap") != "outerHTML" {
						t.Errorf("%s (htmx): retarget %q %q, want the row", tt.name, res.Header.Get("HX-Retarget"), res.Header.Get("HX-Reswap"))
					}
				}
				if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, tt.want) ||
					!strings.Contains(res.Body, `id="end-password-error-`+engineerID+`"`) || !strings.Contains(res.Body, "<details") {
					t.Errorf("%s (htmx %v): %d, want 422 with %q by the field\n%s", tt.name, htmx, res.StatusCode, tt.want, res.Body)
				}
			}
		}
		wantWorking(t, srv.URL, signedInCookie(t, engineer, srv), "engineer after refused page posts")

		// One's own other session ends without the password.
		if res := owner.PostForm("/settings/security/sessions/"+laptopID+"/revoke", nil); res.StatusCode != http.StatusSeeOther {
			t.Errorf("ending the owner's own other session: %d, want 303", res.StatusCode)
		}
		if status, _, body := replayCookie(t, srv.URL, signedInCookie(t, ownLaptop, srv), "/api/session", nil); status != http.StatusUnauthorized {
			t.Errorf("the owner's ended laptop session still works: %d %s", status, body)
		}

		res := owner.PostFormHTMX(path, url.Values{"password": {apptest.Password}})
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `data-testid="session-ended"`) {
			t.Fatalf("with the password: %d\n%s", res.StatusCode, res.Body)
		}
		wantRefused(t, srv.URL, signedInCookie(t, engineer, srv), "engineer")
	})
}

// The API ends another person's session once the window is renewed.
func TestDeleteAnotherPersonsSessionAfterReauth(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	engineerID := sessionIDOf(t, srv, team.Engineer.ID, 0)
	ageSudo(t, srv, team.Owner.ID)

	if res := owner.Do(http.MethodDelete, "/api/accounts/me/sessions/"+engineerID, nil, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("outside the window: %d", res.StatusCode)
	}
	if res := owner.SendJSON(http.MethodPost, "/api/session/reauth", map[string]string{"password": apptest.Password}); res.StatusCode != http.StatusOK {
		t.Fatalf("reauth: %d %s", res.StatusCode, res.Body)
	}
	if res := owner.Do(http.MethodDelete, "/api/accounts/me/sessions/"+engineerID, nil, nil); res.StatusCode != http.StatusNoContent {
		t.Errorf("after reauth: %d %s, want 204", res.StatusCode, res.Body)
	}
}

// A second request on a session already ended for idleness (or its absolute
// lifetime) says why with the numbers it ended by, on the API and the page,
// even after the policy changed.
func TestASessionEndedByExpirySaysSoAgain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, age, tighten, api, page string
	}{
		{"idle", `last_seen_at = now() - interval '31 minutes'`, `idle_minutes = 10`,
			"after 30 minutes of inactivity", "signed out after 30 minutes of inactivity"},
		{"absolute", `created_at = now() - interval '14 days 1 minute'`, `absolute_minutes = 600, idle_minutes = 10`,
			"sessions last at most 14 days", "sessions last at most 14 days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := apptest.NewServer(t)
			team := apptest.NewTeam(t, srv.Store)
			ck := signedInCookie(t, srv.Login(t, team.Owner.Email, apptest.Password), srv)
			srv.Store.DB().MustExec(`UPDATE sessions SET `+tc.age+` WHERE user_id = $1`, team.Owner.ID)

			// The first request finds the session over and records it.
			if status, _, body := replayCookie(t, srv.URL, ck, "/api/session", nil); status != http.StatusUnauthorized || !strings.Contains(body, tc.api) {
				t.Fatalf("first request: %d %s", status, body)
			}
			srv.Store.DB().MustExec(`UPDATE accounts SET `+tc.tighten+` WHERE id = $1`, team.Account.ID)
			for i := range 2 {
				status, _, body := replayCookie(t, srv.URL, ck, "/api/session", nil)
				if status != http.StatusUnauthorized || !strings.Contains(body, tc.api) {
					t.Errorf("API, request %d after the end: %d %s, want it to say %q", i+2, status, body, tc.api)
				}
				status, h, _ := replayCookie(t, srv.URL, ck, "/settings/security", nil)
				loc := h.Get("Location")
				if status != http.StatusSeeOther || !strings.Contains(loc, "reason="+tc.name) {
					t.Fatalf("page: %d to %q, want the sign-in page with reason %s", status, loc, tc.name)
				}
				if page := srv.NewClient(t).Get(loc); !strings.Contains(page.Body, tc.page) {
					t.Errorf("sign-in page after %q does not say %q", loc, tc.page)
				}
			}
		})
	}
}

// A client that gives up on a sign-in after its attempt was counted: the
// attempt is still audited, and the server logs no error for it.
func TestAClientThatLeavesMidSignInIsAuditedAndNotAnError(t *testing.T) {
	t.Parallel()
	srv, logs := newLoggedServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.NewClient(t)
	c.CSRF = c.Get("/login").FormCSRF()

	ctx, cancel := context.WithCancel(t.Context())
	form := url.Values{"email": {team.Owner.Email}, "password": {"guess"}, "_csrf": {c.CSRF}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	done := make(chan error, 1)
	go func() {
		res, err := c.HTTP.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	// Leave as soon as the attempt is counted, while the password is checked.
	deadline := time.Now().Add(5 * time.Second)
	for attemptRows(t, srv, `email = $1`, team.Owner.Email) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the attempt was never counted")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the request finished before the client left; the test proves nothing")
	}
	for auditCount(t, srv, team.Account.ID, `action = 'auth.login_failed'`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the counted attempt of a client that left was not audited")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The handler has returned by now; give the request log its line.
	for !strings.Contains(logs.String(), `"status":499`) {
		if time.Now().After(deadline) {
			t.Fatalf("no request line with status 499:\n%s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("a client leaving logged an error:\n%s", logs.String())
	}
}
