package e2e_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"curfew/internal/apptest"
)

func TestSignInSeeSecurityPageAndSignOut(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := newBrowser(t)

	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)))
	if h := text(t, ctx, "h1"); h != "Security" {
		t.Errorf("heading %q, want Security", h)
	}
	if idle := text(t, ctx, `[data-testid=effective-idle]`); idle != "30 minutes" {
		t.Errorf("effective idle %q, want 30 minutes", idle)
	}
	screenshot(t, ctx, "security")

	do(t, ctx,
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-notice]`)),
	)
	if notice := text(t, ctx, `[data-testid=login-notice]`); !strings.Contains(notice, "signed out") {
		t.Errorf("after sign-out the login page says %q", notice)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.Contains(loc, "/login") {
		t.Errorf("after sign-out at %s", loc)
	}
	// The signed-out browser cannot reach the page any more.
	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/security"), chromedp.WaitVisible(chromedp.CSS("#email")))
}

func TestWrongPasswordShowsAnErrorInTheBrowser(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := newBrowser(t)
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), team.Owner.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), "wrong password"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#login-error")),
	)
	if msg := text(t, ctx, "#login-error"); !strings.Contains(msg, "don't match") {
		t.Errorf("error %q", msg)
	}
}
