package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"curfew/internal/apptest"
	"curfew/store"
)

// TestSessionsTableHoldsItsShape: a very long email wraps inside the card and
// leaves the End button in it; opening End… lays its confirmation over the
// table instead of growing it; ending the session updates the heading's count.
func TestSessionsTableHoldsItsShape(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	long := apptest.AddUser(t, srv.Store, team.Account,
		"a.person.with.a.remarkably.long.address.that.never.seems.to.end."+strings.ToLower(strings.ReplaceAll(t.Name(), "/", ""))+"@subdomain.of.an.example.test", store.RoleEngineer)
	srv.Login(t, long.Email, apptest.Password)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(`[data-testid=whoami]`)))

	do(t, ctx,
		chromedp.Navigate(srv.URL+"/settings/security/sessions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=end-session] summary`)),
	)
	if !browserTrue(t, ctx, `(() => {
		const card = document.querySelector("section.card").getBoundingClientRect();
		return [...document.querySelectorAll("[data-testid=end-session] summary, #session-rows form[action='/logout'] button")]
			.every(b => { const r = b.getBoundingClientRect(); return r.right <= card.right + 0.5 && r.left >= card.left; })
			&& document.documentElement.scrollWidth <= window.innerWidth;
	})()`) {
		screenshot(t, ctx, "failure-long-email")
		t.Error("an End button is outside the card, or the page scrolls sideways")
	}
	before := browserTrue(t, ctx, `(window.curfewTableHeight = document.querySelector("[data-testid=sessions-table]").getBoundingClientRect().height) > 0`)
	if !before {
		t.Fatal("no table")
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=end-session] summary`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=end-session-confirm]`)),
	)
	if !browserTrue(t, ctx, `Math.abs(document.querySelector("[data-testid=sessions-table]").getBoundingClientRect().height - window.curfewTableHeight) < 1`) {
		t.Error("opening End… changed the table's height")
	}
	screenshot(t, ctx, "sessions-end-open")
	// The open confirmation is whole: nothing around it clips it.
	if !browserTrue(t, ctx, `(() => {
		const f = document.querySelector("[data-testid=end-session][open] form");
		f.scrollIntoView({block: "center"});
		const r = f.getBoundingClientRect();
		const hit = document.elementFromPoint(r.left + r.width / 2, r.bottom - 4);
		return f.contains(hit) && f.scrollWidth <= f.clientWidth;
	})()`) {
		t.Error("the End confirmation is clipped or its text runs out of it")
	}
	if got := text(t, ctx, `[data-testid=sessions-summary]`); !strings.Contains(got, "2 active sessions of 2 people") {
		t.Errorf("summary before: %q", got)
	}
	waitHTMX(t, ctx, `[data-testid=end-session] form`)
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=end-session-confirm]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=session-ended]`)),
	)
	browserWaitFor(t, ctx, `document.querySelector("[data-testid=sessions-summary]").textContent.includes("1 active session of 1 person")`)

	// The grouped list and the ledger pass axe in light and dark.
	for _, scheme := range []string{"light", "dark"} {
		setColorScheme(t, ctx, scheme)
		for _, state := range []string{"people", "ended"} {
			do(t, ctx, chromedp.Navigate(srv.URL+"/settings/security/sessions?state="+state), chromedp.WaitVisible(chromedp.CSS(`[data-testid=session-tabs]`)))
			wantAccessible(t, ctx, "sessions, "+state+", "+scheme)
			screenshot(t, ctx, "sessions-"+state+"-"+scheme)
		}
	}
	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/security/sessions?state=people"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=person-only-this]`)))
	if browserTrue(t, ctx, `!!document.querySelector("[data-testid=person-end]")`) {
		t.Error("the owner's row offers to sign out a session that is not there")
	}
}

// TestPolicySaveAsksBeforeEndingSessions: choosing a policy that ends a
// session turns the save button into a warning with the count; pressing it
// shows the confirmation (nothing saved); confirming saves and says how many
// sessions ended.
func TestPolicySaveAsksBeforeEndingSessions(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	api := srv.Login(t, team.Owner.Email, apptest.Password)
	if res := api.SendJSON(http.MethodPatch, "/api/accounts/me/security", `{"idle_minutes": 480}`); res.StatusCode != http.StatusOK {
		t.Fatalf("patch %d", res.StatusCode)
	}
	eng := srv.Login(t, team.Engineer.Email, apptest.Password)
	srv.Store.DB().MustExec(`UPDATE sessions SET last_seen_at = now() - interval '2 hours' WHERE user_id = $1`, team.Engineer.ID)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(`[data-testid=whoami]`)))

	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/security"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-save]`)))
	if got := text(t, ctx, `[data-testid=policy-save]`); got != "Save policy" {
		t.Errorf("save button before a change: %q", got)
	}
	waitHTMX(t, ctx, `#policy-preset-strict`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#policy-preset-strict`)))
	browserWaitFor(t, ctx, `document.querySelector("[data-testid=policy-save]").textContent.includes("Save and end 1 session")`)
	// The warning style, once htmx has settled the new button's classes.
	browserWaitFor(t, ctx, `(b => b.classList.contains("btn-danger") && !b.classList.contains("htmx-settling"))(document.querySelector("[data-testid=policy-save]"))`)
	screenshot(t, ctx, "policy-save-ends-sessions")
	waitHTMX(t, ctx, `[data-testid=policy-save]`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=policy-save]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-confirm-end]`)))
	if res := eng.Get("/api/session"); res.StatusCode != http.StatusOK {
		t.Fatalf("the first press ended the engineer's session: %d", res.StatusCode)
	}
	srv.Store.DB().MustExec(`UPDATE sessions SET last_seen_at = now() - interval '2 hours' WHERE user_id = $1`, team.Engineer.ID)
	screenshot(t, ctx, "policy-confirm-end")
	waitHTMX(t, ctx, `[data-testid=policy-save]`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=policy-save]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-saved]`)))
	if got := text(t, ctx, `[data-testid=policy-saved]`); !strings.Contains(got, "1 session ended") {
		t.Errorf("result says %q", got)
	}
	if res := eng.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("engineer after the save: %d, want 401", res.StatusCode)
	}
}

// TestSignOutMyOtherSessionsAsksFirst: /me/sessions names the count and asks
// before ending the other sessions.
func TestSignOutMyOtherSessionsAsksFirst(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	a := srv.Login(t, team.Engineer.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Engineer.Email)
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(`[data-testid=whoami]`)))
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/me/sessions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-my-others-open]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=revoke-my-others-open]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-my-others]`)),
	)
	if got := text(t, ctx, `[data-testid=revoke-my-others-consequence]`); got != "Sign out of 2 other sessions? This browser stays signed in." {
		t.Errorf("confirmation says %q", got)
	}
	if res := a.Get("/api/session"); res.StatusCode != http.StatusOK {
		t.Fatalf("opening the confirmation ended a session: %d", res.StatusCode)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=revoke-my-others]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=sessions-status] p`)))
	if got := text(t, ctx, `[data-testid=sessions-status]`); got != "Signed out 2 sessions." {
		t.Errorf("result %q", got)
	}
	if res := a.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("other session after: %d", res.StatusCode)
	}
}
