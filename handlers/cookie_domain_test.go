package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"curfew/internal/apptest"
)

// With CURFEW_COOKIE_DOMAIN in production, the session cookie is shared with
// the domain's hosts: __Secure- (a __Host- cookie cannot carry a Domain),
// Domain set, and still Secure, HttpOnly, SameSite=Lax, Path=/. The CSRF
// cookie stays Curfew's own host's.
func TestCookieDomainInProduction(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t, apptest.WithEnv("CURFEW_ENV", "production"), apptest.WithEnv("CURFEW_COOKIE_DOMAIN", ".Example.com"))
	team := apptest.NewTeam(t, srv.Store)
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"same-origin"}}
	status, header, _ := raw(t, srv.NewClient(t), srv, http.MethodPost, "/login", h,
		url.Values{"email": {team.Owner.Email}, "password": {apptest.Password}}.Encode())
	if status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", status)
	}
	cookies := map[string]*http.Cookie{}
	for _, ck := range (&http.Response{Header: header}).Cookies() {
		cookies[ck.Name] = ck
	}
	ck := cookies["__Secure-curfew"]
	if ck == nil {
		t.Fatalf("no __Secure-curfew cookie: %q", header.Values("Set-Cookie"))
	}
	if ck.Domain != "example.com" || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Errorf("__Secure-curfew: Domain=%q Secure=%v HttpOnly=%v SameSite=%v Path=%q", ck.Domain, ck.Secure, ck.HttpOnly, ck.SameSite, ck.Path)
	}
	if cookies["__Host-curfew"] != nil {
		t.Errorf("a __Host-curfew cookie was set too")
	}
	if csrf := cookies["__Host-csrf"]; csrf != nil && csrf.Domain != "" {
		t.Errorf("the CSRF cookie has Domain %q", csrf.Domain)
	}

	// The shared cookie authenticates /auth/verify, as the product's proxy
	// asks it, and signing out clears it on the same domain.
	res := srv.NewClient(t).Do(http.MethodGet, "/auth/verify", nil, http.Header{"Cookie": {ck.Name + "=" + ck.Value}})
	if res.StatusCode != http.StatusOK || res.Header.Get("X-Curfew-User-Email") != team.Owner.Email {
		t.Fatalf("verify with the shared cookie: %d", res.StatusCode)
	}
	status, header, _ = raw(t, srv.NewClient(t), srv, http.MethodPost, "/logout",
		http.Header{"Cookie": {ck.Name + "=" + ck.Value}, "Sec-Fetch-Site": {"same-origin"}}, "")
	var cleared *http.Cookie
	for _, c := range (&http.Response{Header: header}).Cookies() {
		if c.Name == "__Secure-curfew" {
			cleared = c
		}
	}
	if status != http.StatusSeeOther || cleared == nil || cleared.MaxAge >= 0 || cleared.Domain != "example.com" {
		t.Errorf("sign-out: %d, clearing cookie %+v", status, cleared)
	}
}
