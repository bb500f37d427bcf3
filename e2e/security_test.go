package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"curfew/internal/apptest"
)

// TestPolicyCardValidatesPreviewsAndSavesWithoutReloading switches to Custom,
// types an idle timeout longer than the absolute lifetime, sees the error
// appear beside the field while the page stays loaded, fixes it, sees how many
// sessions the change would end, saves, and sees the saved values.
func TestPolicyCardValidatesPreviewsAndSavesWithoutReloading(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	// An engineer signed in three hours ago: valid under the defaults, ended
	// by a two-hour absolute lifetime.
	srv.Login(t, team.Engineer.Email, apptest.Password)
	if _, err := srv.Store.DB().Exec(`UPDATE sessions SET created_at = now() - interval '3 hours' WHERE user_id = $1`, team.Engineer.ID); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)

	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)))
	// A page load would wipe this marker; htmx swaps keep it.
	evaluate(t, ctx, `window.curfewMarker = "still here"; true`)

	do(t, ctx,
		chromedp.Click(chromedp.CSS(`#policy-preset-custom`)),
		chromedp.WaitVisible(chromedp.CSS(`#policy-idle`)),
	)
	typeInto(t, ctx, "#policy-absolute", "120m")
	typeInto(t, ctx, "#policy-idle", "600m")
	waitFor(t, ctx, `document.getElementById("policy-idle-error").textContent.includes("cannot be longer than the absolute lifetime (2 hours)")`)
	waitFor(t, ctx, `document.getElementById("policy-idle").getAttribute("aria-invalid") === "true"`)
	if got := text(t, ctx, `[data-testid=policy-preview]`); !strings.Contains(got, "Fix the values") {
		t.Errorf("preview while invalid: %q", got)
	}
	wantNoReload(t, ctx)
	screenshot(t, ctx, "policy-live-error")

	typeInto(t, ctx, "#policy-idle", "60m")
	waitFor(t, ctx, `!!document.querySelector("[data-testid=impact-count]")`)
	if got := text(t, ctx, `[data-testid=impact-policy]`); !strings.Contains(got, "1 hour without activity") || !strings.Contains(got, "2 hours after sign-in") {
		t.Errorf("preview policy: %q", got)
	}
	if got := text(t, ctx, `[data-testid=impact-count]`); !strings.Contains(got, "1 active session of 1 person would end at once") ||
		!strings.Contains(got, "Your own session is not affected") {
		t.Errorf("preview count: %q", got)
	}
	if got := evaluate(t, ctx, `document.getElementById("policy-idle-error").textContent === "" && !document.getElementById("policy-idle").hasAttribute("aria-invalid")`); !got {
		t.Error("the fixed error is still shown")
	}
	wantNoReload(t, ctx)
	screenshot(t, ctx, "policy-preview")

	// The change ends a session: the first press asks, the second saves.
	waitHTMX(t, ctx, `[data-testid=policy-save]`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=policy-save]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-confirm-end]`)))
	waitHTMX(t, ctx, `[data-testid=policy-save]`)
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`[data-testid=policy-save]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-saved]`)),
	)
	if got := text(t, ctx, `[data-testid=policy-saved]`); !strings.HasPrefix(got, "Saved.") {
		t.Errorf("status after saving: %q", got)
	}
	if idle, abs := text(t, ctx, `[data-testid=effective-idle]`), text(t, ctx, `[data-testid=effective-absolute]`); idle != "1 hour" || abs != "2 hours" {
		t.Errorf("effective after saving: %q / %q", idle, abs)
	}
	if got := evaluate(t, ctx, `document.activeElement === document.querySelector("[data-testid=policy-saved]")`); !got {
		t.Error("focus did not move to the saved message")
	}
	wantNoReload(t, ctx)
	screenshot(t, ctx, "policy-saved")

	// The saved values are what the page shows after a real reload.
	do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#policy-idle`)))
	if got := evaluate(t, ctx, `window.curfewMarker === undefined && document.getElementById("policy-preset-custom").checked &&
		document.getElementById("policy-idle").value === "1" && document.getElementById("policy-absolute").value === "2" &&
		document.getElementById("policy-idle-unit").value === "hours" && document.getElementById("policy-absolute-unit").value === "hours"`); !got {
		t.Error("after a reload the form does not show Custom 1 hour / 2 hours")
	}
	if got := text(t, ctx, `[data-testid=absolute-source]`); got != "Set for this account" {
		t.Errorf("absolute source: %q", got)
	}
	a, err := srv.Store.Account(context.Background(), team.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.IdleMinutes == nil || *a.IdleMinutes != 60 || a.AbsoluteMinutes == nil || *a.AbsoluteMinutes != 120 {
		t.Errorf("stored overrides %v/%v, want 60/120", a.IdleMinutes, a.AbsoluteMinutes)
	}
}

// evaluate runs a script that answers true or false.
func evaluate(t *testing.T, ctx context.Context, js string) bool {
	t.Helper()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return ok
}

// waitFor polls a script until it is true.
func waitFor(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		screenshot(t, ctx, "failure-"+t.Name())
		t.Fatalf("waiting for %s: %v", js, err)
	}
}

// typeInto empties an input and types into it key by key, as a person would.
func typeInto(t *testing.T, ctx context.Context, sel, value string) {
	t.Helper()
	evaluate(t, ctx, `(document.querySelector("`+sel+`").value = "", true)`)
	do(t, ctx, chromedp.SendKeys(chromedp.CSS(sel), value))
}

func wantNoReload(t *testing.T, ctx context.Context) {
	t.Helper()
	if !evaluate(t, ctx, `window.curfewMarker === "still here"`) {
		t.Fatal("the page reloaded: the marker set before typing is gone")
	}
}
