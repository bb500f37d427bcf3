package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"curfew/internal/apptest"
)

// press sends keys to whatever has the focus, as a person at the keyboard would.
func press(t *testing.T, ctx context.Context, keys string, opts ...chromedp.KeyOption) {
	t.Helper()
	do(t, ctx, chromedp.KeyEvent(keys, opts...))
}

func shiftTab(t *testing.T, ctx context.Context) {
	t.Helper()
	press(t, ctx, kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
}

// focused describes the focused element for messages: its tag, id and text.
func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const el = document.activeElement;
		if (!el || el === document.body) return "nothing";
		return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.name ? "[name=" + el.name + "]" : "") +
			" " + JSON.stringify((el.value && el.type === "radio" ? el.value + " " : "") + (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 40)); })()`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// wantFocus checks that the element sel has the focus.
func wantFocus(t *testing.T, ctx context.Context, sel, what string) {
	t.Helper()
	if !evaluate(t, ctx, "document.activeElement === document.querySelector(`"+sel+"`)") {
		screenshot(t, ctx, "focus-"+strings.ReplaceAll(what, " ", "-"))
		t.Fatalf("%s: focus is on %s, want %s", what, focused(t, ctx), sel)
	}
}

// wantVisibleFocus checks that the focused control shows it: an outline, or a
// ring (a box-shadow spreading 2 px or more) that it does not have unfocused.
func wantVisibleFocus(t *testing.T, ctx context.Context) {
	t.Helper()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const el = document.activeElement;
		const look = () => { const cs = getComputedStyle(el); return {
			outline: cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 1 ? cs.outlineStyle + " " + cs.outlineWidth + " " + cs.outlineColor : "",
			ring: (cs.boxShadow.match(/0px 0px 0px ([0-9.]+)px/g) || []).filter(s => parseFloat(s.split(" ")[3]) >= 2).join() }; };
		const on = look();
		el.blur();
		const off = look();
		el.focus();
		return (on.outline !== "" && on.outline !== off.outline) || (on.ring !== "" && on.ring !== off.ring);
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Errorf("no visible focus on %s", focused(t, ctx))
	}
}

// TestSignOutEverywhereByKeyboardAlone does the whole sign-out-everywhere
// flow with Tab, Shift+Tab, Enter, the arrow keys, Space and Escape: focus
// follows the page's order and is always visible, opening the confirmation
// moves focus into it, Escape puts it back on the button, the scope is
// chosen with the arrows, and the result is announced and focused.
func TestSignOutEverywhereByKeyboardAlone(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)
	ctx := newBrowser(t)

	// Sign in by keyboard: type, Tab, type, Enter.
	do(t, ctx, chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")))
	wantFocus(t, ctx, "#email", "the sign-in page")
	press(t, ctx, team.Owner.Email)
	press(t, ctx, kb.Tab)
	wantFocus(t, ctx, "#password", "after Tab from the email")
	press(t, ctx, apptest.Password+kb.Enter)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-start]`)))
	waitHTMX(t, ctx, `[data-testid=revoke-start]`)

	// Tab from the top of the page to Sign out everywhere: the skip link
	// first, then every stop in document order, each with visible focus.
	press(t, ctx, kb.Tab)
	if !evaluate(t, ctx, `document.activeElement.getAttribute("href") === "#main"`) {
		t.Errorf("the first Tab lands on %s, want the skip link", focused(t, ctx))
	}
	evaluate(t, ctx, `(window.curfewPrevFocus = document.activeElement, true)`)
	var stops []string
	for i := 0; ; i++ {
		if i == 40 {
			t.Fatalf("Sign out everywhere is not reached in 40 Tabs: %s", strings.Join(stops, " → "))
		}
		press(t, ctx, kb.Tab)
		stops = append(stops, focused(t, ctx))
		wantVisibleFocus(t, ctx)
		if !evaluate(t, ctx, `(() => { const prev = window.curfewPrevFocus, now = document.activeElement; window.curfewPrevFocus = now;
			return !!(prev.compareDocumentPosition(now) & Node.DOCUMENT_POSITION_FOLLOWING); })()`) {
			t.Errorf("focus went backwards to %s: %s", focused(t, ctx), strings.Join(stops, " → "))
		}
		if evaluate(t, ctx, `document.activeElement.id === "revoke-start"`) {
			break
		}
	}
	// The quick-fills are part of Custom, hidden under Strict; the standards
	// open from one summary after Save.
	for _, want := range []string{`a "Security"`, `"Sign out"`, `[name=preset]`, `"Save policy"`, `summary "Each standard"`} {
		if !strings.Contains(strings.Join(stops, "\n"), want) {
			t.Errorf("Tab never reached %s on the way: %s", want, strings.Join(stops, " → "))
		}
	}

	// Enter opens the confirmation in place and focus moves into it.
	press(t, ctx, kb.Enter)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-consequence]`)))
	waitHTMX(t, ctx, `[data-testid=revoke-confirm]`)
	wantFocus(t, ctx, `[data-testid=revoke-consequence]`, "after opening the confirmation")
	wantVisibleFocus(t, ctx)

	// Tab walks the confirmation in order: the chosen scope, the button, Cancel.
	press(t, ctx, kb.Tab)
	wantFocus(t, ctx, `[data-testid=revoke-scope-others]`, "Tab into the scope choice (everyone but me, preselected)")
	wantVisibleFocus(t, ctx)
	press(t, ctx, kb.Tab)
	wantFocus(t, ctx, `[data-testid=revoke-confirm-button]`, "Tab to the confirm button")
	wantVisibleFocus(t, ctx)
	press(t, ctx, kb.Tab)
	wantFocus(t, ctx, `[data-testid=revoke-cancel]`, "Tab to Cancel")
	wantVisibleFocus(t, ctx)
	shiftTab(t, ctx)
	wantFocus(t, ctx, `[data-testid=revoke-confirm-button]`, "Shift+Tab back to the confirm button")

	// Escape cancels and gives the focus back to the button that opened it.
	press(t, ctx, kb.Escape)
	do(t, ctx, chromedp.WaitNotPresent(chromedp.CSS(`[data-testid=revoke-confirm]`)))
	waitHTMX(t, ctx, `[data-testid=revoke-start]`)
	wantFocus(t, ctx, `#revoke-start`, "after Escape")

	// Space opens it again; the arrow keys choose everyone, then everyone but me.
	press(t, ctx, " ")
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-consequence]`)))
	waitHTMX(t, ctx, `[data-testid=revoke-confirm]`)
	wantFocus(t, ctx, `[data-testid=revoke-consequence]`, "after opening the confirmation again")
	press(t, ctx, kb.Tab)
	press(t, ctx, kb.ArrowUp)
	wantFocus(t, ctx, `[data-testid=revoke-scope-all]`, "ArrowUp in the scope choice")
	browserWaitFor(t, ctx, `document.querySelector("[data-testid=revoke-consequence]").textContent.includes("including yours")`)
	waitHTMX(t, ctx, `[data-testid=revoke-confirm-button]`)
	press(t, ctx, kb.ArrowDown)
	wantFocus(t, ctx, `[data-testid=revoke-scope-others]`, "ArrowDown in the scope choice")
	browserWaitFor(t, ctx, `document.querySelector("[data-testid=revoke-consequence]").textContent.includes("You stay signed in here")`)
	waitHTMX(t, ctx, `[data-testid=revoke-confirm-button]`)
	if got := text(t, ctx, `[data-testid=revoke-confirm-button]`); got != "Sign out 1 session" {
		t.Errorf("confirm button after choosing everyone but me: %q", got)
	}
	wantFocus(t, ctx, `[data-testid=revoke-scope-others]`, "after the sentence changed")

	// Tab, Enter: done; the result is a live region and has the focus.
	press(t, ctx, kb.Tab)
	wantFocus(t, ctx, `[data-testid=revoke-confirm-button]`, "Tab to the confirm button")
	press(t, ctx, kb.Enter)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-result]`)))
	if got := text(t, ctx, `[data-testid=revoke-result]`); got != "Signed out 1 session." {
		t.Errorf("result %q", got)
	}
	if !evaluate(t, ctx, `(() => { const r = document.querySelector("[data-testid=revoke-result]");
		return r.getAttribute("role") === "status" && r.getAttribute("aria-live") === "polite"; })()`) {
		t.Error("the result is not a live region")
	}
	wantFocus(t, ctx, `[data-testid=revoke-result]`, "after signing out")
	wantVisibleFocus(t, ctx)
	if res := engineer.Get("/api/session"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("engineer: /api/session = %d, want 401", res.StatusCode)
	}
}

// TestEndConfirmationByKeyboard opens a row's End… disclosure with Enter,
// closes it with Escape back onto its summary, and ends the session with the
// keyboard; the outcome takes the focus.
func TestEndConfirmationByKeyboard(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)),
		chromedp.Navigate(srv.URL+"/settings/security/sessions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=end-session] summary`)),
		chromedp.Focus(chromedp.CSS(`[data-testid=end-session] summary`)),
	)
	press(t, ctx, kb.Enter)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=end-session-confirm]`)))
	press(t, ctx, kb.Tab)
	wantFocus(t, ctx, `[data-testid=end-session-confirm]`, "Tab into the End confirmation")
	wantVisibleFocus(t, ctx)
	press(t, ctx, kb.Escape)
	browserWaitFor(t, ctx, `!document.querySelector("[data-testid=end-session]").open &&
		!document.querySelector("[data-testid=end-session-confirm]").checkVisibility()`)
	wantFocus(t, ctx, `[data-testid=end-session] summary`, "after Escape")
	wantVisibleFocus(t, ctx)

	press(t, ctx, kb.Enter)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=end-session-confirm]`)))
	waitHTMX(t, ctx, `[data-testid=end-session] form`)
	press(t, ctx, kb.Tab)
	press(t, ctx, kb.Enter)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=session-ended]`)))
	wantFocus(t, ctx, `[data-testid=session-ended]`, "after ending the session")
}
