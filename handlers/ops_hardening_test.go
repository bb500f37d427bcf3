package handlers_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"curfew/handlers"
	"curfew/internal/apptest"
	"curfew/store"
)

// metricSeries counts the series of the request metrics in a scrape, and
// returns the scrape's size.
func metricSeries(t *testing.T, srv *apptest.Server) (series, bytes int) {
	t.Helper()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		line := sc.Text()
		bytes += len(line) + 1
		if strings.HasPrefix(line, "curfew_http_") {
			series++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read /metrics: %v", err)
	}
	return series, bytes
}

// TestMetricLabelsAreBounded sends 20,000 requests with made-up methods (up
// to 60 KB long) to real and unknown paths: the request metrics gain a
// handful of series ("other" per route and status), not one per method, and
// the scrape stays small. Before, each method was a label value of its own.
func TestMetricLabelsAreBounded(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	paths := []string{"/login", "/healthz", "/settings/audit", "/api/accounts/me/sessions/00000000-0000-4000-8000-000000000000", "/no/such/page"}
	send := func(method, path string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Method = method
		srv.Handler.ServeHTTP(httptest.NewRecorder(), req)
	}
	// Every path with a real method and a made-up one first, so the series
	// the flood may add at most are there already.
	for _, p := range paths {
		send(http.MethodGet, p)
		send("WARMUP", p)
	}
	before, beforeBytes := metricSeries(t, srv)
	rng := mathrand.New(mathrand.NewPCG(1, 2))
	const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for i := range 20_000 {
		n := 3 + rng.IntN(20)
		if i%1000 == 0 {
			n = 60 << 10
		}
		b := make([]byte, n)
		for j := range b {
			b[j] = letters[rng.IntN(len(letters))]
		}
		send(string(b), paths[i%len(paths)])
	}
	after, afterBytes := metricSeries(t, srv)
	t.Logf("request-metric series: %d before the flood, %d after 20,000 made-up methods; scrape %d → %d bytes", before, after, beforeBytes, afterBytes)
	// Each request of the flood was counted: the scrape says so under "other".
	if after > before+len(paths)*4 {
		t.Errorf("series grew from %d to %d: a label takes the raw method", before, after)
	}
	if afterBytes > beforeBytes+16<<10 {
		t.Errorf("the scrape grew from %d to %d bytes", beforeBytes, afterBytes)
	}
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	other := false
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "curfew_http_requests_total{") && strings.Contains(sc.Text(), `method="other"`) {
			other = true
		}
	}
	if !other {
		t.Error(`no request counted under method="other"`)
	}
}

// TestHeadAnswersOnEveryGetRoute: HEAD gets the status and headers of GET,
// without a body, on every GET route (the public ones, /healthz and /readyz
// among them, signed out; the rest signed in as an owner). Echo alone
// answers 405.
func TestHeadAnswersOnEveryGetRoute(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	n := 0
	for _, r := range registeredRoutes(t, srv) {
		if r.Method != http.MethodGet {
			continue
		}
		path := concrete(r.Path)
		if strings.HasPrefix(r.Path, "/static") {
			path = "/static/js/app.js"
		}
		if r.Path == "/settings/audit/export" {
			path += "?format=csv"
		}
		n++
		getStatus, getHeader, _ := raw(t, owner, srv, http.MethodGet, path, nil, "")
		status, h, body := raw(t, owner, srv, http.MethodHead, path, nil, "")
		if status != getStatus || status == http.StatusMethodNotAllowed {
			t.Errorf("HEAD %s: %d, GET: %d", path, status, getStatus)
		}
		if body != "" {
			t.Errorf("HEAD %s sent a body of %d bytes", path, len(body))
		}
		if status < 400 && h.Get("Content-Type") != getHeader.Get("Content-Type") { // an error is a bare status
			t.Errorf("HEAD %s: Content-Type %q, GET %q", path, h.Get("Content-Type"), getHeader.Get("Content-Type"))
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if status, _, _ := raw(t, srv.NewClient(t), srv, http.MethodHead, p, nil, ""); status != http.StatusOK {
			t.Errorf("HEAD %s signed out: %d, want 200", p, status)
		}
	}
	if n < 10 {
		t.Fatalf("only %d GET routes found", n)
	}
}

// TestReadyzFailsWhileALockStallsSignedInRequests takes an ACCESS EXCLUSIVE
// lock on sessions, as an ALTER TABLE would: every signed-in request then
// waits out its deadline and is a 503, and /readyz, which runs the same
// lookup, fails too, where a ping still passed. Not parallel: the lock would
// stall the package's other tests.
func TestReadyzFailsWhileALockStallsSignedInRequests(t *testing.T) {
	srv := apptest.NewServer(t, apptest.WithEnv("CURFEW_REQUEST_TIMEOUT", "1s"))
	team := apptest.NewTeam(t, srv.Store)
	owner := sessionWithoutSignIn(t, srv, team.Owner)
	if res := owner.Get("/readyz"); res.StatusCode != http.StatusOK {
		t.Fatalf("/readyz before the lock: %d %s", res.StatusCode, res.Body)
	}
	tx, err := srv.Store.DB().BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	if res := owner.Get("/api/session"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a signed-in request under the lock: %d, want 503", res.StatusCode)
	}
	if res := owner.Get("/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz under the lock: %d %s, want 503", res.StatusCode, res.Body)
	}
	if status, _, _ := raw(t, owner, srv, http.MethodHead, "/readyz", nil, ""); status != http.StatusServiceUnavailable {
		t.Errorf("HEAD /readyz under the lock: %d, want 503", status)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if res := owner.Get("/readyz"); res.StatusCode != http.StatusOK {
		t.Errorf("/readyz after the lock: %d %s", res.StatusCode, res.Body)
	}
}

// sessionWithoutSignIn is a client with a new session of u, made in the
// store as sign-in makes it: a test whose server has a 1 s deadline cannot
// count on the password check (slow by design) meeting it on a busy machine.
func sessionWithoutSignIn(t *testing.T, srv *apptest.Server, u store.User) *apptest.Client {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	hash := sha256.Sum256([]byte(token))
	if _, err := srv.Store.CreateSession(context.Background(), store.NewSession{
		AccountID: u.AccountID, UserID: u.ID, TokenHash: hash[:], IP: "127.0.0.1", UserAgent: "test", Now: time.Now(),
	}); err != nil {
		t.Fatal(err)
	}
	c := srv.NewClient(t)
	base, _ := url.Parse(srv.URL)
	c.HTTP.Jar.SetCookies(base, []*http.Cookie{handlers.SealSessionCookie(srv.Config, token)})
	c.RefreshCSRF()
	return c
}
