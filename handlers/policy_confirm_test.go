package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"curfew/internal/apptest"
)

// TestPolicySaveThatEndsSessionsIsConfirmed: a save that would end sessions
// first shows the count and a confirmation (nothing saved), with and without
// htmx; the preview's button names the count; the confirmed save says how
// many ended; a save that ends none needs no confirmation.
func TestPolicySaveThatEndsSessionsIsConfirmed(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	eng := srv.Login(t, team.Engineer.Email, apptest.Password)
	if res := owner.SendJSON(http.MethodPatch, "/api/accounts/me/security", `{"idle_minutes": 480}`); res.StatusCode != http.StatusOK {
		t.Fatalf("patch %d %s", res.StatusCode, res.Body)
	}
	srv.Store.DB().MustExec(`UPDATE sessions SET last_seen_at = now() - interval '2 hours' WHERE user_id = $1`, team.Engineer.ID)
	idle := func() float64 {
		var sec map[string]any
		owner.Get("/api/accounts/me/security").JSON(&sec)
		v, _ := sec["idle_minutes"].(float64)
		return v
	}
	strict := url.Values{"preset": {"strict"}}

	pv := owner.PostFormHTMX("/settings/security/policy/preview", strict)
	if !strings.Contains(pv.Body, `id="policy-save"`) || !strings.Contains(pv.Body, "hx-swap-oob") || !strings.Contains(pv.Body, "Save and end 1 session…") || !strings.Contains(pv.Body, `class="btn-danger"`) {
		t.Errorf("preview does not put the count on the save button:\n%s", pv.Body)
	}

	for name, post := range map[string]func(string, url.Values) *apptest.Response{"htmx": owner.PostFormHTMX, "plain": owner.PostForm} {
		res := post("/settings/security/policy", strict)
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "Saving ends 1 active session of 1 person at once") ||
			!strings.Contains(res.Body, `name="confirm_end" value="1"`) || !strings.Contains(res.Body, "Save and end 1 session<") {
			t.Errorf("%s: first save = %d, want the confirmation with the count", name, res.StatusCode)
		}
		if got := idle(); got != 480 {
			t.Errorf("%s: the first press saved (idle %v)", name, got)
		}
	}
	var ended int
	srv.Store.DB().Get(&ended, `SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NOT NULL`, team.Engineer.ID)
	if ended != 0 {
		t.Errorf("the confirmation ended %d sessions", ended)
	}
	// A confirmation of fewer sessions than would end is no confirmation.
	if res := owner.PostForm("/settings/security/policy", url.Values{"preset": {"strict"}, "confirm_end": {"0"}}); !strings.Contains(res.Body, "policy-confirm-end") {
		t.Error("confirm_end=0 saved a change that ends a session")
	}

	res := owner.PostForm("/settings/security/policy", url.Values{"preset": {"strict"}, "confirm_end": {"1"}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "ended=1") {
		t.Fatalf("confirmed save = %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if got := idle(); got != 0 {
		t.Errorf("the confirmed save left idle_minutes %v", got)
	}
	page := owner.Get(res.Header.Get("Location"))
	if !strings.Contains(page.Body, "1 session ended: each goes to the sign-in page at its next request.") {
		t.Error("the result does not say how many sessions ended")
	}
	if status, _, _ := replayCookie(t, srv.URL, signedInCookie(t, eng, srv), "/api/session", nil); status != http.StatusUnauthorized {
		t.Errorf("the engineer's idle session still works after the save: %d", status)
	}

	// Loosening ends nothing: saved at once, with the calm button.
	res = owner.PostFormHTMX("/settings/security/policy", url.Values{"preset": {"custom"}, "idle_minutes": {"60"}, "absolute_minutes": {"20160"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "policy-saved") || strings.Contains(res.Body, "policy-confirm-end") {
		t.Errorf("a save that ends nothing = %d, want saved at once", res.StatusCode)
	}
}
