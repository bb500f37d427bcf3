package faults_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"curfew/config"
	"curfew/handlers"
	"curfew/internal/apptest"
	"curfew/store"
)

// pg is the package's private cluster. The tests run one at a time: some of
// them stop it.
var pg *cluster

func TestMain(m *testing.M) {
	flag.Parse()
	start := time.Now()
	var err error
	pg, err = newCluster()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: faults: start a private PostgreSQL cluster: %v\n", err)
		pg.remove()
		os.Exit(1)
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "faults: private cluster on port %d ready in %v\n", pg.port, time.Since(start).Round(time.Millisecond))
	}
	code := m.Run()
	pg.remove()
	os.Exit(code)
}

// appName marks Curfew's own connections, so a test can kill exactly those.
const appName = "curfew-under-test"

// startCurfew runs the real handlers on the private cluster, behind httptest.
func startCurfew(t *testing.T, env ...string) *apptest.Server {
	t.Helper()
	logw := io.Discard
	if os.Getenv("CURFEW_TEST_LOG") != "" {
		logw = os.Stderr
	}
	return startCurfewAt(t, pg.url("application_name="+appName), logw, env...)
}

// startCurfewAt runs the real handlers on the database at dbURL, logging to
// logw.
func startCurfewAt(t *testing.T, dbURL string, logw io.Writer, env ...string) *apptest.Server {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return startCurfewOn(t, st, dbURL, logw, env...)
}

// startCurfewOn runs the real handlers on st, migrating it first; the store
// is closed when the test ends.
func startCurfewOn(t *testing.T, st *store.Store, dbURL string, logw io.Writer, env ...string) *apptest.Server {
	t.Helper()
	ctx := context.Background()
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	vars := map[string]string{
		"DATABASE_URL":           dbURL,
		"CURFEW_ENV":             "dev",
		"CURFEW_SESSION_KEYS":    apptest.SharedKey,
		"CURFEW_REQUEST_TIMEOUT": "2s",
	}
	for i := 0; i+1 < len(env); i += 2 {
		vars[env[i]] = env[i+1]
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	e, err := handlers.New(handlers.Deps{Store: st, Config: cfg, Logger: slog.New(slog.NewTextHandler(logw, nil))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(e)
	t.Cleanup(hs.Close)
	return &apptest.Server{URL: hs.URL, Store: st, Config: cfg}
}

// admin is a connection to the cluster that is not Curfew's.
func admin(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", pg.url(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// answer is one response, read without the apptest helpers, which may not
// fail a test from a load goroutine.
type answer struct {
	path    string
	start   time.Time
	status  int
	header  http.Header
	body    string
	err     error
	elapsed time.Duration
}

func fetch(c *apptest.Client, srv *apptest.Server, method, path string, h http.Header, body string) answer {
	a := answer{path: path, start: time.Now()}
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		a.err = err
		return a
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	res, err := c.HTTP.Do(req)
	a.elapsed = time.Since(a.start)
	if err != nil {
		a.err = err
		return a
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a.status, a.header, a.body = res.StatusCode, res.Header, string(b)
	return a
}

func errorCode(body string) string {
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal([]byte(body), &e)
	return e.Error
}

// loggedIn signs in a client whose requests give up after 10 s, so a hang
// shows up as an error instead of a stuck test.
func loggedIn(t *testing.T, srv *apptest.Server, email string) *apptest.Client {
	c := srv.Login(t, email, apptest.Password)
	c.HTTP.Timeout = 10 * time.Second
	return c
}

// wantUnavailable checks the answer while the database is down: 503 with
// Retry-After, as a page, a toast or JSON depending on who asks.
func wantUnavailable(t *testing.T, what string, a answer, kind string) {
	t.Helper()
	if a.err != nil {
		t.Errorf("%s: %v", what, a.err)
		return
	}
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" {
		t.Errorf("%s: status %d Retry-After=%q, want 503 with Retry-After", what, a.status, a.header.Get("Retry-After"))
	}
	switch kind {
	case "api":
		if errorCode(a.body) != "unavailable" {
			t.Errorf("%s: body %s, want the unavailable JSON error", what, a.body)
		}
	case "htmx":
		if a.header.Get("HX-Retarget") != "#toasts" || !strings.Contains(a.body, "cannot reach its database") {
			t.Errorf("%s: not a toast saying why: %s", what, a.body)
		}
	case "page":
		if !strings.Contains(a.body, "<html") || !strings.Contains(a.body, "Curfew is temporarily unavailable") ||
			!strings.Contains(a.body, "cannot reach its database") {
			t.Errorf("%s: not a page saying why:\n%s", what, a.body)
		}
	}
}

// Stop PostgreSQL under load and start it again: while it is down every
// authenticated request is a clear 503 and nobody is signed in; /readyz fails
// and /healthz stays up; afterwards the same clients work with no restart.
func TestDatabaseStopsAndStartsUnderLoad(t *testing.T) {
	srv := startCurfew(t)
	team := apptest.NewTeam(t, srv.Store)
	page := loggedIn(t, srv, team.Owner.Email)
	api := loggedIn(t, srv, team.Engineer.Email)
	workers := make([]*apptest.Client, 4)
	for i := range workers {
		workers[i] = loggedIn(t, srv, team.Owner.Email)
	}
	ops := srv.NewClient(t)
	ops.HTTP.Timeout = 10 * time.Second

	var (
		mu      sync.Mutex
		answers []answer
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	for _, c := range workers {
		wg.Go(func() {
			for {
				for _, p := range []string{"/api/session", "/settings/security"} {
					select {
					case <-stop:
						return
					default:
					}
					a := fetch(c, srv, http.MethodGet, p, nil, "")
					mu.Lock()
					answers = append(answers, a)
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond) // load against a healthy database

	if err := pg.stop("fast"); err != nil {
		t.Fatal(err)
	}
	downAt := time.Now()
	time.Sleep(300 * time.Millisecond) // load against a stopped database

	wantUnavailable(t, "page", fetch(page, srv, http.MethodGet, "/settings/security", nil, ""), "page")
	wantUnavailable(t, "htmx", fetch(page, srv, http.MethodGet, "/settings/security", http.Header{"Hx-Request": {"true"}}, ""), "htmx")
	wantUnavailable(t, "API", fetch(api, srv, http.MethodGet, "/api/session", nil, ""), "api")
	wantUnavailable(t, "login page with a session cookie", fetch(page, srv, http.MethodGet, "/login", nil, ""), "page")
	if a := fetch(ops, srv, http.MethodGet, "/readyz", nil, ""); a.status != http.StatusServiceUnavailable {
		t.Errorf("/readyz while down: %d %v, want 503", a.status, a.err)
	}
	if a := fetch(ops, srv, http.MethodGet, "/healthz", nil, ""); a.status != http.StatusOK {
		t.Errorf("/healthz while down: %d %v, want 200", a.status, a.err)
	}
	// Signing in cannot work, and says so instead of failing oddly.
	fresh := srv.NewClient(t)
	fresh.HTTP.Timeout = 10 * time.Second
	form := fetch(fresh, srv, http.MethodGet, "/login", nil, "")
	if form.status != http.StatusOK {
		t.Fatalf("sign-in form while down: %d (it needs no database)", form.status)
	}
	fresh.CSRF = csrfField(form.body)
	login := fetch(fresh, srv, http.MethodPost, "/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		url.Values{"email": {team.Owner.Email}, "password": {apptest.Password}, "_csrf": {fresh.CSRF}}.Encode())
	wantUnavailable(t, "sign-in", login, "page")
	if strings.Contains(strings.Join(login.header["Set-Cookie"], ";"), "curfew=") {
		t.Errorf("sign-in while down set a session cookie")
	}

	upAt := time.Now() // PostgreSQL may answer before pg_ctl returns
	if err := pg.start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // load against the restarted database
	close(stop)
	wg.Wait()

	// Every answer was a proper one: no hang, no 500, and between the stop
	// and the start nothing authenticated was a 200.
	var before, during, after, okAfter int
	for _, a := range answers {
		switch {
		case a.err != nil:
			t.Errorf("%s at %v: %v", a.path, a.start.Sub(downAt), a.err)
			continue
		case a.status != http.StatusOK && a.status != http.StatusServiceUnavailable:
			t.Errorf("%s: status %d, want 200 or 503", a.path, a.status)
		}
		switch {
		case a.start.Before(downAt):
			before++
		case a.start.Before(upAt):
			during++
			if a.status != http.StatusServiceUnavailable {
				t.Errorf("%s while the database was down: %d, want 503", a.path, a.status)
			}
		default:
			after++
			if a.status == http.StatusOK {
				okAfter++
			}
		}
	}
	t.Logf("load: %d requests before the stop, %d while down, %d after the start (%d of them 200)", before, during, after, okAfter)
	if before == 0 || during == 0 || okAfter == 0 {
		t.Errorf("the load did not cover every phase")
	}

	// The same clients work again, without restarting Curfew.
	for what, c := range map[string]*apptest.Client{"page": page, "API": api} {
		path := map[string]string{"page": "/settings/security", "API": "/api/session"}[what]
		for i := range 5 {
			if a := fetch(c, srv, http.MethodGet, path, nil, ""); a.status != http.StatusOK {
				t.Errorf("%s request %d after the restart: %d %v", what, i+1, a.status, a.err)
			}
		}
	}
	if a := fetch(ops, srv, http.MethodGet, "/readyz", nil, ""); a.status != http.StatusOK {
		t.Errorf("/readyz after the restart: %d", a.status)
	}
	if a := fetch(fresh, srv, http.MethodPost, "/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		url.Values{"email": {team.Owner.Email}, "password": {apptest.Password}, "_csrf": {fresh.CSRF}}.Encode()); a.status != http.StatusSeeOther {
		t.Errorf("sign-in after the restart: %d", a.status)
	}
}

func csrfField(page string) string {
	const marker = `name="_csrf" value="`
	i := strings.Index(page, marker)
	if i < 0 {
		return ""
	}
	rest := page[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

// A database that takes a lock and never answers does not hang requests:
// the request's deadline cancels the query and the person gets a 503.
func TestEveryQueryHasADeadline(t *testing.T) {
	srv := startCurfew(t, "CURFEW_REQUEST_TIMEOUT", "1s")
	team := apptest.NewTeam(t, srv.Store)
	// Signing in hashes a password, which on a busy machine can outlast the
	// 1 s deadline: the people sign in on a second instance of the same
	// database, and their browsers then use this one.
	signer := startCurfew(t)
	page := srv.SameBrowser(t, loggedIn(t, signer, team.Owner.Email))
	api := srv.SameBrowser(t, loggedIn(t, signer, team.Engineer.Email))
	page.HTTP.Timeout, api.HTTP.Timeout = 10*time.Second, 10*time.Second

	tx, err := admin(t).Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what, path, kind string
		c                *apptest.Client
	}{
		{"page", "/settings/security", "page", page},
		{"API", "/api/session", "api", api},
	} {
		a := fetch(tc.c, srv, http.MethodGet, tc.path, nil, "")
		wantUnavailable(t, tc.what+" behind a lock", a, tc.kind)
		if a.elapsed < 900*time.Millisecond || a.elapsed > 3*time.Second {
			t.Errorf("%s answered after %v, want about the 1s request timeout", tc.what, a.elapsed)
		}
	}
	ops := srv.NewClient(t)
	if a := fetch(ops, srv, http.MethodGet, "/healthz", nil, ""); a.status != http.StatusOK || a.elapsed > 500*time.Millisecond {
		t.Errorf("/healthz behind a lock: %d after %v", a.status, a.elapsed)
	}
	tx.Rollback()
	if a := fetch(page, srv, http.MethodGet, "/settings/security", nil, ""); a.status != http.StatusOK {
		t.Errorf("after the lock is gone: %d", a.status)
	}
}

// Killing Curfew's backends mid-request never leaves an audit row for a
// change the person was told failed, nor two rows for one change: the rows
// of each kind equal the successful answers of that kind.
func TestTerminatedBackendsLeaveNoDuplicateAuditRows(t *testing.T) {
	srv := startCurfew(t, "CURFEW_LOGIN_LIMIT_PER_ACCOUNT", "100000", "CURFEW_LOGIN_LIMIT_PER_IP", "100000")
	team := apptest.NewTeam(t, srv.Store)
	owner := loggedIn(t, srv, team.Owner.Email)
	killer := admin(t)

	var killed atomic.Int64
	stop := make(chan struct{})
	var kwg sync.WaitGroup
	kwg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(25 * time.Millisecond):
			}
			var n int64
			if err := killer.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE application_name = $1 AND pid <> pg_backend_pid()`, appName).Scan(&n); err == nil {
				killed.Add(n)
			}
		}
	})

	const workers, rounds = 8, 9
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				var a answer
				var want int
				switch (w + r) % 3 {
				case 0, 1: // a sign-in, right or wrong
					c := srv.NewClient(t)
					c.HTTP.Timeout = 10 * time.Second
					form := fetch(c, srv, http.MethodGet, "/login", nil, "")
					pw := apptest.Password
					want = http.StatusSeeOther
					if (w+r)%3 == 1 {
						pw, want = "wrong-password", http.StatusUnauthorized
					}
					a = fetch(c, srv, http.MethodPost, "/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
						url.Values{"email": {team.Owner.Email}, "password": {pw}, "_csrf": {csrfField(form.body)}}.Encode())
				case 2: // a policy change to a value no other request uses, so each 200 is a real change
					want = http.StatusOK
					a = fetch(owner, srv, http.MethodPatch, "/api/accounts/me/security",
						http.Header{"Content-Type": {"application/json"}, "X-Csrf-Token": {owner.CSRF}},
						fmt.Sprintf(`{"idle_minutes": %d}`, 5+w*rounds+r))
				}
				mu.Lock()
				switch {
				case a.err != nil:
					got["error: "+a.err.Error()]++
				case a.status == want:
					got[fmt.Sprint(want)]++
				default:
					got[fmt.Sprint(a.status)]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(stop)
	kwg.Wait()

	t.Logf("answers %v; %d backends terminated", got, killed.Load())
	for k, n := range got {
		if k != "200" && k != "303" && k != "401" && k != "503" {
			t.Errorf("%d answers %q: want only 200, 303, 401 or 503", n, k)
		}
	}
	if killed.Load() == 0 || got["303"] == 0 || got["200"] == 0 {
		t.Fatalf("the test did not exercise anything: %d backends terminated, %d sign-ins, %d policy changes",
			killed.Load(), got["303"], got["200"])
	}
	count := func(action string) int {
		var n int
		if err := srv.Store.DB().Get(&n, `SELECT count(*) FROM audit_events WHERE account_id = $1 AND action = $2`, team.Account.ID, action); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The owner's own sign-in, before the burst, is one more.
	if n := count("auth.login"); n != got["303"]+1 {
		t.Errorf("auth.login rows = %d, successful sign-ins = %d + 1", n, got["303"])
	}
	if n := count("auth.login_failed"); n != got["401"] {
		t.Errorf("auth.login_failed rows = %d, refused sign-ins = %d", n, got["401"])
	}
	if n := count("account.session_policy_update"); n != got["200"] {
		t.Errorf("account.session_policy_update rows = %d, successful changes = %d", n, got["200"])
	}
	var sessions int
	srv.Store.DB().Get(&sessions, `SELECT count(*) FROM sessions WHERE account_id = $1`, team.Account.ID)
	if sessions != got["303"]+1 {
		t.Errorf("sessions = %d, successful sign-ins = %d + 1", sessions, got["303"])
	}
}
