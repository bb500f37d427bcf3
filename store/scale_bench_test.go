package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"curfew/internal/apptest"
	"curfew/internal/sqlcount"
	"curfew/policy"
	"curfew/store"
)

// BenchmarkScale shows that the session lookup stays flat as the sessions
// table grows from 10,000 to 1,000,000 rows (100,000 accounts), and times
// sign-out-everywhere of one account with 100,000 active sessions. It inserts
// its rows with generate_series, one statement per table, so the set-up takes
// seconds; `make bench` runs it, `make test` does not (benchmarks only run
// with -bench).
func BenchmarkScale(b *testing.B) {
	ctx := context.Background()
	st := apptest.Store(b)
	db := st.DB()
	tag := fmt.Sprintf("scale%d", time.Now().UnixNano())

	// 10,000 sessions: 1,000 accounts, one person each, 10 sessions each.
	start := time.Now()
	addAccounts(b, db, tag+"-small", 1000, 1, 10)
	note("inserted 10,000 sessions in %s", time.Since(start).Round(time.Millisecond))
	hashes := sampleSessions(b, st, 0, "10k")
	b.Run("lookup/sessions=10k", func(b *testing.B) { benchLookup(b, st, hashes) })
	b.Run("lookup_prepared/sessions=10k", func(b *testing.B) { benchLookupPrepared(b, st, hashes) })

	// Up to 1,000,000 sessions in 100,000 accounts: 98,999 more accounts with 9
	// sessions each, and one big account of 100 people with 1,000 sessions each.
	start = time.Now()
	addAccounts(b, db, tag+"-more", 98999, 1, 9)
	big := addAccounts(b, db, tag+"-big", 1, 100, 1000)
	if _, err := db.ExecContext(ctx, `ANALYZE accounts, users, sessions`); err != nil {
		b.Fatal(err)
	}
	note("grew to %d sessions in %d accounts in %s", count(b, db, "sessions"), count(b, db, "accounts"),
		time.Since(start).Round(time.Millisecond))
	var size struct {
		Table   string `db:"table_size"`
		Indexes string `db:"indexes_size"`
		PerRow  int    `db:"bytes_per_row"`
	}
	if err := db.GetContext(ctx, &size, `SELECT pg_size_pretty(pg_table_size('sessions')) AS table_size,
			pg_size_pretty(pg_indexes_size('sessions')) AS indexes_size,
			(pg_total_relation_size('sessions') / greatest(count(*), 1))::int AS bytes_per_row
		FROM sessions`); err != nil {
		b.Fatal(err)
	}
	note("sessions table %s, its indexes %s: %d bytes per session in all", size.Table, size.Indexes, size.PerRow)
	hashes = sampleSessions(b, st, 0, "1M")
	b.Run("lookup/sessions=1M", func(b *testing.B) { benchLookup(b, st, hashes) })
	b.Run("lookup_prepared/sessions=1M", func(b *testing.B) { benchLookupPrepared(b, st, hashes) })
	// Sessions of the account with 100 people and 100,000 sessions: the join
	// to users must not scan the account's people.
	hashes = sampleSessions(b, st, big, "1M/big_account")
	b.Run("lookup/sessions=1M/big_account", func(b *testing.B) { benchLookup(b, st, hashes) })

	// The security page's sign-out-everywhere counts for that account: one
	// pass over its 100,000 active sessions, which is why the page reuses them
	// for a moment (handlers/counts.go).
	b.Run("count_active/active=100k", func(b *testing.B) {
		active := store.ActiveAt{Now: time.Now(), Policy: policy.DefaultSettings.EffectivePolicy(policy.Overrides{})}
		var lat []time.Duration
		for b.Loop() {
			t0 := time.Now()
			n, err := st.CountActiveSessions(ctx, big, 0, active, "")
			if err != nil || n.Sessions != 100000 || n.People != 100 {
				b.Fatalf("count = %+v, %v; want 100,000 sessions of 100 people", n, err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportQuantiles(b, lat)
	})

	b.Run("revoke_all/active=100k", func(b *testing.B) { benchRevokeAll(b, st, big) })
}

// addAccounts inserts n accounts named prefix-1..n with people users each and
// perUser active sessions per user, and returns the id of the first account.
func addAccounts(b *testing.B, db *sqlx.DB, prefix string, n, people, perUser int) int64 {
	b.Helper()
	ctx := context.Background()
	var first int64
	err := db.GetContext(ctx, &first, `WITH a AS (
			INSERT INTO accounts (name) SELECT $1 || '-' || g FROM generate_series(1, $2::int) g RETURNING id)
		SELECT min(id) FROM a`, prefix, n)
	if err != nil {
		b.Fatalf("insert accounts: %v", err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO users (account_id, email, password_hash, role)
		SELECT a.id, lower(a.name) || '-' || g || '@scale.test', 'x', CASE WHEN g = 1 THEN 'owner' ELSE 'engineer' END
		FROM accounts a, generate_series(1, $2::int) g
		WHERE a.id >= $1 AND a.name LIKE $3 || '-%'`, first, people, prefix); err != nil {
		b.Fatalf("insert users: %v", err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO sessions (account_id, user_id, token_hash, created_at, last_seen_at, authenticated_at, ip, user_agent)
		SELECT u.account_id, u.id, sha256(convert_to(u.email || '/' || g, 'UTF8')),
			now() - interval '1 hour', now() - interval '1 minute', now() - interval '1 hour',
			'198.51.100.7', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0'
		FROM users u, generate_series(1, $2::int) g
		WHERE u.account_id >= $1 AND u.email LIKE lower($3) || '-%'`, first, perUser, prefix); err != nil {
		b.Fatalf("insert sessions: %v", err)
	}
	return first
}

// note prints a line about the data next to the benchmark results (b.Log
// output of benchmarks is cut short).
func note(format string, args ...any) { fmt.Printf("scale: "+format+"\n", args...) }

func count(b *testing.B, db *sqlx.DB, table string) int {
	b.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM `+table); err != nil {
		b.Fatal(err)
	}
	return n
}

// sampleSessions returns token hashes of random existing sessions (of one
// account if accountID is not 0), after checking that the lookup of one of
// them reads the token hash index.
func sampleSessions(b *testing.B, st *store.Store, accountID int64, label string) [][]byte {
	ctx := context.Background()
	var hashes [][]byte
	if err := st.DB().SelectContext(ctx, &hashes, `SELECT token_hash FROM sessions TABLESAMPLE SYSTEM (10)
		WHERE $1::bigint = 0 OR account_id = $1 LIMIT 20000`, accountID); err != nil || len(hashes) == 0 {
		b.Fatalf("sample token hashes: %v (%d)", err, len(hashes))
	}
	var plan []string
	if err := st.DB().SelectContext(ctx, &plan, `EXPLAIN `+store.SessionByTokenHashSQL, hashes[0]); err != nil {
		b.Fatal(err)
	}
	var scans []string
	for _, line := range plan {
		if i := strings.Index(line, "Scan using "); i >= 0 {
			scans = append(scans, strings.Fields(line[i+len("Scan using "):])[0])
		} else if i := strings.Index(line, "Seq Scan on "); i >= 0 {
			scans = append(scans, "a sequential scan of "+strings.Fields(line[i+len("Seq Scan on "):])[0])
		}
	}
	if len(scans) == 0 || scans[0] != "sessions_token_hash_key" {
		b.Fatalf("the lookup does not start from the token hash index:\n%s", strings.Join(plan, "\n"))
	}
	note("lookup at %s reads %s; %s", label, strings.Join(scans, ", "), explainCosts(b, st, hashes))
	return hashes
}

// explainCosts runs the lookup under EXPLAIN ANALYZE for 200 of the sessions
// and says where PostgreSQL's time goes: planning, execution, and how many
// pages came from outside shared_buffers.
func explainCosts(b *testing.B, st *store.Store, hashes [][]byte) string {
	ctx := context.Background()
	var planning, execution float64
	var reads, hits int
	const n = 200
	for i := range n {
		var out []string
		if err := st.DB().SelectContext(ctx, &out, `EXPLAIN (ANALYZE, BUFFERS) `+store.SessionByTokenHashSQL,
			hashes[(i*7919)%len(hashes)]); err != nil {
			b.Fatal(err)
		}
		for j, line := range out {
			var v float64
			if _, err := fmt.Sscanf(strings.TrimSpace(line), "Planning Time: %f ms", &v); err == nil {
				planning += v
			}
			if _, err := fmt.Sscanf(strings.TrimSpace(line), "Execution Time: %f ms", &v); err == nil {
				execution += v
			}
			if j == 1 { // the top node's buffers
				for _, f := range strings.Fields(line) {
					var k int
					if _, err := fmt.Sscanf(f, "hit=%d", &k); err == nil {
						hits += k
					}
					if _, err := fmt.Sscanf(f, "read=%d", &k); err == nil {
						reads += k
					}
				}
			}
		}
	}
	return fmt.Sprintf("mean planning %.0f µs, execution %.0f µs, %.1f pages from shared_buffers and %.1f from outside",
		planning/n*1000, execution/n*1000, float64(hits)/n, float64(reads)/n)
}

// benchLookup times store.SessionByTokenHash, the query every authenticated
// request makes, on the sampled sessions in random order, and reports p50 and p99.
func benchLookup(b *testing.B, st *store.Store, hashes [][]byte) {
	ctx := context.Background()
	lat := make([]time.Duration, 0, 1<<16)
	for b.Loop() {
		t0 := time.Now()
		if _, err := st.SessionByTokenHash(ctx, hashes[rand.IntN(len(hashes))]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportQuantiles(b, lat)
}

// benchLookupPrepared times the same SQL as benchLookup, captured from
// store.SessionByTokenHash, run as a prepared statement: planned once per
// connection instead of on every call, and one network round trip.
func benchLookupPrepared(b *testing.B, st *store.Store, hashes [][]byte) {
	ctx := context.Background()
	rec := &sqlcount.Recorder{}
	rdb, err := rec.Open(apptest.DatabaseURL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer rdb.Close()
	if _, err := store.New(rdb).SessionByTokenHash(ctx, hashes[0]); err != nil {
		b.Fatal(err)
	}
	stmts := rec.Since(0)
	if len(stmts) != 1 {
		b.Fatalf("SessionByTokenHash sent %d statements, want 1", len(stmts))
	}
	stmt, err := st.DB().PreparexContext(ctx, stmts[0])
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	lat := make([]time.Duration, 0, 1<<16)
	for b.Loop() {
		t0 := time.Now()
		var a store.AuthSession
		if err := stmt.GetContext(ctx, &a, hashes[rand.IntN(len(hashes))]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportQuantiles(b, lat)
}

// benchRevokeAll times sign-out-everywhere of the big account's 100,000 active
// sessions through store.RevokeAccountSessions: the revocation point, the
// count and the audit row in one transaction (the sessions are refused from
// its commit), and, reported apart as mark-ms, the background marking of the
// rows. Between runs the sessions are made active again.
func benchRevokeAll(b *testing.B, st *store.Store, accountID int64) {
	ctx := context.Background()
	db := st.DB()
	var owner int64
	if err := db.GetContext(ctx, &owner, `SELECT min(id) FROM users WHERE account_id = $1 AND role = 'owner'`, accountID); err != nil {
		b.Fatal(err)
	}
	actor := store.Actor{AccountID: accountID, UserID: owner, IP: "127.0.0.1", UserAgent: "scale benchmark"}
	rearm := func() {
		if _, err := db.ExecContext(ctx, `UPDATE sessions SET revoked_at = NULL, revoked_reason = NULL, last_seen_at = now() - interval '1 minute'
			WHERE account_id = $1`, accountID); err != nil {
			b.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE accounts SET sessions_revoked_through = 0, sessions_revoked_kept = NULL WHERE id = $1`, accountID); err != nil {
			b.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE sessions`); err != nil {
			b.Fatal(err)
		}
	}
	var lat, mark []time.Duration
	for b.Loop() {
		b.StopTimer()
		rearm()
		b.StartTimer()
		t0 := time.Now()
		active := store.ActiveAt{Now: time.Now(), Policy: policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 20160}}
		r, err := st.RevokeAccountSessions(ctx, actor, store.ScopeAll, "", active)
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if r.Count != 100000 || r.People != 100 {
			b.Fatalf("revoked %d sessions of %d people, want 100000 of 100", r.Count, r.People)
		}
		b.StopTimer()
		t1 := time.Now()
		if n, err := st.MarkRevokedSessions(ctx, accountID, active); err != nil || n != 100000 {
			b.Fatalf("marked %d rows: %v", n, err)
		}
		mark = append(mark, time.Since(t1))
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(slices.Max(lat).Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(slices.Max(mark).Microseconds())/1000, "mark-ms")
}

func reportQuantiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 {
		i := max(0, min(len(lat)-1, int(p*float64(len(lat))+0.5)-1))
		return float64(lat[i].Nanoseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}
