package e2e_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"curfew/internal/apptest"
	"curfew/internal/proxyrun"
)

// The product behind the proxy: a page that shows what the proxy told it,
// and an owner-only area. It knows nothing of Curfew but the header names.
func startProduct(t *testing.T) *httptest.Server {
	t.Helper()
	page := func(w http.ResponseWriter, r *http.Request, title string) {
		var names []string
		for name := range r.Header {
			if strings.HasPrefix(strings.ToLower(name), "x-curfew-") {
				names = append(names, name+"="+strings.Join(r.Header[name], "|"))
			}
		}
		sort.Strings(names)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>%s</title></head><body>
<h1 data-testid="product">%s</h1>
<p>Signed in as <span data-testid="user">%s</span> (<span data-testid="role">%s</span>)</p>
<p data-testid="path">%s</p>%s
<pre data-testid="headers">%s</pre>
</body></html>`, title, title, html.EscapeString(r.Header.Get("X-Curfew-User-Email")),
			html.EscapeString(r.Header.Get("X-Curfew-Role")), html.EscapeString(r.URL.RequestURI()), posted(r),
			html.EscapeString(strings.Join(names, "\n")))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { page(w, r, "Product") })
	mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) { page(w, r, "Product admin") })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// posted shows a form post's body, so a test sees it reached the product.
func posted(r *http.Request) string {
	if r.Method != http.MethodPost {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1024))
	return "<p>posted " + html.EscapeString(string(b)) + "</p>"
}

// front is Curfew and the product behind one running proxy.
type front struct {
	srv   *apptest.Server
	sites proxyrun.Sites
	proxy *proxyrun.Proc
}

// startFront starts the product, Curfew (which sends people back to the
// product's origin after sign-in, and believes the proxy's client address),
// and the proxy, which start renders and runs.
func startFront(t *testing.T, start func(t *testing.T, sites proxyrun.Sites) *proxyrun.Proc) front {
	t.Helper()
	ports, err := proxyrun.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	product := startProduct(t)
	sites := proxyrun.Sites{Product: strings.TrimPrefix(product.URL, "http://"), AppPort: ports[0], LoginPort: ports[1]}
	srv := apptest.NewServer(t,
		apptest.WithEnv("CURFEW_ALLOWED_ORIGINS", sites.AppURL()),
		apptest.WithEnv("CURFEW_TRUSTED_PROXIES", "127.0.0.1"))
	sites.Curfew = strings.TrimPrefix(srv.URL, "http://")
	p := start(t, sites)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s output:\n%s", p.Name, p.Output())
		}
		p.Stop()
	})
	return front{srv: srv, sites: sites, proxy: p}
}

// deployFile reads one of the shipped configs.
func deployFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// startNginx runs Debian's nginx with deploy/nginx/curfew.conf. A missing
// nginx fails the test with the package to install.
func startNginx(t *testing.T, sites proxyrun.Sites) *proxyrun.Proc {
	t.Helper()
	bin, err := proxyrun.NginxPath()
	if err != nil {
		t.Fatal(err)
	}
	conf, err := proxyrun.NginxSites(deployFile(t, "deploy/nginx/curfew.conf"), sites)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := proxyrun.StartNginx(context.Background(), bin, dir, proxyrun.NginxMain(dir, conf, 1), sites.AppPort, sites.LoginPort)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startCaddy runs Debian's caddy with deploy/caddy/Caddyfile. A missing
// caddy fails the test with the package to install.
func startCaddy(t *testing.T, sites proxyrun.Sites) *proxyrun.Proc {
	t.Helper()
	bin, err := proxyrun.CaddyPath()
	if err != nil {
		t.Fatal(err)
	}
	conf, err := proxyrun.CaddySites(deployFile(t, "deploy/caddy/Caddyfile"), sites)
	if err != nil {
		t.Fatal(err)
	}
	p, err := proxyrun.StartCaddy(context.Background(), bin, t.TempDir(), conf, sites.AppPort, sites.LoginPort)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// proxies are the shipped configs. nginx can only replace the headers it
// names (the seven identity headers and X-Curfew-Reason); Caddy's config
// drops every client-sent X-Curfew-* header.
var proxies = []struct {
	name      string
	start     func(t *testing.T, sites proxyrun.Sites) *proxyrun.Proc
	stripsAll bool
}{
	{"nginx", startNginx, false},
	{"caddy", startCaddy, true},
}

// answer is one response read in full.
type answer struct {
	status int
	header http.Header
	body   string
}

// fetch sends a request through the proxy with the client's cookies (Go's
// cookie jar, like a browser, does not tie cookies to a port).
func fetch(t *testing.T, c *http.Client, method, u string, header http.Header) answer {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return answer{res.StatusCode, res.Header, string(b)}
}

// wantSignIn checks an answer is the redirect to Curfew's sign-in page with
// the reason and the way back to back.
func wantSignIn(t *testing.T, a answer, sites proxyrun.Sites, reason, back string) {
	t.Helper()
	if a.status != http.StatusFound {
		t.Fatalf("status %d, want 302 to sign in\n%s", a.status, a.body)
	}
	loc, err := url.Parse(a.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != sites.LoginURL()+"/login" {
		t.Errorf("redirect to %s, want %s/login", loc, sites.LoginURL())
	}
	if got := loc.Query().Get("reason"); got != reason {
		t.Errorf("redirect reason %q, want %q (%s)", got, reason, loc)
	}
	if got := loc.Query().Get("return_to"); got != back {
		t.Errorf("redirect return_to %q, want %q", got, back)
	}
}

// TestProxyGuardsTheProduct drives each shipped proxy config over HTTP: who
// gets through, with which identity, and what everyone else gets.
func TestProxyGuardsTheProduct(t *testing.T) {
	for _, px := range proxies {
		t.Run(px.name, func(t *testing.T) {
			f := startFront(t, px.start)
			team := apptest.NewTeam(t, f.srv.Store)
			app := f.sites.AppURL()
			anonymous := f.srv.NewClient(t).HTTP

			// No session: the sign-in page, the reason, the way back.
			wantSignIn(t, fetch(t, anonymous, "GET", app+"/reports/q3", nil), f.sites, "none", app+"/reports/q3")
			// htmx gets a 401 that sends the whole window to sign in.
			a := fetch(t, anonymous, "GET", app+"/reports/q3", http.Header{"Hx-Request": {"true"}})
			if a.status != http.StatusUnauthorized || !strings.HasPrefix(a.header.Get("HX-Redirect"), f.sites.LoginURL()+"/login?reason=none") {
				t.Errorf("htmx without a session: %d, HX-Redirect %q; want 401 and the sign-in page", a.status, a.header.Get("HX-Redirect"))
			}
			// An API client with a bad token gets the 401 itself.
			a = fetch(t, anonymous, "GET", app+"/reports/q3", http.Header{"Authorization": {"Bearer not-a-token"}})
			if a.status != http.StatusUnauthorized || a.header.Get("Location") != "" {
				t.Errorf("bad bearer token: %d (Location %q), want a plain 401", a.status, a.header.Get("Location"))
			}
			// Forged identity without a session reaches nothing.
			a = fetch(t, anonymous, "GET", app+"/", http.Header{"X-Curfew-User-Email": {"mallory@evil.test"}})
			if a.status != http.StatusFound || strings.Contains(a.body, "mallory") {
				t.Errorf("forged identity without a session: %d %s", a.status, a.body)
			}

			// Curfew itself through its own site.
			if a := fetch(t, anonymous, "GET", f.sites.LoginURL()+"/login", nil); a.status != http.StatusOK || !strings.Contains(a.body, `name="password"`) {
				t.Errorf("Curfew's sign-in page through the proxy: %d", a.status)
			}

			engineer := f.srv.Login(t, team.Engineer.Email, apptest.Password)
			owner := f.srv.Login(t, team.Owner.Email, apptest.Password)

			// A session: the product sees who it is, and only what the
			// proxy set, whatever the client sent under the same names.
			a = fetch(t, engineer.HTTP, "GET", app+"/reports/q3?tab=1", http.Header{
				"X-Curfew-User-Email": {"mallory@evil.test"}, "X-Curfew-Role": {"owner"},
				"X-Curfew-Account-Id": {"999999"}, "X-Curfew-User-Id": {"999999"}, "X-Curfew-Session-Id": {"forged"},
				"X-Curfew-Idle-Expires-At": {"2099-01-01T00:00:00Z"}, "X-Curfew-Absolute-Expires-At": {"2099-01-01T00:00:00Z"},
				"X-Curfew-Reason": {"none"}, "X-Curfew-Impersonate": {"owner@acme.test"},
			})
			if a.status != http.StatusOK {
				t.Fatalf("engineer through the proxy: %d\n%s", a.status, a.body)
			}
			for _, want := range []string{
				"X-Curfew-User-Email=" + team.Engineer.Email, "X-Curfew-Role=engineer",
				fmt.Sprintf("X-Curfew-User-Id=%d", team.Engineer.ID), fmt.Sprintf("X-Curfew-Account-Id=%d", team.Account.ID),
				"X-Curfew-Session-Id=", "X-Curfew-Idle-Expires-At=", "X-Curfew-Absolute-Expires-At=",
			} {
				if !strings.Contains(a.body, want) {
					t.Errorf("the product did not get %s:\n%s", want, a.body)
				}
			}
			forged := []string{"mallory", "X-Curfew-Role=owner", "999999", "forged", "2099", "X-Curfew-Reason", "|"}
			if px.stripsAll {
				forged = append(forged, "X-Curfew-Impersonate")
			}
			for _, f := range forged {
				if strings.Contains(a.body, f) {
					t.Errorf("a client-sent header reached the product (%s):\n%s", f, a.body)
				}
			}
			if !strings.Contains(a.body, `data-testid="path">/reports/q3?tab=1<`) {
				t.Errorf("the product saw another path:\n%s", a.body)
			}

			// A form post reaches the product with its body; the check itself
			// never needs the body.
			req, _ := http.NewRequest(http.MethodPost, app+"/reports", strings.NewReader("title=Q3"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if res, err := engineer.HTTP.Do(req); err != nil {
				t.Fatal(err)
			} else {
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "X-Curfew-User-Email="+team.Engineer.Email) || !strings.Contains(string(b), "posted title=Q3") {
					t.Errorf("POST through the proxy: %d\n%s", res.StatusCode, b)
				}
			}

			// The owner-only area: 403 page for the engineer, the page for the owner.
			a = fetch(t, engineer.HTTP, "GET", app+"/admin/users", nil)
			if a.status != http.StatusForbidden || !strings.Contains(a.body, `data-testid="refused"`) || strings.Contains(a.body, "Product admin") {
				t.Errorf("engineer on /admin/: %d\n%s", a.status, a.body)
			}
			a = fetch(t, owner.HTTP, "GET", app+"/admin/users", nil)
			if a.status != http.StatusOK || !strings.Contains(a.body, "X-Curfew-User-Email="+team.Owner.Email) {
				t.Errorf("owner on /admin/: %d\n%s", a.status, a.body)
			}

			// A script's bearer token works through the proxy too.
			token := f.srv.NewClient(t).SendJSON(http.MethodPost, "/api/session",
				map[string]string{"email": team.Engineer.Email, "password": apptest.Password})
			var created struct{ Token string }
			token.JSON(&created)
			if token.StatusCode != http.StatusCreated || created.Token == "" {
				t.Fatalf("POST /api/session = %d %s", token.StatusCode, token.Body)
			}
			a = fetch(t, anonymous, "GET", app+"/reports/q3", http.Header{"Authorization": {"Bearer " + created.Token}})
			if a.status != http.StatusOK || !strings.Contains(a.body, "X-Curfew-User-Email="+team.Engineer.Email) {
				t.Errorf("bearer token through the proxy: %d\n%s", a.status, a.body)
			}

			// Sign-out-everywhere reaches the product at its next request.
			res := owner.SendJSON(http.MethodPost, "/api/accounts/me/security/revoke-sessions", map[string]string{"scope": "others"})
			if res.StatusCode != http.StatusOK {
				t.Fatalf("revoke others: %d %s", res.StatusCode, res.Body)
			}
			wantSignIn(t, fetch(t, engineer.HTTP, "GET", app+"/reports/q3", nil), f.sites, "revoked", app+"/reports/q3")
			a = fetch(t, anonymous, "GET", app+"/reports/q3", http.Header{"Authorization": {"Bearer " + created.Token}})
			if a.status != http.StatusUnauthorized {
				t.Errorf("revoked bearer token through the proxy: %d", a.status)
			}
			if a := fetch(t, owner.HTTP, "GET", app+"/", nil); a.status != http.StatusOK {
				t.Errorf("the owner's own session after revoking the others: %d", a.status)
			}
		})
	}
}

// TestProxyInTheBrowser: a person opens the product, signs in on Curfew's
// page, comes back to the page they asked for, which shows who the proxy
// said they are; after an owner signs everyone out, the product sends them
// to sign in again saying why; an engineer is refused the owner-only area.
func TestProxyInTheBrowser(t *testing.T) {
	for _, px := range proxies {
		t.Run(px.name, func(t *testing.T) {
			f := startFront(t, px.start)
			team := apptest.NewTeam(t, f.srv.Store)
			app := f.sites.AppURL()
			ctx := newBrowser(t)

			signInThroughProduct := func(email, path string) {
				t.Helper()
				do(t, ctx,
					chromedp.Navigate(app+path),
					chromedp.WaitVisible(chromedp.CSS("#email")),
				)
				if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, f.sites.LoginURL()+"/login?") {
					t.Fatalf("the product without a session is at %s, want Curfew's sign-in page", loc)
				}
				do(t, ctx,
					chromedp.SendKeys(chromedp.CSS("#email"), email),
					chromedp.SendKeys(chromedp.CSS("#password"), apptest.Password),
					chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
				)
				waitToLeave(t, ctx, f.sites.LoginURL()+"/login")
				if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != app+path {
					t.Fatalf("after signing in the browser is at %s, want %s", loc, app+path)
				}
				if got := text(t, ctx, `[data-testid=user]`); got != email {
					t.Errorf("the product says it serves %q, want %q", got, email)
				}
			}

			signInThroughProduct(team.Owner.Email, "/reports/q3")
			screenshot(t, ctx, "proxy-"+px.name+"-product")
			do(t, ctx, chromedp.Navigate(app+"/admin/users"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=product]`)))
			if got := text(t, ctx, `[data-testid=product]`); got != "Product admin" {
				t.Errorf("the owner on /admin/ sees %q", got)
			}

			// The owner signs everyone out (from a script, say): the browser's
			// next product request goes to the sign-in page, which says why.
			script := f.srv.Login(t, team.Owner.Email, apptest.Password)
			if res := script.SendJSON(http.MethodPost, "/api/accounts/me/security/revoke-sessions", map[string]string{"scope": "all"}); res.StatusCode != http.StatusOK {
				t.Fatalf("revoke all: %d %s", res.StatusCode, res.Body)
			}
			do(t, ctx, chromedp.Navigate(app+"/reports/q3"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-notice]`)))
			if notice := text(t, ctx, `[data-testid=login-notice]`); !strings.Contains(notice, "ended by an account owner") {
				t.Errorf("after sign-out-everywhere the sign-in page says %q", notice)
			}
			screenshot(t, ctx, "proxy-"+px.name+"-revoked")

			// An engineer signs in through the product and is refused the
			// owner-only area.
			signInThroughProduct(team.Engineer.Email, "/reports/q4")
			do(t, ctx, chromedp.Navigate(app+"/admin/users"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=refused]`)))
			if got := text(t, ctx, "h1"); got != "Not allowed" {
				t.Errorf("the engineer on /admin/ sees %q", got)
			}
		})
	}
}

// waitToLeave waits until the page is no longer at a URL starting with
// prefix and has loaded. Polling in the page fails while it navigates, so
// this asks again until the deadline.
func waitToLeave(t *testing.T, ctx context.Context, prefix string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil && !strings.HasPrefix(loc, prefix) {
			if ready, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete"`)); err == nil && ready {
				return
			}
		}
		if time.Now().After(deadline) {
			screenshot(t, ctx, "failure-"+filepath.Base(t.Name()))
			t.Fatalf("the browser stayed at %s (%v)", loc, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
