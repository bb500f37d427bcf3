package handlers_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"curfew/config"
	"curfew/handlers"
	"curfew/internal/apptest"
	"curfew/internal/sqlcount"
	"curfew/store"
)

// newCountedServer starts Curfew over a driver that records every statement it
// sends to PostgreSQL, so a test can tell how many round trips a request costs.
func newCountedServer(t *testing.T) (*apptest.Server, *sqlcount.Recorder) {
	t.Helper()
	rec := &sqlcount.Recorder{}
	db, err := rec.Open(apptest.DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	env := map[string]string{
		"DATABASE_URL":        apptest.DatabaseURL(t),
		"CURFEW_ENV":          "dev",
		"CURFEW_SESSION_KEYS": apptest.SharedKey,
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	st := store.New(db, apptest.StoreOptions()...)
	e, err := handlers.New(handlers.Deps{Store: st, Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: time.Now})
	if err != nil {
		t.Fatalf("handlers.New: %v", err)
	}
	hs := httptest.NewServer(e)
	t.Cleanup(hs.Close)
	return &apptest.Server{URL: hs.URL, Store: st, Config: cfg}, rec
}

// statementsOf fetches path and returns the statements the server sent while
// answering it.
func statementsOf(t *testing.T, c *apptest.Client, rec *sqlcount.Recorder, path string) []string {
	t.Helper()
	n := rec.Count()
	res := c.Get(path)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, res.StatusCode, res.Body)
	}
	return rec.Since(n)
}

func oneLine(stmts []string) string {
	var b strings.Builder
	for i, s := range stmts {
		fmt.Fprintf(&b, "\n  %d. %s", i+1, strings.Join(strings.Fields(s), " "))
	}
	return b.String()
}

// The hot path of an authenticated request is one database round trip: the
// session, its user and the account's policy in one query, plus at most one
// last_seen_at write per session per minute.
func TestAuthenticatedRequestIsOneRoundTrip(t *testing.T) {
	t.Parallel()
	srv, rec := newCountedServer(t)
	fixtures := apptest.Store(t) // writes made by the test itself are not counted
	team := apptest.NewTeam(t, fixtures)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	got := statementsOf(t, c, rec, "/api/session")
	if len(got) != 1 {
		t.Fatalf("GET /api/session sent %d statements, want exactly 1:%s", len(got), oneLine(got))
	}
	lookup := strings.Join(strings.Fields(got[0]), " ")
	for _, part := range []string{"FROM sessions", "JOIN users", "JOIN accounts", "token_hash = $1"} {
		if !strings.Contains(lookup, part) {
			t.Errorf("the one statement is not the joined session lookup (no %q): %s", part, lookup)
		}
	}

	// Once last_seen_at is more than a minute old, the request also records activity.
	if _, err := fixtures.DB().Exec(`UPDATE sessions SET last_seen_at = last_seen_at - interval '2 minutes'
		WHERE user_id = $1`, team.Owner.ID); err != nil {
		t.Fatal(err)
	}
	got = statementsOf(t, c, rec, "/api/session")
	if len(got) != 2 || !strings.Contains(got[1], "UPDATE sessions SET last_seen_at") {
		t.Fatalf("GET /api/session after 2 idle minutes sent %d statements, want the lookup and one last_seen_at write:%s", len(got), oneLine(got))
	}

	// The write is throttled: the next request is one read again.
	got = statementsOf(t, c, rec, "/api/session")
	if len(got) != 1 {
		t.Fatalf("GET /api/session right after a write sent %d statements, want 1:%s", len(got), oneLine(got))
	}

	// With overrides set for the owners (and the engineers), the lookup still
	// brings them in the same one statement, and the request lives by the
	// owners' values.
	if _, err := fixtures.DB().Exec(`INSERT INTO role_policies (account_id, role, idle_minutes, absolute_minutes)
		VALUES ($1, 'owner', 15, 720), ($1, 'engineer', NULL, 600)`, team.Account.ID); err != nil {
		t.Fatal(err)
	}
	n := rec.Count()
	res := c.Get("/api/session")
	got = rec.Since(n)
	if len(got) != 1 || !strings.Contains(got[0], "role_policies") {
		t.Fatalf("GET /api/session with role overrides sent %d statements, want the one lookup with role_policies:%s", len(got), oneLine(got))
	}
	var body struct {
		Idle int `json:"idle_timeout_seconds"`
	}
	res.JSON(&body)
	if body.Idle != 15*60 {
		t.Errorf("idle_timeout_seconds = %d under the owners' 15 minutes, want 900", body.Idle)
	}

	// The security page also counts the account's active sessions for
	// sign-out-everywhere; a reload within the counts' lifetime reuses them.
	got = statementsOf(t, c, rec, "/settings/security")
	if len(got) != 2 || !strings.Contains(got[1], "GROUP BY s.user_id") {
		t.Fatalf("the first GET /settings/security sent %d statements, want the lookup and the count:%s", len(got), oneLine(got))
	}
	got = statementsOf(t, c, rec, "/settings/security")
	if len(got) != 1 {
		t.Fatalf("GET /settings/security again at once sent %d statements, want the lookup only:%s", len(got), oneLine(got))
	}
	// The session list and its API page share those counts: the lookup and
	// one page of rows.
	for _, path := range []string{"/settings/security/sessions", "/api/accounts/me/sessions"} {
		got = statementsOf(t, c, rec, path)
		if len(got) != 2 || strings.Contains(got[1], "GROUP BY s.user_id") {
			t.Errorf("GET %s sent %d statements, want the lookup and the page of sessions:%s", path, len(got), oneLine(got))
		}
	}
}

// BenchmarkAuthenticatedRequests drives the real server in-process over
// loopback HTTP, 32 clients at once, so that `go test -bench -cpuprofile`
// shows where an authenticated request spends its time besides PostgreSQL.
func BenchmarkAuthenticatedRequests(b *testing.B) {
	srv := apptest.NewServer(b)
	team := apptest.NewTeam(b, srv.Store)
	c := srv.Login(b, team.Owner.Email, apptest.Password)
	hc := &http.Client{Jar: c.HTTP.Jar, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, path := range []string{"/healthz", "/auth/verify", "/api/session", "/settings/security"} {
		b.Run(strings.TrimPrefix(path, "/"), func(b *testing.B) {
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
					res, err := hc.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Errorf("GET %s: %d", path, res.StatusCode)
						return
					}
				}
			})
		})
	}
}

// BenchmarkServeInProcess calls the server's handler directly, one request at
// a time, with no network and no HTTP client: its ns/op and allocs/op are the
// server's own cost of a request (the PostgreSQL round trips included).
func BenchmarkServeInProcess(b *testing.B) {
	srv := apptest.NewServer(b)
	team := apptest.NewTeam(b, srv.Store)
	c := srv.Login(b, team.Owner.Email, apptest.Password)
	u, _ := url.Parse(srv.URL)
	var cookies []string
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	for _, path := range []string{"/healthz", "/auth/verify", "/api/session", "/settings/security"} {
		b.Run(strings.TrimPrefix(path, "/"), func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Cookie", strings.Join(cookies, "; "))
			b.ReportAllocs()
			for b.Loop() {
				w := &discardWriter{header: http.Header{}}
				srv.Handler.ServeHTTP(w, req)
				if w.status != http.StatusOK {
					b.Fatalf("GET %s: %d", path, w.status)
				}
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps the status and drops the body.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

// The proxy's check is the hot path of every request to the product: one
// round trip, plus the same throttled last_seen_at write as any request.
func TestVerifyIsOneRoundTrip(t *testing.T) {
	t.Parallel()
	srv, rec := newCountedServer(t)
	fixtures := apptest.Store(t)
	team := apptest.NewTeam(t, fixtures)
	c := srv.Login(t, team.Engineer.Email, apptest.Password)

	got := statementsOf(t, c, rec, "/auth/verify")
	if len(got) != 1 || !strings.Contains(got[0], "token_hash = $1") {
		t.Fatalf("GET /auth/verify sent %d statements, want exactly the lookup:%s", len(got), oneLine(got))
	}
	if _, err := fixtures.DB().Exec(`UPDATE sessions SET last_seen_at = last_seen_at - interval '2 minutes'
		WHERE user_id = $1`, team.Engineer.ID); err != nil {
		t.Fatal(err)
	}
	got = statementsOf(t, c, rec, "/auth/verify")
	if len(got) != 2 || !strings.Contains(got[1], "UPDATE sessions SET last_seen_at") {
		t.Fatalf("GET /auth/verify after 2 idle minutes sent %d statements, want the lookup and one write:%s", len(got), oneLine(got))
	}
	if got = statementsOf(t, c, rec, "/auth/verify"); len(got) != 1 {
		t.Fatalf("GET /auth/verify right after a write sent %d statements, want 1:%s", len(got), oneLine(got))
	}
}

// A bearer token costs the same one round trip on the proxy's check.
func TestVerifyByBearerIsOneRoundTrip(t *testing.T) {
	t.Parallel()
	srv, rec := newCountedServer(t)
	team := apptest.NewTeam(t, apptest.Store(t))
	token := tokenSignIn(t, srv, team.Engineer.Email)
	n := rec.Count()
	res := srv.NewClient(t).Do(http.MethodGet, "/auth/verify", nil, http.Header{"Authorization": {"Bearer " + token}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /auth/verify by bearer: %d", res.StatusCode)
	}
	if got := rec.Since(n); len(got) != 1 || !strings.Contains(got[0], "token_hash = $1") {
		t.Fatalf("GET /auth/verify by bearer sent %d statements, want exactly the lookup:%s", len(got), oneLine(got))
	}
}
