package e2e_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"curfew/internal/apptest"
)

// TestPolicyLimitsWithUnits: an owner picks days beside the number (or types
// "8h"), the words beside it follow, the preview says the limit, and a failed
// save puts the focus on the first invalid field rather than the summary.
func TestPolicyLimitsWithUnits(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=whoami]`)),
		chromedp.Navigate(srv.URL+"/settings/security"),
		chromedp.WaitVisible(chromedp.CSS(`#policy-preset-custom`)),
	)
	// 14 days shows as 14 days, not 20160.
	if !evaluate(t, ctx, `document.getElementById("policy-absolute").value === "14" && document.getElementById("policy-absolute-unit").value === "days"`) {
		t.Error("the absolute lifetime is not shown as 14 days")
	}
	clickHTMX(t, ctx, `#policy-preset-custom`)
	typeInto(t, ctx, "#policy-absolute", "7")
	waitFor(t, ctx, `document.querySelector("[data-testid=absolute_minutes-words]").textContent === "= 7 days"`)
	typeInto(t, ctx, "#policy-idle", "8h")
	waitFor(t, ctx, `document.querySelector("[data-testid=idle_minutes-words]").textContent === "= 8 hours"`)
	waitFor(t, ctx, `(document.querySelector("[data-testid=impact-policy]") || {}).textContent?.includes("8 hours") && document.querySelector("[data-testid=impact-policy]").textContent.includes("7 days")`)

	// Clearing a field to retype it is not an error while typing.
	do(t, ctx, chromedp.SendKeys(chromedp.CSS("#policy-idle"), "\b\b"))
	waitFor(t, ctx, `document.getElementById("policy-idle").value === ""`)
	waitFor(t, ctx, `!!document.querySelector("[data-testid=preview-incomplete]")`)
	if !evaluate(t, ctx, `document.getElementById("policy-idle-error").textContent === ""`) {
		t.Error("an emptied field is flagged while the owner is still typing")
	}
	// Leaving it empty is flagged.
	evaluate(t, ctx, `(document.getElementById("policy-idle").blur(), true)`)
	waitFor(t, ctx, `document.getElementById("policy-idle-error").textContent === "Enter the idle timeout."`)

	// Saving with a bad value: the focus lands on the field, which says why.
	typeInto(t, ctx, "#policy-idle", "2")
	// The live check answers first; a click while its request is in flight
	// meets a disabled button (hx-disabled-elt) and saves nothing.
	waitFor(t, ctx, `document.getElementById("policy-idle-error").textContent.includes("too short")`)
	clickHTMX(t, ctx, `[data-testid=policy-form] button[type=submit]`)
	waitFor(t, ctx, `!!document.querySelector("[data-testid=policy-errors]")`)
	// The live preview may have shown the errors before the save's answer
	// came: wait for it, or it replaces what is typed next.
	waitHTMX(t, ctx, `[data-testid=policy-form]`)
	waitFor(t, ctx, `document.activeElement && document.activeElement.id === "policy-idle"`)
	if !evaluate(t, ctx, `document.getElementById("policy-idle-error").textContent.includes("2 minutes is too short")`) {
		t.Error("the error beside the idle timeout does not say what is wrong")
	}

	// A unit chosen with the select is saved as such.
	typeInto(t, ctx, "#policy-idle", "1")
	do(t, ctx, chromedp.SetValue(chromedp.CSS(`#policy-idle-unit`), "hours"))
	evaluate(t, ctx, `(document.getElementById("policy-idle-unit").dispatchEvent(new Event("change", {bubbles: true})), true)`)
	waitFor(t, ctx, `document.querySelector("[data-testid=idle_minutes-words]").textContent === "= 1 hour"`)
	waitFor(t, ctx, `(document.querySelector("[data-testid=impact-policy]") || {}).textContent?.includes("1 hour")`)
	clickHTMX(t, ctx, `[data-testid=policy-form] button[type=submit]`)
	waitFor(t, ctx, `!!document.querySelector("[data-testid=policy-saved]")`)
	wantOverrides(t, srv, team.Account.ID, 60, 10080)
}

// TestDarkRadiosAreVisible: an unchecked radio's ring stands out from the
// dark card at 3:1 or more.
func TestDarkRadiosAreVisible(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := newBrowser(t)
	setColorScheme(t, ctx, "dark")
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=whoami]`)),
		chromedp.Navigate(srv.URL+"/settings/security"),
		chromedp.WaitVisible(chromedp.CSS(`#policy-preset-custom`)),
	)
	ratio, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(function () {
		function rgb(s) { return s.match(/[\d.]+/g).slice(0, 3).map(Number); }
		function lum(c) {
			var a = c.map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
			return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2];
		}
		var radio = document.getElementById("policy-preset-custom");
		var ring = rgb(getComputedStyle(radio).borderTopColor);
		var el = radio.parentElement, bg;
		while (el) {
			var c = getComputedStyle(el).backgroundColor;
			if (c && c !== "rgba(0, 0, 0, 0)" && c !== "transparent") { bg = rgb(c); break; }
			el = el.parentElement;
		}
		var l1 = lum(ring), l2 = lum(bg);
		return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if ratio < 3 {
		t.Errorf("an unchecked radio's ring has %.2f:1 against the dark card, want at least 3:1", ratio)
	}
}

// wantOverrides checks the account's stored limits, in minutes.
func wantOverrides(t *testing.T, srv *apptest.Server, accountID int64, idle, absolute int) {
	t.Helper()
	var gotIdle, gotAbsolute *int
	if err := srv.Store.DB().QueryRow(`SELECT idle_minutes, absolute_minutes FROM accounts WHERE id = $1`, accountID).Scan(&gotIdle, &gotAbsolute); err != nil {
		t.Fatal(err)
	}
	if gotIdle == nil || gotAbsolute == nil || *gotIdle != idle || *gotAbsolute != absolute {
		t.Errorf("stored limits %v/%v, want %d/%d", gotIdle, gotAbsolute, idle, absolute)
	}
}
