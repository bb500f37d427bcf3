package faults_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"curfew/internal/apptest"
	"curfew/store"
)

// bouncer is a real PgBouncer in front of the package's private cluster.
type bouncer struct {
	port int
	d    *daemon
}

// startPgBouncer runs PgBouncer in the given pool mode on a free port, with
// trust authentication, forwarding every database name to the cluster.
func startPgBouncer(t *testing.T, mode string) *bouncer {
	t.Helper()
	bin := needTool(t, "pgbouncer", "pgbouncer", "/usr/sbin/pgbouncer")
	cred := postgresCredential(t)
	dir := privateDir(t, cred)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	ini := fmt.Sprintf(`[databases]
* = host=127.0.0.1 port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
admin_users = postgres
pool_mode = %s
max_client_conn = 400
default_pool_size = 40
max_db_connections = 80
ignore_startup_parameters = extra_float_digits
server_reset_query = DISCARD ALL
pidfile = %s
`, pg.port, port, filepath.Join(dir, "userlist.txt"), mode, filepath.Join(dir, "pgbouncer.pid"))
	for name, body := range map[string]string{"pgbouncer.ini": ini, "userlist.txt": `"postgres" ""` + "\n"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b := &bouncer{port: port}
	b.d = startDaemon(t, cred, filepath.Join(dir, "pgbouncer.log"), nil, bin, filepath.Join(dir, "pgbouncer.ini"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pgbouncer did not listen on %d: %v\n%s", port, err, b.d.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return b
}

func (b *bouncer) url(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", b.port, db)
}

// transactions is how many transactions PgBouncer has passed to PostgreSQL,
// from its admin console.
func (b *bouncer) transactions(t *testing.T) int64 {
	t.Helper()
	db, err := sql.Open("postgres", b.url("pgbouncer"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SHOW STATS`)
	if err != nil {
		t.Fatalf("pgbouncer SHOW STATS: %v", err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var total int64
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, c := range cols {
			if c == "total_xact_count" {
				var n int64
				fmt.Sscan(fmt.Sprint(asText(vals[i])), &n)
				total += n
			}
		}
	}
	return total
}

func asText(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// The store and handler suites pass through a real PgBouncer, in session mode
// as they are, and in transaction mode with CURFEW_DB_POOLER=transaction
// (no prepared statements, one-round-trip queries). In transaction mode the
// package databases are migrated on PostgreSQL itself, and the store tests
// that migrate databases of their own are left out: migrating is what a
// transaction pooler cannot do, and TestMigrateRefusesATransactionPooler
// shows Curfew refusing it.
func TestSuitesThroughPgBouncer(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to run the suites: %v", err)
	}
	for _, tc := range []struct {
		mode string
		skip string // tests that cannot run through this pooler, and why above
	}{
		{mode: "session"},
		{mode: "transaction", skip: "TestMigrate|TestLookupReadsOneUserWhateverTheStatistics"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			b := startPgBouncer(t, tc.mode)
			before := b.transactions(t)
			args := []string{"test", "-count=1", "./store", "./handlers"}
			if tc.skip != "" {
				args = append(args, "-skip", tc.skip)
			}
			cmd := exec.Command(goBin, args...)
			cmd.Dir = ".."
			cmd.Env = append(os.Environ(),
				apptest.EnvAdminURL+"="+b.url("postgres"),
				apptest.EnvPooler+"="+tc.mode,
				apptest.EnvDirectURL+"="+pg.url(""),
			)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			err := cmd.Run()
			t.Logf("go %s through pgbouncer (%s mode): %v\n%s", strings.Join(args, " "), tc.mode, time.Since(start).Round(time.Second), lastLines(out.String(), 6))
			if err != nil {
				t.Fatalf("the suites failed through pgbouncer in %s mode: %v\n%s\n%s", tc.mode, err, out.String(), b.d.logTail())
			}
			// The suites really went through PgBouncer, not around it.
			if n := b.transactions(t) - before; n < 1000 {
				t.Errorf("pgbouncer passed %d transactions for the suites, want thousands", n)
			}
		})
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Behind a transaction pooler Curfew does not take the migration lock: with
// migrations pending it refuses at once, naming what to do; with the schema
// current it starts. Without CURFEW_DB_POOLER=transaction on the same
// pooler, what it refuses to do would be at the pooler's mercy.
func TestMigrateRefusesATransactionPooler(t *testing.T) {
	b := startPgBouncer(t, "transaction")
	admin := admin(t)
	name := fmt.Sprintf("curfew_pooler_%d", time.Now().UnixNano())
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	st, err := store.Open(ctx, b.url(name), store.WithPooler(store.PoolerTransaction))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	err = st.Migrate(ctx, logger)
	if !errors.Is(err, store.ErrTransactionPooler) || !strings.Contains(err.Error(), "curfew migrate") {
		t.Fatalf("migrate an empty database through a transaction pooler: %v, want the refusal naming curfew migrate", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the refusal took %v: it must not wait for a lock", d)
	}
	var tables int
	direct, err := sql.Open("postgres", strings.Replace(pg.url(""), "/postgres?", "/"+name+"?", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	if err := direct.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("the refused migration left %d tables (%v)", tables, err)
	}

	// Migrated on PostgreSQL itself, as docs/deploy.md says, the same
	// instance behind the pooler starts.
	ds, err := store.Open(ctx, strings.Replace(pg.url(""), "/postgres?", "/"+name+"?", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if err := ds.Migrate(ctx, logger); err != nil {
		t.Fatalf("migrate directly: %v", err)
	}
	if err := st.Migrate(ctx, logger); err != nil {
		t.Errorf("through the transaction pooler on a current schema: %v, want nil", err)
	}
}
