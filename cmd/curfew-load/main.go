// Command curfew-load measures a running Curfew the way `make bench` reports it:
// closed-loop load at a fixed concurrency on (a) GET /healthz, (b) an
// authenticated GET /api/session, (c) an authenticated GET /settings/security,
// (e) GET /auth/verify with the session cookie, as a proxy asks it, (f) a
// product page through nginx with the shipped auth_request config
// (deploy/nginx/curfew.conf) and (g) the same page through nginx without the
// check, and (d) the session lookup query alone, sent straight to PostgreSQL
// through database/sql and lib/pq with the same number of workers and the same
// pool settings as the server. It samples the server's resident memory
// meanwhile. For (f) and (g) it starts Debian's nginx itself.
//
// The HTTP figures are driven by wrk (Debian's package), a C load generator
// that costs the shared CPU a fraction of what Go's HTTP client does; -http go
// drives them with the Go client instead, for comparison. The lookup is driven
// from Go, through the store's own call.
//
//	curfew-load -url http://127.0.0.1:8080 -db "$DATABASE_URL" \
//	    -email owner@acme.test -password acme-owner-pass -pid 1234
package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"curfew/internal/loadgen"
	"curfew/internal/sqlcount"
	"curfew/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "curfew-load:", err)
		os.Exit(1)
	}
}

type options struct {
	base, dbURL, email, password string
	pid                          int
	results                      string
	only                         string
	lookupVariants               bool
	httpTool, wrk                string
	nginx, nginxConf             string
	load                         loadgen.Options
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var o options
	fs := flag.NewFlagSet("curfew-load", flag.ContinueOnError)
	fs.StringVar(&o.base, "url", "http://127.0.0.1:8080", "base URL of the running server")
	fs.StringVar(&o.dbURL, "db", os.Getenv("DATABASE_URL"), "database URL, for the raw lookup query")
	fs.StringVar(&o.email, "email", "owner@acme.test", "owner to sign in as")
	fs.StringVar(&o.password, "password", "acme-owner-pass", "the owner's password")
	fs.IntVar(&o.pid, "pid", 0, "server process id, to sample its resident memory (0: don't)")
	fs.StringVar(&o.results, "results", "", "also write `name req/s p50_ms p99_ms errors cpu_us...` lines to this file")
	fs.StringVar(&o.only, "only", "healthz,session,security,verify,proxy_auth,proxy_plain,lookup", "comma-separated scenarios to run")
	fs.StringVar(&o.httpTool, "http", "wrk", "what drives the HTTP figures: wrk or go (Go's net/http client)")
	fs.StringVar(&o.wrk, "wrk", "wrk", "the wrk command")
	fs.StringVar(&o.nginx, "nginx", "", "the nginx binary for (f) and (g) (default: Debian's /usr/sbin/nginx)")
	fs.StringVar(&o.nginxConf, "nginx-conf", "deploy/nginx/curfew.conf", "the shipped nginx config that (f) measures")
	fs.BoolVar(&o.lookupVariants, "lookup-variants", false, "also send the lookup SQL by hand: as lib/pq does by default, with binary_parameters=yes, and prepared")
	fs.IntVar(&o.load.Concurrency, "c", 32, "concurrent workers (connections)")
	fs.DurationVar(&o.load.Warmup, "warmup", 2*time.Second, "warm-up before each measured window")
	fs.DurationVar(&o.load.Duration, "d", 10*time.Second, "measured window of each scenario")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch o.httpTool {
	case "go":
	case "wrk":
		path, err := exec.LookPath(o.wrk)
		if err != nil {
			return fmt.Errorf("wrk not found (%v): install it (apt-get install wrk; `make bench` does), or pass -http go", err)
		}
		o.wrk = path
	default:
		return fmt.Errorf("-http %q: want wrk or go", o.httpTool)
	}
	want := map[string]bool{}
	for _, s := range strings.Split(o.only, ",") {
		want[strings.TrimSpace(s)] = true
	}

	client := newHTTPClient(o.load.Concurrency)
	var cookie string
	if want["session"] || want["security"] || want["verify"] || want["proxy_auth"] {
		var err error
		if cookie, err = signIn(client, o.base, o.email, o.password); err != nil {
			return err
		}
	}
	mem := &memSampler{pid: o.pid}
	cpu := &cpuMeter{serverPID: o.pid, dbName: dbName(o.dbURL)}
	o.load.OnWindow = cpu.window

	var figures []figure
	var costs []cpuCost
	report := func(f figure, c cpuCost) {
		fmt.Fprintln(stdout, f)
		fmt.Fprintf(stdout, "    %-30s %s\n", "CPU per request", c)
		figures = append(figures, f)
		costs = append(costs, c)
	}
	scenarios := []scenario{
		{"healthz", "(a) GET /healthz", "/healthz", "", ""},
		{"session", "(b) GET /api/session", "/api/session", cookie, ""},
		{"security", "(c) GET /settings/security", "/settings/security", cookie, ""},
		{"verify", "(e) GET /auth/verify", "/auth/verify", cookie, ""},
	}
	if want["proxy_auth"] || want["proxy_plain"] {
		px, err := startProxyBench(ctx, o)
		if err != nil {
			return err
		}
		defer px.stop()
		cpu.proxyPID = px.proc.Pid()
		scenarios = append(scenarios,
			scenario{"proxy_auth", "(f) product via nginx auth_request", "/", cookie, px.authURL},
			scenario{"proxy_plain", "(g) product via nginx, no check", "/", cookie, px.plainURL})
	}
	for _, sc := range scenarios {
		if !want[sc.key] {
			continue
		}
		stop := mem.start()
		if o.httpTool == "wrk" {
			f, c, err := wrkFigure(ctx, o, client, sc, cpu)
			stop()
			if err != nil {
				return err
			}
			report(f, c)
			continue
		}
		r := loadgen.Run(ctx, sc.name, o.load, getOp(client, sc.url(o.base), sc.cookie))
		stop()
		report(figureOf(r, "go"), cpu.perRequest(r.OK+r.Errors))
	}
	if want["lookup"] {
		rs, err := lookupLoad(ctx, o)
		if err != nil {
			return err
		}
		for _, r := range rs {
			report(figureOf(r, "go"), cpu.perRequest(r.OK+r.Errors))
		}
	}
	if o.pid != 0 {
		fmt.Fprintln(stdout, mem)
	}
	if o.results != "" {
		return writeResults(o.results, figures, costs, mem)
	}
	return nil
}

// scenario is one HTTP figure: a key for -only and the results file, and the
// request: path on base, or on the server's URL when base is empty.
type scenario struct{ key, name, path, cookie, base string }

func (sc scenario) url(server string) string {
	if sc.base != "" {
		return sc.base + sc.path
	}
	return server + sc.path
}

// figure is one measured line, whichever tool measured it.
type figure struct {
	name, tool    string
	concurrency   int
	window        time.Duration
	ok, errors    int
	firstError    error
	p50, p99, max time.Duration
}

func figureOf(r loadgen.Result, tool string) figure {
	return figure{name: r.Name, tool: tool, concurrency: r.Concurrency, window: r.Window, ok: r.OK, errors: r.Errors,
		firstError: r.FirstError, p50: r.Quantile(0.5), p99: r.Quantile(0.99), max: r.Max()}
}

func (f figure) throughput() float64 { return float64(f.ok) / f.window.Seconds() }

// String is the one-line report: throughput, p50, p99 and the error count.
func (f figure) String() string {
	s := fmt.Sprintf("%-34s c=%d %4.0fs  %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  max %6.1f ms  (%d ok, %d errors; %s)",
		f.name, f.concurrency, f.window.Seconds(), f.throughput(), ms(f.p50), ms(f.p99), ms(f.max), f.ok, f.errors, f.tool)
	if f.firstError != nil {
		s += fmt.Sprintf("  first error: %v", f.firstError)
	}
	return s
}

func newHTTPClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			DisableCompression:  true,
			IdleConnTimeout:     time.Minute,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// signIn goes through the real login form and returns the Cookie header a
// browser would send afterwards (the session cookie and the CSRF cookie).
func signIn(client *http.Client, base, email, password string) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := *client
	c.Jar = jar
	res, err := c.Get(base + "/login")
	if err != nil {
		return "", fmt.Errorf("GET /login: %w", err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(page)
	if res.StatusCode != http.StatusOK || m == nil {
		return "", fmt.Errorf("GET /login: status %d, no _csrf field", res.StatusCode)
	}
	form := url.Values{"email": {email}, "password": {password}, "_csrf": {string(m[1])}}
	res, err = c.PostForm(base+"/login", form)
	if err != nil {
		return "", fmt.Errorf("POST /login: %w", err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("sign in as %s: status %d, want 303", email, res.StatusCode)
	}
	u, _ := url.Parse(base)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; "), nil
}

// getOp fetches url and reads the whole body; anything but 200 is an error.
func getOp(client *http.Client, url, cookie string) loadgen.Op {
	return func(ctx context.Context) error { return get(ctx, client, url, cookie, io.Discard) }
}

// get fetches url with the cookie header, if any, and copies the body to dst;
// anything but 200 is an error.
func get(ctx context.Context, client *http.Client, url, cookie string, dst io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if _, err := io.Copy(dst, res.Body); err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d, want 200", url, res.StatusCode)
	}
	return nil
}

// lookupLoad runs the store's session lookup alone: store.SessionByTokenHash,
// the very call the server's middleware makes, over database/sql and lib/pq
// with the server's pool settings. With -lookup-variants it also sends the SQL
// that call sends (captured from it, so exactly the same) by hand, three ways.
func lookupLoad(ctx context.Context, o options) ([]loadgen.Result, error) {
	if o.dbURL == "" {
		return nil, errors.New("the lookup scenario needs -db or DATABASE_URL")
	}
	rec := &sqlcount.Recorder{}
	rdb, err := rec.Open(o.dbURL)
	if err != nil {
		return nil, err
	}
	defer rdb.Close()
	var hash []byte
	if err := rdb.GetContext(ctx, &hash, `SELECT s.token_hash FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE u.email = $1 AND s.revoked_at IS NULL ORDER BY s.created_at DESC LIMIT 1`, o.email); err != nil {
		return nil, fmt.Errorf("find a session of %s: %w", o.email, err)
	}
	n := rec.Count()
	if _, err := store.New(rdb).SessionByTokenHash(ctx, hash); err != nil {
		return nil, fmt.Errorf("session lookup: %w", err)
	}
	stmts := rec.Since(n)
	if len(stmts) != 1 {
		return nil, fmt.Errorf("store.SessionByTokenHash sent %d statements, expected 1", len(stmts))
	}
	query := stmts[0]

	var results []loadgen.Result
	st, err := store.Open(ctx, o.dbURL) // the server's pool settings
	if err != nil {
		return nil, err
	}
	defer st.Close()
	results = append(results, loadgen.Run(ctx, "(d) session lookup query alone", o.load, func(ctx context.Context) error {
		_, err := st.SessionByTokenHash(ctx, hash)
		return err
	}))
	if !o.lookupVariants {
		return results, nil
	}

	// The same SQL sent by hand, three ways: as lib/pq sends it by default
	// (an unnamed statement, parsed and planned on every call, two network
	// round trips), with binary_parameters=yes (one round trip, still planned
	// every time), and as a prepared statement (one round trip, planned once
	// per connection).
	run := func(name, dbURL string, prepare bool) error {
		st, err := store.Open(ctx, dbURL) // the server's pool settings
		if err != nil {
			return err
		}
		defer st.Close()
		db := st.DB().DB
		send := func(ctx context.Context) (*sql.Rows, error) { return db.QueryContext(ctx, query, hash) }
		if prepare {
			stmt, err := db.PrepareContext(ctx, query)
			if err != nil {
				return err
			}
			defer stmt.Close()
			send = func(ctx context.Context) (*sql.Rows, error) { return stmt.QueryContext(ctx, hash) }
		}
		results = append(results, loadgen.Run(ctx, name, o.load, func(ctx context.Context) error {
			return readOneRow(send(ctx))
		}))
		return nil
	}
	if err := run("(d1) raw SQL, lib/pq default", o.dbURL, false); err != nil {
		return nil, err
	}
	if err := run("(d2) raw SQL, binary_parameters=yes", withParam(o.dbURL, "binary_parameters", "yes"), false); err != nil {
		return nil, err
	}
	if err := run("(d3) raw SQL, prepared statement", o.dbURL, true); err != nil {
		return nil, err
	}
	return results, nil
}

// withParam adds a connection parameter to a URL or key=value DSN.
func withParam(dsn, key, value string) string {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " " + key + "=" + value
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// readOneRow reads the lookup's one row without converting it.
func readOneRow(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return errors.New("no row")
	}
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	raw := make([]sql.RawBytes, len(cols))
	dst := make([]any, len(cols))
	for i := range raw {
		dst[i] = &raw[i]
	}
	if err := rows.Scan(dst...); err != nil {
		return err
	}
	return rows.Close()
}

// memSampler reads VmRSS of the server every 50 ms while load runs.
type memSampler struct {
	pid     int
	mu      sync.Mutex
	peakRSS int64 // kB
}

func (m *memSampler) start() (stop func()) {
	if m.pid == 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if rss := procStatus(m.pid, "VmRSS"); rss > 0 {
				m.mu.Lock()
				m.peakRSS = max(m.peakRSS, rss)
				m.mu.Unlock()
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (m *memSampler) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Sprintf("%-34s peak VmRSS %.1f MB sampled under load, VmHWM %.1f MB, VmRSS now %.1f MB",
		"server resident memory", mb(m.peakRSS), mb(procStatus(m.pid, "VmHWM")), mb(procStatus(m.pid, "VmRSS")))
}

func mb(kb int64) float64 { return float64(kb) / 1024 }

// procStatus returns a "kB" field of /proc/PID/status, or 0.
func procStatus(pid int, field string) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func writeResults(path string, figures []figure, costs []cpuCost, mem *memSampler) error {
	var b strings.Builder
	keys := map[string]string{
		"(a) GET /healthz": "healthz", "(b) GET /api/session": "session",
		"(c) GET /settings/security": "security", "(d) session lookup query alone": "lookup",
		"(d1) raw SQL, lib/pq default": "lookup_raw", "(d2) raw SQL, binary_parameters=yes": "lookup_binary",
		"(d3) raw SQL, prepared statement":   "lookup_prepared",
		"(e) GET /auth/verify":               "verify",
		"(f) product via nginx auth_request": "proxy_auth",
		"(g) product via nginx, no check":    "proxy_plain",
	}
	for i, f := range figures {
		c := costs[i]
		fmt.Fprintf(&b, "%s %.1f %.3f %.3f %d %.1f %.1f %.1f %.1f\n", keys[f.name], f.throughput(),
			ms(f.p50), ms(f.p99), f.errors, us(c.server), us(c.postgres), us(c.self), us(c.proxy))
	}
	if mem.pid != 0 {
		mem.mu.Lock()
		fmt.Fprintf(&b, "rss_peak_mb %.1f\nrss_hwm_mb %.1f\n", mb(mem.peakRSS), mb(procStatus(mem.pid, "VmHWM")))
		mem.mu.Unlock()
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpuMeter reads, when the measured window opens and closes, the CPU time of
// the server, of the PostgreSQL backends connected to the bench database
// (their process title names it), of nginx (its master and workers) when it
// runs, and of this load generator.
type cpuMeter struct {
	serverPID  int
	proxyPID   int
	dbName     string
	mu         sync.Mutex
	start, end map[string]map[int]time.Duration // role -> pid -> CPU time
}

// cpuCost is CPU time per request, by who spent it.
type cpuCost struct{ server, postgres, self, proxy time.Duration }

func (c cpuCost) String() string {
	s := fmt.Sprintf("server %.0f µs, PostgreSQL backends %.0f µs, load generator %.0f µs",
		us(c.server), us(c.postgres), us(c.self))
	if c.proxy > 0 {
		s += fmt.Sprintf(", nginx %.0f µs", us(c.proxy))
	}
	return s
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func (m *cpuMeter) window(open bool) {
	snap := m.read()
	m.mu.Lock()
	defer m.mu.Unlock()
	if open {
		m.start = snap
	} else {
		m.end = snap
	}
}

func (m *cpuMeter) read() map[string]map[int]time.Duration {
	snap := map[string]map[int]time.Duration{
		"self": {os.Getpid(): procCPU(os.Getpid())}, "server": {}, "postgres": {}, "proxy": {},
	}
	if m.serverPID != 0 {
		snap["server"][m.serverPID] = procCPU(m.serverPID)
	}
	if m.proxyPID != 0 {
		for _, pid := range append(childrenOf(m.proxyPID), m.proxyPID) {
			snap["proxy"][pid] = procCPU(pid)
		}
	}
	if m.dbName == "" {
		return snap
	}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err != nil {
			continue
		}
		title := strings.TrimRight(string(cmd), "\x00")
		if strings.HasPrefix(title, "postgres: ") && strings.Contains(title, " "+m.dbName+" ") {
			snap["postgres"][pid] = procCPU(pid)
		}
	}
	return snap
}

// perRequest divides the CPU spent in the last window among n requests. A
// process that appeared during the window spent all its CPU time in it.
func (m *cpuMeter) perRequest(n int) cpuCost {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n == 0 || m.start == nil || m.end == nil {
		return cpuCost{}
	}
	spent := func(role string) time.Duration {
		var total time.Duration
		for pid, t := range m.end[role] {
			total += t - m.start[role][pid]
		}
		return total / time.Duration(n)
	}
	return cpuCost{server: spent("server"), postgres: spent("postgres"), self: spent("self"), proxy: spent("proxy")}
}

// procCPU is the user+system CPU time of a process (0 if it is gone).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * (time.Second / clockTicks)
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on Linux.
const clockTicks = 100

// dbName is the database a URL or key=value DSN names.
func dbName(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return strings.TrimPrefix(u.Path, "/")
	}
	for _, kv := range strings.Fields(dsn) {
		if v, ok := strings.CutPrefix(kv, "dbname="); ok {
			return v
		}
	}
	return ""
}
