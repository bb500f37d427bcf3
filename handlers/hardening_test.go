package handlers_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"curfew/handlers"
	"curfew/internal/apptest"
)

// registeredRoutes are the routes of a real Curfew server, so a route added
// later is covered by the tests below without anyone listing it.
func registeredRoutes(t *testing.T, srv *apptest.Server) []*echo.Route {
	t.Helper()
	e, err := handlers.New(handlers.Deps{Store: srv.Store, Config: srv.Config, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var routes []*echo.Route
	for _, r := range e.Routes() {
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			routes = append(routes, r)
		}
	}
	slices.SortFunc(routes, func(a, b *echo.Route) int { return strings.Compare(a.Method+a.Path, b.Method+b.Path) })
	return routes
}

func isUnsafe(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// concrete fills a route's parameters with a well-formed id of nothing.
func concrete(path string) string {
	return strings.ReplaceAll(path, ":id", "00000000-0000-4000-8000-000000000000")
}

// raw sends one request with the client's cookies and exactly the headers
// given: no CSRF token is added behind the test's back.
func raw(t *testing.T, c *apptest.Client, srv *apptest.Server, method, path string, h http.Header, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	addHeaders(req.Header, h)
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func addHeaders(dst, src http.Header) {
	for k, vs := range src {
		for _, v := range vs {
			dst.Add(k, v)
		}
	}
}

func apiError(body string) string {
	var e struct {
		Error string `json:"error"`
	}
	json.Unmarshal([]byte(body), &e)
	return e.Error
}

const csrfMessage = "did not come from Curfew"

// unsafeRequest builds the request for one unsafe route: a JSON object for the
// API, a form for pages, with the token where the case wants it.
func unsafeRequest(path, token, site string, htmx bool) (http.Header, string) {
	h := http.Header{}
	var body string
	if strings.HasPrefix(path, "/api/") {
		h.Set("Content-Type", "application/json")
		body = "{}"
	} else {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		if token != "" {
			body = url.Values{"_csrf": {token}}.Encode()
		}
	}
	if token != "" {
		h.Set("X-CSRF-Token", token)
	}
	if site != "" {
		h.Set("Sec-Fetch-Site", site)
	}
	if htmx {
		h.Set("HX-Request", "true")
	}
	return h, body
}

func TestCSRFOnEveryUnsafeRoute(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	var unsafe []*echo.Route
	for _, r := range registeredRoutes(t, srv) {
		if r.Method == http.MethodPost && r.Path == "/api/session" {
			continue // the API's sign-in carries the password and sets no cookie (TestTokenSignInNeedsNoCSRF)
		}
		if isUnsafe(r.Method) {
			unsafe = append(unsafe, r)
		}
	}
	if len(unsafe) < 10 {
		t.Fatalf("only %d unsafe routes found; is the route list read correctly?", len(unsafe))
	}
	refused := []struct {
		name  string
		token string // "valid" for the client's real token
		site  string
		htmx  bool
	}{
		{"no token, no Sec-Fetch-Site", "", "", false},
		{"no token, htmx", "", "", true},
		{"wrong token", "not-the-token", "", false},
		{"cross-site with a valid token", "valid", "cross-site", false},
		{"same-site without a token", "", "same-site", false},
	}
	accepted := []struct {
		name        string
		token, site string
	}{
		{"same-origin browser without a token", "", "same-origin"},
		{"valid token without Sec-Fetch-Site", "valid", ""},
	}
	for _, r := range unsafe {
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			t.Parallel()
			team := apptest.NewTeam(t, srv.Store)
			c := srv.Login(t, team.Owner.Email, apptest.Password)
			path := concrete(r.Path)
			for _, tc := range refused {
				token := tc.token
				if token == "valid" {
					token = c.CSRF
				}
				h, body := unsafeRequest(path, token, tc.site, tc.htmx)
				status, header, resBody := raw(t, c, srv, r.Method, path, h, body)
				if status != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403", tc.name, status)
					continue
				}
				switch {
				case strings.HasPrefix(path, "/api/"):
					if code := apiError(resBody); code != "csrf_failed" {
						t.Errorf("%s: error %q, want csrf_failed", tc.name, code)
					}
				case tc.htmx:
					if header.Get("HX-Retarget") != "#toasts" || !strings.Contains(resBody, csrfMessage) {
						t.Errorf("%s: htmx refusal is not a toast saying why: %s", tc.name, resBody)
					}
				default:
					if !strings.HasPrefix(header.Get("Content-Type"), "text/html") || !strings.Contains(resBody, "<html") || !strings.Contains(resBody, csrfMessage) {
						t.Errorf("%s: refusal is not a page saying why: %s", tc.name, resBody)
					}
				}
			}
			// Nothing the refused requests asked for happened.
			assertUnchanged(t, srv, team.Account.ID)
			if res := c.Get("/api/session"); res.StatusCode != http.StatusOK {
				t.Fatalf("session ended by refused requests: %d", res.StatusCode)
			}
			for _, tc := range accepted {
				token := tc.token
				if token == "valid" {
					token = c.CSRF
				}
				h, body := unsafeRequest(path, token, tc.site, false)
				status, _, resBody := raw(t, c, srv, r.Method, path, h, body)
				if status == http.StatusForbidden && (apiError(resBody) == "csrf_failed" || strings.Contains(resBody, csrfMessage)) {
					t.Errorf("%s: refused by the CSRF check", tc.name)
				}
				if status >= 500 && status != http.StatusNotImplemented {
					t.Errorf("%s: status %d", tc.name, status)
				}
			}
		})
	}
}

// assertUnchanged checks that an account saw nothing but its sign-ins: no
// audit row of a change, no ended session, the default policy.
func assertUnchanged(t *testing.T, srv *apptest.Server, accountID int64) {
	t.Helper()
	db := srv.Store.DB()
	var changes, ended int
	var overrides bool
	db.Get(&changes, `SELECT count(*) FROM audit_events WHERE account_id = $1 AND action <> 'auth.login'`, accountID)
	db.Get(&ended, `SELECT count(*) FROM sessions WHERE account_id = $1 AND revoked_at IS NOT NULL`, accountID)
	db.Get(&overrides, `SELECT idle_minutes IS NOT NULL OR absolute_minutes IS NOT NULL FROM accounts WHERE id = $1`, accountID)
	if changes != 0 || ended != 0 || overrides {
		t.Errorf("state changed: %d audit rows besides sign-ins, %d sessions ended, policy overridden=%v", changes, ended, overrides)
	}
}

func TestGETNeverChangesState(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	routes := registeredRoutes(t, srv)
	hasGET, seesOther := map[string]bool{}, map[string]bool{}
	for _, r := range routes {
		switch {
		case r.Method == http.MethodGet && strings.Contains(r.Name, "seeOther"):
			seesOther[r.Path] = true // a GET that only sends the browser to the page
		case r.Method == http.MethodGet:
			hasGET[r.Path] = true
		}
	}
	checked := 0
	for _, r := range routes {
		if !isUnsafe(r.Method) || hasGET[r.Path] {
			continue
		}
		checked++
		path := concrete(r.Path)
		// A link or an <img> can only make GETs: they must be refused, with
		// the form fields such a link could carry.
		q := "?scope=all&preset=custom&idle_minutes=5&absolute_minutes=60"
		for _, h := range []http.Header{{}, {"HX-Request": {"true"}}, {"Sec-Fetch-Site": {"cross-site"}}} {
			status, header, _ := raw(t, c, srv, http.MethodGet, path+q, h, "")
			if seesOther[r.Path] {
				if loc := header.Get("Location"); status != http.StatusSeeOther || loc == "" || strings.HasPrefix(loc, path) {
					t.Errorf("GET %s (%v): %d Location=%q, want 303 to its page", path, h, status, loc)
				}
				continue
			}
			if status != http.StatusMethodNotAllowed || !strings.Contains(header.Get("Allow"), r.Method) {
				t.Errorf("GET %s (%v): %d Allow=%q, want 405 allowing %s", path, h, status, header.Get("Allow"), r.Method)
			}
		}
	}
	if checked < 8 {
		t.Fatalf("only %d POST-only routes checked", checked)
	}
	assertUnchanged(t, srv, team.Account.ID)
	if res := c.Get("/api/session"); res.StatusCode != http.StatusOK {
		t.Errorf("session ended by GETs: %d", res.StatusCode)
	}
}

// wantSecurityHeaders checks the headers every response carries.
func wantSecurityHeaders(t *testing.T, what string, h http.Header, production bool) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("%s: CSP %q lacks %q", what, csp, d)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: CSP allows inline or eval'd script: %q", what, csp)
	}
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "same-origin",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
	hsts := h.Get("Strict-Transport-Security")
	if production && !strings.Contains(hsts, "max-age=63072000") {
		t.Errorf("%s: production without HSTS (%q)", what, hsts)
	}
	if !production && hsts != "" {
		t.Errorf("%s: HSTS sent in dev, where plain http is allowed", what)
	}
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-Allow-") {
			t.Errorf("%s: CORS header %s: %q", what, k, h.Get(k))
		}
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	t.Parallel()
	for _, production := range []bool{false, true} {
		name := "dev"
		if production {
			name = "production"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var srv *apptest.Server
			if production {
				// Only headers are checked: production cookies are Secure and
				// would not come back over the test's plain http.
				srv = apptest.NewServer(t, apptest.WithEnv("CURFEW_ENV", "")) // unset: production is the default
			} else {
				srv = apptest.NewServer(t)
			}
			c := srv.NewClient(t)
			requests := []struct {
				what, method, path string
				h                  http.Header
				status             int
			}{
				{"login page", http.MethodGet, "/login", nil, 200},
				{"static file", http.MethodGet, "/static/js/app.js", nil, 200},
				{"health", http.MethodGet, "/healthz", nil, 200},
				{"API without a session", http.MethodGet, "/api/session", nil, 401},
				{"missing page", http.MethodGet, "/no-such-page", nil, 404},
				{"missing API", http.MethodGet, "/api/no-such-thing", nil, 404},
				{"CSRF refusal", http.MethodPost, "/login", nil, 403},
				{"wrong method", http.MethodGet, "/logout", nil, 405},
				{"preflight", http.MethodOptions, "/api/accounts/me/security", http.Header{
					"Origin": {"https://evil.example"}, "Access-Control-Request-Method": {"PATCH"},
					"Access-Control-Request-Headers": {"X-CSRF-Token, Content-Type"}}, 0},
				{"cross-origin API read", http.MethodGet, "/api/session", http.Header{"Origin": {"https://evil.example"}}, 401},
			}
			for _, r := range requests {
				status, h, _ := raw(t, c, srv, r.method, r.path, r.h, "")
				if r.status != 0 && status != r.status {
					t.Errorf("%s: status %d, want %d", r.what, status, r.status)
				}
				wantSecurityHeaders(t, r.what, h, production)
			}
		})
	}
	t.Run("signed in", func(t *testing.T) {
		t.Parallel()
		srv := apptest.NewServer(t)
		team := apptest.NewTeam(t, srv.Store)
		c := srv.Login(t, team.Owner.Email, apptest.Password)
		for _, p := range []string{"/api/session", "/settings/security", "/api/accounts/me/security"} {
			status, h, _ := raw(t, c, srv, http.MethodGet, p, http.Header{"Origin": {"https://evil.example"}}, "")
			if status != http.StatusOK {
				t.Errorf("GET %s: %d", p, status)
			}
			wantSecurityHeaders(t, p, h, false)
		}
	})
}

// Every answer to a signed-in person, whatever the route or outcome, stays
// out of shared and back-button caches.
func TestAuthenticatedResponsesAreNotCached(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	engineer := srv.Login(t, team.Engineer.Email, apptest.Password)
	public := map[string]bool{"/": true, "/login": true, "/healthz": true, "/readyz": true, "/metrics": true}
	n := 0
	for _, r := range registeredRoutes(t, srv) {
		if r.Method != http.MethodGet || public[r.Path] || strings.HasPrefix(r.Path, "/static") {
			continue
		}
		n++
		for who, c := range map[string]*apptest.Client{"owner": owner, "engineer": engineer} {
			status, h, _ := raw(t, c, srv, http.MethodGet, concrete(r.Path), nil, "")
			if !strings.Contains(h.Get("Cache-Control"), "no-store") {
				t.Errorf("%s GET %s (%d): Cache-Control %q, want no-store", who, r.Path, status, h.Get("Cache-Control"))
			}
		}
	}
	if n < 5 {
		t.Fatalf("only %d authenticated GET routes found", n)
	}
	// Unsafe requests and refusals too.
	status, h, _ := raw(t, owner, srv, http.MethodPost, "/api/session/reauth", http.Header{"X-CSRF-Token": {owner.CSRF}, "Content-Type": {"application/json"}}, `{"password":""}`)
	if status != http.StatusUnprocessableEntity || h.Get("Cache-Control") != "no-store" {
		t.Errorf("POST reauth: %d Cache-Control %q", status, h.Get("Cache-Control"))
	}
	if _, h, _ := raw(t, srv.NewClient(t), srv, http.MethodGet, "/api/session", nil, ""); h.Get("Cache-Control") != "no-store" {
		t.Errorf("401 without Cache-Control: no-store")
	}
}

func TestCORSIsOff(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	origin := http.Header{"Origin": {"https://evil.example"}}
	for _, r := range registeredRoutes(t, srv) {
		path := concrete(r.Path)
		h := http.Header{"Origin": {"https://evil.example"}, "Access-Control-Request-Method": {r.Method},
			"Access-Control-Request-Headers": {"x-csrf-token, content-type"}}
		status, header, _ := raw(t, c, srv, http.MethodOptions, path, h, "")
		for k := range header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("preflight %s %s (%d) allowed by %s: %q", r.Method, path, status, k, header.Get(k))
			}
		}
	}
	_, header, _ := raw(t, c, srv, http.MethodGet, "/api/session", origin, "")
	if header.Get("Access-Control-Allow-Origin") != "" || header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("cross-origin read allowed: %v", header)
	}
}

// sessionCookie is the client's session cookie.
func sessionCookie(t *testing.T, c *apptest.Client, srv *apptest.Server) *http.Cookie {
	t.Helper()
	for _, ck := range c.HTTP.Jar.Cookies(mustURL(srv.URL)) {
		if ck.Name == "curfew" {
			return ck
		}
	}
	t.Fatal("no session cookie")
	return nil
}

// Extends TestBadCookiesAreASignInRedirect: each kind of bad cookie on a
// page, an htmx request and the API, and a cookie that verifies but carries a
// token the database does not know.
func TestBadCookiesOnEveryKindOfRequest(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	other := apptest.NewServer(t, apptest.WithEnv("CURFEW_SESSION_KEYS", "another-deployments-key-0123456789abcdef"))
	team := apptest.NewTeam(t, srv.Store)
	good := sessionCookie(t, srv.Login(t, team.Owner.Email, apptest.Password), srv)
	foreign := sessionCookie(t, other.Login(t, team.Engineer.Email, apptest.Password), other)
	b := make([]byte, 32)
	rand.Read(b)
	unknown := handlers.SealSessionCookie(srv.Config, base64.RawURLEncoding.EncodeToString(b))

	cookies := map[string]string{
		"tampered":      good.Value[:len(good.Value)-6] + "AAAAAA",
		"foreign key":   foreign.Value,
		"unknown token": unknown.Value,
		"empty":         "",
		"truncated":     good.Value[:20],
	}
	for name, value := range cookies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := srv.NewClient(t)
			c.HTTP.Jar.SetCookies(mustURL(srv.URL), []*http.Cookie{{Name: "curfew", Value: value}})
			res := c.Get("/settings/security")
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
				t.Errorf("page: %d %q, want 303 to /login", res.StatusCode, res.Header.Get("Location"))
			}
			if value != "" && !clearsSessionCookie(res.Header) {
				t.Errorf("page: the bad cookie was not cleared: %q", res.Header["Set-Cookie"])
			}
			c.HTTP.Jar.SetCookies(mustURL(srv.URL), []*http.Cookie{{Name: "curfew", Value: value}})
			res = c.GetHTMX("/me/sessions")
			if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("HX-Redirect"), "/login") {
				t.Errorf("htmx: %d HX-Redirect=%q, want 401 with HX-Redirect to /login", res.StatusCode, res.Header.Get("HX-Redirect"))
			}
			c.HTTP.Jar.SetCookies(mustURL(srv.URL), []*http.Cookie{{Name: "curfew", Value: value}})
			res = c.Get("/api/session")
			if res.StatusCode != http.StatusUnauthorized || apiError(res.Body) != "unauthenticated" {
				t.Errorf("API: %d %s, want 401 unauthenticated", res.StatusCode, res.Body)
			}
			// The sign-in page still works with the bad cookie in place.
			c.HTTP.Jar.SetCookies(mustURL(srv.URL), []*http.Cookie{{Name: "curfew", Value: value}})
			if res := c.Get("/login"); res.StatusCode != http.StatusOK {
				t.Errorf("login page with a bad cookie: %d", res.StatusCode)
			}
		})
	}
}

func clearsSessionCookie(h http.Header) bool {
	for _, sc := range h["Set-Cookie"] {
		if strings.HasPrefix(sc, "curfew=") && strings.Contains(sc, "Max-Age=0") {
			return true
		}
	}
	return false
}

// newLoggedServer is a test server whose log, at debug level, is kept.
func newLoggedServer(t *testing.T) (*apptest.Server, *apptest.SyncBuffer) {
	t.Helper()
	base := apptest.NewServer(t)
	logs := &apptest.SyncBuffer{}
	e, err := handlers.New(handlers.Deps{Store: base.Store, Config: base.Config,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(e)
	t.Cleanup(hs.Close)
	return &apptest.Server{URL: hs.URL, Store: base.Store, Config: base.Config}, logs
}

// The session token, in any form, appears in neither the log nor any page or
// API body, through a whole visit from sign-in to sign-out.
func TestSessionTokensAreNeverLoggedOrShown(t *testing.T) {
	t.Parallel()
	srv, logs := newLoggedServer(t)
	team := apptest.NewTeam(t, srv.Store)
	other := srv.Login(t, team.Engineer.Email, apptest.Password) // a second session listed on owner pages
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	cookie := sessionCookie(t, c, srv)
	token := handlers.SessionTokenOf(srv.Config, cookie.Value)
	if token == "" {
		t.Fatal("cannot open the session cookie")
	}
	var hashes [][]byte
	if err := srv.Store.DB().Select(&hashes, `SELECT token_hash FROM sessions WHERE account_id = $1`, team.Account.ID); err != nil || len(hashes) != 2 {
		t.Fatalf("token hashes: %v %d", err, len(hashes))
	}
	secrets := map[string]string{"cookie value": cookie.Value, "raw token": token}
	for i, h := range hashes {
		secrets["hash hex "+string(rune('a'+i))] = hex.EncodeToString(h)
		secrets["hash base64 "+string(rune('a'+i))] = base64.StdEncoding.EncodeToString(h)
		secrets["hash base64url "+string(rune('a'+i))] = base64.RawURLEncoding.EncodeToString(h)
	}
	secrets["engineer cookie value"] = sessionCookie(t, other, srv).Value

	var bodies []string
	var sessionID string
	srv.Store.DB().Get(&sessionID, `SELECT id FROM sessions WHERE user_id = $1`, team.Owner.ID)
	for _, r := range registeredRoutes(t, srv) {
		if r.Method != http.MethodGet || strings.HasPrefix(r.Path, "/static") {
			continue
		}
		for _, h := range []http.Header{nil, {"HX-Request": {"true"}}} {
			_, _, body := raw(t, c, srv, http.MethodGet, strings.ReplaceAll(r.Path, ":id", sessionID), h, "")
			bodies = append(bodies, body)
		}
	}
	for _, res := range []*apptest.Response{
		c.SendJSON(http.MethodPost, "/api/session/reauth", map[string]string{"password": "wrong"}),
		c.SendJSON(http.MethodPatch, "/api/accounts/me/security", `{"idle_minutes": 1}`),
		c.SendJSON(http.MethodPatch, "/api/accounts/me/security", `not json`),
		c.Get("/api/accounts/me/sessions"),
		c.Get("/api/accounts/me/audit"),
		c.Do(http.MethodPost, "/logout", nil, http.Header{"X-CSRF-Token": {"wrong"}}),
		c.PostForm("/logout", nil),
	} {
		bodies = append(bodies, res.Body)
	}
	// The ended session's cookie, replayed.
	replay := srv.NewClient(t)
	replay.HTTP.Jar.SetCookies(mustURL(srv.URL), []*http.Cookie{cookie})
	bodies = append(bodies, replay.Get("/api/session").Body, replay.Get("/settings/security").Body)

	log := logs.String()
	if !strings.Contains(log, `"path":"/logout"`) {
		t.Fatalf("the log was not captured:\n%s", log)
	}
	for what, secret := range secrets {
		if strings.Contains(log, secret) {
			t.Errorf("the %s appears in the log", what)
		}
		for _, b := range bodies {
			if strings.Contains(b, secret) {
				t.Errorf("the %s appears in a response body", what)
				break
			}
		}
	}
}

// A URL no route takes is a plain 404 for everyone: it neither asks for a
// session nor counts as an engineer trying an owner page.
func TestUnknownURLsAreA404ForEveryone(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	clients := map[string]*apptest.Client{
		"anonymous": srv.NewClient(t),
		"engineer":  srv.Login(t, team.Engineer.Email, apptest.Password),
		"owner":     srv.Login(t, team.Owner.Email, apptest.Password),
	}
	for who, c := range clients {
		for _, p := range []string{"/favicon.ico", "/settings/nope", "/me/sessions/x/y/z"} {
			status, _, body := raw(t, c, srv, http.MethodGet, p, nil, "")
			if status != http.StatusNotFound || !strings.Contains(body, "There is no page at this address") {
				t.Errorf("%s GET %s: %d, want the 404 page", who, p, status)
			}
		}
		status, _, body := raw(t, c, srv, http.MethodGet, "/api/nope", nil, "")
		if status != http.StatusNotFound || apiError(body) != "not_found" {
			t.Errorf("%s GET /api/nope: %d %s, want 404 not_found", who, status, body)
		}
	}
	assertUnchanged(t, srv, team.Account.ID)
}

// In production both cookies are host-only (__Host-), Secure, HttpOnly and
// SameSite=Lax, and the session cookie carries no Domain.
func TestProductionCookieAttributes(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t, apptest.WithEnv("CURFEW_ENV", "")) // unset: production is the default
	team := apptest.NewTeam(t, srv.Store)
	c := srv.NewClient(t)
	// Secure cookies do not come back over the test's plain http, so the
	// browser's Sec-Fetch-Site stands in for the CSRF token.
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"same-origin"}}
	status, header, _ := raw(t, c, srv, http.MethodPost, "/login", h,
		url.Values{"email": {team.Owner.Email}, "password": {apptest.Password}}.Encode())
	if status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", status)
	}
	_, csrfHeader, _ := raw(t, srv.NewClient(t), srv, http.MethodGet, "/login", nil, "")
	cookies := map[string]*http.Cookie{}
	for _, ck := range append((&http.Response{Header: header}).Cookies(), (&http.Response{Header: csrfHeader}).Cookies()...) {
		cookies[ck.Name] = ck
	}
	for _, name := range []string{"__Host-curfew", "__Host-csrf", "__Host-curfew-device"} {
		ck := cookies[name]
		if ck == nil {
			t.Errorf("no %s cookie set (got %v)", name, slices.Collect(maps.Keys(cookies)))
			continue
		}
		if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
			t.Errorf("%s: Secure=%v HttpOnly=%v SameSite=%v Path=%q Domain=%q", name, ck.Secure, ck.HttpOnly, ck.SameSite, ck.Path, ck.Domain)
		}
		if len(ck.Name)+len(ck.Value) > 4096 {
			t.Errorf("%s is %d bytes, over the 4096 browsers keep", name, len(ck.Name)+len(ck.Value))
		}
	}
}
