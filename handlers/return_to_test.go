package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"curfew/handlers"
	"curfew/internal/apptest"
)

var allowedForTest = []string{"https://app.example.com", "http://localhost:3000"}

func TestReturnToAcceptsOnlyLocalPathsAndAllowedOrigins(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, raw string
		ok        bool
	}{
		{"local path", "/me/sessions", true},
		{"local path with query and fragment", "/settings/audit?action=auth.login#top", true},
		{"encoded space in a local path", "/search?q=a%20b", true},
		{"decoded space, as a proxy passes it on", "https://app.example.com/search?q=a b", true},
		{"allowed origin", "https://app.example.com/projects/7?tab=1", true},
		{"allowed origin, bare", "https://app.example.com", true},
		{"allowed origin, upper case", "HTTPS://APP.EXAMPLE.COM/x", true},
		{"allowed origin, default port", "https://app.example.com:443/x", true},
		{"allowed origin with its port", "http://localhost:3000/", true},

		{"empty", "", false},
		{"other host", "https://evil.test/", false},
		{"sibling host", "https://admin.example.com/", false},
		{"allowed host, other scheme", "http://app.example.com/", false},
		{"allowed host, other port", "https://app.example.com:8443/", false},
		{"allowed host, trailing dot", "https://app.example.com./", false},
		{"suffix of an allowed host", "https://app.example.com.evil.test/", false},
		{"protocol-relative", "//evil.test/", false},
		{"protocol-relative, three slashes", "///evil.test/", false},
		{"slash backslash", "/\\evil.test", false},
		{"backslashes", "\\\\evil.test", false},
		{"backslash in an allowed URL", "https://app.example.com\\@evil.test/", false},
		{"javascript", "javascript:alert(1)", false},
		{"javascript, mixed case", "JaVaScRiPt:alert(1)", false},
		{"data", "data:text/html,<script>alert(1)</script>", false},
		{"userinfo trick", "https://app.example.com@evil.test/", false},
		{"userinfo on an allowed host", "https://user:pass@app.example.com/", false},
		{"CR LF", "/x\r\nSet-Cookie: a=b", false},
		{"encoded CR LF", "/x%0d%0aSet-Cookie:%20a=b", false},
		{"tab", "/\t/evil.test", false},
		{"leading space", " https://evil.test", false},
		{"NUL", "/x\x00y", false},
		{"encoded slashes", "/%2F%2Fevil.test", false},
		{"encoded backslash", "/%5Cevil.test", false},
		{"bad escape", "/%zz", false},
		{"scheme without slashes", "https:app.example.com/x", false},
		{"scheme with one slash", "https:/app.example.com/x", false},
		{"relative path", "me/sessions", false},
		{"over 2 KB", "/" + strings.Repeat("a", 2048), false},
		{"ftp", "ftp://app.example.com/", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := handlers.SafeReturnTo(tc.raw, allowedForTest)
			if tc.ok && got != strings.ReplaceAll(tc.raw, " ", "%20") {
				t.Errorf("SafeReturnTo(%q) = %q, want it accepted", tc.raw, got)
			}
			if !tc.ok && got != "" {
				t.Errorf("SafeReturnTo(%q) = %q, want it ignored", tc.raw, got)
			}
		})
	}
}

// Whatever the input, an accepted return_to is a local path that browsers
// read as one, or a URL of an allowed origin.
func FuzzReturnTo(f *testing.F) {
	for _, s := range []string{"/x", "//evil", "/\\evil", "https://app.example.com/a", "https://app.example.com@evil.test",
		"javascript:alert(1)", "/%2F%2Fe", "http://localhost:3000", "https://APP.example.com:443"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := handlers.SafeReturnTo(raw, allowedForTest)
		if got == "" {
			return
		}
		if got != strings.ReplaceAll(raw, " ", "%20") || len(raw) > 2048 || strings.ContainsAny(got, "\\\r\n\t ") {
			t.Fatalf("accepted %q as %q", raw, got)
		}
		if strings.HasPrefix(got, "/") {
			if strings.HasPrefix(got, "//") {
				t.Fatalf("accepted a protocol-relative URL %q", got)
			}
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.User != nil {
			t.Fatalf("accepted %q: %v", got, err)
		}
		host := strings.ToLower(u.Hostname())
		if host != "app.example.com" && host != "localhost" {
			t.Fatalf("accepted %q, whose host is %q", got, host)
		}
	})
}

// The login page keeps return_to through the form and sends the browser there
// after sign-in; next, the older name, still works; a refused value goes home.
func TestLoginReturnsToTheProduct(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t, apptest.WithEnv("CURFEW_ALLOWED_ORIGINS", "https://app.example.com, http://localhost:3000"))
	team := apptest.NewTeam(t, srv.Store)
	cases := []struct {
		name, query, want string
	}{
		{"allowed origin", "return_to=" + url.QueryEscape("https://app.example.com/projects/7?tab=1"), "https://app.example.com/projects/7?tab=1"},
		{"local path", "return_to=" + url.QueryEscape("/me/sessions"), "/me/sessions"},
		{"next, the older name", "next=" + url.QueryEscape("/me/sessions"), "/me/sessions"},
		{"return_to wins over next", "return_to=" + url.QueryEscape("/me/sessions") + "&next=/settings/audit", "/me/sessions"},
		{"other host", "return_to=" + url.QueryEscape("https://evil.test/"), "/"},
		{"userinfo trick", "return_to=" + url.QueryEscape("https://app.example.com@evil.test/"), "/"},
		{"protocol-relative", "return_to=" + url.QueryEscape("//evil.test"), "/"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := srv.NewClient(t)
			page := c.Get("/login?" + tc.query)
			c.CSRF = page.FormCSRF()
			field := hiddenReturnTo(page.Body)
			if (tc.want == "/") != (field == "") {
				t.Errorf("hidden return_to = %q for %s", field, tc.query)
			}
			res := c.PostForm("/login", url.Values{"email": {team.Engineer.Email}, "password": {apptest.Password}, "return_to": {field}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tc.want {
				t.Errorf("after sign-in: %d to %q, want %q", res.StatusCode, res.Header.Get("Location"), tc.want)
			}
			// Signed in already, the login page sends the browser on at once.
			if res := c.Get("/login?" + tc.query); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tc.want {
				t.Errorf("login page when signed in: %d to %q, want %q", res.StatusCode, res.Header.Get("Location"), tc.want)
			}
		})
	}
	// Signed in, but sent here by a proxy with a reason: the product did not
	// see the cookie, and going back would loop, so the browser goes home.
	signedIn := srv.Login(t, team.Owner.Email, apptest.Password)
	if res := signedIn.Get("/login?reason=none&return_to=" + url.QueryEscape("https://app.example.com/x")); res.Header.Get("Location") != "/" {
		t.Errorf("signed in, sent by a proxy: redirect to %q, want / (no loop)", res.Header.Get("Location"))
	}
	// Browsers hold the form's redirect to the page's CSP form-action, so it
	// names the allowed origins (e2e/proxy_test.go signs in through it).
	if csp := srv.NewClient(t).Get("/login").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://app.example.com http://localhost:3000;") {
		t.Errorf("CSP form-action does not allow the return origins: %s", csp)
	}
	// A form post is checked as the query is: a forged field goes home.
	c := srv.NewClient(t)
	c.CSRF = c.Get("/login").FormCSRF()
	res := c.PostForm("/login", url.Values{"email": {team.Owner.Email}, "password": {apptest.Password}, "return_to": {"https://evil.test/"}})
	if res.Header.Get("Location") != "/" {
		t.Errorf("forged return_to field: redirect to %q", res.Header.Get("Location"))
	}
	// A page that needs a session sends the browser to sign in with return_to.
	res = srv.NewClient(t).Get("/me/sessions")
	if loc := res.Header.Get("Location"); loc != "/login?return_to=%2Fme%2Fsessions" {
		t.Errorf("redirect to sign in: %q", loc)
	}
}

func hiddenReturnTo(body string) string {
	const marker = `name="return_to" value="`
	i := strings.Index(body, marker)
	if i < 0 {
		return ""
	}
	rest := body[i+len(marker):]
	v := rest[:strings.Index(rest, `"`)]
	return strings.ReplaceAll(v, "&amp;", "&")
}

// The reason a proxy passes on from /auth/verify is shown on the login page,
// also without the minutes Curfew's own redirects add.
func TestLoginSaysWhyAfterAProxyRedirect(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	cases := map[string]string{
		"idle":                      "after a period of inactivity",
		"idle&minutes=30":           "after 30 minutes of inactivity",
		"absolute":                  "longest allowed lifetime",
		"revoked":                   "ended by an account owner",
		"logout":                    "You have signed out",
		"none":                      "",
		"<script>alert(1)</script>": "",
	}
	for reason, want := range cases {
		page := srv.NewClient(t).Get("/login?return_to=%2F&reason=" + strings.ReplaceAll(reason, "<", "%3C"))
		has := strings.Contains(page.Body, `data-testid="login-notice"`)
		if want == "" && has {
			t.Errorf("reason %q shows a notice", reason)
		}
		if want != "" && !strings.Contains(page.Body, want) {
			t.Errorf("reason %q: the page does not say %q", reason, want)
		}
	}
}
