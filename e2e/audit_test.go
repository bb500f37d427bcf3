package e2e_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"curfew/internal/apptest"
	"curfew/store"
)

// TestAuditLogInTheBrowser reads the log as an owner would: sentences, the
// details one click away, "Load more" appending in place with focus on the
// first new event, and the filter form.
func TestAuditLogInTheBrowser(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	ctx := context.Background()
	if _, err := srv.Store.DB().Exec(`UPDATE users SET name = 'Olivia' WHERE id = $1`, team.Owner.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.DB().Exec(`INSERT INTO audit_events (account_id, actor_user_id, action, payload, ip, user_agent)
		SELECT $1, $2, 'auth.login', jsonb_build_object('session_id', gen_random_uuid()), '203.0.113.7',
			'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
		FROM generate_series(1, 70)`, team.Account.ID, team.Engineer.ID); err != nil {
		t.Fatal(err)
	}
	olivia := store.Actor{AccountID: team.Account.ID, UserID: team.Owner.ID, IP: "198.51.100.7", UserAgent: "Mozilla/5.0"}
	if err := srv.Store.InsertAudit(ctx, olivia, store.ActionPolicyUpdate, map[string]any{
		"old": map[string]any{"idle_minutes": nil, "absolute_minutes": nil}, "new": map[string]any{"idle_minutes": 15, "absolute_minutes": nil},
		"effective_old": map[string]any{"idle_minutes": 30, "absolute_minutes": 20160}, "effective_new": map[string]any{"idle_minutes": 15, "absolute_minutes": 20160},
	}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	signIn(t, b, srv, team.Owner.Email)
	do(t, b,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=whoami]`)), // signed in
		chromedp.Navigate(srv.URL+"/settings/audit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=audit-events]`)),
	)
	// Newest first: Olivia's sign-in, then her policy change.
	if got := text(t, b, `[data-testid=audit-event]:nth-child(1) [data-testid=audit-sentence]`); got != "Olivia signed in" {
		t.Errorf("newest event says %q", got)
	}
	want := "Olivia changed the idle timeout from 30 minutes (default) to 15 minutes"
	if got := text(t, b, `[data-testid=audit-event]:nth-child(2) [data-testid=audit-sentence]`); got != want {
		t.Errorf("second event says %q, want %q", got, want)
	}
	if !evaluate(t, b, `document.querySelectorAll("[data-testid=audit-event]").length === 50`) {
		t.Error("the first page does not hold 50 events")
	}
	screenshot(t, b, "audit")
	if v := axeViolations(t, b); v != "" {
		t.Errorf("accessibility problems on the audit log:\n%s", v)
	}

	// The payload is hidden until Details is opened.
	const payload = `[data-testid=audit-event]:nth-child(2) [data-testid=audit-payload]`
	if evaluate(t, b, `document.querySelector("`+payload+`").checkVisibility()`) {
		t.Error("the payload shows before Details is opened")
	}
	do(t, b, chromedp.Click(chromedp.CSS(`[data-testid=audit-event]:nth-child(2) summary`)))
	if p := text(t, b, payload); !strings.Contains(p, "30 minutes (default) → 15 minutes") {
		t.Errorf("payload %q", p)
	}

	// Load more appends in place; the page is not reloaded and focus moves to
	// the first event that arrived.
	evaluate(t, b, `(window.auditMarker = "still here", true)`)
	do(t, b, chromedp.Click(chromedp.CSS(`[data-testid=audit-load-more]`)))
	waitFor(t, b, `document.querySelectorAll("[data-testid=audit-event]").length === 72`)
	if !evaluate(t, b, `window.auditMarker === "still here"`) {
		t.Error("Load more reloaded the page")
	}
	waitFor(t, b, `document.activeElement === document.querySelectorAll("[data-testid=audit-event]")[50]`)
	if !evaluate(t, b, `!document.querySelector("[data-testid=audit-load-more]") && !!document.querySelector("[data-testid=audit-end]")`) {
		t.Error("after the last page, Load more is still there or the end is not said")
	}

	// Filter by event type with the form.
	do(t, b,
		chromedp.SetValue(chromedp.CSS(`#audit-action`), store.ActionPolicyUpdate),
		chromedp.Click(chromedp.CSS(`[data-testid=audit-filters] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/settings/audit"].link`)), // "Clear filters"
	)
	loc, _ := chromedp.Run(b, chromedp.Location())
	if u, _ := url.Parse(loc); u.Query().Get("action") != store.ActionPolicyUpdate {
		t.Errorf("after filtering at %s", loc)
	}
	if !evaluate(t, b, `(() => { const ev = [...document.querySelectorAll("[data-testid=audit-event]")];
		return ev.length === 1 && ev[0].dataset.action === "account.session_policy_update"; })()`) {
		t.Error("the filtered list does not hold just the policy change")
	}
	screenshot(t, b, "audit-filtered")
	if v := axeViolations(t, b); v != "" {
		t.Errorf("accessibility problems on the filtered log:\n%s", v)
	}
}
