package faults_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// haPair is a real pg_auto_failover formation: a monitor and two PostgreSQL
// nodes with synchronous replication, private to the test, on free ports of
// 127.0.0.1, run as the postgres user.
type haPair struct {
	dir     string
	cred    *syscall.Credential
	env     []string
	autoctl string
	monitor *daemon
	monPort int
	nodes   [2]*haNode
}

type haNode struct {
	name string
	port int
	d    *daemon
}

// The monitor's failure detection, tightened from its production defaults
// (a health check every 5 s, a node unhealthy after 20 s, 30 s for the old
// primary to demote) so that a failover takes seconds; docs/deploy.md gives
// the figures with the defaults.
var fastFailover = map[string]string{
	"pgautofailover.health_check_period":               "1000",
	"pgautofailover.health_check_timeout":              "1000",
	"pgautofailover.health_check_max_retries":          "1",
	"pgautofailover.health_check_retry_delay":          "500",
	"pgautofailover.node_considered_unhealthy_timeout": "2000",
	"pgautofailover.primary_demote_timeout":            "2000",
}

func startHAPair(t *testing.T) *haPair {
	t.Helper()
	autoctl := needTool(t, "pg_autoctl", "postgresql-15-auto-failover", "/usr/bin/pg_autoctl")
	bin, err := autoFailoverPGBin()
	if err != nil {
		t.Fatal(err)
	}
	cred := postgresCredential(t)
	dir := privateDir(t, cred)
	for _, sub := range []string{"config", "share", "run"} {
		p := filepath.Join(dir, sub)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if cred != nil {
			os.Chown(p, int(cred.Uid), int(cred.Gid))
		}
	}
	h := &haPair{dir: dir, cred: cred, autoctl: autoctl, env: []string{
		"PATH=" + bin + ":" + os.Getenv("PATH"),
		"HOME=" + dir,
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "share"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
		"PG_CONFIG=" + filepath.Join(bin, "pg_config"),
	}}
	start := time.Now()
	if h.monPort, err = freePort(); err != nil {
		t.Fatal(err)
	}
	h.monitor = startDaemon(t, cred, filepath.Join(dir, "monitor.log"), h.env, autoctl, "create", "monitor",
		"--pgdata", filepath.Join(dir, "monitor"), "--pgport", fmt.Sprint(h.monPort),
		"--hostname", "127.0.0.1", "--listen", "127.0.0.1", "--auth", "trust", "--no-ssl", "--run")
	mon := h.monitorDB(t)
	waitFor(t, 60*time.Second, "the monitor to accept connections", func() error {
		return mon.PingContext(context.Background())
	}, h.monitor)
	for k, v := range fastFailover {
		if _, err := mon.Exec(fmt.Sprintf(`ALTER SYSTEM SET %s TO %s`, k, v)); err != nil {
			t.Fatalf("monitor: set %s: %v", k, err)
		}
	}
	if _, err := mon.Exec(`SELECT pg_reload_conf()`); err != nil {
		t.Fatal(err)
	}
	// The first node becomes the primary before the second joins it as its
	// synchronous standby.
	for i, want := range [][]string{{"single"}, {"primary", "secondary"}} {
		h.nodes[i] = h.startNode(t, i+1)
		waitFor(t, 90*time.Second, fmt.Sprintf("node%d to join (states %v)", i+1, want), func() error {
			return h.wantStates(mon, want...)
		}, h.nodes[i].d)
	}
	t.Logf("pg_auto_failover: monitor on %d, primary node1 on %d, secondary node2 on %d, ready in %v",
		h.monPort, h.nodes[0].port, h.nodes[1].port, time.Since(start).Round(100*time.Millisecond))
	return h
}

// autoFailoverPGBin is the PostgreSQL whose monitor extension is installed
// (Debian's postgresql-N-auto-failover), else the one the other tests use.
func autoFailoverPGBin() (string, error) {
	controls, _ := filepath.Glob("/usr/share/postgresql/*/extension/pgautofailover.control")
	for _, c := range controls {
		version := filepath.Base(filepath.Dir(filepath.Dir(c)))
		if bin := filepath.Join("/usr/lib/postgresql", version, "bin"); isExecutable(filepath.Join(bin, "pg_ctl")) {
			return bin, nil
		}
	}
	return findPGBin()
}

func (h *haPair) startNode(t *testing.T, n int) *haNode {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("node%d", n)
	node := &haNode{name: name, port: port}
	node.d = startDaemon(t, h.cred, filepath.Join(h.dir, name+".log"), h.env, h.autoctl, "create", "postgres",
		"--pgdata", filepath.Join(h.dir, name), "--pgport", fmt.Sprint(port), "--name", name,
		"--hostname", "127.0.0.1", "--listen", "127.0.0.1", "--auth", "trust", "--no-ssl",
		"--monitor", fmt.Sprintf("postgres://autoctl_node@127.0.0.1:%d/pg_auto_failover?sslmode=disable", h.monPort),
		"--run")
	return node
}

func (h *haPair) monitorDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", fmt.Sprintf("postgres://postgres@127.0.0.1:%d/pg_auto_failover?sslmode=disable&connect_timeout=2", h.monPort))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// states lists the nodes' reported states, in node order, from the monitor.
func (h *haPair) states(mon *sql.DB) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := mon.QueryContext(ctx, `SELECT nodename || '=' || reportedstate FROM pgautofailover.node ORDER BY nodeid`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		got = append(got, s)
	}
	return got, rows.Err()
}

// wantStates reports nil once the nodes are in the given states, in order.
func (h *haPair) wantStates(mon *sql.DB, want ...string) error {
	got, err := h.states(mon)
	if err != nil {
		return err
	}
	var names []string
	for i, s := range want {
		names = append(names, fmt.Sprintf("node%d=%s", i+1, s))
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		return fmt.Errorf("states %v, want %v", got, names)
	}
	return nil
}

// nodeURL is a URL of one node's postgres database.
func (h *haPair) nodeURL(i int, params string) string {
	u := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", h.nodes[i].port)
	if params != "" {
		u += "&" + params
	}
	return u
}

// waitFor polls check until it reports nil, failing the test with the last
// error and the daemon's log when the time is up.
func waitFor(t *testing.T, limit time.Duration, what string, check func() error, d *daemon) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s: %v\n%s", limit, what, err, d.logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitOutOfRecovery polls node i until it is no longer in recovery (promoted,
// though pg_auto_failover may keep its sessions read-only a while longer) and
// returns when it first was, or the zero time after limit.
func (h *haPair) waitOutOfRecovery(i int, limit time.Duration) time.Time {
	db, err := sql.Open("postgres", h.nodeURL(i, ""))
	if err != nil {
		return time.Time{}
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		var primary bool
		err := db.QueryRowContext(ctx, `SELECT NOT pg_is_in_recovery()`).Scan(&primary)
		cancel()
		if err == nil && primary {
			return time.Now()
		}
	}
	return time.Time{}
}

// waitSettled polls the monitor until node2 reports itself the primary
// after a failover, and returns when it did, or the zero time after limit.
func (h *haPair) waitSettled(t *testing.T, limit time.Duration) time.Time {
	mon := h.monitorDB(t)
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if states, err := h.states(mon); err == nil && len(states) == 2 &&
			(states[1] == "node2=wait_primary" || states[1] == "node2=primary") {
			return time.Now()
		}
	}
	return time.Time{}
}

// crash kills node i as a lost machine would: its keeper, its postmaster and
// every backend at once. Killing the keeper's process group is not enough:
// PostgreSQL puts each backend in a process group of its own, and an
// orphaned backend may still answer a query or two before it notices the
// postmaster is gone. The postmaster is stopped first so that it forks no
// backend the kill would miss. It returns when the node was dead: until then
// it may still answer.
func (h *haPair) crash(t *testing.T, i int) time.Time {
	t.Helper()
	node := h.nodes[i]
	b, err := os.ReadFile(filepath.Join(h.dir, node.name, "postmaster.pid"))
	if err != nil {
		t.Fatalf("%s: read postmaster.pid: %v", node.name, err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	postmaster, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatalf("%s: postmaster.pid: %q", node.name, first)
	}
	syscall.Kill(postmaster, syscall.SIGSTOP)
	for _, child := range childrenOf(postmaster) {
		syscall.Kill(child, syscall.SIGKILL)
	}
	syscall.Kill(postmaster, syscall.SIGKILL)
	syscall.Kill(-node.d.cmd.Process.Pid, syscall.SIGKILL)
	dead := time.Now()
	node.d.kill() // reaps the keeper
	return dead
}

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var kids []int
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		rest := string(b)
		if j := strings.LastIndexByte(rest, ')'); j >= 0 {
			rest = rest[j+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		if kid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
			kids = append(kids, kid)
		}
	}
	return kids
}
