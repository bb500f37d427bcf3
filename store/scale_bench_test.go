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
	b.Logf("inserted 10,000 sessions in %s", time.Since(start).Round(time.Millisecond))
	b.Run("lookup/sessions=10k", func(b *testing.B) { benchLookup(b, st, 0) })

	// Up to 1,000,000 sessions in 100,000 accounts: 98,999 more accounts with 9
	// sessions each, and one big account of 100 people with 1,000 sessions each.
	start = time.Now()
	addAccounts(b, db, tag+"-more", 98999, 1, 9)
	big := addAccounts(b, db, tag+"-big", 1, 100, 1000)
	if _, err := db.ExecContext(ctx, `ANALYZE accounts, users, sessions`); err != nil {
		b.Fatal(err)
	}
	b.Logf("grew to %d sessions in %d accounts in %s", count(b, db, "sessions"), count(b, db, "accounts"),
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
	b.Logf("sessions table %s, its indexes %s: %d bytes per session in all", size.Table, size.Indexes, size.PerRow)
	b.Run("lookup/sessions=1M", func(b *testing.B) { benchLookup(b, st, 0) })
	// Sessions of the account with 100 people and 100,000 sessions: the join
	// to users must not scan the account's people.
	b.Run("lookup/sessions=1M/big_account", func(b *testing.B) { benchLookup(b, st, big) })

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

func count(b *testing.B, db *sqlx.DB, table string) int {
	b.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM `+table); err != nil {
		b.Fatal(err)
	}
	return n
}

// benchLookup times store.SessionByTokenHash, the query every authenticated
// request makes, on random existing sessions (of one account if accountID is
// not 0), and reports p50 and p99.
func benchLookup(b *testing.B, st *store.Store, accountID int64) {
	ctx := context.Background()
	var hashes [][]byte
	if err := st.DB().SelectContext(ctx, &hashes, `SELECT token_hash FROM sessions TABLESAMPLE SYSTEM (10)
		WHERE $1::bigint = 0 OR account_id = $1 LIMIT 20000`, accountID); err != nil || len(hashes) == 0 {
		b.Fatalf("sample token hashes: %v (%d)", err, len(hashes))
	}
	var plan []string
	if err := st.DB().SelectContext(ctx, &plan, `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT 1 FROM sessions s
		JOIN users u ON u.id = s.user_id AND u.account_id = s.account_id
		JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1`, hashes[0]); err != nil {
		b.Fatal(err)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "sessions_token_hash_key") {
		b.Fatalf("the lookup does not use the token hash index:\n%s", strings.Join(plan, "\n"))
	}
	b.Logf("plan:\n  %s", strings.Join(plan, "\n  "))
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

// benchRevokeAll times sign-out-everywhere of the big account: one UPDATE of
// its 100,000 active sessions and the audit row, in one transaction, through
// store.RevokeAccountSessions. Between runs the sessions are made active again.
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
		if _, err := db.ExecContext(ctx, `VACUUM ANALYZE sessions`); err != nil {
			b.Fatal(err)
		}
	}
	var lat []time.Duration
	for b.Loop() {
		b.StopTimer()
		rearm()
		b.StartTimer()
		t0 := time.Now()
		r, err := st.RevokeAccountSessions(ctx, actor, store.ScopeAll, "",
			store.ActiveAt{Now: time.Now(), Policy: policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 20160}})
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if r.Count != 100000 || r.People != 100 {
			b.Fatalf("revoked %d sessions of %d people, want 100000 of 100", r.Count, r.People)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(slices.Max(lat).Microseconds())/1000, "max-ms")
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
