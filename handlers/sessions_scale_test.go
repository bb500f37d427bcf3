package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"curfew/internal/apptest"
	"curfew/policy"
	"curfew/store"
)

const firefoxWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"

type apiSessions struct {
	Sessions []struct {
		ID   string `json:"id"`
		User struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
		} `json:"user"`
		EndedAt     *time.Time `json:"ended_at"`
		EndedReason string     `json:"ended_reason"`
		EndedBy     *struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
		} `json:"ended_by"`
		EndedBecause string `json:"ended_because"`
	} `json:"sessions"`
	NextAfter *string `json:"next_after"`
}

func (a apiSessions) ids() []string {
	var out []string
	for _, s := range a.Sessions {
		out = append(out, s.ID)
	}
	return out
}

// TestSessionSearch: ?q= finds sessions by person, email, browser text and
// IP on the page and in the API, treats % and _ as themselves, stays in the
// account, and names q when it is too long.
func TestSessionSearch(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	other := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	srv.Login(t, other.Engineer.Email, apptest.Password)
	db := srv.Store.DB()
	ownerID := sessionIDOf(t, srv, team.Owner.ID, 0)
	fox := sessionIDOf(t, srv, team.Engineer.ID, 0)
	mac := sessionIDOf(t, srv, team.Engineer.ID, 1)
	otherID := sessionIDOf(t, srv, other.Engineer.ID, 0)
	db.MustExec(`UPDATE sessions SET user_agent = $2, ip = '203.0.113.9' WHERE id = $1`, fox, firefoxWindows)
	db.MustExec(`UPDATE sessions SET user_agent = $2, ip = '198.51.100.7' WHERE id = $1`, mac, macChrome)
	db.MustExec(`UPDATE sessions SET user_agent = $2 WHERE id = $1`, otherID, firefoxWindows)

	tests := []struct {
		name, q string
		want    []string
	}{
		{"browser text", "firefox", []string{fox}},
		{"IP", "198.51.100", []string{mac}},
		{"email of a person", "engineer-", []string{fox, mac}},
		{"owner by email", strings.Split(team.Owner.Email, "@")[0], []string{ownerID}},
		{"percent is a percent", "10%15", nil},
		{"underscore is an underscore", "198_51", nil},
		{"underscore matches itself", "10_15_7", []string{mac}},
		{"nothing", "no such thing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := owner.Get("/settings/security/sessions?q=" + url.QueryEscape(tt.q))
			if page.StatusCode != http.StatusOK {
				t.Fatalf("page status %d", page.StatusCode)
			}
			rows := sessionRowsOf(t, page.Body)
			if len(rows) != len(tt.want) {
				t.Errorf("page rows %v, want %v", rows, tt.want)
			}
			for _, id := range tt.want {
				if _, ok := rows[id]; !ok {
					t.Errorf("page lacks %s", id)
				}
			}
			if len(tt.want) == 0 && !strings.Contains(page.Body, "No active session matches") {
				t.Error("an empty search result does not say so")
			}
			var got apiSessions
			res := owner.Get("/api/accounts/me/sessions?q=" + url.QueryEscape(tt.q))
			res.JSON(&got)
			if res.StatusCode != http.StatusOK || len(got.Sessions) != len(tt.want) {
				t.Errorf("API %d %v, want %v", res.StatusCode, got.ids(), tt.want)
			}
		})
	}

	long := strings.Repeat("x", 101)
	for _, path := range []string{"/api/accounts/me/sessions?q=" + long, "/settings/security/sessions?q=" + long,
		"/api/accounts/me/sessions?state=gone", "/api/accounts/me/sessions?state=people"} {
		res := owner.Get(path)
		if res.StatusCode != http.StatusUnprocessableEntity || !(strings.Contains(res.Body, "must be at most 100 characters") || strings.Contains(res.Body, "must be one of active")) {
			t.Errorf("GET %s = %d %s, want 422 naming the parameter", path[:40], res.StatusCode, res.Body[:min(len(res.Body), 200)])
		}
	}
}

// TestEndedSessionsLedger: every way a session ends lands in the ledger,
// newest first, with its reason, who ended it and the words the sign-in page
// uses; ?q= searches it; another account's are not there.
func TestEndedSessionsLedger(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	other := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	ownerElsewhere := srv.Login(t, team.Owner.Email, apptest.Password)
	eng := srv.Login(t, team.Engineer.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	otherOwner := srv.Login(t, other.Owner.Email, apptest.Password)
	ctx := context.Background()
	engLogout := sessionIDOf(t, srv, team.Engineer.ID, 0)
	engRevoked := sessionIDOf(t, srv, team.Engineer.ID, 1)
	engIdle := sessionIDOf(t, srv, team.Engineer.ID, 2)
	ownerOther := sessionIDOf(t, srv, team.Owner.ID, 1)
	_ = ownerElsewhere

	// The engineer signs out; the owner ends one session; one idles out.
	if res := eng.PostForm("/logout", nil); res.StatusCode >= 400 {
		t.Fatalf("logout %d", res.StatusCode)
	}
	time.Sleep(5 * time.Millisecond)
	if res := owner.PostForm("/settings/security/sessions/"+engRevoked+"/revoke", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("end = %d", res.StatusCode)
	}
	time.Sleep(5 * time.Millisecond)
	if err := srv.Store.EndSessionOnUse(ctx, engIdle, policy.ReasonIdle, 30, time.Now()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	// Sign-out-everywhere of everyone but the owner ends the owner's other one.
	if res := owner.SendJSON(http.MethodPost, "/api/accounts/me/security/revoke-sessions", `{"scope":"others"}`); res.StatusCode != http.StatusOK {
		t.Fatalf("revoke others %d %s", res.StatusCode, res.Body)
	}
	if res := otherOwner.PostForm("/logout", nil); res.StatusCode >= 400 {
		t.Fatalf("other logout %d", res.StatusCode)
	}

	var got apiSessions
	res := owner.Get("/api/accounts/me/sessions?state=ended")
	res.JSON(&got)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("ended = %d %s", res.StatusCode, res.Body)
	}
	want := []struct {
		id, reason string
		by         int64
		because    string
	}{
		{ownerOther, "revoked_others", team.Owner.ID, "Signed out everywhere by " + team.Owner.Email},
		{engIdle, "idle", 0, "Signed out after 30 minutes of inactivity"},
		{engRevoked, "revoked", team.Owner.ID, "Ended by " + team.Owner.Email},
		{engLogout, "logout", team.Engineer.ID, "Signed out"},
	}
	if len(got.Sessions) != len(want) {
		t.Fatalf("ended sessions %v, want 4 (none of the other account's)", got.ids())
	}
	for i, w := range want {
		g := got.Sessions[i]
		if g.ID != w.id || g.EndedReason != w.reason || g.EndedAt == nil || !strings.HasPrefix(g.EndedBecause, w.because) {
			t.Errorf("#%d = %s %q %q, want %s %q %q", i, g.ID, g.EndedReason, g.EndedBecause, w.id, w.reason, w.because)
		}
		switch {
		case w.by == 0 && g.EndedBy != nil:
			t.Errorf("#%d ended_by %+v, want null", i, g.EndedBy)
		case w.by != 0 && (g.EndedBy == nil || g.EndedBy.ID != w.by):
			t.Errorf("#%d ended_by %+v, want user %d", i, g.EndedBy, w.by)
		}
	}

	// Search and pages.
	res = owner.Get("/api/accounts/me/sessions?state=ended&q=" + url.QueryEscape(team.Engineer.Email))
	got = apiSessions{}
	res.JSON(&got)
	if len(got.Sessions) != 3 {
		t.Errorf("search of the ledger by the engineer's email: %v", got.ids())
	}
	res = owner.Get("/api/accounts/me/sessions?state=ended&limit=3")
	got = apiSessions{}
	res.JSON(&got)
	if len(got.Sessions) != 3 || got.NextAfter == nil {
		t.Fatalf("first page of 3: %v next %v", got.ids(), got.NextAfter)
	}
	res = owner.Get("/api/accounts/me/sessions?state=ended&limit=3&after=" + url.QueryEscape(*got.NextAfter))
	got = apiSessions{}
	res.JSON(&got)
	if len(got.Sessions) != 1 || got.Sessions[0].ID != engLogout || got.NextAfter != nil {
		t.Errorf("second page: %v", got.ids())
	}

	// The page says the same, in the same words.
	page := owner.Get("/settings/security/sessions?state=ended")
	if page.StatusCode != http.StatusOK || strings.Count(page.Body, `data-testid="ended-row"`) != 4 {
		t.Fatalf("ledger page %d with %d rows", page.StatusCode, strings.Count(page.Body, `data-testid="ended-row"`))
	}
	for _, w := range []string{"Signed out after 30 minutes of inactivity", "Ended by " + team.Owner.Email, `aria-current="page"`} {
		if !strings.Contains(page.Body, w) {
			t.Errorf("ledger page lacks %q", w)
		}
	}
	if res := eng.Get("/api/accounts/me/sessions?state=ended"); res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusForbidden {
		t.Errorf("a signed-out engineer reads the ledger: %d", res.StatusCode)
	}
}

// TestSignOutPerson: the grouped list counts each person's sessions; signing
// one person out needs the password outside the sudo window, ends only that
// person's sessions and writes one person.sessions_revoke row; a person of
// another account is not found.
func TestSignOutPerson(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	other := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	e1 := srv.Login(t, team.Engineer.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	otherEng := srv.Login(t, other.Engineer.Email, apptest.Password)
	db := srv.Store.DB()

	page := owner.Get("/settings/security/sessions?state=people")
	if page.StatusCode != http.StatusOK || strings.Count(page.Body, `data-testid="person-row"`) != 2 {
		t.Fatalf("people page %d with %d people", page.StatusCode, strings.Count(page.Body, `data-testid="person-row"`))
	}
	if !strings.Contains(page.Body, "Sign "+team.Engineer.Email+" out of 2 sessions?") {
		t.Error("the confirmation does not name the person and count")
	}

	path := "/settings/security/people/" + strconv.FormatInt(team.Engineer.ID, 10) + "/revoke-sessions"
	db.MustExec(`UPDATE sessions SET authenticated_at = now() - interval '20 minutes' WHERE user_id = $1`, team.Owner.ID)
	res := owner.PostForm(path, nil)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Enter your password to sign this person out.") {
		t.Fatalf("outside the sudo window = %d, want 422 asking for the password", res.StatusCode)
	}
	wantWorking(t, srv.URL, signedInCookie(t, e1, srv), "engineer before the password")

	res = owner.PostForm(path, url.Values{"password": {apptest.Password}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "signed_out=2") {
		t.Fatalf("with the password = %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	wantRefused(t, srv.URL, signedInCookie(t, e1, srv), "engineer")
	wantWorking(t, srv.URL, signedInCookie(t, owner, srv), "owner")
	wantWorking(t, srv.URL, signedInCookie(t, otherEng, srv), "other account's engineer")
	rows := auditPayloads(t, srv, team.Account.ID, store.ActionPersonSessionsRevoke)
	if len(rows) != 1 || rows[0]["user_id"] != float64(team.Engineer.ID) || rows[0]["revoked_count"] != float64(2) {
		t.Errorf("audit rows %v, want one with user_id and revoked_count 2", rows)
	}
	audit := owner.Get("/settings/audit")
	if !strings.Contains(audit.Body, "out of 2 sessions") || !strings.Contains(audit.Body, "Person signed out") {
		t.Error("the audit log does not say who was signed out of how many sessions, or lacks the filter")
	}
	var by []int64
	db.Select(&by, `SELECT revoked_by_user_id FROM sessions WHERE user_id = $1`, team.Engineer.ID)
	if len(by) != 2 || by[0] != team.Owner.ID || by[1] != team.Owner.ID {
		t.Errorf("revoked_by_user_id %v, want the owner on both", by)
	}

	for _, p := range []string{"/settings/security/people/" + strconv.FormatInt(other.Engineer.ID, 10) + "/revoke-sessions",
		"/settings/security/people/x/revoke-sessions"} {
		if res := owner.PostForm(p, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s = %d, want 404", p, res.StatusCode)
		}
	}
	if res := owner.SendJSON(http.MethodDelete, "/api/accounts/me/people/"+strconv.FormatInt(other.Engineer.ID, 10)+"/sessions", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("API sign-out of another account's person = %d, want 404", res.StatusCode)
	}
	wantWorking(t, srv.URL, signedInCookie(t, otherEng, srv), "other account's engineer")
}

// TestSessionRowsSayWhatTheyAre: a browser session with no user agent reads
// "Unrecognised browser" with the raw text on hover, an API client says so,
// and ending a session swaps the heading's count out of band.
func TestSessionRowsSayWhatTheyAre(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	tokenSignIn(t, srv, team.Engineer.Email)
	db := srv.Store.DB()
	blank := sessionIDOf(t, srv, team.Engineer.ID, 0)
	odd := sessionIDOf(t, srv, team.Engineer.ID, 1)
	api := sessionIDOf(t, srv, team.Engineer.ID, 2)
	db.MustExec(`UPDATE sessions SET user_agent = '' WHERE id = $1`, blank)
	db.MustExec(`UPDATE sessions SET user_agent = 'zz-unknown-thing' WHERE id = $1`, odd)

	page := owner.Get("/settings/security/sessions")
	rows := sessionRowsOf(t, page.Body)
	if !strings.Contains(rows[blank], "Unrecognised browser") || !strings.Contains(rows[odd], "zz-unknown-thing") {
		t.Errorf("rows %q / %q, want Unrecognised browser", rows[blank], rows[odd])
	}
	if !strings.Contains(page.Body, `title="zz-unknown-thing"`) {
		t.Error("the raw user agent is not on hover")
	}
	if !strings.Contains(rows[api], "API client") || strings.Contains(page.Body, "Unknown browser") {
		t.Errorf("API row %q", rows[api])
	}

	res := owner.PostFormHTMX("/settings/security/sessions/"+blank+"/revoke", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `id="sessions-summary"`) ||
		!strings.Contains(res.Body, `hx-swap-oob`) || !strings.Contains(res.Body, "3 active sessions of 2 people") {
		t.Errorf("htmx end = %d %s, want the new count out of band", res.StatusCode, res.Body)
	}
}

// TestSignOutEverywhereDefaults: the confirmation starts on "everyone but
// me"; a page without htmx names no count on its button that the choice could
// contradict; the password prompt says what is being done.
func TestSignOutEverywhereDefaults(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)

	plain := owner.PostForm("/settings/security/revoke-sessions/confirm", nil)
	if plain.StatusCode != http.StatusOK || !strings.Contains(plain.Body, `value="others" checked`) {
		t.Fatalf("confirm = %d; everyone but me is not preselected", plain.StatusCode)
	}
	if !strings.Contains(plain.Body, "Sign out the sessions chosen above") || strings.Contains(plain.Body, ">Sign out 2 sessions<") {
		t.Error("without htmx the confirm button names a count")
	}
	live := owner.PostFormHTMX("/settings/security/revoke-sessions/confirm", url.Values{"scope": {"all"}})
	if !strings.Contains(live.Body, "Sign out 2 sessions") {
		t.Error("with htmx the button does not name the count of the choice")
	}

	srv.Store.DB().MustExec(`UPDATE sessions SET authenticated_at = now() - interval '20 minutes' WHERE user_id = $1`, team.Owner.ID)
	for scope, want := range map[string]string{"others": "to sign everyone else out.", "all": "to sign everyone out."} {
		res := owner.PostForm("/settings/security/revoke-sessions", url.Values{"scope": {scope}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "Enter your password "+want) {
			t.Errorf("%s without the password = %d, want the prompt %q", scope, res.StatusCode, want)
		}
	}
}

// TestSignOutPersonUnderRoleLimits: with owners held to limits of their own,
// the people list and "Sign out this person" hold each session to its role's
// limits (they used the one-policy SQL with the by-role arguments, and failed).
func TestSignOutPersonUnderRoleLimits(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	if res := owner.SendJSON(http.MethodPatch, "/api/accounts/me/security",
		map[string]any{"roles": map[string]any{"owner": map[string]any{"idle_minutes": 15, "absolute_minutes": 720}}}); res.StatusCode != http.StatusOK {
		t.Fatalf("owners' limits: %d %s", res.StatusCode, res.Body)
	}
	if page := owner.Get("/settings/security/sessions?state=people"); page.StatusCode != http.StatusOK || strings.Count(page.Body, `data-testid="person-row"`) != 2 {
		t.Fatalf("people page under role limits: %d", page.StatusCode)
	}
	path := "/settings/security/people/" + strconv.FormatInt(team.Engineer.ID, 10) + "/revoke-sessions"
	if res := owner.PostForm(path, nil); res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "signed_out=2") {
		t.Fatalf("sign out the engineer under role limits = %d %q %s", res.StatusCode, res.Header.Get("Location"), res.Body)
	}
}
