package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/lib/pq"

	"curfew/internal/apptest"
	"curfew/store"
)

// The hot-path lookup runs as a prepared statement, and PostgreSQL soon
// settles on a generic plan made from average statistics. When accounts have
// one person on average, a plan that finds the user through the account's
// people (users_account_id_idx) looks as cheap as the primary key, and then
// reads every person of a big account on each request of one of them. Here
// the big account arrives after the statistics were taken, as it would in
// production between two ANALYZE runs, and the lookup of its last person must
// still read one user row.
func TestLookupReadsOneUserWhateverTheStatistics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, freshDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	db := st.DB()
	exec := func(q string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", strings.Fields(q)[0], err)
		}
	}
	exec(`INSERT INTO accounts (name) SELECT 'solo-' || g FROM generate_series(1, 5000) g`)
	exec(`INSERT INTO users (account_id, email, password_hash, role) SELECT id, name || '@plan.test', 'x', 'owner' FROM accounts`)
	exec(`INSERT INTO sessions (account_id, user_id, token_hash) SELECT account_id, id, sha256(convert_to(email, 'UTF8')) FROM users`)
	exec(`ANALYZE accounts, users, sessions`)
	exec(`ALTER TABLE users SET (autovacuum_enabled = false)`)
	exec(`INSERT INTO accounts (name) VALUES ('big')`)
	exec(`INSERT INTO users (account_id, email, password_hash, role)
		SELECT a.id, 'big-' || g || '@plan.test', 'x', 'engineer' FROM accounts a, generate_series(1, 3000) g WHERE a.name = 'big'`)
	exec(`INSERT INTO sessions (account_id, user_id, token_hash)
		SELECT account_id, id, sha256(convert_to(email, 'UTF8')) FROM users WHERE email LIKE 'big-%'`)

	// The statement the store prepares, planned generically as it will be
	// after a few executions, run for the big account's last person.
	conn, err := db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `PREPARE lookup(bytea) AS `+store.SessionByTokenHashSQL); err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256([]byte("big-3000@plan.test"))
	var plan string
	if err := conn.GetContext(ctx, &plan, `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE lookup('\x`+hex.EncodeToString(hash[:])+`')`); err != nil {
		t.Fatal(err)
	}
	var nodes []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(plan), &nodes); err != nil || len(nodes) != 1 {
		t.Fatalf("EXPLAIN output: %v\n%s", err, plan)
	}
	var found bool
	nodes[0].Plan.walk(func(n planNode) {
		if n.Relation != "users" {
			return
		}
		found = true
		if read := n.ActualRows + n.RemovedByFilter; read > 1 || n.Index == "users_account_id_idx" {
			t.Errorf("the lookup read %.0f users through %q to find one person of a 3,000-person account", read, n.Index)
		}
	})
	if !found {
		t.Fatalf("no scan of users in the plan:\n%s", plan)
	}
}

type planNode struct {
	Relation        string     `json:"Relation Name"`
	Index           string     `json:"Index Name"`
	ActualRows      float64    `json:"Actual Rows"`
	RemovedByFilter float64    `json:"Rows Removed by Filter"`
	Plans           []planNode `json:"Plans"`
}

func (n planNode) walk(f func(planNode)) {
	f(n)
	for _, c := range n.Plans {
		c.walk(f)
	}
}

// A session can only belong to a person of its own account: the database
// refuses anything else, which is what lets queries join users by id alone.
func TestSessionUserMustBelongToItsAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	a, b := apptest.NewTeam(t, st), apptest.NewTeam(t, st)
	hash := sha256.Sum256([]byte(t.Name()))
	_, err := st.DB().ExecContext(ctx, `INSERT INTO sessions (account_id, user_id, token_hash) VALUES ($1, $2, $3)`,
		a.Account.ID, b.Engineer.ID, hash[:])
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Constraint != "sessions_user_in_account" {
		t.Fatalf("a session of account %d for a person of account %d: %v, want a sessions_user_in_account violation",
			a.Account.ID, b.Account.ID, err)
	}
	if _, err := st.DB().ExecContext(ctx, `INSERT INTO sessions (account_id, user_id, token_hash) VALUES ($1, $2, $3)`,
		b.Account.ID, b.Engineer.ID, hash[:]); err != nil {
		t.Fatalf("a session in the person's own account: %v", err)
	}
}
