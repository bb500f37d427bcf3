package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"curfew/internal/apptest"
)

// TestPolicyChangeEndsSessionsAndSaysWho: a tighter policy ends, in its own
// save, the sessions now past it, recorded with the rule they break, the new
// limit and the owner whose change it was. The person's next request says
// why as any expiry does, and the ledger says a policy change ended it.
func TestPolicyChangeEndsSessionsAndSaysWho(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	eng := srv.Login(t, team.Engineer.Email, apptest.Password)
	db := srv.Store.DB()
	if _, err := db.Exec(`UPDATE sessions SET last_seen_at = now() - interval '20 minutes' WHERE user_id = $1`, team.Engineer.ID); err != nil {
		t.Fatal(err)
	}
	if res := owner.SendJSON(http.MethodPatch, "/api/accounts/me/security", map[string]any{"idle_minutes": 15}); res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH = %d %s", res.StatusCode, res.Body)
	}
	var row struct {
		Reason  *string `db:"revoked_reason"`
		Minutes *int    `db:"revoked_after_minutes"`
		By      *int64  `db:"revoked_by_user_id"`
	}
	if err := db.Get(&row, `SELECT revoked_reason, revoked_after_minutes, revoked_by_user_id FROM sessions WHERE user_id = $1`, team.Engineer.ID); err != nil {
		t.Fatal(err)
	}
	if row.Reason == nil || *row.Reason != "idle" || row.Minutes == nil || *row.Minutes != 15 || row.By == nil || *row.By != team.Owner.ID {
		t.Fatalf("the engineer's session after the save: reason %v, minutes %v, by %v", deref(row.Reason), row.Minutes, row.By)
	}
	var ownerEnded int
	if err := db.Get(&ownerEnded, `SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NOT NULL`, team.Owner.ID); err != nil || ownerEnded != 0 {
		t.Fatalf("the owner's fresh session was ended too (%d, %v)", ownerEnded, err)
	}
	if res := eng.Get("/api/session"); res.StatusCode != http.StatusUnauthorized || !strings.Contains(res.Body, "15 minutes of inactivity") {
		t.Errorf("the engineer's next request: %d %s", res.StatusCode, res.Body)
	}
	res := owner.Get("/api/accounts/me/sessions?state=ended")
	var ledger struct {
		Sessions []struct {
			User struct {
				ID int64 `json:"id"`
			} `json:"user"`
			EndedReason  string `json:"ended_reason"`
			EndedBecause string `json:"ended_because"`
			EndedBy      *struct {
				ID int64 `json:"id"`
			} `json:"ended_by"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(res.Body), &ledger); err != nil {
		t.Fatalf("ledger: %v %s", err, res.Body)
	}
	found := false
	for _, s := range ledger.Sessions {
		if s.User.ID != team.Engineer.ID {
			continue
		}
		found = true
		if s.EndedReason != "idle" || s.EndedBy == nil || s.EndedBy.ID != team.Owner.ID || !strings.Contains(s.EndedBecause, "policy change") {
			t.Errorf("ledger row: reason %q, by %+v, because %q", s.EndedReason, s.EndedBy, s.EndedBecause)
		}
	}
	if !found {
		t.Errorf("the engineer's session is not in the ledger: %s", res.Body)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
