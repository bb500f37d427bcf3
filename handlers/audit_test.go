package handlers_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"curfew/handlers"
	"curfew/internal/apptest"
	"curfew/store"
	"curfew/words"
)

const auditAPI = "/api/accounts/me/audit"

// auditListJSON is the body of GET /api/accounts/me/audit.
type auditListJSON struct {
	Events     []auditEventJSON `json:"events"`
	NextBefore *int64           `json:"next_before"`
}

type auditEventJSON struct {
	ID     int64  `json:"id"`
	Action string `json:"action"`
	Actor  *struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
		Name  string `json:"name"`
	} `json:"actor"`
	Summary   string          `json:"summary"`
	Payload   json.RawMessage `json:"payload"`
	IP        string          `json:"ip"`
	UserAgent string          `json:"user_agent"`
	CreatedAt time.Time       `json:"created_at"`
}

// auditRow is an audit row as stored.
type auditRow struct {
	ID          int64  `db:"id"`
	ActorUserID *int64 `db:"actor_user_id"`
	Action      string `db:"action"`
	Payload     string `db:"payload"`
	IP          string `db:"ip"`
	UserAgent   string `db:"user_agent"`
	CreatedAt   string `db:"created_at"`
}

// lastAuditID is the newest audit id of an account (0 when none), a marker
// for "rows written after this point".
func lastAuditID(t *testing.T, srv *apptest.Server, accountID int64) int64 {
	t.Helper()
	var id int64
	if err := srv.Store.DB().Get(&id, `SELECT coalesce(max(id), 0) FROM audit_events WHERE account_id = $1`, accountID); err != nil {
		t.Fatal(err)
	}
	return id
}

func auditRowsSince(t *testing.T, srv *apptest.Server, accountID, since int64) []auditRow {
	t.Helper()
	var rows []auditRow
	if err := srv.Store.DB().Select(&rows, `SELECT id, actor_user_id, action, payload::text AS payload, ip, user_agent, created_at::text AS created_at
		FROM audit_events WHERE account_id = $1 AND id > $2 ORDER BY id`, accountID, since); err != nil {
		t.Fatal(err)
	}
	return rows
}

func getAudit(t *testing.T, c *apptest.Client, query string) auditListJSON {
	t.Helper()
	res := c.Get(auditAPI + query)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s%s: %d %s", auditAPI, query, res.StatusCode, res.Body)
	}
	var body auditListJSON
	res.JSON(&body)
	if body.Events == nil {
		t.Fatalf("events is null, want a list: %s", res.Body)
	}
	return body
}

// seedAudit writes n events for an actor with one statement.
func seedAudit(t *testing.T, srv *apptest.Server, accountID, userID int64, action string, n int) {
	t.Helper()
	if _, err := srv.Store.DB().Exec(`INSERT INTO audit_events (account_id, actor_user_id, action, payload, ip, user_agent)
		SELECT $1, $2, $3, jsonb_build_object('n', g), '203.0.113.9', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
		FROM generate_series(1, $4) g`, accountID, userID, action, n); err != nil {
		t.Fatal(err)
	}
}

func jsonObject(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("payload %q: %v", s, err)
	}
	return m
}

// TestEveryAuditedActionWritesOneRow drives each audited action through the
// real endpoint and checks that exactly one row appeared, with the
// documented payload, the actor, IP and user agent, and that the API
// describes it in plain words.
func TestEveryAuditedActionWritesOneRow(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	const ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"
	withUA := func(c *apptest.Client) *apptest.Client {
		c.HTTP.Transport = userAgentTransport{ua}
		return c
	}
	login := func(t *testing.T, email string) *apptest.Client {
		t.Helper()
		c := withUA(srv.NewClient(t))
		if res := c.LoginAs(email, apptest.Password); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", res.StatusCode)
		}
		c.RefreshCSRF()
		return c
	}
	sessionOf := func(t *testing.T, userID int64) string {
		t.Helper()
		var id string
		if err := srv.Store.DB().Get(&id, `SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1`, userID); err != nil {
			t.Fatal(err)
		}
		return id
	}

	tests := []struct {
		name string
		// do performs the action and returns who did it, the payload it must
		// write and how the log must say it.
		do func(t *testing.T, team apptest.Team) (actor int64, payload map[string]any, summary string)
	}{
		{store.ActionLogin, func(t *testing.T, team apptest.Team) (int64, map[string]any, string) {
			login(t, team.Owner.Email)
			return team.Owner.ID, map[string]any{"session_id": sessionOf(t, team.Owner.ID), "method": "password"}, team.Owner.Email + " signed in"
		}},
		{store.ActionLoginFailed, func(t *testing.T, team apptest.Team) (int64, map[string]any, string) {
			c := withUA(srv.NewClient(t))
			if res := c.LoginAs(team.Engineer.Email, "not the password"); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("wrong password: %d", res.StatusCode)
			}
			return team.Engineer.ID, map[string]any{"email": team.Engineer.Email}, "Someone failed to sign in as " + team.Engineer.Email
		}},
		{store.ActionLogout, func(t *testing.T, team apptest.Team) (int64, map[string]any, string) {
			c := login(t, team.Engineer.Email)
			id := sessionOf(t, team.Engineer.ID)
			since := lastAuditID(t, srv, team.Account.ID)
			if res := c.PostForm("/logout", nil); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("logout: %d", res.StatusCode)
			}
			onlyAfter(t, srv, team, since)
			return team.Engineer.ID, map[string]any{"session_id": id}, team.Engineer.Email + " signed out"
		}},
		{store.ActionAccessForbidden, func(t *testing.T, team apptest.Team) (int64, map[string]any, string) {
			c := login(t, team.Engineer.Email)
			since := lastAuditID(t, srv, team.Account.ID)
			res := c.PostForm("/settings/security/policy", url.Values{"preset": {"strict"}})
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("engineer saving the policy: %d", res.StatusCode)
			}
			onlyAfter(t, srv, team, since)
			return team.Engineer.ID, map[string]any{"method": "POST", "path": "/settings/security/policy", "role": "engineer"},
				team.Engineer.Email + " tried to change the session policy, without permission"
		}},
		{store.ActionReauth, func(t *testing.T, team apptest.Team) (int64, map[string]any, string) {
			c := login(t, team.Owner.Email)
			since := lastAuditID(t, srv, team.Account.ID)
			if res := c.SendJSON(http.MethodPost, "/api/session/reauth", map[string]string{"password": apptest.Password}); res.StatusCode != http.StatusOK {
				t.Fatalf("reauth: %d %s", res.StatusCode, res.Body)
			}
			onlyAfter(t, srv, team, since)
			return team.Owner.ID, map[string]any{"session_id": sessionOf(t, team.Owner.ID)}, team.Owner.Email + " confirmed their password"
		}},
		{store.ActionLoginFailed + " (reauth)", func(t *testing.T, team apptest.Team) (int64, map[string]any, string) {
			c := login(t, team.Owner.Email)
			since := lastAuditID(t, srv, team.Account.ID)
			if res := c.SendJSON(http.MethodPost, "/api/session/reauth", map[string]string{"password": "nope"}); res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("reauth with a wrong password: %d %s", res.StatusCode, res.Body)
			}
			onlyAfter(t, srv, team, since)
			return team.Owner.ID, map[string]any{"email": team.Owner.Email, "reauth": true},
				team.Owner.Email + " entered a wrong password when asked to confirm it"
		}},
		{store.ActionPolicyUpdate, func(t *testing.T, team apptest.Team) (int64, map[string]any, string) {
			c := login(t, team.Owner.Email)
			since := lastAuditID(t, srv, team.Account.ID)
			if res := c.SendJSON(http.MethodPatch, "/api/accounts/me/security", map[string]int{"idle_minutes": 15}); res.StatusCode != http.StatusOK {
				t.Fatalf("PATCH security: %d %s", res.StatusCode, res.Body)
			}
			onlyAfter(t, srv, team, since)
			return team.Owner.ID, map[string]any{
					"old":           map[string]any{"idle_minutes": nil, "absolute_minutes": nil},
					"new":           map[string]any{"idle_minutes": 15.0, "absolute_minutes": nil},
					"effective_old": map[string]any{"idle_minutes": 30.0, "absolute_minutes": 20160.0},
					"effective_new": map[string]any{"idle_minutes": 15.0, "absolute_minutes": 20160.0},
				},
				team.Owner.Email + " changed the idle timeout from 30 minutes (default) to 15 minutes"
		}},
		{store.ActionSessionsRevoke, func(t *testing.T, team apptest.Team) (int64, map[string]any, string) {
			login(t, team.Engineer.Email)
			c := login(t, team.Owner.Email)
			since := lastAuditID(t, srv, team.Account.ID)
			res := c.SendJSON(http.MethodPost, "/api/accounts/me/security/revoke-sessions", map[string]string{"scope": "others"})
			if res.StatusCode != http.StatusOK {
				t.Fatalf("revoke others: %d %s", res.StatusCode, res.Body)
			}
			onlyAfter(t, srv, team, since)
			return team.Owner.ID, map[string]any{"scope": "others", "revoked_count": 1.0},
				team.Owner.Email + " signed out 1 session (everyone but themself)"
		}},
		{store.ActionSessionRevoke, func(t *testing.T, team apptest.Team) (int64, map[string]any, string) {
			login(t, team.Engineer.Email)
			id := sessionOf(t, team.Engineer.ID)
			c := login(t, team.Owner.Email)
			since := lastAuditID(t, srv, team.Account.ID)
			res := c.Do(http.MethodDelete, "/api/accounts/me/sessions/"+id, nil, nil)
			if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNoContent {
				t.Fatalf("DELETE session: %d %s", res.StatusCode, res.Body)
			}
			onlyAfter(t, srv, team, since)
			return team.Owner.ID, map[string]any{"session_id": id, "user_id": float64(team.Engineer.ID), "email": team.Engineer.Email},
				team.Owner.Email + " ended " + team.Engineer.Email + "'s session"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			team := apptest.NewTeam(t, srv.Store)
			action, _, _ := strings.Cut(tt.name, " ")
			// Each case checks that its action wrote one row in all; here the
			// team's whole log holds exactly one row of the action.
			actor, payload, summary := tt.do(t, team)

			var rows []auditRow
			for _, r := range auditRowsSince(t, srv, team.Account.ID, 0) {
				if r.Action == action {
					rows = append(rows, r)
				}
			}
			if len(rows) != 1 {
				t.Fatalf("%d %s rows, want exactly one: %+v", len(rows), action, rows)
			}
			r := rows[0]
			if r.ActorUserID == nil || *r.ActorUserID != actor {
				t.Errorf("actor = %v, want %d", r.ActorUserID, actor)
			}
			if got := jsonObject(t, r.Payload); !reflect.DeepEqual(got, payload) {
				t.Errorf("payload = %v\nwant      %v", got, payload)
			}
			if r.IP != "127.0.0.1" || r.UserAgent != ua {
				t.Errorf("ip %q user agent %q, want 127.0.0.1 and the client's", r.IP, r.UserAgent)
			}

			reader := srv.Login(t, team.Owner.Email, apptest.Password)
			list := getAudit(t, reader, fmt.Sprintf("?action=%s&before=%d&limit=1", action, r.ID+1))
			if len(list.Events) != 1 || list.Events[0].ID != r.ID {
				t.Fatalf("API events for %s = %+v, want row %d", action, list.Events, r.ID)
			}
			if got := list.Events[0].Summary; got != summary {
				t.Errorf("summary = %q\nwant      %q", got, summary)
			}
		})
	}
}

// onlyAfter fails unless every row written since the marker is one row: the
// action under test wrote nothing else.
func onlyAfter(t *testing.T, srv *apptest.Server, team apptest.Team, since int64) {
	t.Helper()
	if rows := auditRowsSince(t, srv, team.Account.ID, since); len(rows) != 1 {
		t.Errorf("the action wrote %d audit rows, want exactly one: %+v", len(rows), rows)
	}
}

type userAgentTransport struct{ ua string }

func (u userAgentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", u.ua)
	return http.DefaultTransport.RoundTrip(r)
}

// TestAuditPagesHaveNoGapsUnderConcurrentInserts walks the log page by page
// while other goroutines keep writing events: every event that existed when
// the walk began must appear exactly once, in order.
func TestAuditPagesHaveNoGapsUnderConcurrentInserts(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	other := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	seedAudit(t, srv, team.Account.ID, team.Engineer.ID, store.ActionLogin, 400)
	var before []int64
	if err := srv.Store.DB().Select(&before, `SELECT id FROM audit_events WHERE account_id = $1 ORDER BY id DESC`, team.Account.ID); err != nil {
		t.Fatal(err)
	}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var inserted sync.Map
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acct, user := team.Account.ID, team.Owner.ID
			if i%2 == 1 {
				acct, user = other.Account.ID, other.Owner.ID
			}
			for n := 0; ctx.Err() == nil; n++ {
				err := srv.Store.InsertAudit(ctx, store.Actor{AccountID: acct, UserID: user}, store.ActionReauth, map[string]any{"writer": i, "n": n})
				if err != nil && ctx.Err() == nil {
					t.Errorf("insert: %v", err)
					return
				}
				inserted.Store(i, n)
			}
		}()
	}

	seen := map[int64]int{}
	var walked []int64
	query := "?limit=23"
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("the walk does not end")
		}
		page := getAudit(t, owner, query)
		for _, e := range page.Events {
			seen[e.ID]++
			walked = append(walked, e.ID)
		}
		if page.NextBefore == nil {
			break
		}
		query = "?limit=23&before=" + strconv.FormatInt(*page.NextBefore, 10)
	}
	stop()
	wg.Wait()

	if n, _ := inserted.Load(0); n == nil || n.(int) < 1 {
		t.Fatal("no events were written during the walk; the test proves nothing")
	}
	for _, id := range before {
		if seen[id] != 1 {
			t.Errorf("event %d seen %d times, want once", id, seen[id])
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %d seen %d times", id, n)
		}
	}
	if !slices.IsSortedFunc(walked, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("the walk is not newest first")
	}
}

// TestAuditIsForOwnersOnly: an engineer gets 403 on the page, the export and
// the API, sees none of the log, and each refusal is itself audited.
func TestAuditIsForOwnersOnly(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	srv.Login(t, team.Owner.Email, apptest.Password)
	eng := srv.Login(t, team.Engineer.Email, apptest.Password)
	since := lastAuditID(t, srv, team.Account.ID)

	for _, path := range []string{"/settings/audit", "/settings/audit/export?format=csv", "/settings/audit/export?format=json", auditAPI} {
		res := eng.Get(path)
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("engineer GET %s: %d, want 403", path, res.StatusCode)
		}
		if strings.Contains(res.Body, team.Owner.Email) || strings.Contains(res.Body, store.ActionLogin) {
			t.Errorf("engineer GET %s shows the log:\n%s", path, res.Body)
		}
		if strings.HasPrefix(path, "/api/") {
			var e struct{ Error string }
			res.JSON(&e)
			if e.Error != "forbidden" {
				t.Errorf("API error %q, want forbidden", e.Error)
			}
		}
	}
	var refused []auditRow
	for _, r := range auditRowsSince(t, srv, team.Account.ID, since) {
		if r.Action == store.ActionAccessForbidden {
			refused = append(refused, r)
		}
	}
	if len(refused) != 4 {
		t.Errorf("%d refusals audited, want 4", len(refused))
	}
}

// TestAuditNeverShowsAnotherAccount checks the page, the API and both
// exports, unfiltered and with a person filter pointing into the other account.
func TestAuditNeverShowsAnotherAccount(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	other := apptest.NewTeam(t, srv.Store)
	const secretUA = "OtherAccountAgent/1.0"
	stranger := srv.NewClient(t)
	stranger.HTTP.Transport = userAgentTransport{secretUA}
	stranger.LoginAs(other.Owner.Email, "wrong password")
	stranger.LoginAs(other.Owner.Email, apptest.Password)
	if err := srv.Store.InsertAudit(context.Background(), store.Actor{AccountID: other.Account.ID, UserID: other.Owner.ID, UserAgent: secretUA},
		store.ActionSessionRevoke, map[string]any{"user_id": team.Owner.ID}); err != nil {
		t.Fatal(err)
	}
	owner := srv.Login(t, team.Owner.Email, apptest.Password)

	leaks := func(what, body string) {
		t.Helper()
		for _, s := range []string{other.Owner.Email, other.Engineer.Email, secretUA} {
			if strings.Contains(body, s) {
				t.Errorf("%s shows %q of another account", what, s)
			}
		}
	}
	actor := strconv.FormatInt(other.Owner.ID, 10)
	for _, q := range []string{"", "?actor=" + actor, "?action=" + store.ActionLoginFailed} {
		page := owner.Get("/settings/audit" + q)
		if page.StatusCode != http.StatusOK {
			t.Fatalf("page%s: %d", q, page.StatusCode)
		}
		leaks("page"+q, page.Body)
		api := owner.Get(auditAPI + q)
		leaks("API"+q, api.Body)
		sep := "?"
		if q != "" {
			sep = "&"
		}
		for _, f := range []string{"csv", "json"} {
			leaks("export"+q, owner.Get("/settings/audit/export"+q+sep+"format="+f).Body)
		}
	}
	if list := getAudit(t, owner, "?actor="+actor); len(list.Events) != 0 {
		t.Errorf("filtering on another account's person returned %d events", len(list.Events))
	}
	if page := owner.Get("/settings/audit?actor=" + actor); !strings.Contains(page.Body, `data-testid="audit-empty"`) {
		t.Errorf("the page filtered on another account's person is not empty")
	}
	csvBody := owner.Get("/settings/audit/export?format=csv&actor=" + actor).Body
	if recs := readCSV(t, csvBody); len(recs) != 1 {
		t.Errorf("CSV filtered on another account's person has %d lines, want the header only", len(recs))
	}
	// The owner's own log has only their sign-in.
	list := getAudit(t, owner, "")
	if len(list.Events) != 1 || list.Events[0].Action != store.ActionLogin || list.Events[0].Actor.ID != team.Owner.ID {
		t.Errorf("own log = %+v, want just the sign-in", list.Events)
	}
}

func TestAuditFilters(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	seedAudit(t, srv, team.Account.ID, team.Engineer.ID, store.ActionLogout, 3)
	seedAudit(t, srv, team.Account.ID, team.Engineer.ID, store.ActionLogin, 2)
	seedAudit(t, srv, team.Account.ID, team.Owner.ID, store.ActionReauth, 4)
	eng := strconv.FormatInt(team.Engineer.ID, 10)

	tests := []struct {
		query  string
		count  int
		action string
		actor  int64
	}{
		{"?action=auth.logout", 3, store.ActionLogout, 0},
		{"?action=auth.login", 3, store.ActionLogin, 0}, // two seeded and the owner's sign-in
		{"?actor=" + eng, 5, "", team.Engineer.ID},
		{"?actor=" + eng + "&action=auth.login", 2, store.ActionLogin, team.Engineer.ID},
		{"?action=auth.reauth&limit=2", 2, store.ActionReauth, team.Owner.ID},
		{"?action=account.sessions_revoke", 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			list := getAudit(t, owner, tt.query)
			if len(list.Events) != tt.count {
				t.Fatalf("%d events, want %d", len(list.Events), tt.count)
			}
			for _, e := range list.Events {
				if tt.action != "" && e.Action != tt.action {
					t.Errorf("event %d is %s", e.ID, e.Action)
				}
				if tt.actor != 0 && (e.Actor == nil || e.Actor.ID != tt.actor) {
					t.Errorf("event %d by %+v", e.ID, e.Actor)
				}
			}
			page := owner.Get("/settings/audit" + tt.query)
			if got := strings.Count(page.Body, `data-testid="audit-event"`); got != tt.count {
				t.Errorf("page shows %d events, want %d", got, tt.count)
			}
		})
	}

	t.Run("the form keeps the filters", func(t *testing.T) {
		doc := parseHTML(t, owner.Get("/settings/audit?action=auth.login&actor="+eng).Body)
		if v := selectedOption(doc, "audit-action"); v != "auth.login" {
			t.Errorf("event select shows %q", v)
		}
		if v := selectedOption(doc, "audit-actor"); v != eng {
			t.Errorf("person select shows %q", v)
		}
		var people []string
		walkHTML(doc, func(n *html.Node) {
			if n.Data == "option" && n.Parent != nil && htmlAttr(n.Parent, "id") == "audit-actor" {
				people = append(people, htmlText(n))
			}
		})
		if len(people) != 3 || !strings.Contains(strings.Join(people, "|"), team.Engineer.Email) {
			t.Errorf("person options = %v, want everyone and the two people", people)
		}
	})
}

func TestAuditQueryValidation(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)

	tests := []struct {
		query, field string
	}{
		{"?before=abc", "before"},
		{"?before=-5", "before"},
		{"?before=0", "before"},
		{"?before=99999999999999999999", "before"},
		{"?limit=0", "limit"},
		{"?limit=-1", "limit"},
		{"?limit=201", "limit"},
		{"?limit=ten", "limit"},
		{"?actor=someone", "actor"},
		{"?actor=-2", "actor"},
		{"?action=auth.hack", "action"},
		{"?action=AUTH.LOGIN", "action"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := owner.Get(auditAPI + tt.query)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("API: %d %s, want 422", res.StatusCode, res.Body)
			}
			var e struct {
				Error  string
				Fields map[string]string
			}
			res.JSON(&e)
			if e.Error != "validation_failed" || e.Fields[tt.field] == "" || len(e.Fields) != 1 {
				t.Errorf("API error = %+v, want only %s named", e, tt.field)
			}
			if tt.field == "action" && !strings.Contains(e.Fields["action"], store.ActionPolicyUpdate) {
				t.Errorf("action error %q does not list the known actions", e.Fields["action"])
			}
			page := owner.Get("/settings/audit" + tt.query)
			if page.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page.Body, `id="audit-`+tt.field+`-error"`) {
				t.Errorf("page: %d, want 422 with the %s error shown", page.StatusCode, tt.field)
			}
			if exp := owner.Get("/settings/audit/export?format=csv&" + tt.query[1:]); exp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("export: %d, want 422", exp.StatusCode)
			}
		})
	}
	t.Run("limits at the edges are fine", func(t *testing.T) {
		for _, q := range []string{"?limit=1", "?limit=200", "?before=1", "?actor=1"} {
			if res := owner.Get(auditAPI + q); res.StatusCode != http.StatusOK {
				t.Errorf("%s: %d", q, res.StatusCode)
			}
		}
	})
	t.Run("several bad values are all named", func(t *testing.T) {
		res := owner.Get(auditAPI + "?limit=0&before=x&actor=y&action=z")
		var e struct{ Fields map[string]string }
		res.JSON(&e)
		if len(e.Fields) != 4 {
			t.Errorf("fields = %v, want all four", e.Fields)
		}
	})
	t.Run("export format", func(t *testing.T) {
		for _, q := range []string{"", "?format=xml"} {
			res := owner.Get("/settings/audit/export" + q)
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "csv or json") {
				t.Errorf("export%s: %d %s", q, res.StatusCode, res.Body)
			}
		}
	})
	t.Run("the default page is 50 and next_before continues it", func(t *testing.T) {
		seedAudit(t, srv, team.Account.ID, team.Owner.ID, store.ActionLogout, 60)
		list := getAudit(t, owner, "")
		if len(list.Events) != 50 || list.NextBefore == nil || *list.NextBefore != list.Events[49].ID {
			t.Fatalf("%d events, next %v", len(list.Events), list.NextBefore)
		}
		rest := getAudit(t, owner, fmt.Sprintf("?before=%d", *list.NextBefore))
		if len(rest.Events) != 11 || rest.NextBefore != nil {
			t.Errorf("second page: %d events, next %v; want 11 and null", len(rest.Events), rest.NextBefore)
		}
	})
}

// TestAuditPageSaysEachEventInPlainWords renders events with the documented
// payloads, as the other features write them.
func TestAuditPageSaysEachEventInPlainWords(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	if _, err := srv.Store.DB().Exec(`UPDATE users SET name = 'Olivia' WHERE id = $1`, team.Owner.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.DB().Exec(`UPDATE users SET name = 'Evan' WHERE id = $1`, team.Engineer.ID); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	olivia := store.Actor{AccountID: team.Account.ID, UserID: team.Owner.ID, IP: "198.51.100.7",
		UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"}
	evan := store.Actor{AccountID: team.Account.ID, UserID: team.Engineer.ID, IP: "198.51.100.8"}
	events := []struct {
		actor   store.Actor
		action  string
		payload string
		want    string
	}{
		{olivia, store.ActionPolicyUpdate, `{"old":{"idle_minutes":null,"absolute_minutes":null},"new":{"idle_minutes":15,"absolute_minutes":1440},
			"effective_old":{"idle_minutes":30,"absolute_minutes":20160},"effective_new":{"idle_minutes":15,"absolute_minutes":1440}}`,
			"Olivia changed the idle timeout from 30 minutes (default) to 15 minutes and the absolute lifetime from 14 days (default) to 1 day"},
		{olivia, store.ActionPolicyUpdate, `{"old":{"idle_minutes":15,"absolute_minutes":1440},"new":{"idle_minutes":null,"absolute_minutes":1440},
			"effective_old":{"idle_minutes":15,"absolute_minutes":1440},"effective_new":{"idle_minutes":30,"absolute_minutes":1440}}`,
			"Olivia changed the idle timeout from 15 minutes to 30 minutes (default)"},
		{olivia, store.ActionSessionsRevoke, `{"scope":"all","revoked_count":12}`, "Olivia signed out 12 sessions (everyone)"},
		{olivia, store.ActionSessionsRevoke, `{"scope":"others","revoked_count":1}`, "Olivia signed out 1 session (everyone but themself)"},
		{olivia, store.ActionSessionsRevoke, `{"scope":"all","revoked_count":12,"people_count":5}`, "Olivia signed out 12 sessions of 5 people"},
		{olivia, store.ActionSessionRevoke, fmt.Sprintf(`{"session_id":"x","user_id":%d,"email":%q}`, team.Engineer.ID, team.Engineer.Email), "Olivia ended Evan's session"},
		{evan, store.ActionSessionRevoke, fmt.Sprintf(`{"session_id":"x","user_id":%d}`, team.Engineer.ID), "Evan ended one of their own sessions"},
		{evan, store.ActionLogin, `{"session_id":"x"}`, "Evan signed in"},
		{evan, store.ActionLoginFailed, `{"email":"evan@example.test"}`, "Someone failed to sign in as evan@example.test"},
		{evan, store.ActionLogout, `{"session_id":"x"}`, "Evan signed out"},
		{evan, store.ActionAccessForbidden, `{"method":"POST","path":"/settings/security/policy","role":"engineer"}`,
			"Evan tried to change the session policy, without permission"},
		{olivia, store.ActionReauth, `{"session_id":"x"}`, "Olivia confirmed their password"},
	}
	for _, e := range events {
		if err := srv.Store.InsertAudit(ctx, e.actor, e.action, json.RawMessage(e.payload)); err != nil {
			t.Fatal(err)
		}
	}
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	res := owner.Get("/settings/audit?limit=" + strconv.Itoa(len(events)+1))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("page: %d", res.StatusCode)
	}
	doc := parseHTML(t, res.Body)
	var items []*html.Node
	walkHTML(doc, func(n *html.Node) {
		if htmlAttr(n, "data-testid") == "audit-event" {
			items = append(items, n)
		}
	})
	if len(items) != len(events)+1 {
		t.Fatalf("%d events on the page, want %d", len(items), len(events)+1)
	}
	// Newest first: the owner's own sign-in, then the events in reverse.
	if got := sentence(items[0]); got != "Olivia signed in" {
		t.Errorf("newest event says %q", got)
	}
	for i, e := range events {
		item := items[len(events)-i]
		if got := sentence(item); got != e.want {
			t.Errorf("%s says %q\nwant %q", e.action, got, e.want)
		}
		if htmlAttr(item, "data-action") != e.action {
			t.Errorf("event %d has data-action %q", i, htmlAttr(item, "data-action"))
		}
	}

	first := items[len(events)] // the first policy change, by Olivia in Chrome
	tm := findHTML(first, func(n *html.Node) bool { return n.Data == "time" })
	if tm == nil {
		t.Fatal("no <time> in an event")
	}
	at, err := time.Parse(time.RFC3339, htmlAttr(tm, "datetime"))
	if err != nil || !strings.HasSuffix(htmlAttr(tm, "title"), "UTC") || htmlText(tm) != words.When(at, time.Now()) {
		t.Errorf("time datetime=%q title=%q text=%q", htmlAttr(tm, "datetime"), htmlAttr(tm, "title"), htmlText(tm))
	}
	if ago := findHTML(first, func(n *html.Node) bool { return htmlAttr(n, "data-testid") == "audit-ago" }); ago == nil || htmlText(ago) != "just now" {
		t.Errorf("no relative time beside the date")
	}
	text := htmlText(first)
	for _, want := range []string{"198.51.100.7", "Chrome 126 on Windows", "Policy changed"} {
		if !strings.Contains(text, want) {
			t.Errorf("event does not show %q: %s", want, text)
		}
	}
	details := findHTML(first, func(n *html.Node) bool { return htmlAttr(n, "data-testid") == "audit-payload" })
	if got := htmlText(details); details == nil || !strings.Contains(got, "30 minutes (default) → 15 minutes") ||
		!strings.Contains(got, "14 days (default) → 1 day") || strings.Contains(got, "effective_new") {
		t.Errorf("the details do not say old → new in words: %q", got)
	}
	if sum := findHTML(first, func(n *html.Node) bool { return n.Data == "summary" }); sum == nil || htmlText(sum) != "Details" {
		t.Errorf("no Details summary")
	}

	t.Run("filtered to nothing", func(t *testing.T) {
		page := owner.Get("/settings/audit?action=" + store.ActionOwnSessionsRevoke)
		if !strings.Contains(page.Body, `data-testid="audit-empty"`) || !strings.Contains(page.Body, "No events match") {
			t.Errorf("no empty state for a filter that matches nothing")
		}
	})
}

func sentence(item *html.Node) string {
	p := findHTML(item, func(n *html.Node) bool { return htmlAttr(n, "data-testid") == "audit-sentence" })
	if p == nil {
		return ""
	}
	return strings.Join(strings.Fields(htmlText(p)), " ")
}

// TestAuditLoadMore follows "Load more" as htmx does (fragments appended in
// place) and without JavaScript (a plain link to the next page).
func TestAuditLoadMore(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	seedAudit(t, srv, team.Account.ID, team.Engineer.ID, store.ActionLogin, 119)
	owner := srv.Login(t, team.Owner.Email, apptest.Password) // the 120th event
	all := getAudit(t, owner, "?limit=200").Events
	if len(all) != 120 {
		t.Fatalf("%d events", len(all))
	}

	page := owner.Get("/settings/audit")
	doc := parseHTML(t, page.Body)
	ids, more := auditPageParts(t, doc)
	if len(ids) != 50 || ids[0] != all[0].ID || ids[49] != all[49].ID {
		t.Fatalf("first page: %d events", len(ids))
	}
	if more == nil {
		t.Fatal("no Load more")
	}
	href := htmlAttr(more, "href")
	if htmlAttr(more, "hx-get") != href || htmlAttr(more, "hx-target") != "#audit-more" || htmlAttr(more, "hx-swap") != "outerHTML" {
		t.Errorf("Load more is not wired for htmx: %s", renderHTML(more))
	}
	if want := fmt.Sprintf("/settings/audit?before=%d", all[49].ID); href != want {
		t.Errorf("Load more goes to %q, want %q", href, want)
	}

	var got []int64
	got = append(got, ids...)
	for range 5 {
		res := owner.GetHTMX(href)
		if res.StatusCode != http.StatusOK || strings.Contains(res.Body, "<html") {
			t.Fatalf("htmx Load more: %d, a whole page: %v", res.StatusCode, strings.Contains(res.Body, "<html"))
		}
		if vary := strings.Join(res.Header.Values("Vary"), ", "); !strings.Contains(vary, "HX-Request") {
			t.Errorf("Vary = %q", vary)
		}
		frag := parseHTML(t, "<ol>"+res.Body+"</ol>")
		ids, more = auditPageParts(t, frag)
		got = append(got, ids...)
		if f := findHTML(frag, func(n *html.Node) bool {
			return htmlAttr(n, "data-audit-focus") != "" || hasAttr(n, "data-audit-focus")
		}); f == nil || htmlAttr(f, "data-event-id") != strconv.FormatInt(ids[0], 10) {
			t.Errorf("the first appended event does not take focus")
		}
		if more == nil {
			if !strings.Contains(res.Body, `data-testid="audit-end"`) {
				t.Errorf("the last page does not say it is the end")
			}
			break
		}
		href = htmlAttr(more, "href")
	}
	var want []int64
	for _, e := range all {
		want = append(want, e.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Load more walked %d events, want all %d in order", len(got), len(want))
	}

	t.Run("without JavaScript the link is the next page", func(t *testing.T) {
		res := owner.Get(fmt.Sprintf("/settings/audit?before=%d", all[49].ID))
		doc := parseHTML(t, res.Body)
		ids, _ := auditPageParts(t, doc)
		if res.StatusCode != http.StatusOK || len(ids) != 50 || ids[0] != all[50].ID {
			t.Errorf("next page: %d with %d events", res.StatusCode, len(ids))
		}
		if !strings.Contains(res.Body, "Back to the newest") {
			t.Errorf("an older page has no way back to the newest")
		}
	})
	t.Run("filters carry over", func(t *testing.T) {
		seedAudit(t, srv, team.Account.ID, team.Engineer.ID, store.ActionLogout, 60)
		doc := parseHTML(t, owner.Get("/settings/audit?action=auth.logout&actor="+strconv.FormatInt(team.Engineer.ID, 10)).Body)
		_, more := auditPageParts(t, doc)
		if more == nil {
			t.Fatal("no Load more")
		}
		u, _ := url.Parse(htmlAttr(more, "href"))
		if u.Query().Get("action") != "auth.logout" || u.Query().Get("actor") != strconv.FormatInt(team.Engineer.ID, 10) || u.Query().Get("before") == "" {
			t.Errorf("Load more drops the filters: %s", u)
		}
	})
}

func auditPageParts(t *testing.T, doc *html.Node) (ids []int64, more *html.Node) {
	t.Helper()
	walkHTML(doc, func(n *html.Node) {
		switch htmlAttr(n, "data-testid") {
		case "audit-event":
			id, err := strconv.ParseInt(htmlAttr(n, "data-event-id"), 10, 64)
			if err != nil {
				t.Fatalf("event without id: %s", renderHTML(n))
			}
			ids = append(ids, id)
		case "audit-load-more":
			more = n
		}
	})
	return ids, more
}

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v\n%s", err, body)
	}
	return recs
}

func TestAuditExport(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := context.Background()
	// Values a person controls (their user agent, an email typed at sign-in)
	// that a spreadsheet would run as formulas.
	formulas := []string{`=HYPERLINK("http://evil.test","x")`, "+1+1", "-2+3", "@SUM(A1)"}
	for _, f := range formulas {
		if err := srv.Store.InsertAudit(ctx, store.Actor{AccountID: team.Account.ID, UserID: team.Engineer.ID, IP: "203.0.113.5", UserAgent: f},
			store.ActionLoginFailed, map[string]any{"email": f}); err != nil {
			t.Fatal(err)
		}
	}
	owner := srv.Login(t, team.Owner.Email, apptest.Password)

	t.Run("csv", func(t *testing.T) {
		res := owner.Get("/settings/audit/export?format=csv&action=auth.login_failed")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("export: %d %s", res.StatusCode, res.Body)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type %q", ct)
		}
		if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, `.csv"`) {
			t.Errorf("Content-Disposition %q", cd)
		}
		recs := readCSV(t, res.Body)
		if len(recs) != 1+len(formulas) {
			t.Fatalf("%d lines, want header and %d events", len(recs), len(formulas))
		}
		header := recs[0]
		col := func(name string) int { return slices.Index(header, name) }
		for _, name := range []string{"id", "created_at", "action", "summary", "actor_email", "ip", "user_agent", "payload"} {
			if col(name) < 0 {
				t.Fatalf("no %s column in %v", name, header)
			}
		}
		for i, rec := range recs[1:] {
			f := formulas[len(formulas)-1-i] // newest first
			if got := rec[col("user_agent")]; got != "'"+f {
				t.Errorf("user_agent cell %q, want %q", got, "'"+f)
			}
			if got := rec[col("summary")]; got != "Someone failed to sign in as "+f {
				t.Errorf("summary cell %q", got)
			}
			for j, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
					t.Errorf("cell %s = %q starts a formula", header[j], cell)
				}
			}
			if rec[col("actor_email")] != team.Engineer.Email || rec[col("action")] != store.ActionLoginFailed {
				t.Errorf("row %v", rec)
			}
			var p map[string]any
			if err := json.Unmarshal([]byte(rec[col("payload")]), &p); err != nil || p["email"] != f {
				t.Errorf("payload cell %q", rec[col("payload")])
			}
		}
	})
	t.Run("json matches the API", func(t *testing.T) {
		res := owner.Get("/settings/audit/export?format=json")
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), `.json"`) {
			t.Fatalf("export: %d %q", res.StatusCode, res.Header.Get("Content-Disposition"))
		}
		var body struct {
			Events     []auditEventJSON `json:"events"`
			Truncated  bool             `json:"truncated"`
			NextBefore *int64           `json:"next_before"`
		}
		res.JSON(&body)
		api := getAudit(t, owner, "?limit=200")
		if !reflect.DeepEqual(body.Events, api.Events) || body.Truncated || body.NextBefore != nil {
			t.Errorf("JSON export differs from the API:\n%+v\n%+v", body, api.Events)
		}
	})
	t.Run("an empty export is valid", func(t *testing.T) {
		res := owner.Get("/settings/audit/export?format=json&action=auth.reauth")
		var body struct{ Events []auditEventJSON }
		res.JSON(&body)
		if body.Events == nil || len(body.Events) != 0 {
			t.Errorf("empty export = %s", res.Body)
		}
	})
}

// TestAuditExportStopsAtTheCap exports a log larger than the cap: the file
// holds exactly the cap and ends with a note on how to get the rest. The cap
// and batch are shrunk (100 and 7 instead of 100,000 and 1,000) to keep the
// test fast, which is why it does not run in parallel.
func TestAuditExportStopsAtTheCap(t *testing.T) {
	const exportCap = 100
	t.Cleanup(handlers.SetAuditExportLimits(exportCap, 7))
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	seedAudit(t, srv, team.Account.ID, team.Engineer.ID, store.ActionLogout, exportCap+4)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	list := getAudit(t, owner, "?action=auth.logout&limit=1")
	newest := list.Events[0].ID

	recs := readCSV(t, owner.Get("/settings/audit/export?format=csv&action=auth.logout").Body)
	if len(recs) != 1+exportCap+1 {
		t.Fatalf("%d lines, want header, %d events and a note", len(recs), exportCap)
	}
	if recs[1][0] != strconv.FormatInt(newest, 10) {
		t.Errorf("first row %v, want the newest event", recs[1])
	}
	lastID, _ := strconv.ParseInt(recs[exportCap][0], 10, 64)
	note := recs[exportCap+1]
	if note[0] != "" || !strings.Contains(note[3], "Export stopped at 100 events") ||
		!strings.Contains(note[3], "before="+strconv.FormatInt(lastID, 10)) {
		t.Errorf("note row = %v (last id %d)", note, lastID)
	}
	rest := getAudit(t, owner, "?action=auth.logout&before="+strconv.FormatInt(lastID, 10))
	if len(rest.Events) != 4 {
		t.Errorf("after the cap %d events remain, want 4", len(rest.Events))
	}

	res := owner.Get("/settings/audit/export?format=json&action=auth.logout")
	var body struct {
		Events     []json.RawMessage `json:"events"`
		Truncated  bool              `json:"truncated"`
		NextBefore *int64            `json:"next_before"`
	}
	res.JSON(&body)
	if len(body.Events) != exportCap || !body.Truncated || body.NextBefore == nil || *body.NextBefore != lastID {
		t.Errorf("JSON export: %d events, truncated %v, next_before %v; want %d, true, %d",
			len(body.Events), body.Truncated, body.NextBefore, exportCap, lastID)
	}
}

// HTML helpers.

func parseHTML(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return doc
}

func walkHTML(n *html.Node, fn func(*html.Node)) {
	if n.Type == html.ElementNode {
		fn(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walkHTML(c, fn)
	}
}

func findHTML(n *html.Node, match func(*html.Node) bool) *html.Node {
	var found *html.Node
	walkHTML(n, func(c *html.Node) {
		if found == nil && match(c) {
			found = c
		}
	})
	return found
}

func htmlAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func htmlText(n *html.Node) string {
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
	return strings.TrimSpace(b.String())
}

func renderHTML(n *html.Node) string {
	var b strings.Builder
	html.Render(&b, n)
	return b.String()
}

func selectedOption(doc *html.Node, selectID string) string {
	sel := findHTML(doc, func(n *html.Node) bool { return n.Data == "select" && htmlAttr(n, "id") == selectID })
	if sel == nil {
		return ""
	}
	opt := findHTML(sel, func(n *html.Node) bool { return n.Data == "option" && hasAttr(n, "selected") })
	if opt == nil {
		return ""
	}
	return htmlAttr(opt, "value")
}
