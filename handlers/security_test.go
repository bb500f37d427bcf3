package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/html"

	"curfew/internal/apptest"
	"curfew/store"
)

const securityAPI = "/api/accounts/me/security"

// securityJSON is the body of GET and PATCH /api/accounts/me/security.
type securityJSON struct {
	IdleMinutes              *int `json:"idle_minutes"`
	AbsoluteMinutes          *int `json:"absolute_minutes"`
	EffectiveIdleMinutes     int  `json:"effective_idle_minutes"`
	EffectiveAbsoluteMinutes int  `json:"effective_absolute_minutes"`
	IdleMinutesMin           int  `json:"idle_minutes_min"`
	IdleMinutesMax           int  `json:"idle_minutes_max"`
	AbsoluteMinutesMin       int  `json:"absolute_minutes_min"`
	AbsoluteMinutesMax       int  `json:"absolute_minutes_max"`
}

type errorJSON struct {
	Error   string            `json:"error"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields"`
}

// policyAudit is one account.session_policy_update row.
type policyAudit struct {
	ActorUserID *int64          `db:"actor_user_id"`
	Payload     json.RawMessage `db:"payload"`
	IP          string          `db:"ip"`
	UserAgent   string          `db:"user_agent"`
}

func ptrInt(v int) *int { return &v }

func fmtPtr(p *int) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

// overrides reads an account's stored overrides.
func storedOverrides(t *testing.T, st *store.Store, accountID int64) (idle, absolute *int) {
	t.Helper()
	a, err := st.Account(context.Background(), accountID)
	if err != nil {
		t.Fatal(err)
	}
	return a.IdleMinutes, a.AbsoluteMinutes
}

func wantOverrides(t *testing.T, st *store.Store, accountID int64, idle, absolute *int) {
	t.Helper()
	gotIdle, gotAbs := storedOverrides(t, st, accountID)
	if fmtPtr(gotIdle) != fmtPtr(idle) || fmtPtr(gotAbs) != fmtPtr(absolute) {
		t.Errorf("stored overrides = %s/%s, want %s/%s", fmtPtr(gotIdle), fmtPtr(gotAbs), fmtPtr(idle), fmtPtr(absolute))
	}
}

// policyAudits lists an account's policy-update audit rows, oldest first.
func policyAudits(t *testing.T, st *store.Store, accountID int64) []policyAudit {
	t.Helper()
	var rows []policyAudit
	err := st.DB().Select(&rows, `SELECT actor_user_id, payload, ip, user_agent FROM audit_events
		WHERE account_id = $1 AND action = 'account.session_policy_update' ORDER BY id`, accountID)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func setOverrides(t *testing.T, st *store.Store, accountID int64, idle, absolute *int) {
	t.Helper()
	if _, err := st.DB().Exec(`UPDATE accounts SET idle_minutes = $2, absolute_minutes = $3 WHERE id = $1`,
		accountID, idle, absolute); err != nil {
		t.Fatal(err)
	}
}

// leaveSudoWindow makes every session of a user older than the sudo window.
func leaveSudoWindow(t *testing.T, st *store.Store, userID int64) {
	t.Helper()
	if _, err := st.DB().Exec(`UPDATE sessions SET authenticated_at = now() - interval '20 minutes' WHERE user_id = $1`, userID); err != nil {
		t.Fatal(err)
	}
}

func jsonEqual(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("decode %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("decode %s: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

// The seed's eight cases, on the JSON API.

func TestSecurityAPIShowsStrictDefaultsAndBounds(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	res := c.Get(securityAPI)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET: %d %s", res.StatusCode, res.Body)
	}
	want := `{"idle_minutes":null,"absolute_minutes":null,"effective_idle_minutes":30,"effective_absolute_minutes":20160,
		"idle_minutes_min":5,"idle_minutes_max":43200,"absolute_minutes_min":60,"absolute_minutes_max":129600,
		"roles":{
			"owner":{"idle_minutes":null,"absolute_minutes":null,"effective_idle_minutes":30,"effective_absolute_minutes":20160},
			"engineer":{"idle_minutes":null,"absolute_minutes":null,"effective_idle_minutes":30,"effective_absolute_minutes":20160}}}`
	if !jsonEqual(t, []byte(res.Body), want) {
		t.Errorf("GET body = %s, want %s", res.Body, want)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
}

func TestSecurityAPIPatchPersistsAndANewSignInUsesIt(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	res := c.SendJSON(http.MethodPatch, securityAPI, map[string]any{"idle_minutes": 60, "absolute_minutes": 240})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d %s", res.StatusCode, res.Body)
	}
	var body securityJSON
	res.JSON(&body)
	if fmtPtr(body.IdleMinutes) != "60" || fmtPtr(body.AbsoluteMinutes) != "240" ||
		body.EffectiveIdleMinutes != 60 || body.EffectiveAbsoluteMinutes != 240 || body.IdleMinutesMax != 43200 {
		t.Errorf("PATCH body = %s", res.Body)
	}
	wantOverrides(t, srv.Store, team.Account.ID, ptrInt(60), ptrInt(240))

	fresh := srv.Login(t, team.Engineer.Email, apptest.Password)
	var sess struct {
		Idle     int `json:"idle_timeout_seconds"`
		Absolute int `json:"absolute_timeout_seconds"`
	}
	fresh.Get("/api/session").JSON(&sess)
	if sess.Idle != 3600 || sess.Absolute != 14400 {
		t.Errorf("new sign-in timeouts = %d/%d, want 3600/14400", sess.Idle, sess.Absolute)
	}

	// null clears one override and leaves the other alone.
	res = c.SendJSON(http.MethodPatch, securityAPI, `{"idle_minutes": null}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH null: %d %s", res.StatusCode, res.Body)
	}
	wantOverrides(t, srv.Store, team.Account.ID, nil, ptrInt(240))
}

func TestSecurityAPIRejectsValuesOutsideTheRules(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	tests := []struct {
		name      string
		body      string
		wantField string
		wantWords string
	}{
		{"idle below minimum", `{"idle_minutes": 4}`, "idle_minutes", "between 5 and 43200"},
		{"absolute above maximum", `{"absolute_minutes": 129601}`, "absolute_minutes", "between 60 and 129600"},
		{"idle above absolute", `{"idle_minutes": 600, "absolute_minutes": 120}`, "idle_minutes", "cannot be longer"},
		{"partial override above the default absolute", `{"idle_minutes": 43200}`, "idle_minutes", "default absolute lifetime"},
		{"absolute at its minimum is fine", `{"absolute_minutes": 60, "idle_minutes": null}`, "", ""},
		{"negative", `{"idle_minutes": -5}`, "idle_minutes", "between 5 and 43200"},
		{"zero", `{"absolute_minutes": 0}`, "absolute_minutes", "between"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.SendJSON(http.MethodPatch, securityAPI, tt.body)
			if tt.wantField == "" {
				if res.StatusCode != http.StatusOK {
					t.Fatalf("%s: %d %s, want 200", tt.body, res.StatusCode, res.Body)
				}
				setOverrides(t, srv.Store, team.Account.ID, nil, nil)
				return
			}
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("%s: %d %s, want 422", tt.body, res.StatusCode, res.Body)
			}
			var e errorJSON
			res.JSON(&e)
			if e.Error != "validation_failed" || !strings.Contains(e.Fields[tt.wantField], tt.wantWords) {
				t.Errorf("%s: error %+v, want field %s saying %q", tt.body, e, tt.wantField, tt.wantWords)
			}
			wantOverrides(t, srv.Store, team.Account.ID, nil, nil)
		})
	}
	// One accepted change (the absolute-only case) and nothing else.
	if n := len(policyAudits(t, srv.Store, team.Account.ID)); n != 1 {
		t.Errorf("audit rows = %d, want 1", n)
	}
}

func TestSecurityAPIRejectsBodiesOfTheWrongShape(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantField  string
	}{
		{"not JSON", `idle_minutes=60`, 400, ""},
		{"empty body", ``, 400, ""},
		{"a string body", `"60"`, 400, ""},
		{"an array body", `[{"idle_minutes": 60}]`, 400, ""},
		{"a number body", `60`, 400, ""},
		{"null body", `null`, 400, ""},
		{"two objects", `{"idle_minutes": 60} {}`, 400, ""},
		{"truncated", `{"idle_minutes": 60`, 400, ""},
		{"string value", `{"idle_minutes": "60"}`, 422, "idle_minutes"},
		{"float value", `{"idle_minutes": 1.5}`, 422, "idle_minutes"},
		{"float that is whole", `{"absolute_minutes": 1.0}`, 422, "absolute_minutes"},
		{"exponent", `{"absolute_minutes": 1e3}`, 422, "absolute_minutes"},
		{"bool value", `{"absolute_minutes": true}`, 422, "absolute_minutes"},
		{"array value", `{"absolute_minutes": [60]}`, 422, "absolute_minutes"},
		{"object value", `{"idle_minutes": {"v": 60}}`, 422, "idle_minutes"},
		{"huge number", `{"idle_minutes": 99999999999999999999}`, 422, "idle_minutes"},
		{"unknown field", `{"idle_minutes": 60, "idle": 60}`, 422, "idle"},
		{"repeated field", `{"idle_minutes": 60, "idle_minutes": 90}`, 422, "idle_minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.SendJSON(http.MethodPatch, securityAPI, tt.body)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("%s: %d %s, want %d", tt.body, res.StatusCode, res.Body, tt.wantStatus)
			}
			var e errorJSON
			res.JSON(&e)
			if e.Message == "" {
				t.Errorf("%s: no message in %s", tt.body, res.Body)
			}
			if tt.wantField != "" && e.Fields[tt.wantField] == "" {
				t.Errorf("%s: fields %v do not name %s", tt.body, e.Fields, tt.wantField)
			}
		})
	}
	wantOverrides(t, srv.Store, team.Account.ID, nil, nil)
	if n := len(policyAudits(t, srv.Store, team.Account.ID)); n != 0 {
		t.Errorf("audit rows = %d, want 0", n)
	}
}

func TestSecurityAPIIsForOwnersOnly(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	eng := srv.Login(t, team.Engineer.Email, apptest.Password)

	if res := eng.Get(securityAPI); res.StatusCode != http.StatusForbidden {
		t.Errorf("engineer GET: %d %s", res.StatusCode, res.Body)
	}
	res := eng.SendJSON(http.MethodPatch, securityAPI, `{"idle_minutes": 60}`)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("engineer PATCH: %d %s", res.StatusCode, res.Body)
	}
	form := url.Values{"preset": {"custom"}, "idle_minutes": {"60"}, "absolute_minutes": {"240"}}
	if res := eng.PostForm("/settings/security/policy", form); res.StatusCode != http.StatusForbidden {
		t.Errorf("engineer form post: %d", res.StatusCode)
	}
	if res := eng.PostFormHTMX("/settings/security/policy/preview", form); res.StatusCode != http.StatusForbidden {
		t.Errorf("engineer preview: %d", res.StatusCode)
	}
	if res := eng.Get("/settings/security"); res.StatusCode != http.StatusForbidden {
		t.Errorf("engineer page: %d", res.StatusCode)
	}
	wantOverrides(t, srv.Store, team.Account.ID, nil, nil)
	if n := len(policyAudits(t, srv.Store, team.Account.ID)); n != 0 {
		t.Errorf("audit rows = %d, want 0", n)
	}
}

func TestSecurityAPIWritesExactlyOneAuditRow(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	res := c.Do(http.MethodPatch, securityAPI, strings.NewReader(`{"idle_minutes": 60, "absolute_minutes": 240}`),
		http.Header{"Content-Type": {"application/json"}, "User-Agent": {"curfew-test/1.0"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d %s", res.StatusCode, res.Body)
	}
	rows := policyAudits(t, srv.Store, team.Account.ID)
	if len(rows) != 1 {
		t.Fatalf("audit rows = %d, want 1", len(rows))
	}
	r := rows[0]
	want := `{"old":{"idle_minutes":null,"absolute_minutes":null},"new":{"idle_minutes":60,"absolute_minutes":240},
		"effective_old":{"idle_minutes":30,"absolute_minutes":20160},"effective_new":{"idle_minutes":60,"absolute_minutes":240}}`
	if !jsonEqual(t, r.Payload, want) {
		t.Errorf("payload = %s, want %s", r.Payload, want)
	}
	if r.ActorUserID == nil || *r.ActorUserID != team.Owner.ID || r.IP != "127.0.0.1" || r.UserAgent != "curfew-test/1.0" {
		t.Errorf("actor %v, ip %q, user agent %q", r.ActorUserID, r.IP, r.UserAgent)
	}

	// The same values again, and an empty object, change nothing and write nothing.
	for _, body := range []string{`{"idle_minutes": 60, "absolute_minutes": 240}`, `{"absolute_minutes": 240}`, `{}`} {
		if res := c.SendJSON(http.MethodPatch, securityAPI, body); res.StatusCode != http.StatusOK {
			t.Errorf("no-op PATCH %s: %d %s", body, res.StatusCode, res.Body)
		}
	}
	if n := len(policyAudits(t, srv.Store, team.Account.ID)); n != 1 {
		t.Errorf("after no-op PATCHes audit rows = %d, want 1", n)
	}
}

// Beyond the seed.

func TestSecurityAPIAsksForThePasswordOutsideTheSudoWindow(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	leaveSudoWindow(t, srv.Store, team.Owner.ID)

	res := c.SendJSON(http.MethodPatch, securityAPI, `{"idle_minutes": 60}`)
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("PATCH outside the window: %d %s, want 403", res.StatusCode, res.Body)
	}
	var e errorJSON
	res.JSON(&e)
	if e.Error != "reauth_required" {
		t.Errorf("error = %q, want reauth_required", e.Error)
	}
	wantOverrides(t, srv.Store, team.Account.ID, nil, nil)

	if res := c.SendJSON(http.MethodPost, "/api/session/reauth", map[string]string{"password": "wrong"}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("reauth with a wrong password: %d %s", res.StatusCode, res.Body)
	}
	if res := c.SendJSON(http.MethodPatch, securityAPI, `{"idle_minutes": 60}`); res.StatusCode != http.StatusForbidden {
		t.Errorf("PATCH after a failed reauth: %d", res.StatusCode)
	}
	if res := c.SendJSON(http.MethodPost, "/api/session/reauth", map[string]string{"password": apptest.Password}); res.StatusCode != http.StatusOK {
		t.Fatalf("reauth: %d %s", res.StatusCode, res.Body)
	}
	if res := c.SendJSON(http.MethodPatch, securityAPI, `{"idle_minutes": 60}`); res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH after reauth: %d %s", res.StatusCode, res.Body)
	}
	wantOverrides(t, srv.Store, team.Account.ID, ptrInt(60), nil)
}

func TestSecurityAPIChangesOnlyTheCallersAccount(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	a := apptest.NewTeam(t, srv.Store)
	b := apptest.NewTeam(t, srv.Store)
	setOverrides(t, srv.Store, a.Account.ID, ptrInt(45), nil)
	cb := srv.Login(t, b.Owner.Email, apptest.Password)

	var got securityJSON
	cb.Get(securityAPI).JSON(&got)
	if got.IdleMinutes != nil {
		t.Errorf("owner of B sees idle %s, want B's own null", fmtPtr(got.IdleMinutes))
	}
	if res := cb.SendJSON(http.MethodPatch, securityAPI, `{"idle_minutes": 60, "absolute_minutes": 240}`); res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d %s", res.StatusCode, res.Body)
	}
	form := url.Values{"preset": {"strict"}}
	if res := cb.PostForm("/settings/security/policy", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("form post: %d", res.StatusCode)
	}
	wantOverrides(t, srv.Store, a.Account.ID, ptrInt(45), nil)
	wantOverrides(t, srv.Store, b.Account.ID, nil, nil)
	if n := len(policyAudits(t, srv.Store, a.Account.ID)); n != 0 {
		t.Errorf("account A has %d audit rows, want 0", n)
	}
	if n := len(policyAudits(t, srv.Store, b.Account.ID)); n != 2 {
		t.Errorf("account B has %d audit rows, want 2", n)
	}
}

func TestSecurityChangesRequireTheCSRFToken(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	noToken := http.Header{"X-CSRF-Token": {""}, "Content-Type": {"application/json"}}

	res := c.Do(http.MethodPatch, securityAPI, strings.NewReader(`{"idle_minutes": 60}`), noToken)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("PATCH without token: %d %s", res.StatusCode, res.Body)
	}
	form := url.Values{"preset": {"custom"}, "idle_minutes": {"60"}, "absolute_minutes": {"240"}}
	h := http.Header{"X-CSRF-Token": {""}, "Content-Type": {"application/x-www-form-urlencoded"}}
	res = c.Do(http.MethodPost, "/settings/security/policy", strings.NewReader(form.Encode()), h)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("form post without token: %d", res.StatusCode)
	}
	form.Set("_csrf", "not-the-token")
	res = c.Do(http.MethodPost, "/settings/security/policy", strings.NewReader(form.Encode()), h)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("form post with a wrong token: %d", res.StatusCode)
	}
	wantOverrides(t, srv.Store, team.Account.ID, nil, nil)
}

// TestConcurrentSavesLoseNothing has two owners save ten different policies at
// once: every save lands, in some order, each audited once, each audit row's
// "old" the previous row's "new", and the stored row the last "new".
func TestConcurrentSavesLoseNothing(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	second := apptest.AddUser(t, srv.Store, team.Account, "second-owner-"+fmt.Sprint(team.Account.ID)+"@example.test", store.RoleOwner)
	clients := []*apptest.Client{
		srv.Login(t, team.Owner.Email, apptest.Password),
		srv.Login(t, second.Email, apptest.Password),
	}

	const saves = 10
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, saves)
	for i := range saves {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clients[i%2]
			body := fmt.Sprintf(`{"idle_minutes": %d, "absolute_minutes": %d}`, 10+i, 600+i)
			req, _ := http.NewRequest(http.MethodPatch, srv.URL+securityAPI, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", c.CSRF)
			<-start
			res, err := c.HTTP.Do(req)
			if err != nil {
				errs <- err
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("PATCH %s: %d %s", body, res.StatusCode, b)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	rows := policyAudits(t, srv.Store, team.Account.ID)
	if len(rows) != saves {
		t.Fatalf("audit rows = %d, want %d", len(rows), saves)
	}
	type pair struct {
		Idle     *int `json:"idle_minutes"`
		Absolute *int `json:"absolute_minutes"`
	}
	var prev pair // the account started with no overrides
	seen := map[int]bool{}
	for i, r := range rows {
		var p struct{ Old, New pair }
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if fmtPtr(p.Old.Idle) != fmtPtr(prev.Idle) || fmtPtr(p.Old.Absolute) != fmtPtr(prev.Absolute) {
			t.Errorf("row %d: old %s/%s, but the previous row's new was %s/%s", i,
				fmtPtr(p.Old.Idle), fmtPtr(p.Old.Absolute), fmtPtr(prev.Idle), fmtPtr(prev.Absolute))
		}
		if p.New.Idle != nil {
			seen[*p.New.Idle] = true
		}
		prev = p.New
	}
	if len(seen) != saves {
		t.Errorf("audit rows record %d distinct saves, want %d", len(seen), saves)
	}
	wantOverrides(t, srv.Store, team.Account.ID, prev.Idle, prev.Absolute)
}

// The same rules through the page's form.

func TestPolicyFormSavesWithAndWithoutHTMX(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	page := c.Get("/settings/security")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("GET page: %d", page.StatusCode)
	}
	doc := htmlDoc(t, page.Body)
	for testid, want := range map[string]string{
		"effective-idle":          "30 minutes",
		"effective-absolute":      "14 days",
		"idle-source":             "System default",
		"absolute-source":         "System default",
		"idle_minutes-bounds":     "Between 5 minutes and 30 days; default 30 minutes.",
		"absolute_minutes-bounds": "Between 1 hour and 90 days; default 14 days.",
	} {
		if got := nodeText(nodeByTestID(t, doc, testid)); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", testid, got, want)
		}
	}
	if !strings.Contains(page.Body, "next request") {
		t.Error("the page does not say a tightened policy applies at the next request")
	}
	if nodeAttr(nodeByID(t, doc, "policy-preset-strict"), "checked") == nil {
		t.Error("Strict is not checked for an account without overrides")
	}

	// A plain post redirects, and the page then says it saved.
	form := url.Values{"preset": {"custom"}, "idle_minutes": {"60"}, "absolute_minutes": {"240"}}
	res := c.PostForm("/settings/security/policy", form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings/security?status=saved" {
		t.Fatalf("plain post: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	wantOverrides(t, srv.Store, team.Account.ID, ptrInt(60), ptrInt(240))
	doc = htmlDoc(t, c.Get(res.Header.Get("Location")).Body)
	if got := nodeText(nodeByTestID(t, doc, "policy-saved")); !strings.HasPrefix(got, "Saved.") {
		t.Errorf("after the redirect the status says %q", got)
	}
	if got := nodeText(nodeByTestID(t, doc, "effective-idle")) + "/" + nodeText(nodeByTestID(t, doc, "effective-absolute")); got != "1 hour/4 hours" {
		t.Errorf("effective values after saving: %s", got)
	}
	if got := nodeText(nodeByTestID(t, doc, "idle-source")); got != "Set for this account" {
		t.Errorf("idle source after saving: %q", got)
	}
	if nodeAttr(nodeByID(t, doc, "policy-preset-custom"), "checked") == nil {
		t.Error("Custom is not checked for an account with overrides")
	}

	// htmx gets the card alone, with the outcome announced.
	form = url.Values{"preset": {"custom"}, "idle_minutes": {"90"}, "absolute_minutes": {"240"}}
	res = c.PostFormHTMX("/settings/security/policy", form)
	if res.StatusCode != http.StatusOK || strings.Contains(res.Body, "<html") {
		t.Fatalf("htmx post: %d, page=%v", res.StatusCode, strings.Contains(res.Body, "<html"))
	}
	doc = htmlDoc(t, res.Body)
	saved := nodeByTestID(t, doc, "policy-saved")
	if got := nodeText(saved); !strings.Contains(got, "1 hour 30 minutes") || attrOf(saved, "role") != "status" {
		t.Errorf("htmx status %q (role %q)", got, attrOf(saved, "role"))
	}
	if vary := strings.Join(res.Header.Values("Vary"), ", "); !strings.Contains(vary, "HX-Request") {
		t.Errorf("Vary = %q", vary)
	}

	// Saving what is in force says so and writes nothing.
	res = c.PostFormHTMX("/settings/security/policy", form)
	if res.StatusCode != http.StatusOK || !strings.Contains(nodeText(nodeByTestID(t, htmlDoc(t, res.Body), "policy-saved")), "No changes to save") {
		t.Errorf("no-op htmx post: %d %s", res.StatusCode, res.Body)
	}
	res = c.PostForm("/settings/security/policy", form)
	if res.Header.Get("Location") != "/settings/security?status=unchanged" {
		t.Errorf("no-op plain post went to %q", res.Header.Get("Location"))
	}

	// Strict clears both overrides.
	res = c.PostFormHTMX("/settings/security/policy", url.Values{"preset": {"strict"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("strict: %d", res.StatusCode)
	}
	wantOverrides(t, srv.Store, team.Account.ID, nil, nil)

	rows := policyAudits(t, srv.Store, team.Account.ID)
	if len(rows) != 3 {
		t.Fatalf("audit rows = %d, want 3 (custom, custom, strict)", len(rows))
	}
	want := `{"old":{"idle_minutes":90,"absolute_minutes":240},"new":{"idle_minutes":null,"absolute_minutes":null},
		"effective_old":{"idle_minutes":90,"absolute_minutes":240},"effective_new":{"idle_minutes":30,"absolute_minutes":20160}}`
	if !jsonEqual(t, rows[2].Payload, want) {
		t.Errorf("strict audit payload = %s", rows[2].Payload)
	}
}

func TestPolicyFormKeepsUntouchedDefaults(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	// Custom with the defaults in both boxes is Strict: nothing to save.
	res := c.PostFormHTMX("/settings/security/policy", url.Values{"preset": {"custom"}, "idle_minutes": {"30"}, "absolute_minutes": {"20160"}})
	if !strings.Contains(res.Body, "No changes to save") {
		t.Errorf("custom at the defaults: %d %s", res.StatusCode, res.Body)
	}
	// Changing one value sets only that override.
	c.PostFormHTMX("/settings/security/policy", url.Values{"preset": {"custom"}, "idle_minutes": {"30"}, "absolute_minutes": {"480"}})
	wantOverrides(t, srv.Store, team.Account.ID, nil, ptrInt(480))
}

func TestPolicyFormExplainsEveryBadValue(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	tests := []struct {
		name      string
		form      url.Values
		wantField string // input id
		wantWords string
	}{
		{"idle below minimum", customForm("4", "240"), "policy-idle", "4 minutes is too short: the idle timeout must be at least 5 minutes."},
		{"absolute above maximum", customForm("60", "129601"), "policy-absolute", "90 days 1 minute is too long: the absolute lifetime can be at most 90 days."},
		{"idle above absolute", customForm("600", "120"), "policy-idle", "cannot be longer than the absolute lifetime (2 hours)"},
		{"partial override above the default absolute", customForm("43200", "20160"), "policy-idle", "default absolute lifetime (14 days)"},
		{"not a number", customForm("abc", "240"), "policy-idle", "using digits only"},
		{"decimal", customForm("1.5", "240"), "policy-idle", "without decimals"},
		{"negative", customForm("60", "-240"), "policy-absolute", "cannot be negative"},
		{"huge", customForm("99999999999999999999", "240"), "policy-idle", "too large"},
		{"empty idle", customForm("", "240"), "policy-idle", "Enter the idle timeout."},
		{"empty absolute", customForm("60", ""), "policy-absolute", "Enter the absolute lifetime."},
		{"leading plus", customForm("+60", "240"), "policy-idle", "without a + sign"},
		{"repeated field", url.Values{"preset": {"custom"}, "idle_minutes": {"60", "90"}, "absolute_minutes": {"240"}}, "policy-idle", "sent 2 times"},
		{"no preset", url.Values{"idle_minutes": {"60"}}, "policy-preset-strict", "Choose Strict or Custom."},
		{"unknown preset", url.Values{"preset": {"lenient"}}, "policy-preset-strict", "Choose Strict or Custom."},
	}
	for _, tt := range tests {
		for _, htmx := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s htmx=%v", tt.name, htmx), func(t *testing.T) {
				post := c.PostForm
				if htmx {
					post = c.PostFormHTMX
				}
				res := post("/settings/security/policy", tt.form)
				if res.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status %d, want 422\n%s", res.StatusCode, res.Body)
				}
				if isPage := strings.Contains(res.Body, "<html"); isPage == htmx {
					t.Errorf("htmx=%v but the answer is a whole page: %v", htmx, isPage)
				}
				doc := htmlDoc(t, res.Body)
				slot := nodeByID(t, doc, tt.wantField+"-error")
				if got := nodeText(slot); !strings.Contains(got, tt.wantWords) {
					t.Errorf("error beside %s = %q, want %q", tt.wantField, got, tt.wantWords)
				}
				if tt.wantField != "policy-preset-strict" {
					input := nodeByID(t, doc, tt.wantField)
					if attrOf(input, "aria-invalid") != "true" || !strings.Contains(attrOf(input, "aria-describedby"), tt.wantField+"-error") {
						t.Errorf("input %s: aria-invalid=%q aria-describedby=%q", tt.wantField,
							attrOf(input, "aria-invalid"), attrOf(input, "aria-describedby"))
					}
					// The value typed is shown back as it was.
					if got, want := attrOf(input, "value"), tt.form.Get(strings.TrimPrefix(tt.wantField, "policy-")+"_minutes"); got != want {
						t.Errorf("input %s shows %q, want %q", tt.wantField, got, want)
					}
				}
				summary := nodeByTestID(t, doc, "policy-errors")
				if attrOf(summary, "role") != "alert" || !strings.Contains(nodeText(summary), tt.wantWords) {
					t.Errorf("error summary %q (role %q)", nodeText(summary), attrOf(summary, "role"))
				}
			})
		}
	}
	wantOverrides(t, srv.Store, team.Account.ID, nil, nil)
	if n := len(policyAudits(t, srv.Store, team.Account.ID)); n != 0 {
		t.Errorf("audit rows = %d, want 0", n)
	}
}

func customForm(idle, absolute string) url.Values {
	return url.Values{"preset": {"custom"}, "idle_minutes": {idle}, "absolute_minutes": {absolute}}
}

func TestPolicyFormAsksForThePasswordInline(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	// Inside the window the card asks for nothing.
	if doc := htmlDoc(t, c.Get("/settings/security").Body); nodeByIDOrNil(doc, "policy-password") != nil {
		t.Error("the card asks for the password right after sign-in")
	}
	leaveSudoWindow(t, srv.Store, team.Owner.ID)
	if doc := htmlDoc(t, c.Get("/settings/security").Body); nodeByIDOrNil(doc, "policy-password") == nil {
		t.Error("the card does not ask for the password outside the window")
	}

	form := customForm("60", "240")
	res := c.PostFormHTMX("/settings/security/policy", form)
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("save outside the window: %d, want 403", res.StatusCode)
	}
	doc := htmlDoc(t, res.Body)
	if got := nodeText(nodeByID(t, doc, "policy-password-error")); !strings.Contains(got, "Enter your password") {
		t.Errorf("password prompt says %q", got)
	}
	if attrOf(nodeByID(t, doc, "policy-idle"), "value") != "60" {
		t.Error("the prompt lost the values typed")
	}
	wantOverrides(t, srv.Store, team.Account.ID, nil, nil)

	form.Set("password", "not my password")
	res = c.PostFormHTMX("/settings/security/policy", form)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	if got := nodeText(nodeByID(t, htmlDoc(t, res.Body), "policy-password-error")); !strings.Contains(got, "not right") {
		t.Errorf("wrong password says %q", got)
	}
	wantOverrides(t, srv.Store, team.Account.ID, nil, nil)

	form.Set("password", apptest.Password)
	res = c.PostForm("/settings/security/policy", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("right password: %d\n%s", res.StatusCode, res.Body)
	}
	wantOverrides(t, srv.Store, team.Account.ID, ptrInt(60), ptrInt(240))
	// The window is renewed: the next save needs no password.
	if res := c.PostFormHTMX("/settings/security/policy", url.Values{"preset": {"strict"}}); res.StatusCode != http.StatusOK {
		t.Errorf("save after renewing: %d", res.StatusCode)
	}
}

// TestPolicyPreviewCountsTheSessionsItWouldEnd ages sessions in the database
// and checks the live preview's counts: sessions valid now that the new limits
// end at once, their people, and whether the owner's own session is one.
func TestPolicyPreviewCountsTheSessionsItWouldEnd(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	other := apptest.NewTeam(t, srv.Store)
	db := srv.Store.DB()
	setOverrides(t, srv.Store, team.Account.ID, ptrInt(120), nil) // current idle: 2 hours

	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	ownerElsewhere := srv.Login(t, team.Owner.Email, apptest.Password)
	_ = ownerElsewhere
	eng2 := apptest.AddUser(t, srv.Store, team.Account, "eng2-"+fmt.Sprint(team.Account.ID)+"@example.test", store.RoleEngineer)
	eng3 := apptest.AddUser(t, srv.Store, team.Account, "eng3-"+fmt.Sprint(team.Account.ID)+"@example.test", store.RoleEngineer)
	for _, email := range []string{team.Engineer.Email, team.Engineer.Email, eng2.Email, eng3.Email, eng3.Email} {
		srv.Login(t, email, apptest.Password)
	}
	srv.Login(t, other.Engineer.Email, apptest.Password)

	var current string
	if err := db.Get(&current, `SELECT id FROM sessions WHERE user_id = $1 ORDER BY created_at LIMIT 1`, team.Owner.ID); err != nil {
		t.Fatal(err)
	}
	age := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	// Idle 45 minutes: valid under 2 hours, over under 40 minutes. The
	// owner's other session, both of the engineer's, and eng2's.
	age(`UPDATE sessions SET last_seen_at = now() - interval '45 minutes' WHERE user_id IN ($1, $2) OR (user_id = $3 AND id <> $4)`,
		team.Engineer.ID, eng2.ID, team.Owner.ID, current)
	// Already over under the current policy: not counted.
	age(`UPDATE sessions SET last_seen_at = now() - interval '3 hours' WHERE id = (SELECT id FROM sessions WHERE user_id = $1 LIMIT 1)`, eng3.ID)
	// Ended: not counted.
	age(`UPDATE sessions SET last_seen_at = now() - interval '45 minutes', revoked_at = now(), revoked_reason = 'logout'
		WHERE id = (SELECT id FROM sessions WHERE user_id = $1 AND last_seen_at > now() - interval '1 hour' LIMIT 1)`, eng3.ID)
	// Another account: never counted.
	age(`UPDATE sessions SET last_seen_at = now() - interval '45 minutes' WHERE account_id = $1`, other.Account.ID)

	preview := func(form url.Values) (int, *html.Node) {
		t.Helper()
		res := owner.PostFormHTMX("/settings/security/policy/preview", form)
		return res.StatusCode, htmlDoc(t, res.Body)
	}
	status, doc := preview(customForm("40", "20160"))
	if status != http.StatusOK {
		t.Fatalf("preview: %d", status)
	}
	if got := nodeText(nodeByTestID(t, doc, "impact-policy")); !strings.Contains(got, "40 minutes without activity") || !strings.Contains(got, "14 days after sign-in") {
		t.Errorf("preview policy: %q", got)
	}
	got := nodeText(nodeByTestID(t, doc, "impact-count"))
	if !strings.Contains(got, "4 active sessions of 3 people would end at once") || !strings.Contains(got, "1 other session of yours, but not this one") {
		t.Errorf("preview counts: %q", got)
	}

	// Now the owner's own session is old enough for a 2-hour absolute limit.
	age(`UPDATE sessions SET created_at = now() - interval '3 hours' WHERE id = $1`, current)
	_, doc = preview(customForm("40", "120"))
	got = nodeText(nodeByTestID(t, doc, "impact-count"))
	if !strings.Contains(got, "5 active sessions of 3 people") || !strings.Contains(got, "includes your current session") {
		t.Errorf("preview counts with the owner's session: %q", got)
	}

	// Loosening ends nothing; the policy in force is "no change"; errors show beside their fields.
	_, doc = preview(customForm("240", "20160"))
	if got := nodeText(nodeByTestID(t, doc, "impact-count")); got != "No active session would end." {
		t.Errorf("loosening: %q", got)
	}
	_, doc = preview(customForm("120", "20160"))
	nodeByTestID(t, doc, "preview-unchanged")
	status, doc = preview(customForm("600", "120"))
	if status != http.StatusUnprocessableEntity {
		t.Errorf("invalid preview: %d", status)
	}
	slot := nodeByID(t, doc, "policy-idle-error")
	if attrOf(slot, "hx-swap-oob") != "innerHTML" || !strings.Contains(nodeText(slot), "cannot be longer") {
		t.Errorf("out-of-band idle error: %q (%q)", nodeText(slot), attrOf(slot, "hx-swap-oob"))
	}
	nodeByTestID(t, doc, "preview-invalid")

	// Previewing saves nothing.
	wantOverrides(t, srv.Store, team.Account.ID, ptrInt(120), nil)
	if n := len(policyAudits(t, srv.Store, team.Account.ID)); n != 0 {
		t.Errorf("audit rows = %d, want 0", n)
	}
}

// HTML helpers.

func htmlDoc(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func findNode(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := findNode(c, match); f != nil {
			return f
		}
	}
	return nil
}

func nodeByIDOrNil(doc *html.Node, id string) *html.Node {
	return findNode(doc, func(n *html.Node) bool { return attrOf(n, "id") == id })
}

func nodeByID(t *testing.T, doc *html.Node, id string) *html.Node {
	t.Helper()
	n := nodeByIDOrNil(doc, id)
	if n == nil {
		t.Fatalf("no element #%s in\n%s", id, renderNode(doc))
	}
	return n
}

func nodeByTestID(t *testing.T, doc *html.Node, id string) *html.Node {
	t.Helper()
	n := findNode(doc, func(n *html.Node) bool { return attrOf(n, "data-testid") == id })
	if n == nil {
		t.Fatalf("no element [data-testid=%s] in\n%s", id, renderNode(doc))
	}
	return n
}

func nodeAttr(n *html.Node, key string) *html.Attribute {
	for i := range n.Attr {
		if n.Attr[i].Key == key {
			return &n.Attr[i]
		}
	}
	return nil
}

func attrOf(n *html.Node, key string) string {
	if a := nodeAttr(n, key); a != nil {
		return a.Val
	}
	return ""
}

// textOf is an element's text with runs of white space collapsed.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func renderNode(n *html.Node) string {
	var buf bytes.Buffer
	html.Render(&buf, n)
	return buf.String()
}
