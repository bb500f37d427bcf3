package store_test

import (
	"context"
	"testing"
	"time"

	"curfew/internal/apptest"
	"curfew/policy"
)

// TestEveryReasonFitsTheColumn checks that the database's CHECK on
// sessions.revoked_reason and policy's reasons are spelled alike: each
// reason can be recorded and reads back as written.
func TestEveryReasonFitsTheColumn(t *testing.T) {
	t.Parallel()
	st := apptest.Store(t)
	team := apptest.NewTeam(t, st)
	now := time.Now().UTC()
	for _, reason := range policy.Reasons {
		t.Run(string(reason), func(t *testing.T) {
			id := newSession(t, st, team.Owner, now, now)
			if err := st.EndSessionOnUse(context.Background(), id, reason, 30, now); err != nil {
				t.Fatalf("record %q: %v", reason, err)
			}
			var got string
			if err := st.DB().Get(&got, `SELECT revoked_reason FROM sessions WHERE id = $1`, id); err != nil {
				t.Fatal(err)
			}
			if policy.Reason(got) != reason {
				t.Errorf("read back %q, want %q", got, reason)
			}
		})
	}
}
