package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"curfew/internal/apptest"
)

// A one-minute idle timeout makes the warning due within seconds; sessions are
// aged in the database, never by sleeping.
func shortPolicyServer(t *testing.T) *apptest.Server {
	return apptest.NewServer(t,
		apptest.WithEnv("CURFEW_IDLE_MIN_MINUTES", "1"),
		apptest.WithEnv("CURFEW_IDLE_DEFAULT_MINUTES", "1"),
		apptest.WithEnv("CURFEW_ABSOLUTE_MIN_MINUTES", "1"),
		apptest.WithEnv("CURFEW_ABSOLUTE_DEFAULT_MINUTES", "60"),
	)
}

func TestIdleWarningCountsDownAndStaySignedInExtendsOnlyTheIdleDeadline(t *testing.T) {
	srv := shortPolicyServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)))
	if visible(t, ctx, "#idle-warning") {
		t.Fatal("warning shown right after sign-in")
	}

	db := srv.Store.DB()
	var createdBefore time.Time
	db.Get(&createdBefore, `SELECT created_at FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, team.Owner.ID)
	// 40 s idle: inside the one-minute throttle, so loading the page does not count as activity.
	db.Exec(`UPDATE sessions SET last_seen_at = now() - interval '40 seconds' WHERE user_id = $1`, team.Owner.ID)
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/settings/security"),
		chromedp.WaitVisible(chromedp.CSS("#idle-warning")),
		chromedp.WaitVisible(chromedp.CSS("#idle-warning [data-stay-signed-in]")),
	)
	first := text(t, ctx, "#idle-warning [data-countdown]")
	if !strings.HasPrefix(first, "0:") {
		t.Errorf("countdown %q, want under a minute", first)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#idle-warning [data-countdown]").textContent !== "`+first+`"`)); err != nil {
		t.Errorf("countdown did not move: %v", err)
	}
	focused, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement && document.activeElement.hasAttribute("data-stay-signed-in")`))
	if !focused {
		t.Errorf("focus did not move to Stay signed in")
	}

	do(t, ctx,
		chromedp.Click(chromedp.CSS("#idle-warning [data-stay-signed-in]")),
		chromedp.WaitNotVisible(chromedp.CSS("#idle-warning")),
	)
	var idleFor time.Duration
	var createdAfter time.Time
	var seconds float64
	db.Get(&seconds, `SELECT extract(epoch FROM now() - last_seen_at) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, team.Owner.ID)
	idleFor = time.Duration(seconds * float64(time.Second))
	db.Get(&createdAfter, `SELECT created_at FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, team.Owner.ID)
	if idleFor > 10*time.Second {
		t.Errorf("Stay signed in did not record activity: idle for %v", idleFor)
	}
	if !createdAfter.Equal(createdBefore) {
		t.Errorf("Stay signed in moved the absolute start: %v -> %v", createdBefore, createdAfter)
	}
}

func TestIdleWarningCannotExtendTheAbsoluteLifetime(t *testing.T) {
	srv := shortPolicyServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)))
	srv.Store.DB().Exec(`UPDATE sessions SET created_at = now() - interval '59 minutes 40 seconds', last_seen_at = now()
		WHERE user_id = $1 AND revoked_at IS NULL`, team.Owner.ID)
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/settings/security"),
		chromedp.WaitVisible(chromedp.CSS("#idle-warning")),
	)
	if visible(t, ctx, "#idle-warning [data-stay-signed-in]") {
		t.Errorf("Stay signed in offered although the absolute lifetime ends first")
	}
	if msg := text(t, ctx, "#idle-warning [data-idle-message]"); !strings.Contains(msg, "maximum lifetime") {
		t.Errorf("message %q", msg)
	}
}

func TestLoginPageSaysWhyAfterAForcedSignOut(t *testing.T) {
	srv := shortPolicyServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)))
	// Two seconds before the idle deadline: the page's own timer must send
	// the browser to the sign-in form with the reason.
	srv.Store.DB().Exec(`UPDATE sessions SET last_seen_at = now() - interval '58 seconds' WHERE user_id = $1`, team.Owner.ID)
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/settings/security"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-notice]`)),
	)
	if notice := text(t, ctx, `[data-testid=login-notice]`); !strings.Contains(notice, "signed out after 1 minute of inactivity") {
		t.Errorf("login notice %q", notice)
	}
}

// visible reports whether an element exists and is rendered.
func visible(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); return !!el && el.getClientRects().length > 0 })()`, sel)
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		t.Fatalf("check %s: %v", sel, err)
	}
	return ok
}
