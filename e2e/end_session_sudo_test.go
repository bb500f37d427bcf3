package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"curfew/internal/apptest"
)

// TestEndAnotherPersonsSessionAsksForThePassword: outside the sudo window the
// End confirmation of another person's session asks for the password; a
// wrong one is answered in the row, which stays open, and the right one ends
// the session in place.
func TestEndAnotherPersonsSessionAsksForThePassword(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(`[data-testid=whoami]`)))
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)
	srv.Store.DB().MustExec(`UPDATE sessions SET authenticated_at = now() - interval '20 minutes' WHERE user_id = $1`, team.Owner.ID)

	do(t, ctx,
		chromedp.Navigate(srv.URL+"/settings/security/sessions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=end-session] summary`)),
		chromedp.Click(chromedp.CSS(`[data-testid=end-session] summary`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=end-session-password]`)),
	)
	waitHTMX(t, ctx, `[data-testid=end-session] form`)
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`[data-testid=end-session-password]`), "not my password"),
		chromedp.Click(chromedp.CSS(`[data-testid=end-session-confirm]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=end-session-password-error]`)),
	)
	if got := text(t, ctx, `[data-testid=end-session-password-error]`); got != "That password is not right." {
		t.Errorf("error in the row: %q", got)
	}
	if res := engineer.Get("/api/session"); res.StatusCode != http.StatusOK {
		t.Fatalf("a wrong password ended the engineer's session: %d", res.StatusCode)
	}
	waitHTMX(t, ctx, `[data-testid=end-session] form`)
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`[data-testid=end-session-password]`), apptest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=end-session-confirm]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=session-ended]`)),
	)
	if got := text(t, ctx, `[data-testid=session-ended]`); !strings.HasPrefix(got, "Ended "+team.Engineer.Email+"'s session") {
		t.Errorf("row says %q", got)
	}
	if res := engineer.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("engineer: /api/session = %d, want 401", res.StatusCode)
	}
}
