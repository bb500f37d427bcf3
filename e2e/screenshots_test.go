package e2e_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"curfew/internal/apptest"
	"curfew/password"
	"curfew/store"
)

// Browsers of the screenshot team, as their user agents say them.
const (
	uaChromeMac   = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	uaSafariMac   = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15"
	uaSafariPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	uaFirefox     = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	uaEdge        = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
	uaAndroid     = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36"
)

// TestScreenshotsOfTheRealApp takes the README's pictures from the running
// app with a realistic account: the security page, the sign-out-everywhere
// confirmation, the active sessions and the audit log, light, 1280 pixels
// wide. They are written only when CURFEW_SCREENSHOTS names a folder (make
// screenshots); otherwise the test still walks the pages and checks them.
func TestScreenshotsOfTheRealApp(t *testing.T) {
	srv := apptest.NewServer(t)
	maya := seedNorthwind(t, srv.Store)
	ctx := newBrowser(t)
	setColorScheme(t, ctx, "light")
	if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: uaChromeMac}); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, srv, maya)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=policy-card]`)))
	if got := text(t, ctx, `[data-testid=revoke-summary]`); !strings.Contains(got, "7 active sessions of 4 people") {
		t.Errorf("summary %q", got)
	}
	capturePage(t, ctx, "security")

	clickHTMX(t, ctx, `[data-testid=revoke-start]`)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`[data-testid=revoke-consequence]`)))
	clickHTMX(t, ctx, `[data-testid=revoke-scope-others]`)
	browserWaitFor(t, ctx, `document.querySelector("[data-testid=revoke-consequence]").textContent.includes("You stay signed in here")`)
	waitHTMX(t, ctx, `[data-testid=revoke-confirm]`)
	evaluate(t, ctx, `(document.activeElement.blur(), document.getElementById("revoke-section").scrollIntoView({block: "end"}), window.scrollBy(0, 24), true)`)
	captureView(t, ctx, "confirm")

	do(t, ctx, chromedp.Navigate(srv.URL+"/settings/security/sessions"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=this-session]`)))
	if n := evaluate(t, ctx, `document.querySelectorAll("#session-rows tr").length === 7`); !n {
		t.Error("the sessions page does not list the 7 sessions")
	}
	capturePage(t, ctx, "sessions")

	// A taller window shows the newest events down to the policy change.
	do(t, ctx,
		chromedp.EmulateViewport(1280, 1480),
		chromedp.Navigate(srv.URL+"/settings/audit"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=audit-events]`)),
	)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-action="account.session_policy_update"] summary`)))
	evaluate(t, ctx, `(document.activeElement.blur(), window.scrollTo(0, 0), true)`)
	if got := text(t, ctx, `[data-action="account.session_policy_update"] [data-testid=audit-sentence]`); got != "Maya Okafor changed the absolute lifetime from 14 days (default) to 12 hours" {
		t.Errorf("policy change says %q", got)
	}
	captureView(t, ctx, "audit")
}

// capturePage saves the whole page; captureView what the window shows.
func capturePage(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	capture(t, ctx, name, chromedp.FullScreenshot(100))
}

func captureView(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	capture(t, ctx, name, chromedp.CaptureScreenshot())
}

func capture(t *testing.T, ctx context.Context, name string, shot chromedp.Action[[]byte]) {
	t.Helper()
	dir := os.Getenv("CURFEW_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// seedNorthwind creates Northwind Traders: an owner and three engineers, six
// sessions on real browsers at different ages, a policy of 30 minutes idle
// and 12 hours at most, and a few days of audit history, all in time order.
// It returns the owner's email; her browser signs in as the seventh session.
func seedNorthwind(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	// The test database lives as long as the package run: move an earlier
	// run's Northwind (go test -count=2) out of the way.
	if _, err := st.DB().Exec(`UPDATE accounts SET name = name || ' ' || id WHERE lower(name) = 'northwind traders'`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec(`UPDATE users SET email = id || '.' || email WHERE email LIKE '%@northwind.example'`); err != nil {
		t.Fatal(err)
	}
	acct, err := st.CreateAccount(ctx, "Northwind Traders")
	if err != nil {
		t.Fatal(err)
	}
	hash, err := password.Hash(apptest.Password)
	if err != nil {
		t.Fatal(err)
	}
	people := map[string]store.User{}
	for _, p := range []struct{ key, name, role string }{
		{"maya", "Maya Okafor", store.RoleOwner},
		{"daniel", "Daniel Kim", store.RoleEngineer},
		{"priya", "Priya Raman", store.RoleEngineer},
		{"lukas", "Lukas Becker", store.RoleEngineer},
		{"sofia", "Sofia Alvarez", store.RoleEngineer},
	} {
		email := strings.ToLower(strings.ReplaceAll(p.name, " ", ".")) + "@northwind.example"
		u, err := st.CreateUser(ctx, acct.ID, email, p.name, hash, p.role)
		if err != nil {
			t.Fatal(err)
		}
		people[p.key] = u
	}
	db := st.DB()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`UPDATE accounts SET absolute_minutes = 720 WHERE id = $1`, acct.ID)

	audit := func(who, action string, payload map[string]any, ip, ua string, ago time.Duration) {
		t.Helper()
		b, _ := json.Marshal(payload)
		exec(`INSERT INTO audit_events (account_id, actor_user_id, action, payload, ip, user_agent, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, now() - $7::interval)`,
			acct.ID, people[who].ID, action, string(b), ip, ua, ago.String())
	}
	session := func(who, ip, ua string, signedIn, lastSeen time.Duration) {
		t.Helper()
		token := make([]byte, 32)
		rand.Read(token)
		var id string
		if err := db.Get(&id, `INSERT INTO sessions (account_id, user_id, token_hash, created_at, last_seen_at, authenticated_at, ip, user_agent)
			VALUES ($1, $2, $3, now() - $4::interval, now() - $5::interval, now() - $4::interval, $6, $7) RETURNING id`,
			acct.ID, people[who].ID, token, signedIn.String(), lastSeen.String(), ip, ua); err != nil {
			t.Fatal(err)
		}
		audit(who, store.ActionLogin, map[string]any{"session_id": id}, ip, ua, signedIn)
	}
	h := time.Hour
	m := time.Minute

	// Oldest first, so that the log's order (by id) is the order in time.
	audit("maya", store.ActionLogin, map[string]any{}, "198.51.100.23", uaChromeMac, 74*h)
	audit("sofia", store.ActionLoginFailed, map[string]any{"email": people["sofia"].Email}, "203.0.113.200", uaFirefox, 50*h)
	audit("sofia", store.ActionLogin, map[string]any{}, "203.0.113.200", uaFirefox, 50*h-m)
	audit("sofia", store.ActionLogout, map[string]any{}, "203.0.113.200", uaFirefox, 44*h)
	audit("maya", store.ActionSessionRevoke, map[string]any{"user_id": people["lukas"].ID, "email": people["lukas"].Email}, "198.51.100.23", uaChromeMac, 26*h)
	session("priya", "198.51.100.180", uaAndroid, 9*h, 21*m)
	session("maya", "198.51.100.23", uaSafariPhone, 6*h, 9*m)
	session("priya", "192.0.2.77", uaEdge, 4*h, 14*m)
	audit("maya", store.ActionPolicyUpdate, map[string]any{
		"old": map[string]any{"idle_minutes": nil, "absolute_minutes": nil}, "new": map[string]any{"idle_minutes": nil, "absolute_minutes": 720},
		"effective_old": map[string]any{"idle_minutes": 30, "absolute_minutes": 20160}, "effective_new": map[string]any{"idle_minutes": 30, "absolute_minutes": 720},
	}, "198.51.100.23", uaSafariPhone, 3*h)
	session("daniel", "203.0.113.41", uaFirefox, 2*h, 2*m)
	audit("daniel", store.ActionAccessForbidden, map[string]any{"method": "GET", "path": "/settings/audit"}, "203.0.113.41", uaFirefox, 2*h-10*m)
	session("lukas", "203.0.113.9", uaSafariMac, 70*m, 5*m)
	session("daniel", "203.0.113.41", uaSafariPhone, 40*m, 40*time.Second)
	return people["maya"].Email
}
