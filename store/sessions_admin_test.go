package store_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"curfew/internal/apptest"
	"curfew/policy"
	"curfew/store"
)

// newSession starts a session for u and then places its timestamps with SQL,
// the way a test ages a session without sleeping.
func newSession(t *testing.T, st *store.Store, u store.User, created, lastSeen time.Time) string {
	t.Helper()
	hash := make([]byte, 32)
	rand.Read(hash)
	sess, err := st.CreateSession(context.Background(), store.NewSession{
		AccountID: u.AccountID, UserID: u.ID, TokenHash: hash, IP: "192.0.2.1", UserAgent: "test", Now: created,
	})
	if err != nil {
		t.Fatalf("create session: %v", err)
	}
	if _, err := st.DB().Exec(`UPDATE sessions SET created_at = $2, last_seen_at = $3 WHERE id = $1`, sess.ID, created, lastSeen); err != nil {
		t.Fatal(err)
	}
	return sess.ID
}

func endSession(t *testing.T, st *store.Store, id, reason string, at time.Time) {
	t.Helper()
	if _, err := st.DB().Exec(`UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1`, id, at, reason); err != nil {
		t.Fatal(err)
	}
}

func sessionExists(t *testing.T, st *store.Store, id string) bool {
	t.Helper()
	var n int
	if err := st.DB().Get(&n, `SELECT count(*) FROM sessions WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func auditCount(t *testing.T, st *store.Store, accountID int64, action string) int {
	t.Helper()
	var n int
	if err := st.DB().Get(&n, `SELECT count(*) FROM audit_events WHERE account_id = $1 AND action = $2`, accountID, action); err != nil {
		t.Fatal(err)
	}
	return n
}

var defaultPolicy = policy.Effective{IdleMinutes: 30, AbsoluteMinutes: 20160}

// TestActiveSessionsApplyTheCurrentPolicy checks that lists and counts leave
// out ended sessions, sessions past either limit that nobody has marked ended
// yet, and other accounts' sessions.
func TestActiveSessionsApplyTheCurrentPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	other := apptest.NewTeam(t, st)
	now := time.Now().UTC().Truncate(time.Microsecond)

	recent := newSession(t, st, team.Owner, now.Add(-2*time.Hour), now.Add(-time.Minute))
	engineer := newSession(t, st, team.Engineer, now.Add(-time.Hour), now.Add(-10*time.Minute))
	newSession(t, st, team.Engineer, now.Add(-2*time.Hour), now.Add(-31*time.Minute)) // idle past 30 minutes
	newSession(t, st, team.Owner, now.Add(-15*24*time.Hour), now.Add(-time.Minute))   // past 14 days
	endSession(t, st, newSession(t, st, team.Owner, now, now), "logout", now)         // ended
	newSession(t, st, other.Owner, now.Add(-time.Minute), now.Add(-time.Minute))      // another account

	active := store.ActiveAt{Now: now, Policy: defaultPolicy}
	got, err := st.ActiveSessions(ctx, store.ActiveSessionsQuery{AccountID: team.Account.ID, Active: active, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range got {
		ids = append(ids, s.ID)
	}
	if want := []string{recent, engineer}; !slices.Equal(ids, want) {
		t.Errorf("active sessions = %v, want %v (most recently active first)", ids, want)
	}
	if len(got) > 0 && (got[0].UserEmail != team.Owner.Email || got[0].UserRole != store.RoleOwner) {
		t.Errorf("first session's person = %s/%s", got[0].UserEmail, got[0].UserRole)
	}

	counts, err := st.CountActiveSessions(ctx, team.Account.ID, 0, active, recent)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.SessionCounts{Sessions: 2, People: 2, OtherSessions: 1, OtherPeople: 1}); counts != want {
		t.Errorf("counts = %+v, want %+v", counts, want)
	}

	// A longer idle limit brings the idle session back: activity is judged
	// with the account's current policy, not the one at sign-in.
	longer := store.ActiveAt{Now: now, Policy: policy.Effective{IdleMinutes: 60, AbsoluteMinutes: 20160}}
	mine, err := st.ActiveSessions(ctx, store.ActiveSessionsQuery{AccountID: team.Account.ID, UserID: team.Engineer.ID, Active: longer, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 2 {
		t.Errorf("engineer's sessions under a 60-minute idle limit = %d, want 2", len(mine))
	}
}

// TestActiveSessionsPagination walks a list in small pages: every session
// once, in order, including ties on last activity.
func TestActiveSessionsPagination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	now := time.Now().UTC().Truncate(time.Microsecond)
	want := map[string]bool{}
	for i := range 7 {
		// Pairs share a last-seen time so the id must break ties.
		seen := now.Add(-time.Duration(i/2) * time.Minute)
		want[newSession(t, st, team.Engineer, now.Add(-time.Hour), seen)] = true
	}
	active := store.ActiveAt{Now: now, Policy: defaultPolicy}
	var after *store.SessionCursor
	var seen []store.AccountSession
	for range 10 {
		page, err := st.ActiveSessions(ctx, store.ActiveSessionsQuery{AccountID: team.Account.ID, Active: active, After: after, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		more := len(page) > 3
		if more {
			page = page[:3]
		}
		seen = append(seen, page...)
		if !more {
			break
		}
		last := page[len(page)-1]
		after = &store.SessionCursor{LastSeenAt: last.LastSeenAt, ID: last.ID}
	}
	if len(seen) != len(want) {
		t.Fatalf("paged through %d sessions, want %d", len(seen), len(want))
	}
	for i, s := range seen {
		if !want[s.ID] {
			t.Errorf("session %s listed twice or unknown", s.ID)
		}
		delete(want, s.ID)
		if i > 0 && s.LastSeenAt.After(seen[i-1].LastSeenAt) {
			t.Errorf("session %d is more recent than the one before it", i)
		}
	}
}

func TestRevokeAccountSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	active := store.ActiveAt{Now: now, Policy: defaultPolicy}

	for _, tt := range []struct {
		scope        string
		wantCount    int
		wantPeople   int
		wantIncludes bool
	}{
		{scope: store.ScopeOthers, wantCount: 2, wantPeople: 2},
		{scope: store.ScopeAll, wantCount: 3, wantPeople: 2, wantIncludes: true},
	} {
		t.Run(tt.scope, func(t *testing.T) {
			team := apptest.NewTeam(t, st)
			other := apptest.NewTeam(t, st)
			caller := newSession(t, st, team.Owner, now, now)
			newSession(t, st, team.Owner, now, now)
			newSession(t, st, team.Engineer, now, now)
			expired := newSession(t, st, team.Engineer, now.Add(-2*time.Hour), now.Add(-time.Hour))
			untouched := newSession(t, st, other.Owner, now, now)

			actor := store.Actor{AccountID: team.Account.ID, UserID: team.Owner.ID, IP: "192.0.2.9", UserAgent: "test"}
			r, err := st.RevokeAccountSessions(ctx, actor, tt.scope, caller, active)
			if err != nil {
				t.Fatal(err)
			}
			if r.Count != tt.wantCount || r.People != tt.wantPeople || r.IncludesCaller != tt.wantIncludes {
				t.Errorf("revoked = %+v, want %d sessions of %d people, caller included %v", r, tt.wantCount, tt.wantPeople, tt.wantIncludes)
			}
			var reasons []string
			st.DB().Select(&reasons, `SELECT DISTINCT revoked_reason FROM sessions WHERE account_id = $1 AND revoked_at IS NOT NULL AND id <> $2`, team.Account.ID, expired)
			if want := []string{"revoked_" + tt.scope}; !slices.Equal(reasons, want) {
				t.Errorf("revoked reasons = %v, want %v", reasons, want)
			}
			var expiredEnded bool
			st.DB().Get(&expiredEnded, `SELECT revoked_at IS NOT NULL FROM sessions WHERE id = $1`, expired)
			if expiredEnded {
				t.Error("an already-expired session was counted as revoked")
			}
			var payloads []string
			if err := st.DB().Select(&payloads, `SELECT payload::text FROM audit_events WHERE account_id = $1 AND action = $2`,
				team.Account.ID, store.ActionSessionsRevoke); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf(`{"scope": "%s", "revoked_count": %d}`, tt.scope, tt.wantCount); len(payloads) != 1 || payloads[0] != want {
				t.Errorf("audit payloads = %v, want exactly one %s", payloads, want)
			}
			var otherRevoked bool
			st.DB().Get(&otherRevoked, `SELECT revoked_at IS NOT NULL FROM sessions WHERE id = $1`, untouched)
			if otherRevoked {
				t.Error("another account's session was revoked")
			}
		})
	}
}

// TestRevokeOthersWithoutACallerSession: a caller with no session (a job, a
// CLI) asking for "others" ends every session rather than failing.
func TestRevokeOthersWithoutACallerSession(t *testing.T) {
	t.Parallel()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	now := time.Now().UTC()
	newSession(t, st, team.Engineer, now, now)
	r, err := st.RevokeAccountSessions(context.Background(), store.Actor{AccountID: team.Account.ID}, store.ScopeOthers, "",
		store.ActiveAt{Now: now, Policy: defaultPolicy})
	if err != nil || r.Count != 1 || r.IncludesCaller {
		t.Errorf("revoke others without a caller = %+v, %v; want 1 session", r, err)
	}
}

func TestRevokeSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	other := apptest.NewTeam(t, st)
	now := time.Now().UTC().Truncate(time.Microsecond)
	owner := store.Actor{AccountID: team.Account.ID, UserID: team.Owner.ID}
	engineer := store.Actor{AccountID: team.Account.ID, UserID: team.Engineer.ID}

	engSession := newSession(t, st, team.Engineer, now, now)
	ownerSession := newSession(t, st, team.Owner, now, now)
	foreign := newSession(t, st, other.Engineer, now, now)

	t.Run("another account's session is not found", func(t *testing.T) {
		if _, err := st.RevokeSession(ctx, owner, foreign, 0, now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		var ended bool
		st.DB().Get(&ended, `SELECT revoked_at IS NOT NULL FROM sessions WHERE id = $1`, foreign)
		if ended {
			t.Error("another account's session was ended")
		}
	})
	t.Run("malformed ids are not found", func(t *testing.T) {
		for _, id := range []string{"", "nope", "00000000-0000-0000-0000-00000000000g", "'; DROP TABLE sessions; --"} {
			if _, err := st.RevokeSession(ctx, owner, id, 0, now); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("RevokeSession(%q) = %v, want ErrNotFound", id, err)
			}
		}
	})
	t.Run("a person may only end their own", func(t *testing.T) {
		if _, err := st.RevokeSession(ctx, engineer, ownerSession, team.Engineer.ID, now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("owner ends an engineer's session", func(t *testing.T) {
		e, err := st.RevokeSession(ctx, owner, engSession, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		if !e.Changed || e.UserEmail != team.Engineer.Email || *e.RevokedReason != "revoked" {
			t.Errorf("ended = %+v", e)
		}
		again, err := st.RevokeSession(ctx, owner, engSession, 0, now)
		if err != nil || again.Changed {
			t.Errorf("ending it again = %+v, %v; want no change", again, err)
		}
		if n := auditCount(t, st, team.Account.ID, store.ActionSessionRevoke); n != 1 {
			t.Errorf("session.revoke rows = %d, want 1", n)
		}
	})
	if n := auditCount(t, st, other.Account.ID, store.ActionSessionRevoke); n != 0 {
		t.Errorf("the other account has %d session.revoke rows", n)
	}
}

// TestPurgeSessions checks the retention job deletes only sessions that ended
// before the cutoff (and never-marked ones beyond any possible lifetime), and
// keeps active sessions and recent history.
func TestPurgeSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	now := time.Now().UTC()
	day := 24 * time.Hour
	retention := 30 * day
	absoluteMax := 129600 // 90 days

	active := newSession(t, st, team.Owner, now.Add(-time.Hour), now)
	recentlyEnded := newSession(t, st, team.Owner, now.Add(-10*day), now.Add(-10*day))
	endSession(t, st, recentlyEnded, "revoked_all", now.Add(-29*day))
	oldEnded := newSession(t, st, team.Engineer, now.Add(-40*day), now.Add(-40*day))
	endSession(t, st, oldEnded, "idle", now.Add(-31*day))
	// Never marked ended (nobody came back after it expired): purged only once
	// even the longest lifetime plus retention has passed.
	unmarkedRecent := newSession(t, st, team.Engineer, now.Add(-100*day), now.Add(-100*day))
	unmarkedAncient := newSession(t, st, team.Engineer, now.Add(-121*day), now.Add(-121*day))

	n, err := st.PurgeSessions(ctx, now.Add(-retention), absoluteMax)
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Errorf("purged %d sessions, want at least 2", n)
	}
	for id, want := range map[string]bool{
		active: true, recentlyEnded: true, unmarkedRecent: true,
		oldEnded: false, unmarkedAncient: false,
	} {
		if got := sessionExists(t, st, id); got != want {
			t.Errorf("session %s exists = %v after purge, want %v", id, got, want)
		}
	}
}
