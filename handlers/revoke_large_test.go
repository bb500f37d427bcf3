package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"curfew/internal/apptest"
)

// Sign-out-everywhere of an account with more sessions than are marked inline:
// the answer counts them all, every one is refused at its next request, and
// the rows are marked ended in the background.
func TestLargeSignOutEverywhere(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)
	db := srv.Store.DB()
	if _, err := db.Exec(`INSERT INTO sessions (account_id, user_id, token_hash)
		SELECT $1, $2, sha256(gen_random_uuid()::text::bytea) FROM generate_series(1, 1500)`, team.Account.ID, team.Engineer.ID); err != nil {
		t.Fatal(err)
	}

	res := owner.SendJSON(http.MethodPost, "/api/accounts/me/security/revoke-sessions", map[string]string{"scope": "others"})
	var body struct {
		RevokedCount int `json:"revoked_count"`
	}
	res.JSON(&body)
	if res.StatusCode != http.StatusOK || body.RevokedCount != 1501 {
		t.Fatalf("revoke: %d %s, want 1501 sessions", res.StatusCode, res.Body)
	}
	if res := engineer.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked engineer still signed in: %d", res.StatusCode)
	}
	if res := owner.Get("/api/session"); res.StatusCode != http.StatusOK {
		t.Errorf("the owner's own session ended: %d", res.StatusCode)
	}
	// The background marking finishes in well under a second here; allow more.
	deadline := time.Now().Add(15 * time.Second)
	for {
		var unmarked int
		db.Get(&unmarked, `SELECT count(*) FROM sessions WHERE account_id = $1 AND user_id = $2 AND revoked_at IS NULL`, team.Account.ID, team.Engineer.ID)
		if unmarked == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d revoked sessions still unmarked", unmarked)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var reasons int
	db.Get(&reasons, `SELECT count(*) FROM sessions WHERE account_id = $1 AND revoked_reason = 'revoked_others'`, team.Account.ID)
	if reasons != 1501 {
		t.Errorf("%d sessions marked revoked_others, want 1501", reasons)
	}
}
