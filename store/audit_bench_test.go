package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"curfew/internal/apptest"
	"curfew/store"
)

// benchAuditRows is the size of the big account's log.
const benchAuditRows = 1_000_000

type auditBenchData struct {
	st      *store.Store
	team    apptest.Team
	middle  int64
	seeding time.Duration
}

var (
	auditBenchOnce sync.Once
	auditBench     auditBenchData
	auditBenchErr  error
)

// seedAuditBench builds, once per run, an account with a 1,000,000-row log
// (two people, every action, a year of timestamps) next to 200,000 rows of
// other accounts, with one INSERT … SELECT generate_series each.
func seedAuditBench(b *testing.B) auditBenchData {
	auditBenchOnce.Do(func() {
		ctx := context.Background()
		st := apptest.Store(b)
		team := apptest.NewTeam(b, st)
		others := []apptest.Team{apptest.NewTeam(b, st), apptest.NewTeam(b, st)}
		start := time.Now()
		db := st.DB()
		seed := func(acct, owner, eng int64, rows int) error {
			_, err := db.ExecContext(ctx, `INSERT INTO audit_events (account_id, actor_user_id, action, payload, ip, user_agent, created_at)
				SELECT $1, CASE WHEN g % 3 = 0 THEN $3::bigint ELSE $2::bigint END,
					(ARRAY['account.session_policy_update','account.sessions_revoke','session.revoke','auth.login',
					       'auth.login_failed','auth.logout','auth.forbidden','auth.reauth'])[1 + g % 8],
					jsonb_build_object('session_id', gen_random_uuid()),
					'198.51.100.' || (g % 250), 'Mozilla/5.0 (bench)',
					now() - interval '365 days' + g * (interval '365 days' / $4)
				FROM generate_series(1, $4) g`, acct, owner, eng, rows)
			return err
		}
		// Interleave accounts so the big account's rows are not one contiguous block.
		for i := range 10 {
			if auditBenchErr = seed(team.Account.ID, team.Owner.ID, team.Engineer.ID, benchAuditRows/10); auditBenchErr != nil {
				return
			}
			o := others[i%2]
			if auditBenchErr = seed(o.Account.ID, o.Owner.ID, o.Engineer.ID, 20_000); auditBenchErr != nil {
				return
			}
		}
		if _, auditBenchErr = db.ExecContext(ctx, `VACUUM ANALYZE audit_events`); auditBenchErr != nil {
			return
		}
		var middle int64
		auditBenchErr = db.GetContext(ctx, &middle, `SELECT id FROM audit_events WHERE account_id = $1
			ORDER BY id OFFSET $2 LIMIT 1`, team.Account.ID, benchAuditRows/2)
		auditBench = auditBenchData{st: st, team: team, middle: middle, seeding: time.Since(start)}
	})
	if auditBenchErr != nil {
		b.Fatalf("seed audit benchmark: %v", auditBenchErr)
	}
	return auditBench
}

// BenchmarkAuditFirstPage measures pages of a 1,000,000-row audit log: the
// first page, a page from the middle, and filtered first pages. Each must be
// an index scan in id order that stops after the page.
func BenchmarkAuditFirstPage(b *testing.B) {
	d := seedAuditBench(b)
	ctx := context.Background()
	acct := d.team.Account.ID
	var count int
	d.st.DB().GetContext(ctx, &count, `SELECT count(*) FROM audit_events WHERE account_id = $1`, acct)
	b.Logf("account log: %d rows (seeded in %v)", count, d.seeding.Round(time.Millisecond))

	cases := []struct {
		name   string
		filter store.AuditFilter
		index  string
	}{
		{"first", store.AuditFilter{Limit: 50}, "audit_events_account_id_idx"},
		{"deep", store.AuditFilter{Before: d.middle, Limit: 50}, "audit_events_account_id_idx"},
		{"action", store.AuditFilter{Action: store.ActionPolicyUpdate, Limit: 50}, "audit_events_account_action_idx"},
		{"person", store.AuditFilter{ActorID: d.team.Engineer.ID, Limit: 50}, "audit_events_account_actor_idx"},
		{"person_deep", store.AuditFilter{ActorID: d.team.Engineer.ID, Before: d.middle, Limit: 50}, "audit_events_account_actor_idx"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			plan, err := d.st.ExplainAuditEvents(ctx, acct, c.filter, true)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("plan:\n%s", plan)
			if scan := pageScan(plan); !strings.Contains(scan, "Scan using "+c.index) || strings.Contains(scan, "Backward") {
				b.Fatalf("the page is not read in order from %s:\n%s", c.index, plan)
			}
			b.ResetTimer()
			for b.Loop() {
				page, err := d.st.AuditEvents(ctx, acct, c.filter)
				if err != nil {
					b.Fatal(err)
				}
				if len(page.Events) != 50 {
					b.Fatalf("got %d events, want 50", len(page.Events))
				}
			}
		})
	}
}
