package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"curfew/internal/apptest"
	"curfew/store"
)

const macChrome = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"

// sessionIDOf is the id of the session a client signed in with.
func sessionIDOf(t *testing.T, srv *apptest.Server, userID int64, nth int) string {
	t.Helper()
	var ids []string
	if err := srv.Store.DB().Select(&ids, `SELECT id FROM sessions WHERE user_id = $1 ORDER BY created_at, id`, userID); err != nil {
		t.Fatal(err)
	}
	if nth >= len(ids) {
		t.Fatalf("user %d has %d sessions, want at least %d", userID, len(ids), nth+1)
	}
	return ids[nth]
}

// sessionRowsOf parses a page's session table into the text of each row,
// keyed by session id.
func sessionRowsOf(t *testing.T, body string) map[string]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "tr" {
			for _, a := range n.Attr {
				if a.Key == "data-session-id" {
					rows[a.Val] = strings.Join(strings.Fields(textOf(n)), " ")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return rows
}

func textOf(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data + " "
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(textOf(c))
	}
	return b.String()
}

func TestAccountSessionsPage(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	other := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	srv.Login(t, other.Owner.Email, apptest.Password)
	db := srv.Store.DB()

	ownerID := sessionIDOf(t, srv, team.Owner.ID, 0)
	engFresh := sessionIDOf(t, srv, team.Engineer.ID, 0)
	engOld := sessionIDOf(t, srv, team.Engineer.ID, 1)
	// A browser in words; a session whose 14-day lifetime ends before its idle
	// limit; and one that is idle past the limit (not yet marked ended).
	db.MustExec(`UPDATE sessions SET user_agent = $2, ip = '198.51.100.7' WHERE id = $1`, engFresh, macChrome)
	db.MustExec(`UPDATE sessions SET created_at = now() - interval '14 days' + interval '10 minutes' WHERE id = $1`, engOld)
	idle := srv.Login(t, team.Engineer.Email, apptest.Password)
	idleID := sessionIDOf(t, srv, team.Engineer.ID, 2)
	db.MustExec(`UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE id = $1`, idleID)
	_ = idle

	page := owner.Get("/settings/security/sessions")
	if page.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", page.StatusCode, page.Body)
	}
	if page.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", page.Header.Get("Cache-Control"))
	}
	rows := sessionRowsOf(t, page.Body)
	if len(rows) != 3 {
		t.Fatalf("rows %v, want the owner's and the engineer's two active sessions only", rows)
	}
	if !strings.Contains(page.Body, "3 active sessions of 2 people") {
		t.Error("summary does not count 3 sessions of 2 people")
	}
	if r := rows[ownerID]; !strings.Contains(r, "This session") || !strings.Contains(r, "Owner") || !strings.Contains(r, team.Owner.Email) {
		t.Errorf("owner's row %q lacks the badge, role or email", r)
	}
	if r := rows[engFresh]; strings.Contains(r, "This session") || !strings.Contains(r, "Chrome 126 on macOS") ||
		!strings.Contains(r, "198.51.100.7") || !strings.Contains(r, "Engineer") || !strings.Contains(r, "in 29 minutes 30 minutes after last activity") {
		t.Errorf("engineer's row %q lacks browser, IP, role or the idle rule", r)
	}
	if r := rows[engOld]; !strings.Contains(r, "14 days after sign-in") || !strings.Contains(r, "in 9 minutes") {
		t.Errorf("old session's row %q does not say the lifetime ends in 9 minutes", r)
	}
	if r := rows[engOld]; !strings.Contains(r, "13 days ago") || !strings.Contains(r, "just now") {
		t.Errorf("old session's row %q lacks signed in 13 days ago / last active just now", r)
	}
	if !regexp.MustCompile(`<time datetime="\d{4}-\d\d-\d\dT[^"]+" title="[^"]+UTC">`).MatchString(page.Body) {
		t.Error("times lack datetime and an exact title")
	}
	// The owner's own row has no End button; the others do.
	if n := strings.Count(page.Body, `data-testid="end-session"`); n != 2 {
		t.Errorf("%d End buttons, want 2", n)
	}
}

func TestAccountSessionsPagination(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	// 119 more sessions, a second apart, so the list has 120 rows: 50 + 50 + 20.
	srv.Store.DB().MustExec(`INSERT INTO sessions (account_id, user_id, token_hash, created_at, last_seen_at, authenticated_at)
		SELECT $1, $2, sha256(gen_random_uuid()::text::bytea), now() - interval '1 hour',
		       now() - make_interval(secs => i), now() - interval '1 hour'
		FROM generate_series(1, 119) AS i`, team.Account.ID, team.Engineer.ID)

	seen := map[string]bool{}
	page := owner.Get("/settings/security/sessions")
	rows := sessionRowsOf(t, page.Body)
	if len(rows) != 50 || !strings.Contains(page.Body, "120 active sessions of 2 people") {
		t.Fatalf("first page has %d rows, want 50 of 120", len(rows))
	}
	for id := range rows {
		seen[id] = true
	}
	more := regexp.MustCompile(`hx-get="(/settings/security/sessions\?after=[^"]+)"`)
	body := page.Body
	for i := 0; i < 2; i++ {
		m := more.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("page %d has no Show more link", i+1)
		}
		next := owner.GetHTMX(html.UnescapeString(m[1]))
		if vary := strings.Join(next.Header.Values("Vary"), ","); next.StatusCode != http.StatusOK || strings.Contains(next.Body, "<html") || !strings.Contains(vary, "HX-Request") {
			t.Fatalf("more = %d (Vary %q), want a fragment that varies on HX-Request", next.StatusCode, vary)
		}
		if !strings.Contains(next.Body, `hx-swap-oob="true"`) {
			t.Error("the fragment does not replace the Show more control")
		}
		got := sessionRowsOf(t, "<table>"+next.Body+"</table>")
		for id := range got {
			if seen[id] {
				t.Errorf("session %s shown twice", id)
			}
			seen[id] = true
		}
		body = next.Body
		if want := []int{50, 20}[i]; len(got) != want {
			t.Errorf("page %d has %d rows, want %d", i+2, len(got), want)
		}
	}
	if more.MatchString(body) || !strings.Contains(body, "every active session") {
		t.Error("the last page still offers more")
	}
	if len(seen) != 120 {
		t.Errorf("saw %d sessions across pages, want 120", len(seen))
	}
	// Without JavaScript the link is a full page of the next sessions.
	plain := owner.Get(html.UnescapeString(more.FindStringSubmatch(page.Body)[1]))
	if plain.StatusCode != http.StatusOK || !strings.Contains(plain.Body, "<html") || len(sessionRowsOf(t, plain.Body)) != 50 {
		t.Errorf("plain next page = %d with %d rows", plain.StatusCode, len(sessionRowsOf(t, plain.Body)))
	}
	for _, bad := range []string{"nope", "123_not-a-uuid", "-5_00000000-0000-0000-0000-000000000000", "99999999999999999999_00000000-0000-0000-0000-000000000000"} {
		if res := owner.Get("/settings/security/sessions?after=" + url.QueryEscape(bad)); res.StatusCode != http.StatusBadRequest {
			t.Errorf("after=%s: %d, want 400", bad, res.StatusCode)
		}
	}
}

func TestOwnerEndsOneSession(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)
	other := srv.Login(t, team.Engineer.Email, apptest.Password)
	engID := sessionIDOf(t, srv, team.Engineer.ID, 0)
	otherID := sessionIDOf(t, srv, team.Engineer.ID, 1)

	res := owner.PostFormHTMX("/settings/security/sessions/"+engID+"/revoke", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `data-testid="session-ended"`) || strings.Contains(res.Body, "<html") {
		t.Fatalf("htmx end = %d\n%s", res.StatusCode, res.Body)
	}
	wantRefused(t, srv.URL, signedInCookie(t, engineer, srv), "ended session")
	wantWorking(t, srv.URL, signedInCookie(t, other, srv), "the engineer's other session")

	res = owner.PostForm("/settings/security/sessions/"+otherID+"/revoke", nil)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/settings/security/sessions?ended=1" {
		t.Errorf("plain end = %d to %q", res.StatusCode, loc)
	}
	wantRefused(t, srv.URL, signedInCookie(t, other, srv), "second ended session")

	rows := auditPayloads(t, srv, team.Account.ID, store.ActionSessionRevoke)
	if len(rows) != 2 {
		t.Fatalf("session.revoke rows %v, want 2", rows)
	}
	if rows[0]["session_id"] != engID || rows[0]["email"] != team.Engineer.Email || rows[0]["user_id"] != float64(team.Engineer.ID) {
		t.Errorf("audit payload %v does not name the session and its owner", rows[0])
	}
	var actor int64
	srv.Store.DB().Get(&actor, `SELECT actor_user_id FROM audit_events WHERE account_id = $1 AND action = $2 LIMIT 1`, team.Account.ID, store.ActionSessionRevoke)
	if actor != team.Owner.ID {
		t.Errorf("actor %d, want the owner %d", actor, team.Owner.ID)
	}
}

// TestAnotherAccountsSessionIsNotFound: ids of other accounts' sessions, and
// ids that are not ids at all, are 404 everywhere and change nothing.
func TestAnotherAccountsSessionIsNotFound(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	victim := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	target := srv.Login(t, victim.Engineer.Email, apptest.Password)
	targetID := sessionIDOf(t, srv, victim.Engineer.ID, 0)

	for _, id := range []string{targetID, strings.ToUpper(targetID), "not-a-session", "00000000-0000-0000-0000-000000000000", "1%27%20OR%201=1"} {
		pagePost := owner.PostForm("/settings/security/sessions/"+id+"/revoke", nil)
		htmxPost := owner.PostFormHTMX("/settings/security/sessions/"+id+"/revoke", nil)
		apiDelete := owner.Do(http.MethodDelete, "/api/accounts/me/sessions/"+id, nil, nil)
		mine := owner.PostForm("/me/sessions/"+id+"/revoke", nil)
		for name, res := range map[string]*apptest.Response{"page": pagePost, "htmx": htmxPost, "API": apiDelete, "me": mine} {
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s: %d, want 404\n%s", name, id, res.StatusCode, res.Body)
			}
		}
		if !strings.Contains(apiDelete.Body, `"error":"not_found"`) {
			t.Errorf("API 404 body %s", apiDelete.Body)
		}
	}
	wantWorking(t, srv.URL, signedInCookie(t, target, srv), "the other account's session")
	if rows := auditPayloads(t, srv, victim.Account.ID, store.ActionSessionRevoke); len(rows) != 0 {
		t.Errorf("the other account got audit rows %v", rows)
	}
	if rows := auditPayloads(t, srv, team.Account.ID, store.ActionSessionRevoke); len(rows) != 0 {
		t.Errorf("refused requests were audited as revocations: %v", rows)
	}
}

func TestAccountSessionsAPI(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)
	engID := sessionIDOf(t, srv, team.Engineer.ID, 0)
	srv.Store.DB().MustExec(`UPDATE sessions SET user_agent = $2 WHERE id = $1`, engID, macChrome)

	type listed struct {
		Sessions []struct {
			ID   string `json:"id"`
			User struct {
				ID    int64  `json:"id"`
				Email string `json:"email"`
				Role  string `json:"role"`
			} `json:"user"`
			Browser    string    `json:"browser"`
			OS         string    `json:"os"`
			LastSeenAt time.Time `json:"last_seen_at"`
			ExpiresAt  time.Time `json:"expires_at"`
			ExpiresBy  string    `json:"expires_by"`
			Current    bool      `json:"current"`
		} `json:"sessions"`
		NextAfter      *string `json:"next_after"`
		ActiveSessions int     `json:"active_sessions"`
	}
	var all listed
	owner.Get("/api/accounts/me/sessions").JSON(&all)
	if len(all.Sessions) != 2 || all.ActiveSessions != 2 || all.NextAfter != nil {
		t.Fatalf("list = %+v", all)
	}
	for _, s := range all.Sessions {
		if s.ID == engID && (s.Browser != "Chrome 126" || s.OS != "macOS" || s.User.Email != team.Engineer.Email || s.Current || s.ExpiresBy != "idle") {
			t.Errorf("engineer's session = %+v", s)
		}
		if s.ID != engID && !s.Current {
			t.Errorf("owner's session not marked current: %+v", s)
		}
		if d := s.ExpiresAt.Sub(s.LastSeenAt); d != 30*time.Minute {
			t.Errorf("expires %v after last activity, want 30m", d)
		}
	}

	var page listed
	owner.Get("/api/accounts/me/sessions?limit=1").JSON(&page)
	if len(page.Sessions) != 1 || page.NextAfter == nil {
		t.Fatalf("limit=1 page = %+v", page)
	}
	var rest listed
	owner.Get("/api/accounts/me/sessions?limit=1&after=" + url.QueryEscape(*page.NextAfter)).JSON(&rest)
	if len(rest.Sessions) != 1 || rest.Sessions[0].ID == page.Sessions[0].ID || rest.NextAfter != nil {
		t.Errorf("second page = %+v", rest)
	}
	for _, q := range []string{"limit=0", "limit=201", "limit=x", "after=garbage"} {
		res := owner.Get("/api/accounts/me/sessions?" + q)
		field, _, _ := strings.Cut(q, "=")
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `"`+field+`"`) {
			t.Errorf("%s: %d %s, want 422 naming %s", q, res.StatusCode, res.Body, field)
		}
	}

	res := owner.Do(http.MethodDelete, "/api/accounts/me/sessions/"+engID, nil, nil)
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE = %d %s", res.StatusCode, res.Body)
	}
	wantRefused(t, srv.URL, signedInCookie(t, engineer, srv), "deleted session")
	if res := owner.Do(http.MethodDelete, "/api/accounts/me/sessions/"+engID, nil, nil); res.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE again = %d, want 204 (already ended)", res.StatusCode)
	}
	if rows := auditPayloads(t, srv, team.Account.ID, store.ActionSessionRevoke); len(rows) != 1 {
		t.Errorf("session.revoke rows %v, want exactly 1", rows)
	}
	// Rows stay for the audit trail.
	var kept int
	srv.Store.DB().Get(&kept, `SELECT count(*) FROM sessions WHERE id = $1 AND revoked_reason = 'revoked'`, engID)
	if kept != 1 {
		t.Error("the ended session's row is gone")
	}
}
