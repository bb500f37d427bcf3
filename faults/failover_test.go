package faults_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"curfew/internal/apptest"
	"curfew/internal/sqlcount"
	"curfew/store"
)

// op is one request of the failover load, with what it was for.
type op struct {
	answer
	kind  string // view, signin, policy, revoke, victim
	value int    // the idle_minutes a policy save asked for
}

// ok reports a success: a 2xx, or the redirect of a sign-in that worked.
func (o op) ok() bool {
	if o.err != nil {
		return false
	}
	if o.kind == "signin" || o.kind == "victim" {
		return o.status == http.StatusSeeOther
	}
	return o.status >= 200 && o.status < 300
}

func (o op) end() time.Time { return o.start.Add(o.elapsed) }

// inFlightAt reports a request that was under way at t.
func (o op) inFlightAt(t time.Time) bool { return o.start.Before(t) && o.end().After(t) }

// poolSize is the store's pool, as store.Open sets it; hotStatements is how
// many queries the store prepares (the session lookup, the active counts).
const poolSize, hotStatements = 20, 2

// The request deadline of the Curfew under test; every answer must come
// within it and a little. It leaves room for password hashing on a busy CI
// machine; the switch itself fails fast (connection refused, read-only).
const failoverRequestTimeout = 5 * time.Second

// Kill the primary of a real pg_auto_failover pair under a load of page
// views, sign-ins, policy saves and sign-out-everywhere. Curfew, given both
// nodes in DATABASE_URL with target_session_attrs=read-write, answers 503
// while there is no primary (never a 500, never past the request deadline),
// /readyz says so, and it serves again from the promoted standby with no
// restart and no stream of errors from connections or prepared statements
// of the dead primary. Nothing answered 2xx is lost: every policy save and
// revocation acknowledged before the kill is in force afterwards, a revoked
// session never comes back, and the audit rows are the successful answers,
// once each.
func TestFailoverUnderLoad(t *testing.T) {
	ha := startHAPair(t)

	// A standby refuses to be migrated, at once, instead of waiting on it.
	t.Run("migrate refuses the standby", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		st, err := store.Open(ctx, ha.nodeURL(1, ""))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		start := time.Now()
		if err := st.Migrate(ctx, slog.New(slog.DiscardHandler)); !errors.Is(err, store.ErrStandby) {
			t.Errorf("migrate on the standby: %v, want store.ErrStandby", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("the refusal took %v", d)
		}
	})

	// Both nodes, in the form operators and managed services write.
	dbURL := fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/postgres?sslmode=disable&target_session_attrs=read-write&connect_timeout=2&application_name=%s",
		ha.nodes[0].port, ha.nodes[1].port, appName)
	logs := &apptest.SyncBuffer{}
	// The store's pool, over a driver that counts the statements prepared on
	// its connections (sqlcount), in lib/pq's own multi-host form.
	rec := &sqlcount.Recorder{}
	db, err := rec.Open(fmt.Sprintf("postgres://postgres@127.0.0.1,127.0.0.1/postgres?port=%d,%d&sslmode=disable&target_session_attrs=read-write&connect_timeout=2&application_name=%s",
		ha.nodes[0].port, ha.nodes[1].port, appName))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
	srv := startCurfewOn(t, store.New(db), dbURL, io.Writer(logs), "CURFEW_REQUEST_TIMEOUT", failoverRequestTimeout.String(),
		"CURFEW_LOGIN_LIMIT_PER_ACCOUNT", "100000", "CURFEW_LOGIN_LIMIT_PER_IP", "100000")
	// Team a: page views, sign-ins and policy saves; team b: sign-out-everywhere,
	// which would end team a's sessions.
	a := apptest.NewTeam(t, srv.Store)
	b := apptest.NewTeam(t, srv.Store)
	viewers := make([]*apptest.Client, 3)
	for i := range viewers {
		viewers[i] = loggedIn(t, srv, a.Owner.Email)
	}
	ownerA := loggedIn(t, srv, a.Owner.Email)
	ownerB := loggedIn(t, srv, b.Owner.Email)
	ops := srv.NewClient(t)
	ops.HTTP.Timeout = 10 * time.Second

	var lastAudit int64
	if err := srv.Store.DB().Get(&lastAudit, `SELECT coalesce(max(id), 0) FROM audit_events`); err != nil {
		t.Fatal(err)
	}

	var (
		mu      sync.Mutex
		log     []op
		readyz  []op
		stop    = make(chan struct{})
		wg      sync.WaitGroup
		record  = func(o op) { mu.Lock(); log = append(log, o); mu.Unlock() }
		stopped = func() bool {
			select {
			case <-stop:
				return true
			default:
				return false
			}
		}
	)
	for _, c := range viewers {
		wg.Go(func() {
			for !stopped() {
				for _, p := range []string{"/settings/security", "/api/session"} {
					record(op{answer: fetch(c, srv, http.MethodGet, p, nil, ""), kind: "view"})
				}
			}
		})
	}
	wg.Go(func() { // sign-ins of team a's engineer
		for !stopped() {
			_, a := signIn(t, srv, a.Engineer.Email)
			record(op{answer: a, kind: "signin"})
		}
	})
	wg.Go(func() { // policy saves, each to a value no other uses
		for v := 5; !stopped(); v++ {
			record(op{answer: fetch(ownerA, srv, http.MethodPatch, "/api/accounts/me/security", jsonWithCSRF(ownerA),
				fmt.Sprintf(`{"idle_minutes": %d}`, v)), kind: "policy", value: v})
		}
	})
	// A victim is "pending" from its sign-in until a sign-out-everywhere is
	// acknowledged, then "revoked".
	victims := map[*apptest.Client]string{}
	wg.Go(func() { // team b: its engineer signs in, the owner signs everyone else out
		for !stopped() {
			c, v := signIn(t, srv, b.Engineer.Email)
			record(op{answer: v, kind: "victim"})
			if v.err == nil && v.status == http.StatusSeeOther {
				mu.Lock()
				victims[c] = "pending"
				mu.Unlock()
			}
			r := fetch(ownerB, srv, http.MethodPost, "/api/accounts/me/security/revoke-sessions", jsonWithCSRF(ownerB), `{"scope":"others"}`)
			o := op{answer: r, kind: "revoke"}
			record(o)
			if o.ok() {
				mu.Lock()
				for tok, state := range victims {
					if state == "pending" {
						victims[tok] = "revoked"
					}
				}
				mu.Unlock()
			}
		}
	})
	wg.Go(func() {
		for !stopped() {
			o := op{answer: fetch(ops, srv, http.MethodGet, "/readyz", nil, ""), kind: "readyz"}
			mu.Lock()
			readyz = append(readyz, o)
			mu.Unlock()
			time.Sleep(50 * time.Millisecond)
		}
	})

	time.Sleep(3 * time.Second) // load on a healthy pair
	prepsAtKill := rec.Prepares()
	killAt := ha.crash(t, 0) // the primary's keeper, PostgreSQL and its backends: SIGKILL
	promoted, settled := make(chan time.Time, 1), make(chan time.Time, 1)
	go func() { promoted <- ha.waitOutOfRecovery(1, 90*time.Second) }()
	go func() { settled <- ha.waitSettled(t, 90*time.Second) }()

	// Wait for the first 200 answered after the kill, then keep the load on
	// the new primary for a while.
	var firstOK time.Time
	waitFor(t, 90*time.Second, "Curfew to answer 200 after the kill", func() error {
		mu.Lock()
		defer mu.Unlock()
		for _, o := range log {
			if o.ok() && o.start.After(killAt) && (firstOK.IsZero() || o.end().Before(firstOK)) {
				firstOK = o.end()
			}
		}
		if firstOK.IsZero() {
			return errors.New("no 200 yet")
		}
		return nil
	}, ha.nodes[1].d)
	// Until pg_auto_failover has finished promoting the standby, new
	// connections to it may still be refused as read-only, so a few errors
	// may come after the first 200; from a second after the monitor reports
	// the new primary (wait_primary), none may.
	settledAt := <-settled
	if settledAt.IsZero() {
		t.Fatalf("the monitor never reported node2 as the primary")
	}
	recovered := settledAt.Add(time.Second)
	if firstOK.After(settledAt) {
		recovered = firstOK.Add(time.Second)
	}
	time.Sleep(time.Until(recovered))
	logsAtRecovery := len(logs.String())
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	promotedAt := <-promoted
	for _, o := range log {
		if o.ok() && o.end().Equal(firstOK) {
			t.Logf("the first 200 after the kill: %s %s, started at kill%+v", o.kind, o.path, o.start.Sub(killAt).Round(time.Millisecond))
		}
	}
	t.Logf("kill → first 200: %v (kill → node2 out of recovery: %v; kill → monitor reports node2 wait_primary: %v)",
		firstOK.Sub(killAt).Round(10*time.Millisecond), promotedAt.Sub(killAt).Round(10*time.Millisecond),
		settledAt.Sub(killAt).Round(10*time.Millisecond))
	states, _ := ha.states(ha.monitorDB(t))
	t.Logf("monitor: %v", states)

	// Every answer was a proper one, in time: 2xx, or 503 with Retry-After and
	// the JSON error or the page that says why.
	counts := map[string]map[string]int{}
	for _, o := range log {
		phase := "before"
		switch {
		case o.start.After(recovered):
			phase = "recovered"
		case o.end().After(killAt):
			phase = "switch"
		}
		res := fmt.Sprint(o.status)
		if o.err != nil {
			res = "error"
		}
		if counts[phase] == nil {
			counts[phase] = map[string]int{}
		}
		counts[phase][o.kind+" "+res]++
		switch {
		case o.err != nil:
			t.Errorf("%s %s at kill%+v: %v", o.kind, o.path, o.start.Sub(killAt).Round(time.Millisecond), o.err)
			continue
		case o.elapsed > failoverRequestTimeout+time.Second:
			t.Errorf("%s %s answered %d after %v, past the %v request deadline", o.kind, o.path, o.status, o.elapsed, failoverRequestTimeout)
		}
		if o.ok() {
			continue
		}
		if o.status != http.StatusServiceUnavailable || o.header.Get("Retry-After") == "" {
			t.Errorf("%s %s at kill%+v: %d Retry-After=%q, want 2xx or 503 with Retry-After\n%.300s",
				o.kind, o.path, o.start.Sub(killAt).Round(time.Millisecond), o.status, o.header.Get("Retry-After"), o.body)
		} else if json := strings.HasPrefix(o.header.Get("Content-Type"), "application/json"); json && errorCode(o.body) != "unavailable" {
			t.Errorf("%s %s during the switch: %s, want the unavailable JSON error", o.kind, o.path, o.body)
		} else if !json && !strings.Contains(o.body, "cannot reach its database") {
			t.Errorf("%s %s: the page during the switch does not say why: %.300s", o.kind, o.path, o.body)
		}
		if phase == "before" {
			t.Errorf("%s %s failed before the kill: %d %.300s\n%s", o.kind, o.path, o.status, o.body, logLinesOf(logs.String(), o))
		}
		if phase == "recovered" {
			t.Errorf("%s %s at kill%+v, after recovery: %d — errors go on after the switch", o.kind, o.path, o.start.Sub(killAt).Round(time.Millisecond), o.status)
		}
	}
	t.Logf("answers by phase: %v", counts)
	for _, k := range []string{"view 200", "signin 303", "policy 200", "revoke 200"} {
		if counts["before"][k] == 0 || counts["recovered"][k] == 0 {
			t.Errorf("no %q answers before the kill and after recovery: the load did not cover both", k)
		}
	}
	if counts["switch"]["view 503"] == 0 {
		t.Errorf("no 503 during the switch: the kill was not seen")
	}

	// /readyz failed while there was no primary and is back.
	var readyDown, readyUp bool
	for _, o := range readyz {
		if o.start.After(killAt) && o.end().Before(firstOK) && o.status == http.StatusServiceUnavailable {
			readyDown = true
		}
		if o.start.After(firstOK) && o.status == http.StatusOK {
			readyUp = true
		}
	}
	if !readyDown || !readyUp {
		t.Errorf("/readyz: 503 during the switch %v, 200 after %v; want both", readyDown, readyUp)
	}

	// No stream of errors once it serves again: no warning or error logged
	// after recovery, and never a prepared statement missing on a connection.
	all := logs.String()
	for _, line := range strings.Split(all[logsAtRecovery:], "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("logged after recovery: %.300s", line)
		}
	}
	if n := strings.Count(all, "prepared statement"); n > 0 {
		t.Errorf("%d log lines about prepared statements: a statement of a dead connection was used", n)
	}
	t.Logf("%d warnings logged during the switch", strings.Count(all[:logsAtRecovery], "level=WARN"))
	// The hot statements were prepared again on the new primary's
	// connections, once per connection, not once per request.
	hotAfter := counts["recovered"]["view 200"] + counts["recovered"]["policy 200"] + counts["recovered"]["revoke 200"]
	reprepared := rec.Prepares() - prepsAtKill
	t.Logf("statements prepared: %d before the kill, %d after it (pool of %d, %d authenticated 200s after recovery)",
		prepsAtKill, reprepared, poolSize, hotAfter)
	if prepsAtKill == 0 || reprepared == 0 {
		t.Errorf("the hot statements were not prepared before the kill (%d) and again after it (%d)", prepsAtKill, reprepared)
	}
	if limit := 2 * hotStatements * poolSize; reprepared > limit {
		t.Errorf("%d statements prepared after the kill, more than %d (each hot statement twice per pool connection): prepared per request, not per connection", reprepared, limit)
	}

	checkNothingLost(t, srv, log, victims, killAt, lastAudit, a, b)
}

// checkNothingLost compares the new primary's rows with the answers.
func checkNothingLost(t *testing.T, srv *apptest.Server, log []op, victims map[*apptest.Client]string, killAt time.Time, lastAudit int64, a, b apptest.Team) {
	t.Helper()
	db := srv.Store.DB()
	// Requests under way at the kill may have committed with their answer
	// lost: their rows may or may not exist. Every other row is an answer.
	acked, inDoubt := map[string]int{}, map[string]int{}
	ackedValues, doubtValues := map[int]bool{}, map[int]bool{}
	lastValue := 0
	for _, o := range log {
		switch {
		case o.ok():
			acked[o.kind]++
			if o.kind == "policy" {
				ackedValues[o.value] = true
				lastValue = max(lastValue, o.value)
			}
		case o.inFlightAt(killAt):
			inDoubt[o.kind]++
			if o.kind == "policy" {
				doubtValues[o.value] = true
			}
		}
	}
	for _, tc := range []struct {
		kind, action string
		account      int64
	}{
		{"signin", "auth.login", a.Account.ID},
		{"policy", "account.session_policy_update", a.Account.ID},
		{"victim", "auth.login", b.Account.ID},
		{"revoke", "account.sessions_revoke", b.Account.ID},
	} {
		var rows int
		if err := db.Get(&rows, `SELECT count(*) FROM audit_events WHERE id > $1 AND account_id = $2 AND action = $3`,
			lastAudit, tc.account, tc.action); err != nil {
			t.Fatal(err)
		}
		if rows < acked[tc.kind] || rows > acked[tc.kind]+inDoubt[tc.kind] {
			t.Errorf("%s rows = %d, acknowledged %s answers = %d (+%d under way at the kill)", tc.action, rows, tc.kind, acked[tc.kind], inDoubt[tc.kind])
		}
	}

	// Each acknowledged policy save is there, once; the account holds the
	// newest of them (or a newer one whose answer the kill lost).
	var values []int
	if err := db.Select(&values, `SELECT (payload->'new'->>'idle_minutes')::int FROM audit_events
		WHERE id > $1 AND account_id = $2 AND action = 'account.session_policy_update' ORDER BY id`, lastAudit, a.Account.ID); err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for _, v := range values {
		seen[v]++
		if seen[v] > 1 {
			t.Errorf("policy save to %d has %d audit rows", v, seen[v])
		}
		if !ackedValues[v] && !doubtValues[v] {
			t.Errorf("policy save to %d has an audit row but was answered with an error before or after the kill", v)
		}
	}
	for v := range ackedValues {
		if seen[v] == 0 {
			t.Errorf("policy save to %d was acknowledged but is lost", v)
		}
	}
	var idle int
	if err := db.Get(&idle, `SELECT idle_minutes FROM accounts WHERE id = $1`, a.Account.ID); err != nil {
		t.Fatal(err)
	}
	if idle != lastValue && !(doubtValues[idle] && idle > lastValue) {
		t.Errorf("account idle_minutes = %d, the last acknowledged save was %d", idle, lastValue)
	}

	// A session whose revocation was acknowledged stays signed out, on the
	// new primary.
	var revoked int
	for c, state := range victims {
		if state != "revoked" {
			continue
		}
		revoked++
		if r := fetch(c, srv, http.MethodGet, "/api/session", nil, ""); r.status != http.StatusUnauthorized {
			t.Errorf("a session revoked by an acknowledged sign-out-everywhere: /api/session answers %d, want 401", r.status)
		}
	}
	if revoked == 0 {
		t.Errorf("no revoked session to check")
	}
	t.Logf("%d acknowledged answers checked against the new primary (%v), %d under way at the kill; %d revoked sessions stay out",
		len(log)-sumValues(inDoubt), acked, sumValues(inDoubt), revoked)
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func jsonWithCSRF(c *apptest.Client) http.Header {
	return http.Header{"Content-Type": {"application/json"}, "X-Csrf-Token": {c.CSRF}}
}

// signIn signs in through the form with a new client: 303 when it works.
func signIn(t *testing.T, srv *apptest.Server, email string) (*apptest.Client, answer) {
	c := srv.NewClient(t)
	c.HTTP.Timeout = 10 * time.Second
	form := fetch(c, srv, http.MethodGet, "/login", nil, "")
	a := fetch(c, srv, http.MethodPost, "/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		url.Values{"email": {email}, "password": {apptest.Password}, "_csrf": {csrfField(form.body)}}.Encode())
	a.start = form.start
	a.elapsed = time.Since(form.start)
	return c, a
}

// logLinesOf finds the server's log lines of one answer, by its request id.
func logLinesOf(logs string, o op) string {
	id := o.header.Get("X-Request-Id")
	if id == "" {
		return "(no request id)"
	}
	var lines []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, id) {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
