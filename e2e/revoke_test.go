package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"curfew/internal/apptest"
)

// browserTrue runs a script in the page that answers true or false.
func browserTrue(t *testing.T, ctx context.Context, js string) bool {
	t.Helper()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return ok
}

// browserWaitFor polls a script in the page until it is true.
func browserWaitFor(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		screenshot(t, ctx, "failure-"+t.Name())
		t.Fatalf("waiting for %s: %v", js, err)
	}
}

// clickHTMX clicks an element once htmx has wired it up: new content is
// processed when it settles, and a click before that would be a plain
// navigation (which works too, but is not the path under test).
func clickHTMX(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	waitHTMX(t, ctx, sel)
	do(t, ctx, chromedp.Click(chromedp.CSS(sel)))
}

// waitHTMX waits until htmx has processed the element sel and nothing is
// in flight or settling.
func waitHTMX(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	browserWaitFor(t, ctx, `(function(){ var el = document.querySelector(`+"`"+sel+"`"+`); return !!(el && el["htmx-internal-data"] && !document.querySelector(".htmx-settling, .htmx-request")); })()`)
}

// TestSignOutEverywhereButMe: the owner in the browser plus two more
// sessions; one click shows the confirmation in place with the count,
// Cancel puts the button back, "everyone but me" signs out the other two,
// and the browser stays on the page and signed in.
func TestSignOutEverywhereButMe(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(`[data-testid=whoami]`)))
	ownerElsewhere := srv.Login(t, team.Owner.Email, apptest.Password)
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)

	do(t, ctx,
		chromedp.Navigate(srv.URL+"/settings/security"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-start]`)),
	)
	browserTrue(t, ctx, `window.curfewMarker = "no reload"; true`)
	if got := text(t, ctx, `[data-testid=revoke-summary]`); !strings.Contains(got, "3 active sessions of 2 people") {
		t.Errorf("summary %q", got)
	}

	// Cancel puts the section back as it was.
	clickHTMX(t, ctx, `[data-testid=revoke-start]`)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-consequence]`)))
	clickHTMX(t, ctx, `[data-testid=revoke-cancel]`)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-start]`)))

	clickHTMX(t, ctx, `[data-testid=revoke-start]`)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-consequence]`)))
	// Everyone but me is chosen first: the choice that leaves the owner in.
	if got := text(t, ctx, `[data-testid=revoke-consequence]`); got != "This signs out 2 sessions of 2 people. You stay signed in here." {
		t.Errorf("confirmation says %q", got)
	}
	if !browserTrue(t, ctx, `document.querySelector("[data-testid=revoke-scope-others]").checked`) {
		t.Error("everyone but me is not preselected")
	}
	if !browserTrue(t, ctx, `document.activeElement === document.querySelector("[data-testid=revoke-consequence]")`) {
		t.Error("focus did not move to the confirmation")
	}
	if browserTrue(t, ctx, `!!document.querySelector("#revoke-password")`) {
		t.Error("the confirmation asks for the password inside the sudo window")
	}
	screenshot(t, ctx, "revoke-confirm")

	clickHTMX(t, ctx, `[data-testid=revoke-scope-all]`)
	browserWaitFor(t, ctx, `document.querySelector("[data-testid=revoke-consequence]").textContent.includes("including yours")`)
	if got := text(t, ctx, `[data-testid=revoke-consequence]`); got != "This signs out 3 sessions of 2 people, including yours." {
		t.Errorf("confirmation for everyone says %q", got)
	}
	waitHTMX(t, ctx, `[data-testid=revoke-confirm-button]`)
	if got := text(t, ctx, `[data-testid=revoke-confirm-button]`); got != "Sign out 3 sessions" {
		t.Errorf("confirm button for everyone says %q", got)
	}
	clickHTMX(t, ctx, `[data-testid=revoke-scope-others]`)
	browserWaitFor(t, ctx, `document.querySelector("[data-testid=revoke-consequence]").textContent.includes("You stay signed in here")`)
	if got := text(t, ctx, `[data-testid=revoke-consequence]`); got != "This signs out 2 sessions of 2 people. You stay signed in here." {
		t.Errorf("confirmation for everyone but me says %q", got)
	}
	if got := text(t, ctx, `[data-testid=revoke-confirm-button]`); got != "Sign out 2 sessions" {
		t.Errorf("confirm button says %q", got)
	}

	waitHTMX(t, ctx, `[data-testid=revoke-confirm]`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=revoke-confirm-button]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-result]`)))
	if got := text(t, ctx, `[data-testid=revoke-result]`); got != "Signed out 2 sessions." {
		t.Errorf("result says %q", got)
	}
	if got := text(t, ctx, `[data-testid=revoke-summary]`); !strings.Contains(got, "1 active session of 1 person") {
		t.Errorf("summary after %q", got)
	}
	if !browserTrue(t, ctx, `window.curfewMarker === "no reload" && document.activeElement === document.querySelector("[data-testid=revoke-result]")`) {
		t.Error("the page reloaded or focus did not move to the result")
	}
	screenshot(t, ctx, "revoke-done")

	for name, c := range map[string]*apptest.Client{"owner's other session": ownerElsewhere, "engineer": engineer} {
		if res := c.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: /api/session = %d, want 401", name, res.StatusCode)
		}
	}
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/me/sessions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=this-session]`)),
	)
}

// TestSignOutEverywhereIncludingMe: outside the sudo window the confirmation
// asks for the password; with everyone chosen the browser ends up on the
// sign-in page saying why.
func TestSignOutEverywhereIncludingMe(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(`[data-testid=whoami]`)))
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)
	if _, err := srv.Store.DB().Exec(`UPDATE sessions SET authenticated_at = now() - interval '20 minutes' WHERE user_id = $1`, team.Owner.ID); err != nil {
		t.Fatal(err)
	}

	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/security"))
	clickHTMX(t, ctx, `[data-testid=revoke-start]`)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#revoke-password`)))
	waitHTMX(t, ctx, `[data-testid=revoke-confirm]`)
	clickHTMX(t, ctx, `[data-testid=revoke-scope-all]`)
	browserWaitFor(t, ctx, `document.querySelector("[data-testid=revoke-consequence]").textContent.includes("including yours")`)
	waitHTMX(t, ctx, `[data-testid=revoke-confirm]`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=revoke-confirm-button]`)), chromedp.WaitVisible(chromedp.CSS(`#revoke-password-error`)))
	if !browserTrue(t, ctx, `document.activeElement === document.getElementById("revoke-password") &&
		document.getElementById("revoke-password").getAttribute("aria-describedby").includes("revoke-password-error")`) {
		t.Error("the missing password is not focused and described")
	}
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#revoke-password`), apptest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=revoke-confirm-button]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-notice]`)),
	)
	if got := text(t, ctx, `[data-testid=login-notice]`); !strings.Contains(got, "ended") {
		t.Errorf("the sign-in page says %q", got)
	}
	if res := engineer.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("engineer: /api/session = %d, want 401", res.StatusCode)
	}
	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/security"), chromedp.WaitVisible(chromedp.CSS("#email")))
}

// TestEndOneSessionFromTheList opens the End confirmation on a row of the
// owner's sessions page and ends that session in place.
func TestEndOneSessionFromTheList(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(`[data-testid=whoami]`)))
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)

	do(t, ctx,
		chromedp.Navigate(srv.URL+"/settings/security/sessions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=end-session] summary`)),
	)
	screenshot(t, ctx, "sessions")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=end-session] summary`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=end-session-confirm]`)),
	)
	waitHTMX(t, ctx, `[data-testid=end-session] form`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=end-session-confirm]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=session-ended]`)))
	if got := text(t, ctx, `[data-testid=session-ended]`); !strings.HasPrefix(got, "Ended "+team.Engineer.Email+"'s session") {
		t.Errorf("row says %q", got)
	}
	if res := engineer.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("engineer: /api/session = %d, want 401", res.StatusCode)
	}
}

// TestShowMoreSessions pages through 120 sessions with "Show more sessions":
// rows are appended in place and focus stays on the control.
func TestShowMoreSessions(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	srv.Store.DB().MustExec(`INSERT INTO sessions (account_id, user_id, token_hash, created_at, last_seen_at, authenticated_at)
		SELECT $1, $2, sha256(gen_random_uuid()::text::bytea), now() - interval '1 hour',
		       now() - make_interval(secs => i), now() - interval '1 hour'
		FROM generate_series(1, 119) AS i`, team.Account.ID, team.Engineer.ID)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx,
		chromedp.WaitReady(chromedp.CSS(`[data-testid=whoami]`)),
		chromedp.Navigate(srv.URL+"/settings/security/sessions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=sessions-more]`)),
	)
	browserTrue(t, ctx, `window.curfewMarker = "no reload"; true`)
	for _, want := range []string{"100", "120"} {
		clickHTMX(t, ctx, `[data-testid=sessions-more]`)
		browserWaitFor(t, ctx, `document.querySelectorAll("#session-rows tr").length === `+want)
		if !browserTrue(t, ctx, `window.curfewMarker === "no reload" && document.activeElement.id === "sessions-more-control" &&
			new Set([...document.querySelectorAll("#session-rows tr")].map(r => r.dataset.sessionId)).size === `+want) {
			t.Errorf("after %s rows: the page reloaded, focus left the control, or a row repeats", want)
		}
	}
	if got := text(t, ctx, `#sessions-more`); got != "That is every active session." {
		t.Errorf("after the last page: %q", got)
	}
}
