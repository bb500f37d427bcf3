package handlers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"curfew/internal/apptest"
	"curfew/store"
)

// signedInCookie is the session cookie a client holds now, to replay later.
func signedInCookie(t *testing.T, c *apptest.Client, srv *apptest.Server) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(srv.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == "curfew" {
			return ck
		}
	}
	t.Fatal("client holds no session cookie")
	return nil
}

// replayCookie sends one GET with exactly this cookie, as a client that kept
// it would, and returns status, headers and body.
func replayCookie(t *testing.T, baseURL string, ck *http.Cookie, path string, h http.Header) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, baseURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// wantRefused checks that a cookie no longer opens anything: the API answers
// 401 JSON, a page redirects to the sign-in page saying why, and htmx is told
// to go there.
func wantRefused(t *testing.T, baseURL string, ck *http.Cookie, who string) {
	t.Helper()
	status, _, body := replayCookie(t, baseURL, ck, "/api/session", nil)
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal([]byte(body), &e)
	if status != http.StatusUnauthorized || e.Error != "session_expired" {
		t.Errorf("%s: API answered %d %s, want 401 session_expired", who, status, body)
	}
	status, h, _ := replayCookie(t, baseURL, ck, "/me/sessions", nil)
	if loc := h.Get("Location"); status != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?") || !strings.Contains(loc, "reason=revoked") {
		t.Errorf("%s: page answered %d to %q, want 303 to /login?reason=revoked", who, status, loc)
	}
	status, h, body = replayCookie(t, baseURL, ck, "/me/sessions", http.Header{"Hx-Request": {"true"}})
	if hx := h.Get("HX-Redirect"); !strings.HasPrefix(hx, "/login?") || !strings.Contains(hx, "reason=revoked") || strings.Contains(body, "<html") {
		t.Errorf("%s: htmx answered %d with HX-Redirect %q", who, status, hx)
	}
}

// wantWorking checks a cookie still opens the API.
func wantWorking(t *testing.T, baseURL string, ck *http.Cookie, who string) {
	t.Helper()
	if status, _, body := replayCookie(t, baseURL, ck, "/api/session", nil); status != http.StatusOK {
		t.Errorf("%s: API answered %d %s, want 200", who, status, body)
	}
}

// auditPayloads lists the payloads of one action in an account, oldest first.
func auditPayloads(t *testing.T, srv *apptest.Server, accountID int64, action string) []map[string]any {
	t.Helper()
	var raws []string
	if err := srv.Store.DB().Select(&raws, `SELECT payload::text FROM audit_events WHERE account_id = $1 AND action = $2 ORDER BY id`, accountID, action); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, r := range raws {
		var m map[string]any
		if err := json.Unmarshal([]byte(r), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// wantOneRevokeAudit checks the single account.sessions_revoke row.
func wantOneRevokeAudit(t *testing.T, srv *apptest.Server, accountID int64, scope string, count int) {
	t.Helper()
	rows := auditPayloads(t, srv, accountID, store.ActionSessionsRevoke)
	if len(rows) != 1 {
		t.Fatalf("account.sessions_revoke rows = %v, want exactly one", rows)
	}
	if rows[0]["scope"] != scope || rows[0]["revoked_count"] != float64(count) || len(rows[0]) != 2 {
		t.Errorf("audit payload = %v, want scope %s and revoked_count %d", rows[0], scope, count)
	}
}

// threeSessions signs in the owner twice and the engineer once.
func threeSessions(t *testing.T, srv *apptest.Server, team apptest.Team) (caller, ownerElsewhere, engineer *apptest.Client) {
	t.Helper()
	return srv.Login(t, team.Owner.Email, apptest.Password),
		srv.Login(t, team.Owner.Email, apptest.Password),
		srv.Login(t, team.Engineer.Email, apptest.Password)
}

func TestRevokeOthersThroughTheAPI(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	bystander := apptest.NewTeam(t, srv.Store)
	caller, ownerElsewhere, engineer := threeSessions(t, srv, team)
	outsider := srv.Login(t, bystander.Owner.Email, apptest.Password)
	cookies := map[string]*http.Cookie{
		"caller": signedInCookie(t, caller, srv), "owner elsewhere": signedInCookie(t, ownerElsewhere, srv),
		"engineer": signedInCookie(t, engineer, srv), "another account": signedInCookie(t, outsider, srv),
	}

	res := caller.SendJSON(http.MethodPost, "/api/accounts/me/security/revoke-sessions", map[string]string{"scope": "others"})
	var body struct {
		RevokedCount *int `json:"revoked_count"`
	}
	res.JSON(&body)
	if res.StatusCode != http.StatusOK || body.RevokedCount == nil || *body.RevokedCount != 2 {
		t.Fatalf("revoke others = %d %s, want 200 {\"revoked_count\":2}", res.StatusCode, res.Body)
	}
	wantWorking(t, srv.URL, cookies["caller"], "caller")
	wantWorking(t, srv.URL, cookies["another account"], "another account's owner")
	wantRefused(t, srv.URL, cookies["owner elsewhere"], "owner's other session")
	wantRefused(t, srv.URL, cookies["engineer"], "engineer")
	wantOneRevokeAudit(t, srv, team.Account.ID, "others", 2)
	if rows := auditPayloads(t, srv, bystander.Account.ID, store.ActionSessionsRevoke); len(rows) != 0 {
		t.Errorf("the other account got audit rows %v", rows)
	}
	var history int
	srv.Store.DB().Get(&history, `SELECT count(*) FROM sessions WHERE account_id = $1 AND revoked_reason = 'revoked_others'`, team.Account.ID)
	if history != 2 {
		t.Errorf("%d revoked sessions kept for the audit trail, want 2", history)
	}
}

func TestRevokeAllThroughTheAPIEndsTheCallerToo(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	caller, ownerElsewhere, engineer := threeSessions(t, srv, team)
	cookies := []*http.Cookie{signedInCookie(t, caller, srv), signedInCookie(t, ownerElsewhere, srv), signedInCookie(t, engineer, srv)}

	// No scope means all.
	res := caller.SendJSON(http.MethodPost, "/api/accounts/me/security/revoke-sessions", map[string]any{})
	if res.StatusCode != http.StatusOK || strings.TrimSpace(res.Body) != `{"revoked_count":3}` {
		t.Fatalf("revoke all = %d %s, want 200 {\"revoked_count\":3}", res.StatusCode, res.Body)
	}
	for i, ck := range cookies {
		wantRefused(t, srv.URL, ck, []string{"caller", "owner elsewhere", "engineer"}[i])
	}
	wantOneRevokeAudit(t, srv, team.Account.ID, "all", 3)
}

func TestRevokeSessionsAPIValidation(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)

	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantField  string
	}{
		{name: "unknown scope", body: `{"scope":"everyone"}`, wantStatus: 422, wantField: "scope"},
		{name: "empty scope", body: `{"scope":""}`, wantStatus: 422, wantField: "scope"},
		{name: "scope of the wrong type", body: `{"scope":1}`, wantStatus: 422, wantField: "scope"},
		{name: "unknown field", body: `{"scope":"all","force":true}`, wantStatus: 422, wantField: "force"},
		{name: "array", body: `["all"]`, wantStatus: 400},
		{name: "string", body: `"all"`, wantStatus: 400},
		{name: "not JSON", body: `scope=all`, wantStatus: 400},
		{name: "two objects", body: `{}{}`, wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := owner.SendJSON(http.MethodPost, "/api/accounts/me/security/revoke-sessions", tt.body)
			var e struct {
				Error  string            `json:"error"`
				Fields map[string]string `json:"fields"`
			}
			res.JSON(&e)
			if res.StatusCode != tt.wantStatus || e.Error == "" {
				t.Errorf("status %d %s, want %d", res.StatusCode, res.Body, tt.wantStatus)
			}
			if tt.wantField != "" && e.Fields[tt.wantField] == "" {
				t.Errorf("fields %v do not name %s", e.Fields, tt.wantField)
			}
		})
	}
	// Nothing was revoked by any of them, and nothing audited.
	wantWorking(t, srv.URL, signedInCookie(t, engineer, srv), "engineer")
	if rows := auditPayloads(t, srv, team.Account.ID, store.ActionSessionsRevoke); len(rows) != 0 {
		t.Errorf("refused requests wrote audit rows %v", rows)
	}
}

func TestRevokeSessionsOutsideTheSudoWindow(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)
	if _, err := srv.Store.DB().Exec(`UPDATE sessions SET authenticated_at = now() - interval '20 minutes' WHERE user_id = $1`, team.Owner.ID); err != nil {
		t.Fatal(err)
	}

	res := owner.SendJSON(http.MethodPost, "/api/accounts/me/security/revoke-sessions", map[string]string{"scope": "others"})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, `"error":"reauth_required"`) {
		t.Errorf("API outside the sudo window = %d %s, want 403 reauth_required", res.StatusCode, res.Body)
	}

	confirm := owner.PostFormHTMX("/settings/security/revoke-sessions/confirm", url.Values{"scope": {"others"}})
	if confirm.StatusCode != http.StatusOK || !strings.Contains(confirm.Body, `name="password"`) {
		t.Errorf("confirmation outside the window = %d, asks for the password: %v", confirm.StatusCode, strings.Contains(confirm.Body, `name="password"`))
	}
	for _, tt := range []struct{ name, password, want string }{
		{"no password", "", "Enter your password"},
		{"wrong password", "not it", "That password is not right"},
	} {
		res := owner.PostFormHTMX("/settings/security/revoke-sessions", url.Values{"scope": {"others"}, "password": {tt.password}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, tt.want) || !strings.Contains(res.Body, `id="revoke-password-error"`) {
			t.Errorf("%s: %d, want 422 with %q next to the field\n%s", tt.name, res.StatusCode, tt.want, res.Body)
		}
	}
	wantWorking(t, srv.URL, signedInCookie(t, engineer, srv), "engineer after refused attempts")

	res = owner.PostFormHTMX("/settings/security/revoke-sessions", url.Values{"scope": {"others"}, "password": {apptest.Password}})
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "Signed out 1 session.") {
		t.Fatalf("with the password: %d\n%s", res.StatusCode, res.Body)
	}
	wantRefused(t, srv.URL, signedInCookie(t, engineer, srv), "engineer")
	wantOneRevokeAudit(t, srv, team.Account.ID, "others", 1)
}

func TestSignOutEverywhereWithHTMX(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	caller, ownerElsewhere, engineer := threeSessions(t, srv, team)
	cookies := []*http.Cookie{signedInCookie(t, caller, srv), signedInCookie(t, ownerElsewhere, srv), signedInCookie(t, engineer, srv)}

	page := caller.Get("/settings/security")
	if !strings.Contains(page.Body, `id="revoke-section"`) || !strings.Contains(page.Body, "3 active sessions of 2 people") {
		t.Errorf("security page lacks the sign-out-everywhere summary:\n%s", page.Body)
	}

	confirm := caller.PostFormHTMX("/settings/security/revoke-sessions/confirm", nil)
	if confirm.StatusCode != http.StatusOK || strings.Contains(confirm.Body, "<html") {
		t.Fatalf("confirmation = %d, want a 200 fragment\n%s", confirm.StatusCode, confirm.Body)
	}
	for _, want := range []string{
		// Everyone but me is chosen first; everyone is the other choice.
		"This signs out 2 sessions of 2 people. You stay signed in here.",
		`value="others" checked`, `value="all"`, "3 sessions of 2 people, including yours",
		`hx-get="/settings/security/revoke-sessions"`, // Cancel
	} {
		if !strings.Contains(confirm.Body, want) {
			t.Errorf("confirmation lacks %q", want)
		}
	}
	if strings.Contains(confirm.Body, `name="password"`) {
		t.Error("confirmation asks for the password inside the sudo window")
	}
	if others := caller.PostFormHTMX("/settings/security/revoke-sessions/confirm", url.Values{"scope": {"others"}}); !strings.Contains(others.Body, "This signs out 2 sessions of 2 people. You stay signed in here.") {
		t.Errorf("confirmation for others:\n%s", others.Body)
	}
	bad := caller.PostFormHTMX("/settings/security/revoke-sessions/confirm", url.Values{"scope": {"nobody"}})
	if bad.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, `id="revoke-scope-error"`) {
		t.Errorf("bad scope = %d, want 422 with the error at the choice", bad.StatusCode)
	}
	cancel := caller.GetHTMX("/settings/security/revoke-sessions")
	if cancel.StatusCode != http.StatusOK || !strings.Contains(cancel.Body, `data-testid="revoke-start"`) {
		t.Errorf("cancel = %d, want the section's first step\n%s", cancel.StatusCode, cancel.Body)
	}

	res := caller.PostFormHTMX("/settings/security/revoke-sessions", url.Values{"scope": {"all"}})
	if hx := res.Header.Get("HX-Redirect"); res.StatusCode != http.StatusOK || !strings.HasPrefix(hx, "/login?reason=revoked") {
		t.Fatalf("revoke all with htmx = %d, HX-Redirect %q; want the caller sent to /login?reason=revoked", res.StatusCode, hx)
	}
	for i, ck := range cookies {
		wantRefused(t, srv.URL, ck, []string{"caller", "owner elsewhere", "engineer"}[i])
	}
	wantOneRevokeAudit(t, srv, team.Account.ID, "all", 3)
}

// TestSignOutEverywhereWithoutJavaScript walks the same flow with plain form
// posts: full pages and redirects.
func TestSignOutEverywhereWithoutJavaScript(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	caller, ownerElsewhere, engineer := threeSessions(t, srv, team)

	confirm := caller.PostForm("/settings/security/revoke-sessions/confirm", nil)
	if confirm.StatusCode != http.StatusOK || !strings.Contains(confirm.Body, "<html") || !strings.Contains(confirm.Body, "This signs out 2 sessions of 2 people. You stay signed in here.") {
		t.Fatalf("plain confirmation = %d, want a full page with the count\n%s", confirm.StatusCode, confirm.Body)
	}
	res := caller.PostForm("/settings/security/revoke-sessions", url.Values{"scope": {"others"}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/settings/security/sessions?signed_out=2" {
		t.Fatalf("plain revoke others = %d to %q", res.StatusCode, loc)
	}
	after := caller.Get("/settings/security/sessions?signed_out=2")
	if !strings.Contains(after.Body, "Signed out 2 sessions.") || !strings.Contains(after.Body, "1 active session of 1 person") {
		t.Errorf("the page after does not say what happened:\n%s", after.Body)
	}
	wantRefused(t, srv.URL, signedInCookie(t, ownerElsewhere, srv), "owner elsewhere")
	wantRefused(t, srv.URL, signedInCookie(t, engineer, srv), "engineer")

	res = caller.PostForm("/settings/security/revoke-sessions", url.Values{"scope": {"all"}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?reason=revoked") {
		t.Fatalf("plain revoke all = %d to %q, want the sign-in page", res.StatusCode, loc)
	}
	if login := caller.Get("/login?reason=revoked"); !strings.Contains(login.Body, "ended") {
		t.Errorf("the sign-in page does not say the session was ended:\n%s", login.Body)
	}
	if rows := auditPayloads(t, srv, team.Account.ID, store.ActionSessionsRevoke); len(rows) != 2 {
		t.Errorf("audit rows %v, want one per sign-out", rows)
	}
}

func TestEngineersCannotSignOutEveryone(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)
	ownerSession := ""
	srv.Store.DB().Get(&ownerSession, `SELECT id FROM sessions WHERE user_id = $1`, team.Owner.ID)

	for _, tt := range []struct{ method, path string }{
		{http.MethodPost, "/api/accounts/me/security/revoke-sessions"},
		{http.MethodGet, "/api/accounts/me/sessions"},
		{http.MethodDelete, "/api/accounts/me/sessions/" + ownerSession},
		{http.MethodGet, "/settings/security/sessions"},
		{http.MethodGet, "/settings/security/revoke-sessions"},
		{http.MethodPost, "/settings/security/sessions/" + ownerSession + "/revoke"},
		{http.MethodPost, "/settings/security/revoke-sessions/confirm"},
		{http.MethodPost, "/settings/security/revoke-sessions"},
	} {
		var res *apptest.Response
		if tt.method == http.MethodPost && !strings.HasPrefix(tt.path, "/api/") {
			res = engineer.PostForm(tt.path, url.Values{"scope": {"all"}})
		} else {
			res = engineer.SendJSON(tt.method, tt.path, map[string]string{"scope": "all"})
		}
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s as engineer = %d, want 403", tt.method, tt.path, res.StatusCode)
		}
	}
	wantWorking(t, srv.URL, signedInCookie(t, owner, srv), "owner")
	if rows := auditPayloads(t, srv, team.Account.ID, store.ActionSessionsRevoke); len(rows) != 0 {
		t.Errorf("refused requests wrote %v", rows)
	}
}
