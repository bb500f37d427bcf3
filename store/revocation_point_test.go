package store_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"curfew/internal/apptest"
	"curfew/policy"
	"curfew/store"
)

// A large sign-out-everywhere takes a revocation point instead of rewriting
// every row: the lookup refuses the sessions at once, lists drop them, and
// MarkRevokedSessions records them on the rows afterwards.
func TestLargeRevocationTakesEffectBeforeRowsAreMarked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	other := apptest.NewTeam(t, st)
	now := time.Now()
	caller := newSession(t, st, team.Owner, now, now)
	victimHash := make([]byte, 32)
	rand.Read(victimHash)
	_, err := st.CreateSession(ctx, store.NewSession{AccountID: team.Account.ID, UserID: team.Engineer.ID, TokenHash: victimHash, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	// 1,200 more sessions of the engineer, past the inline-marking size.
	if _, err := st.DB().Exec(`INSERT INTO sessions (account_id, user_id, token_hash, created_at, last_seen_at, authenticated_at)
		SELECT $1, $2, sha256(gen_random_uuid()::text::bytea), $3, $3, $3 FROM generate_series(1, 1200)`,
		team.Account.ID, team.Engineer.ID, now); err != nil {
		t.Fatal(err)
	}
	bystander := newSession(t, st, other.Owner, now, now)

	active := store.ActiveAt{Now: now, Policy: defaultPolicy}
	r, err := st.RevokeAccountSessions(ctx, store.Actor{AccountID: team.Account.ID, UserID: team.Owner.ID}, store.ScopeOthers, caller, active)
	if err != nil {
		t.Fatal(err)
	}
	if r.Count != 1201 || r.People != 1 || r.IncludesCaller || !r.Unmarked {
		t.Fatalf("revoked = %+v, want 1201 sessions of 1 person, caller kept, rows left to mark", r)
	}

	row, err := st.SessionByTokenHash(ctx, victimHash)
	if err != nil {
		t.Fatal(err)
	}
	if ended, reason := row.RevokedByAccount(); !ended || reason != "revoked_others" {
		t.Errorf("the lookup does not see the revocation: %v %q", ended, reason)
	}
	list, err := st.ActiveSessions(ctx, store.ActiveSessionsQuery{AccountID: team.Account.ID, Active: active, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != caller {
		t.Errorf("active sessions after revocation = %d rows, want only the caller's", len(list))
	}

	// A sign-in after the revocation is not touched by it.
	afterHash := make([]byte, 32)
	rand.Read(afterHash)
	if _, err := st.CreateSession(ctx, store.NewSession{AccountID: team.Account.ID, UserID: team.Engineer.ID, TokenHash: afterHash, Now: now}); err != nil {
		t.Fatal(err)
	}
	if after, _ := st.SessionByTokenHash(ctx, afterHash); func() bool { e, _ := after.RevokedByAccount(); return e }() {
		t.Errorf("a session started after the revocation counts as revoked")
	}

	// The policy preview does not count them as sessions a change would end.
	if _, err := st.DB().Exec(`UPDATE sessions SET last_seen_at = $2 WHERE user_id = $1`, team.Engineer.ID, now.Add(-10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	im, err := st.PolicyImpactPreview(ctx, team.Account.ID, defaultPolicy, policy.Effective{IdleMinutes: 5, AbsoluteMinutes: 20160},
		caller, team.Owner.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	if im.Sessions != 1 {
		t.Errorf("preview counts %d sessions, want only the one started after the revocation", im.Sessions)
	}

	n, err := st.MarkRevokedSessions(ctx, team.Account.ID, active)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1201 {
		t.Errorf("marked %d rows, want 1201", n)
	}
	var marked int
	st.DB().Get(&marked, `SELECT count(*) FROM sessions WHERE account_id = $1 AND revoked_reason = 'revoked_others'`, team.Account.ID)
	if marked != 1201 {
		t.Errorf("%d rows carry revoked_others, want 1201", marked)
	}
	var open int
	st.DB().Get(&open, `SELECT count(*) FROM sessions WHERE id IN ($1, $2) AND revoked_at IS NULL`, caller, bystander)
	if open != 2 {
		t.Errorf("the caller's or another account's session was ended")
	}
	if auditCount(t, st, team.Account.ID, store.ActionSessionsRevoke) != 1 {
		t.Errorf("want exactly one account.sessions_revoke row")
	}
}
