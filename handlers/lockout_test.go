package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"curfew/internal/apptest"
)

// Twenty wrong passwords from elsewhere do not lock the real owner out: the
// browser that signed in before (its device cookie) and the address it signed
// in from keep their own counters, while strangers stay throttled.
func TestFailuresElsewhereDoNotLockTheOwnerOut(t *testing.T) {
	t.Parallel()
	srv := behindProxy(t, "CURFEW_LOGIN_LIMIT_PER_ACCOUNT", "10")
	team := apptest.NewTeam(t, srv.Store)
	email := team.Owner.Email
	home, attacker := uniqueIP(), uniqueIP()

	owner := fromIP(srv, t, home)
	if res := signIn(owner, email, apptest.Password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner's first sign-in: %d", res.StatusCode)
	}
	got := map[int]int{}
	for range 20 {
		got[signIn(fromIP(srv, t, attacker), email, "guess").StatusCode]++
	}
	if got[http.StatusUnauthorized] != 10 || got[http.StatusTooManyRequests] != 10 {
		t.Fatalf("attacker's 20 guesses: %v, want 10×401 then 10×429", got)
	}

	t.Run("a stranger is still throttled", func(t *testing.T) {
		if res := signIn(fromIP(srv, t, uniqueIP()), email, apptest.Password); res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("the right password from a new browser at a new address: %d, want 429", res.StatusCode)
		}
	})
	t.Run("the owner's browser, from anywhere", func(t *testing.T) {
		owner.HTTP.Transport = forwardedFor(uniqueIP()) // travelling: a new address
		if res := signIn(owner, email, apptest.Password); res.StatusCode != http.StatusSeeOther {
			t.Errorf("sign-in with the device cookie: %d, want 303\n%s", res.StatusCode, res.Body)
		}
	})
	t.Run("the owner's address, without the cookie", func(t *testing.T) {
		if res := signIn(fromIP(srv, t, home), email, apptest.Password); res.StatusCode != http.StatusSeeOther {
			t.Errorf("sign-in from the known address in a new browser: %d, want 303\n%s", res.StatusCode, res.Body)
		}
	})
	// The owner signing in gave the attacker no fresh guesses.
	if res := signIn(fromIP(srv, t, attacker), email, "guess"); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("attacker after the owner's sign-ins: %d, want 429", res.StatusCode)
	}
}

// A device cookie is no way around the limit: guesses through one count on
// that device's own counter and are throttled there.
func TestGuessesWithADeviceCookieAreThrottledPerDevice(t *testing.T) {
	t.Parallel()
	srv := behindProxy(t, "CURFEW_LOGIN_LIMIT_PER_ACCOUNT", "3")
	team := apptest.NewTeam(t, srv.Store)
	email := team.Owner.Email
	stolen := fromIP(srv, t, uniqueIP())
	signIn(stolen, email, apptest.Password)

	var got []int
	for range 4 {
		stolen.HTTP.Transport = forwardedFor(uniqueIP())
		got = append(got, signIn(stolen, email, "guess").StatusCode)
	}
	if fmt.Sprint(got) != "[401 401 401 429]" {
		t.Errorf("guesses with a device cookie: %v, want [401 401 401 429]", got)
	}
	// Another browser of the owner's is not affected by that device's count.
	other := fromIP(srv, t, uniqueIP())
	if res := signIn(other, email, apptest.Password); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a stranger's first attempt after a device's guesses: %d, want 303", res.StatusCode)
	}
	// A device cookie of another email counts for nothing.
	if res := signIn(stolen, team.Engineer.Email, "guess"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("guess on another email: %d", res.StatusCode)
	}
	if n := attemptRows(t, srv, `email = $1 AND scope = ''`, team.Engineer.Email); n != 1 {
		t.Errorf("the guess on another email with this device cookie was not counted as a stranger's (%d rows)", n)
	}
}

// One address failing on five owners' emails locks none of them out.
func TestOneAddressCannotLockFiveOwners(t *testing.T) {
	t.Parallel()
	const limit = 3
	srv := behindProxy(t, "CURFEW_LOGIN_LIMIT_PER_ACCOUNT", strconv.Itoa(limit), "CURFEW_LOGIN_LIMIT_PER_IP", "50")
	attacker := uniqueIP()
	type owner struct {
		email, home string
		browser     *apptest.Client
	}
	var owners []owner
	for range 5 {
		o := owner{email: apptest.NewTeam(t, srv.Store).Owner.Email, home: uniqueIP()}
		o.browser = fromIP(srv, t, o.home)
		if res := signIn(o.browser, o.email, apptest.Password); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("first sign-in of %s: %d", o.email, res.StatusCode)
		}
		owners = append(owners, o)
	}
	for _, o := range owners {
		for range limit {
			signIn(fromIP(srv, t, attacker), o.email, "guess")
		}
		if res := signIn(fromIP(srv, t, uniqueIP()), o.email, apptest.Password); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("%s is not throttled for strangers after %d guesses: %d", o.email, limit, res.StatusCode)
		}
	}
	for _, o := range owners {
		if res := signIn(fromIP(srv, t, o.home), o.email, apptest.Password); res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s from its own address: %d, want 303", o.email, res.StatusCode)
		}
		o.browser.HTTP.Transport = forwardedFor(uniqueIP())
		if res := signIn(o.browser, o.email, apptest.Password); res.StatusCode != http.StatusSeeOther {
			t.Errorf("%s in its own browser elsewhere: %d, want 303", o.email, res.StatusCode)
		}
	}
}

// Once an email is throttled, a flood of attempts on it is counted, not
// written one audit row each.
func TestThrottledAttemptsAreCountedNotAuditedOneByOne(t *testing.T) {
	t.Parallel()
	const flood = 300
	srv := behindProxy(t, "CURFEW_LOGIN_LIMIT_PER_ACCOUNT", "1", "CURFEW_LOGIN_LIMIT_PER_IP", "1000000")
	team := apptest.NewTeam(t, srv.Store)
	email := team.Owner.Email
	signIn(fromIP(srv, t, uniqueIP()), email, "guess")

	c := fromIP(srv, t, uniqueIP())
	c.CSRF = c.Get("/login").FormCSRF()
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < flood; i += 4 {
				res := c.PostForm("/login", url.Values{"email": {email}, "password": {"guess"}})
				mu.Lock()
				statuses[res.StatusCode]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if statuses[http.StatusTooManyRequests] != flood {
		t.Fatalf("statuses %v, want %d×429", statuses, flood)
	}
	if n := auditCount(t, srv, team.Account.ID, `action = 'auth.login_failed' AND payload->>'throttled' = 'true'`); n != 1 {
		t.Errorf("throttled audit rows after %d refusals = %d, want 1", flood, n)
	}
	if n := refusalsCounted(t, srv, team.Account.ID, email); n != flood {
		t.Errorf("refusals counted = %d, want %d", n, flood)
	}
	// A window later the next refusal writes the next row, reporting all the
	// refusals counted since the first.
	srv.Store.DB().MustExec(`UPDATE login_refusals SET audited_at = audited_at - interval '16 minutes' WHERE email = $1`, email)
	srv.Store.DB().MustExec(`UPDATE login_attempts SET created_at = now() WHERE email = $1`, email)
	c.PostForm("/login", url.Values{"email": {email}, "password": {"guess"}})
	var refused []int
	srv.Store.DB().Select(&refused, `SELECT (payload->>'refused')::int FROM audit_events
		WHERE account_id = $1 AND action = 'auth.login_failed' AND payload->>'throttled' = 'true' ORDER BY id`, team.Account.ID)
	if fmt.Sprint(refused) != fmt.Sprintf("[1 %d]", flood) {
		t.Errorf("refusals reported per row %v, want [1 %d]", refused, flood)
	}
}

// Free text from the client is capped before it reaches an audit or session
// row: the User-Agent (on a character boundary), the email as typed, and the
// path of a refused owner request.
func TestFreeTextIsCappedBeforeItIsStored(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	hugeUA := "Mozilla/5.0 " + strings.Repeat("é", 100_000) // 200 KB, two bytes a character

	c := srv.NewClient(t)
	c.HTTP.Transport = withUserAgent(hugeUA)
	if res := signIn(c, team.Owner.Email, "guess"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	if res := signIn(c, team.Owner.Email, apptest.Password); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	db := srv.Store.DB()
	var uas []string
	db.Select(&uas, `SELECT user_agent FROM audit_events WHERE account_id = $1
		UNION ALL SELECT user_agent FROM sessions WHERE account_id = $1`, team.Account.ID)
	if len(uas) != 3 { // auth.login_failed, auth.login, the session
		t.Fatalf("rows with a user agent: %d, want 3", len(uas))
	}
	for _, ua := range uas {
		if len(ua) > 512 || len(ua) < 500 || !utf8.ValidString(ua) || !strings.HasPrefix(ua, "Mozilla/5.0 é") {
			t.Errorf("stored user agent of %d bytes (valid UTF-8: %v), want its first ≤512 bytes", len(ua), utf8.ValidString(ua))
		}
	}

	long := strings.Repeat("a", 300) + "@example.test"
	res := signIn(srv.NewClient(t), long, "guess")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "longer than an email address can be") {
		t.Errorf("a 313-byte email: %d, want 422 saying it is too long", res.StatusCode)
	}
	if n := attemptRows(t, srv, `email LIKE $1`, "aaaa%"); n != 0 {
		t.Errorf("the over-long email reached the throttle table (%d rows)", n)
	}

	eng := srv.Login(t, team.Engineer.Email, apptest.Password)
	if res := eng.Do(http.MethodDelete, "/api/accounts/me/sessions/"+strings.Repeat("z", 4000), nil, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("engineer on a long owner path: %d", res.StatusCode)
	}
	var path string
	if err := db.Get(&path, `SELECT payload->>'path' FROM audit_events WHERE account_id = $1 AND action = 'auth.forbidden'`, team.Account.ID); err != nil {
		t.Fatalf("the refusal was not audited: %v", err)
	}
	if len(path) > 512 || !strings.HasPrefix(path, "/api/accounts/me/sessions/zzz") {
		t.Errorf("audited path of %d bytes, want its first ≤512", len(path))
	}
}

type withUserAgent string

func (ua withUserAgent) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", string(ua))
	return http.DefaultTransport.RoundTrip(r)
}
