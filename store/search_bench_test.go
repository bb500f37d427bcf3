package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"curfew/internal/apptest"
	"curfew/policy"
	"curfew/store"
)

// BenchmarkSessionSearch times the owner's session lists at scale: one
// account of 100 people with 1,000 active sessions each (100,000) and 10,000
// ended ones, searched (?q=) for a term every session matches and for one
// none does (the whole account's live rows are tested), grouped by person,
// and the ledger's first page. `make bench` runs it with the others.
func BenchmarkSessionSearch(b *testing.B) {
	ctx := context.Background()
	st := apptest.Store(b)
	db := st.DB()
	tag := fmt.Sprintf("search%d", time.Now().UnixNano())
	big := addAccounts(b, db, tag, 1, 100, 1000)
	if _, err := db.ExecContext(ctx, `UPDATE sessions SET revoked_at = now() - (seq % 1000) * interval '1 second', revoked_reason = 'logout'
		WHERE id IN (SELECT id FROM sessions WHERE account_id = $1 ORDER BY random() LIMIT 10000)`, big); err != nil {
		b.Fatal(err)
	}
	// Spread last activity over 20 minutes, as real sessions are.
	if _, err := db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = now() - (seq % 1200) * interval '1 second' WHERE account_id = $1`, big); err != nil {
		b.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ANALYZE sessions, users`); err != nil {
		b.Fatal(err)
	}
	active := store.ActiveAt{Now: time.Now(), Policy: policy.DefaultSettings.EffectivePolicy(policy.Overrides{})}
	for _, q := range []string{"", "firefox", "no-such-thing"} {
		b.Run("active/q="+q, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := st.ActiveSessions(ctx, store.ActiveSessionsQuery{AccountID: big, Active: active, Limit: 50, Search: q}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			reportQuantiles(b, lat)
		})
	}
	b.Run("people", func(b *testing.B) {
		var lat []time.Duration
		for b.Loop() {
			t0 := time.Now()
			if rows, err := st.PeopleSignedIn(ctx, big, active, "", 201); err != nil || len(rows) == 0 {
				b.Fatalf("people %d, %v", len(rows), err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportQuantiles(b, lat)
	})
	b.Run("ended/first_page", func(b *testing.B) {
		var lat []time.Duration
		for b.Loop() {
			t0 := time.Now()
			if rows, err := st.EndedSessions(ctx, store.EndedSessionsQuery{AccountID: big, Since: time.Now().Add(-24 * time.Hour), Limit: 50}); err != nil || len(rows) != 51 {
				b.Fatalf("ended %d, %v", len(rows), err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportQuantiles(b, lat)
	})
}
