package e2e_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"curfew/internal/apptest"
	"curfew/store"
)

// axeTags are the rules every page and state is held to: WCAG 2.0, 2.1 and
// 2.2, levels A and AA (colour contrast included).
const axeTags = `["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]`

var axeSource = sync.OnceValues(func() ([]byte, error) { return os.ReadFile("testdata/axe.min.js") })

// axeViolations runs axe-core on the page as it is now and lists what it
// finds, one rule per line with its help text and the elements concerned;
// "" when nothing.
func axeViolations(t *testing.T, ctx context.Context) string {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		t.Fatalf("read axe-core (run make generate): %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(src)+";true")); err != nil {
		t.Fatalf("load axe-core: %v", err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag", values: `+axeTags+`}}).then(r =>
		r.violations.map(v => "  " + v.id + " (" + v.impact + "): " + v.help + "\n" +
			v.nodes.slice(0, 5).map(n => "      at " + n.target.join(" ") +
				(n.failureSummary ? " — " + n.failureSummary.split("\n").slice(1).join(" ").trim() : "")).join("\n")).join("\n"))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	return out
}

// wantAccessible fails the test (without stopping it) when axe-core finds
// anything on the page, naming the page state.
func wantAccessible(t *testing.T, ctx context.Context, state string) {
	t.Helper()
	if v := axeViolations(t, ctx); v != "" {
		screenshot(t, ctx, "a11y-"+strings.NewReplacer(" ", "-", "/", "-", ",", "").Replace(state))
		t.Errorf("axe-core finds problems on %s:\n%s", state, v)
	}
}

// setColorScheme makes the page see prefers-color-scheme as light or dark, as
// a system setting would; it holds across navigations.
func setColorScheme(t *testing.T, ctx context.Context, scheme string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		t.Fatalf("emulate %s colour scheme: %v", scheme, err)
	}
	if got := evaluate(t, ctx, `matchMedia("(prefers-color-scheme: `+scheme+`)").matches`); !got {
		t.Fatalf("the page does not see the %s colour scheme", scheme)
	}
}

// TestEveryPageAndStatePassesAxe walks every page in each state a person can
// bring it to — errors shown, confirmations open, results announced, empty
// lists — in the light and the dark colour scheme, and runs axe-core on each.
func TestEveryPageAndStatePassesAxe(t *testing.T) {
	for _, scheme := range []string{"light", "dark"} {
		t.Run(scheme, func(t *testing.T) {
			t.Parallel()
			srv := apptest.NewServer(t)
			team := apptest.NewTeam(t, srv.Store)
			seedAuditAndSessions(t, srv, team)
			owner := newBrowser(t)
			setColorScheme(t, owner, scheme)
			walkOwnerStates(t, owner, srv, team, func(state string) { wantAccessible(t, owner, scheme+": "+state) })

			engineer := newBrowser(t)
			setColorScheme(t, engineer, scheme)
			signIn(t, engineer, srv, team.Engineer.Email)
			do(t, engineer, chromedp.WaitVisible(chromedp.CSS(`[data-testid=sessions-table]`)))
			wantAccessible(t, engineer, scheme+": /me/sessions as an engineer")
			do(t, engineer, chromedp.Navigate(srv.URL+"/settings/security"), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
			if got := text(t, engineer, "main h1"); !strings.Contains(got, "access") {
				t.Errorf("an engineer on the security page sees %q", got)
			}
			wantAccessible(t, engineer, scheme+": 403 page")

			// The idle-expiry warning, shown by a one-minute idle timeout.
			short := shortPolicyServer(t)
			shortTeam := apptest.NewTeam(t, short.Store)
			warned := newBrowser(t)
			setColorScheme(t, warned, scheme)
			signIn(t, warned, short, shortTeam.Owner.Email)
			do(t, warned, chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)))
			if _, err := short.Store.DB().Exec(`UPDATE sessions SET last_seen_at = now() - interval '40 seconds' WHERE user_id = $1`, shortTeam.Owner.ID); err != nil {
				t.Fatal(err)
			}
			do(t, warned, chromedp.Navigate(short.URL+"/settings/security"), chromedp.WaitVisible(chromedp.CSS("#idle-warning [data-stay-signed-in]")))
			wantAccessible(t, warned, scheme+": idle-expiry warning shown")
		})
	}
}

// TestSecurityPageAtPhoneWidth checks the security page on a 375-pixel-wide
// phone, light and dark: nothing scrolls sideways, the navigation stays
// reachable, and axe-core finds nothing with the confirmation open.
func TestSecurityPageAtPhoneWidth(t *testing.T) {
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)))
	for _, scheme := range []string{"light", "dark"} {
		setColorScheme(t, ctx, scheme)
		do(t, ctx, chromedp.Navigate(srv.URL+"/settings/security"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)))
		wantNoSidewaysScroll(t, ctx, scheme+" security page")
		wantAccessible(t, ctx, "phone, "+scheme+": security page")
		do(t, ctx, chromedp.Click(chromedp.CSS(`#policy-preset-custom`)), chromedp.WaitVisible(chromedp.CSS(`#policy-idle`)))
		wantNoSidewaysScroll(t, ctx, scheme+" security page, Custom")
		clickHTMX(t, ctx, `[data-testid=revoke-start]`)
		do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-consequence]`)))
		wantNoSidewaysScroll(t, ctx, scheme+" confirmation")
		wantAccessible(t, ctx, "phone, "+scheme+": confirmation open")
		screenshot(t, ctx, "phone-"+scheme)
	}
	for _, href := range []string{"/settings/security/sessions", "/settings/audit", "/me/sessions"} {
		if !evaluate(t, ctx, `(() => { const a = document.querySelector('nav[aria-label=Main] a[href="`+href+`"]');
			return !!a && a.getClientRects().length > 0; })()`) {
			t.Errorf("the link to %s is not shown at phone width", href)
		}
	}
	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/security/sessions"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=sessions-table]`)))
	wantNoSidewaysScroll(t, ctx, "sessions page")
	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/audit"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=audit-events]`)))
	wantNoSidewaysScroll(t, ctx, "audit log")
}

func wantNoSidewaysScroll(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if err != nil {
		t.Fatal(err)
	}
	if w[0] > w[1] {
		screenshot(t, ctx, "overflow-"+strings.ReplaceAll(what, " ", "-"))
		t.Errorf("%s scrolls sideways at phone width: %d px of content in %d", what, w[0], w[1])
	}
}

// seedAuditAndSessions gives the owner's pages something to show: the
// engineer signed in twice (two rows to end) and a failed sign-in.
func seedAuditAndSessions(t *testing.T, srv *apptest.Server, team apptest.Team) {
	t.Helper()
	srv.Login(t, team.Engineer.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	if res := srv.NewClient(t).LoginAs(team.Engineer.Email, "not the password"); res.StatusCode != 401 {
		t.Fatalf("failed sign-in: %d", res.StatusCode)
	}
}

// walkOwnerStates brings the owner's pages into each state in turn and calls
// check in each one.
func walkOwnerStates(t *testing.T, ctx context.Context, srv *apptest.Server, team apptest.Team, check func(state string)) {
	t.Helper()
	// The sign-in page: empty, with an error, with why the person was signed out.
	do(t, ctx, chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")))
	check("sign-in page")
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#email"), team.Owner.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), "wrong"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#login-error")),
	)
	check("sign-in page with an error")
	do(t, ctx, chromedp.Navigate(srv.URL+"/login?reason=idle&minutes=30"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-notice]`)))
	check("sign-in page saying why the session ended")

	// The security page: Strict, Custom with errors, the preview.
	signIn(t, ctx, srv, team.Owner.Email)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)))
	check("security page, Strict")
	do(t, ctx, chromedp.Click(chromedp.CSS(`#policy-preset-custom`)), chromedp.WaitVisible(chromedp.CSS(`#policy-idle`)))
	typeInto(t, ctx, "#policy-idle", "9x")
	waitFor(t, ctx, `document.getElementById("policy-idle-error").textContent !== ""`)
	check("security page, Custom with a live field error")
	waitHTMX(t, ctx, `[data-testid=policy-form]`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=policy-form] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-errors]`)))
	check("security page, Custom with the error summary")
	typeInto(t, ctx, "#policy-idle", "60m")
	typeInto(t, ctx, "#policy-absolute", "120m")
	waitFor(t, ctx, `!!document.querySelector("[data-testid=impact-count]")`)
	check("security page, preview shown")
	waitHTMX(t, ctx, `[data-testid=policy-form]`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=quick-fill-nist-aal2]`)))
	waitFor(t, ctx, `document.getElementById("policy-fill-status").textContent !== "" && document.getElementById("policy-idle").value === "1"`)
	waitHTMX(t, ctx, `[data-testid=policy-form]`)
	check("security page, after a quick-fill")

	// Outside the sudo window: the password prompts, the confirmation, its
	// error, and the result.
	if _, err := srv.Store.DB().Exec(`UPDATE sessions SET authenticated_at = now() - interval '20 minutes' WHERE user_id = $1`, team.Owner.ID); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/security"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-reauth]`)))
	check("security page, password prompt")
	clickHTMX(t, ctx, `[data-testid=revoke-start]`)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#revoke-password`)))
	check("security page, confirmation open with the password field")
	waitHTMX(t, ctx, `[data-testid=revoke-confirm]`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=revoke-confirm-button]`)), chromedp.WaitVisible(chromedp.CSS(`#revoke-password-error`)))
	check("security page, confirmation with a password error")

	// The sessions page, with rows and an End confirmation open.
	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/security/sessions"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=end-session] summary`)))
	check("sessions page")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=end-session] summary`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=end-session-confirm]`)))
	check("sessions page, End confirmation open")

	// Sign out everyone else; the result, then the nearly empty list.
	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/security"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-start]`)))
	clickHTMX(t, ctx, `[data-testid=revoke-start]`)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#revoke-password`)))
	clickHTMX(t, ctx, `[data-testid=revoke-scope-others]`)
	browserWaitFor(t, ctx, `document.querySelector("[data-testid=revoke-consequence]").textContent.includes("You stay signed in here")`)
	waitHTMX(t, ctx, `[data-testid=revoke-confirm]`)
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#revoke-password`), apptest.Password),
		chromedp.Click(chromedp.CSS(`[data-testid=revoke-confirm-button]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-result]`)),
	)
	check("security page, sign-out result")
	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/security/sessions"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=this-session]`)))
	if n := evaluate(t, ctx, `document.querySelectorAll("#session-rows tr").length === 1`); !n {
		t.Error("after signing out everyone else, the list holds more than this session")
	}
	check("sessions page with only this session")
	do(t, ctx, chromedp.Navigate(srv.URL+"/me/sessions"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=this-session]`)))
	check("my sessions")

	// The audit log, and a filter that matches nothing.
	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/audit"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=audit-events]`)))
	check("audit log")
	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/audit?action="+store.ActionPolicyUpdate), chromedp.WaitVisible(chromedp.CSS(`[data-testid=audit-empty]`)))
	check("audit log, filtered to nothing")

	do(t, ctx, chromedp.Navigate(srv.URL+"/no-such-page"), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	if got := text(t, ctx, "main h1"); got != "Not found" {
		t.Errorf("404 page heading %q", got)
	}
	check("404 page")
}
