package e2e_test

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"curfew/internal/apptest"
)

// TestQuickFillAndDurationsInWords: a quick-fill puts a standard's limits in
// the Custom inputs without a page load, says so, shows the values in words
// and the preview with their standing; typing minutes shows them in hours
// and days at once; saving makes the card say the policy meets the standard.
func TestQuickFillAndDurationsInWords(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)))
	// The standing is one line; each standard opens on demand.
	if got := text(t, ctx, `[data-testid=compliance-summary]`); got != "Meets NIST AAL1; longer than NIST AAL2, NIST AAL3, NIST AAL2 (rev. 3) and PCI DSS 8.2.8 allow." {
		t.Errorf("standing under the defaults: %q", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=compliance] summary`)))
	if got := text(t, ctx, `[data-testid=standing-nist-aal3] [data-standing-label]`); got != "Exceeds NIST AAL3 idle and lifetime limits" {
		t.Errorf("AAL3 standing under the defaults: %q", got)
	}
	evaluate(t, ctx, `window.curfewMarker = "still here"; true`)

	// The quick-fills are part of Custom.
	clickHTMX(t, ctx, `#policy-preset-custom`)
	waitFor(t, ctx, `!!document.querySelector("[data-testid=quick-fill-nist-aal3]").checkVisibility()`)
	waitHTMX(t, ctx, `[data-testid=policy-form]`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=quick-fill-nist-aal3]`)))
	waitFor(t, ctx, `!!document.querySelector("[data-testid=impact-standing]")`)
	wantNoReload(t, ctx)
	if !evaluate(t, ctx, `document.getElementById("policy-preset-custom").checked &&
		document.getElementById("policy-idle").value === "15" && document.getElementById("policy-idle-unit").value === "minutes" &&
		document.getElementById("policy-absolute").value === "12" && document.getElementById("policy-absolute-unit").value === "hours"`) {
		t.Error("the AAL3 quick-fill did not choose Custom with 15 minutes and 12 hours")
	}
	for sel, want := range map[string]string{
		`[data-testid=idle_minutes-words]`:     "= 15 minutes",
		`[data-testid=absolute_minutes-words]`: "= 12 hours",
		`[data-testid=policy-fill-status]`:     "Filled in the limits of NIST SP 800-63B-4 AAL3: 15 minutes idle, 12 hours at most. Not saved yet",
		`[data-testid=impact-standing]`:        "Within the limits of NIST AAL1, NIST AAL2, NIST AAL3, NIST AAL2 (rev. 3) and PCI DSS 8.2.8.",
	} {
		if got := text(t, ctx, sel); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if !evaluate(t, ctx, `document.getElementById("policy-fill-status").getAttribute("role") === "status"`) {
		t.Error("the quick-fill message is not announced")
	}

	// The words follow the typing before any answer from the server.
	evaluate(t, ctx, `(window.curfewRequests = 0, document.body.addEventListener("htmx:beforeRequest", () => window.curfewRequests++), true)`)
	typeInto(t, ctx, "#policy-absolute", "2880m")
	if got, ok := text(t, ctx, `[data-testid=absolute_minutes-words]`), evaluate(t, ctx, `window.curfewRequests === 0`); got != "= 2 days" || !ok {
		t.Errorf("after typing 2880: words %q, before any request: %v", got, ok)
	}
	typeInto(t, ctx, "#policy-absolute", "90x")
	if got := text(t, ctx, `[data-testid=absolute_minutes-words]`); got != "" {
		t.Errorf("words for 90x: %q", got)
	}
	typeInto(t, ctx, "#policy-absolute", "720m")
	waitFor(t, ctx, `document.getElementById("policy-absolute-error").textContent === "" && !!document.querySelector("[data-testid=impact-standing]")`)
	waitHTMX(t, ctx, `[data-testid=policy-form]`)

	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=policy-form] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-saved]`)),
	)
	wantNoReload(t, ctx)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=compliance] summary`)))
	if got := text(t, ctx, `[data-testid=standing-nist-aal3] [data-standing-label]`); got != "Meets NIST AAL3" {
		t.Errorf("AAL3 standing after saving: %q", got)
	}
}

// TestTimesShowInTheViewersTimeZone: the server sends UTC; the page shows
// exact times in the browser's own zone.
func TestTimesShowInTheViewersTimeZone(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := newBrowser(t)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"}); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)),
		chromedp.Navigate(srv.URL+"/settings/security/sessions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=this-session]`)),
	)
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#session-rows time").title`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(title, "GMT+9") || strings.Contains(title, "UTC") {
		t.Errorf("a session time's title in Tokyo: %q", title)
	}

	do(t, ctx,
		chromedp.Navigate(srv.URL+"/settings/audit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=audit-event]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=audit-event] summary`)),
	)
	exact, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("[data-testid=audit-event] time[data-local-text]").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(exact, "GMT+9") {
		t.Errorf("an event's exact time in Tokyo: %q", exact)
	}
}

// TestHeaderFitsOnOneLine: at 1280 pixels the product, the sections and Sign
// out share one line, even with a long account name and email.
func TestHeaderFitsOnOneLine(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	if _, err := srv.Store.DB().Exec(`UPDATE accounts SET name = 'Northwind Traders International Holdings Limited ' || id WHERE id = $1`, team.Account.ID); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)))
	if !evaluate(t, ctx, `(() => {
		const top = sel => document.querySelector(sel).getBoundingClientRect().top;
		const nav = top('nav[aria-label=Main] a'), out = top('form[action="/logout"] button');
		return Math.abs(nav - out) < 8 && document.querySelector("header").getBoundingClientRect().height < 80;
	})()`) {
		screenshot(t, ctx, "header-wraps")
		t.Error("the header takes more than one line at 1280 pixels")
	}
}
