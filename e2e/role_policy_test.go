package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"curfew/internal/apptest"
	"curfew/policy"
)

// TestOwnersHeldToShorterSessionsByKeyboard holds the owners to 15 minutes
// idle and 12 hours at most from the keyboard alone: the card says what
// applies to each role, a value out of bounds is refused beside its input
// while the page stays loaded, the preview counts the owners' sessions the
// change would end (another of this owner's, signed in 13 hours ago), Enter
// saves, the card says where the values come from, axe-core finds nothing
// in each state, and the audit log says it in words.
func TestOwnersHeldToShorterSessionsByKeyboard(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	// Another browser of the same owner, signed in 13 hours ago, and an
	// engineer signed in as long ago, whom the owners' values do not touch.
	srv.Login(t, team.Owner.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	if _, err := srv.Store.DB().Exec(`UPDATE sessions SET created_at = now() - interval '13 hours' WHERE account_id = $1`, team.Account.ID); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=role-policies]`)))
	evaluate(t, ctx, `window.curfewMarker = "still here"; true`)
	if got := text(t, ctx, `[data-testid=role-summary-owner] p`); got != "Owners: 30 minutes idle · 14 days at most — the system defaults" {
		t.Errorf("owners before: %q", got)
	}
	wantAccessible(t, ctx, "role card")

	// Into the owners' idle input and out of bounds, by keys only.
	evaluate(t, ctx, `(document.getElementById("role-owner-absolute").focus(), true)`)
	shiftTab(t, ctx)
	wantFocus(t, ctx, "#role-owner-idle", "Shift+Tab from the owners' lifetime")
	wantVisibleFocus(t, ctx)
	press(t, ctx, "4")
	waitFor(t, ctx, `document.getElementById("role-owner-idle-error").textContent.includes("between 5 and 43200")`)
	if got := liveText(t, ctx, `[data-testid=role-preview-owner]`); !strings.Contains(got, "Fix the values") {
		t.Errorf("preview while invalid: %q", got)
	}
	wantAccessible(t, ctx, "role card with a live error")
	press(t, ctx, kb.Backspace)
	press(t, ctx, "15")
	press(t, ctx, kb.Tab)
	wantFocus(t, ctx, "#role-owner-absolute", "Tab to the owners' lifetime")
	press(t, ctx, "720")
	// Each key may bring its own preview ("72" is a valid lifetime too):
	// wait for the one of 12 hours, then for htmx to be done.
	waitFor(t, ctx, `(document.querySelector("[data-testid=role-impact]") || {textContent: ""}).textContent.includes("12 hours")`)
	waitHTMX(t, ctx, `#role-form-owner`)
	if got := liveText(t, ctx, `[data-testid=role-impact-count]`); !strings.Contains(got, "1 owner session of 1 owner would end at once") ||
		!strings.Contains(got, "1 other session of yours, but not this one") {
		t.Errorf("preview count: %q", got)
	}
	if got := evaluate(t, ctx, `document.getElementById("role-owner-idle-error").textContent === ""`); !got {
		t.Error("the fixed error is still shown")
	}
	wantNoReload(t, ctx)
	wantAccessible(t, ctx, "role card with its preview")
	screenshot(t, ctx, "role-preview")

	press(t, ctx, kb.Enter)
	waitFor(t, ctx, `!!document.querySelector("[data-testid=role-policies-saved]")`)
	if got := liveText(t, ctx, `[data-testid=role-summary-owner] p`); got != "Owners: 15 minutes idle · 12 hours at most — set for owners" {
		t.Errorf("owners after saving: %q", got)
	}
	if got := liveText(t, ctx, `[data-testid=role-summary-engineer] p`); got != "Engineers: 30 minutes idle · 14 days at most — the system defaults" {
		t.Errorf("engineers after saving: %q", got)
	}
	if got := evaluate(t, ctx, `document.activeElement === document.querySelector("[data-testid=role-policies-saved]")`); !got {
		t.Errorf("focus after saving is on %s, want the saved message", focused(t, ctx))
	}
	wantNoReload(t, ctx)
	wantAccessible(t, ctx, "role card saved")
	screenshot(t, ctx, "role-saved")

	// A saved account policy reloads the role card: the engineers follow it.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#policy-preset-custom`)), chromedp.WaitVisible(chromedp.CSS(`#policy-idle`)))
	typeInto(t, ctx, "#policy-idle", "60")
	waitFor(t, ctx, `!!document.querySelector("[data-testid=impact-count]")`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=policy-form] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-saved]`)))
	waitFor(t, ctx, `document.querySelector("[data-testid=role-summary-engineer] p").textContent.startsWith("Engineers: 1 hour idle")`)
	if got := liveText(t, ctx, `[data-testid=role-summary-owner] p`); got != "Owners: 15 minutes idle · 12 hours at most — set for owners" {
		t.Errorf("owners after the account's change: %q", got)
	}
	wantNoReload(t, ctx)

	p, err := srv.Store.AccountPolicy(context.Background(), team.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Role("owner").Equal(policy.Overrides{IdleMinutes: intPtr(15), AbsoluteMinutes: intPtr(720)}) {
		t.Errorf("stored owners' values = %+v", p.Role("owner"))
	}

	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/audit"), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	if got := text(t, ctx, "main"); !strings.Contains(got, "set the owners' idle timeout to 15 minutes") ||
		!strings.Contains(got, "set the owners' absolute lifetime to 12 hours") {
		t.Errorf("the audit log does not say the change in words:\n%s", got)
	}
}

func intPtr(n int) *int { return &n }

// liveText is an element's text as the page has it now, read in the page:
// after htmx swaps, chromedp's copy of the DOM may still hold the old node.
func liveText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const el = document.querySelector(`+"`"+sel+"`"+`);
		return el ? el.textContent.trim().replace(/\s+/g, " ") : "(no "+`+"`"+sel+"`"+`+")"; })()`))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}
