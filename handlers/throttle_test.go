package handlers_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"curfew/internal/apptest"
	"curfew/password"
)

// behindProxy is a server that believes X-Forwarded-For from the test
// client's own address, as a deployment behind a load balancer would.
func behindProxy(t *testing.T, env ...string) *apptest.Server {
	t.Helper()
	opts := []apptest.Option{apptest.WithEnv("CURFEW_TRUSTED_PROXIES", "127.0.0.1")}
	for i := 0; i+1 < len(env); i += 2 {
		opts = append(opts, apptest.WithEnv(env[i], env[i+1]))
	}
	return apptest.NewServer(t, opts...)
}

// fromIP makes a client whose requests say, through the proxy, that they come
// from ip.
func fromIP(srv *apptest.Server, t *testing.T, ip string) *apptest.Client {
	c := srv.NewClient(t)
	c.HTTP.Transport = forwardedFor(ip)
	return c
}

type forwardedFor string

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", string(f))
	return http.DefaultTransport.RoundTrip(r)
}

// uniqueIP is a benchmark-range address no other test uses, so parallel
// tests never share a per-IP count.
func uniqueIP() string {
	return fmt.Sprintf("198.%d.%d.%d", 18+rand.IntN(2), rand.IntN(256), 1+rand.IntN(254))
}

func signIn(c *apptest.Client, email, pw string) *apptest.Response {
	return c.LoginAs(email, pw)
}

func auditCount(t *testing.T, srv *apptest.Server, accountID int64, where string) int {
	t.Helper()
	var n int
	if err := srv.Store.DB().Get(&n, `SELECT count(*) FROM audit_events WHERE account_id = $1 AND `+where, accountID); err != nil {
		t.Fatal(err)
	}
	return n
}

func attemptRows(t *testing.T, srv *apptest.Server, where string, arg any) int {
	t.Helper()
	var n int
	if err := srv.Store.DB().Get(&n, `SELECT count(*) FROM login_attempts WHERE `+where, arg); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignInThrottledPerAccount(t *testing.T) {
	t.Parallel()
	// Two instances on one database, as behind a load balancer: the count is shared.
	a := behindProxy(t, "CURFEW_LOGIN_LIMIT_PER_ACCOUNT", "3")
	b := behindProxy(t, "CURFEW_LOGIN_LIMIT_PER_ACCOUNT", "3")
	team := apptest.NewTeam(t, a.Store)
	email := team.Owner.Email

	for i, srv := range []*apptest.Server{a, b, a} {
		if res := signIn(fromIP(srv, t, uniqueIP()), email, "wrong-password"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, res.StatusCode)
		}
	}
	// Over the limit even the right password is refused, from any IP and instance.
	res := signIn(fromIP(b, t, uniqueIP()), email, apptest.Password)
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th attempt: status %d, want 429", res.StatusCode)
	}
	if !strings.Contains(res.Body, "Too many sign-in attempts. Try again in 15 minutes.") {
		t.Errorf("429 page does not say how long to wait:\n%s", res.Body)
	}
	if !strings.Contains(res.Body, `role="alert"`) || !strings.Contains(res.Body, `name="email"`) {
		t.Errorf("429 is not the sign-in page with the message as an alert")
	}
	if ra, _ := strconv.Atoi(res.Header.Get("Retry-After")); ra < 890 || ra > 900 {
		t.Errorf("Retry-After = %q, want about 900 seconds", res.Header.Get("Retry-After"))
	}
	if strings.Contains(strings.Join(res.Header["Set-Cookie"], ";"), "curfew=") {
		t.Errorf("throttled sign-in set a session cookie")
	}

	// One audit row per counted attempt, and one for the refusal.
	if n := auditCount(t, a, team.Account.ID, `action = 'auth.login_failed'`); n != 4 {
		t.Errorf("auth.login_failed rows = %d, want 4", n)
	}
	if n := auditCount(t, a, team.Account.ID, `action = 'auth.login_failed' AND payload->>'throttled' = 'true'`); n != 1 {
		t.Errorf("throttled rows = %d, want 1", n)
	}
	if n := auditCount(t, a, team.Account.ID, `action = 'auth.login'`); n != 0 {
		t.Errorf("a throttled attempt signed in")
	}
	// Throttled attempts are not counted, so hammering does not extend the wait.
	if n := attemptRows(t, a, `email = $1`, email); n != 3 {
		t.Errorf("attempt rows = %d, want 3", n)
	}

	// The window slides: 10 minutes later the wait is 5 minutes.
	db := a.Store.DB()
	db.MustExec(`UPDATE login_attempts SET created_at = created_at - interval '10 minutes' WHERE email = $1`, email)
	res = signIn(fromIP(a, t, uniqueIP()), email, apptest.Password)
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(res.Body, "Try again in 5 minutes.") {
		t.Errorf("10 minutes on: %d, want 429 saying 5 minutes", res.StatusCode)
	}
	if ra, _ := strconv.Atoi(res.Header.Get("Retry-After")); ra < 290 || ra > 300 {
		t.Errorf("Retry-After = %q, want about 300", res.Header.Get("Retry-After"))
	}
	// Past the window the right password works and clears the count.
	db.MustExec(`UPDATE login_attempts SET created_at = created_at - interval '5 minutes 1 second' WHERE email = $1`, email)
	if res := signIn(fromIP(a, t, uniqueIP()), email, apptest.Password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the window: %d, want 303", res.StatusCode)
	}
	if n := attemptRows(t, a, `email = $1`, email); n != 0 {
		t.Errorf("attempt rows after a successful sign-in = %d, want 0", n)
	}
}

func TestSuccessfulSignInClearsTheAccountCount(t *testing.T) {
	t.Parallel()
	srv := behindProxy(t, "CURFEW_LOGIN_LIMIT_PER_ACCOUNT", "3")
	team := apptest.NewTeam(t, srv.Store)
	ip := uniqueIP()
	try := func(pw string) int { return signIn(fromIP(srv, t, ip), team.Engineer.Email, pw).StatusCode }

	got := []int{try("wrong"), try("wrong"), try(apptest.Password), try("wrong"), try("wrong"), try("wrong"), try("wrong")}
	want := []int{401, 401, 303, 401, 401, 401, 429}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("statuses %v, want %v (the success resets the count)", got, want)
	}
}

func TestSignInThrottledPerIP(t *testing.T) {
	t.Parallel()
	srv := behindProxy(t, "CURFEW_LOGIN_LIMIT_PER_IP", "3", "CURFEW_LOGIN_LIMIT_PER_ACCOUNT", "100")
	team := apptest.NewTeam(t, srv.Store)
	ip := uniqueIP()

	// Spraying one password over many emails from one address.
	for i := range 3 {
		res := signIn(fromIP(srv, t, ip), fmt.Sprintf("nobody-%d-%s", i, team.Owner.Email), "guess")
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, res.StatusCode)
		}
	}
	unknown := signIn(fromIP(srv, t, ip), "someone-else-"+team.Owner.Email, "guess")
	known := signIn(fromIP(srv, t, ip), team.Owner.Email, apptest.Password)
	for name, res := range map[string]*apptest.Response{"unknown email": unknown, "known email": known} {
		if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(res.Body, "Too many sign-in attempts. Try again in 15 minutes.") {
			t.Errorf("%s from a throttled IP: %d, want 429 with the message", name, res.StatusCode)
		}
	}
	// The throttled attempt on a real account is audited with the client's address.
	var auditIP string
	if err := srv.Store.DB().Get(&auditIP, `SELECT ip FROM audit_events WHERE account_id = $1 AND action = 'auth.login_failed'
		AND payload->>'throttled' = 'true'`, team.Account.ID); err != nil {
		t.Fatalf("throttled attempt not audited: %v", err)
	}
	if auditIP != ip {
		t.Errorf("audited IP %q, want the client's %q", auditIP, ip)
	}
	// Another address is not affected.
	if res := signIn(fromIP(srv, t, uniqueIP()), team.Owner.Email, apptest.Password); res.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-in from another IP: %d, want 303", res.StatusCode)
	}
}

// A burst of concurrent attempts gets exactly the limit, because attempts on
// one email are serialised in the database before the password is checked.
func TestThrottleHoldsUnderAConcurrentBurst(t *testing.T) {
	t.Parallel()
	const limit, burst = 5, 30
	srv := behindProxy(t, "CURFEW_LOGIN_LIMIT_PER_ACCOUNT", strconv.Itoa(limit))
	team := apptest.NewTeam(t, srv.Store)
	clients := make([]*apptest.Client, burst)
	for i := range clients {
		clients[i] = fromIP(srv, t, uniqueIP())
		clients[i].CSRF = clients[i].Get("/login").FormCSRF()
	}
	statuses := make([]int, burst)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			statuses[i] = c.PostForm("/login", url.Values{"email": {team.Owner.Email}, "password": {"wrong"}}).StatusCode
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	if counts[http.StatusUnauthorized] != limit || counts[http.StatusTooManyRequests] != burst-limit {
		t.Errorf("statuses %v, want %d×401 and %d×429", counts, limit, burst-limit)
	}
	// One row per counted failure, and one for all the refusals.
	if n := auditCount(t, srv, team.Account.ID, `action = 'auth.login_failed' AND payload->>'throttled' IS NULL`); n != limit {
		t.Errorf("auth.login_failed rows = %d, want one per counted attempt (%d)", n, limit)
	}
	if n := auditCount(t, srv, team.Account.ID, `action = 'auth.login_failed' AND payload->>'throttled' = 'true'`); n != 1 {
		t.Errorf("throttled rows = %d, want 1", n)
	}
	if n := refusalsCounted(t, srv, team.Account.ID, team.Owner.Email); n != burst-limit {
		t.Errorf("refusals counted = %d, want %d", n, burst-limit)
	}
}

// The throttled answer is cheap: it never runs bcrypt.
func TestThrottledSignInSkipsThePasswordCheck(t *testing.T) {
	t.Parallel()
	srv := behindProxy(t, "CURFEW_LOGIN_LIMIT_PER_ACCOUNT", "1")
	team := apptest.NewTeam(t, srv.Store)
	signIn(fromIP(srv, t, uniqueIP()), team.Owner.Email, "wrong")

	hash, err := password.Hash("a-password-to-time")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	password.Check(hash, "not-it")
	bcryptTime := time.Since(start)

	c := fromIP(srv, t, uniqueIP())
	c.CSRF = c.Get("/login").FormCSRF()
	fastest := time.Hour
	for range 5 {
		start := time.Now()
		res := c.PostForm("/login", url.Values{"email": {team.Owner.Email}, "password": {apptest.Password}})
		if res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 429", res.StatusCode)
		}
		fastest = min(fastest, time.Since(start))
	}
	if fastest > bcryptTime/2 {
		t.Errorf("throttled sign-in took %v; one bcrypt check takes %v, so it seems to run", fastest, bcryptTime)
	}
}

func TestForwardedForIsTrustedOnlyFromConfiguredProxies(t *testing.T) {
	t.Parallel()
	trusted := behindProxy(t)
	untrusted := apptest.NewServer(t) // no CURFEW_TRUSTED_PROXIES
	client := uniqueIP()
	spoofed := uniqueIP()

	cases := []struct {
		name   string
		srv    *apptest.Server
		xff    string
		wantIP string
	}{
		// A client talking to Curfew directly cannot choose its address.
		{"untrusted peer", untrusted, client, "127.0.0.1"},
		// Behind the proxy, the address the proxy appended is used, and
		// whatever the client put before it is ignored.
		{"trusted proxy", trusted, client, client},
		{"trusted proxy, spoofed prefix", trusted, spoofed + ", " + client, client},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			team := apptest.NewTeam(t, tc.srv.Store)
			c := fromIP(tc.srv, t, tc.xff)
			if res := signIn(c, team.Owner.Email, "wrong"); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d", res.StatusCode)
			}
			if res := signIn(c, team.Engineer.Email, apptest.Password); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d", res.StatusCode)
			}
			db := tc.srv.Store.DB()
			var auditIP, sessionIP string
			db.Get(&auditIP, `SELECT ip FROM audit_events WHERE account_id = $1 AND action = 'auth.login_failed'`, team.Account.ID)
			db.Get(&sessionIP, `SELECT ip FROM sessions WHERE user_id = $1`, team.Engineer.ID)
			if auditIP != tc.wantIP || sessionIP != tc.wantIP {
				t.Errorf("recorded IPs audit=%q session=%q, want %q", auditIP, sessionIP, tc.wantIP)
			}
			if n := attemptRows(t, tc.srv, `email = $1 AND ip = '`+tc.wantIP+`'`, team.Owner.Email); n != 1 {
				t.Errorf("the failed attempt is not counted against %s", tc.wantIP)
			}
		})
	}
}

func TestOldSignInAttemptsArePurged(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	email := "purge-" + strconv.Itoa(rand.IntN(1e9)) + "@example.test"
	db := srv.Store.DB()
	db.MustExec(`INSERT INTO login_attempts (email, ip, created_at) VALUES
		($1, '192.0.2.1', now() - interval '16 minutes'), ($1, '192.0.2.1', now() - interval '1 minute')`, email)
	if _, err := srv.Store.PurgeLoginAttempts(t.Context(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if n := attemptRows(t, srv, `email = $1`, email); n != 1 {
		t.Errorf("rows left = %d, want only the one inside the window", n)
	}
}

// refusalsCounted is every throttled attempt on email the server has kept
// count of: those its audit rows report and those still pending for the next.
func refusalsCounted(t *testing.T, srv *apptest.Server, accountID int64, email string) int {
	t.Helper()
	var n int
	if err := srv.Store.DB().Get(&n, `SELECT
		coalesce((SELECT sum((payload->>'refused')::int) FROM audit_events
			WHERE account_id = $1 AND action = 'auth.login_failed' AND payload->>'throttled' = 'true'), 0)
		+ coalesce((SELECT pending FROM login_refusals WHERE email = $2), 0)`, accountID, email); err != nil {
		t.Fatal(err)
	}
	return n
}
