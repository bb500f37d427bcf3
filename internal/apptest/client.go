package apptest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Client is one browser-like HTTP client: its own cookie jar, no automatic
// redirects, and the CSRF token of its last page or /api/session.
type Client struct {
	t    testing.TB
	srv  *Server
	HTTP *http.Client
	CSRF string
}

// NewClient makes a client with an empty cookie jar.
func (s *Server) NewClient(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, srv: s, HTTP: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// SameBrowser is a client of this server with c's cookies and CSRF token: the
// same browser, served by another instance (both listen on 127.0.0.1, so
// one cookie jar serves both).
func (s *Server) SameBrowser(t testing.TB, c *Client) *Client {
	b := s.NewClient(t)
	b.HTTP.Jar, b.CSRF = c.HTTP.Jar, c.CSRF
	return b
}

// Login signs in through the real form and fails the test unless it works.
func (s *Server) Login(t testing.TB, email, pw string) *Client {
	t.Helper()
	c := s.NewClient(t)
	res := c.LoginAs(email, pw)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: status %d, want 303\n%s", email, res.StatusCode, res.Body)
	}
	c.RefreshCSRF()
	return c
}

// LoginAs posts the login form and returns the answer.
func (c *Client) LoginAs(email, pw string) *Response {
	c.t.Helper()
	if page := c.Get("/login"); page.StatusCode == http.StatusOK {
		c.CSRF = page.FormCSRF()
	}
	return c.PostForm("/login", url.Values{"email": {email}, "password": {pw}})
}

// RefreshCSRF reads the CSRF token from /api/session.
func (c *Client) RefreshCSRF() {
	c.t.Helper()
	res := c.Get("/api/session")
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("GET /api/session: %d %s", res.StatusCode, res.Body)
	}
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	res.JSON(&body)
	c.CSRF = body.CSRF
}

// Response is a read answer.
type Response struct {
	t          testing.TB
	StatusCode int
	Header     http.Header
	Body       string
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r *Response) JSON(v any) {
	r.t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		r.t.Fatalf("decode JSON (status %d): %v\n%s", r.StatusCode, err, r.Body)
	}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// FormCSRF is the CSRF token of the first form in an HTML page.
func (r *Response) FormCSRF() string {
	m := csrfField.FindStringSubmatch(r.Body)
	if m == nil {
		r.t.Fatalf("no _csrf field in page (status %d)", r.StatusCode)
	}
	return m[1]
}

// Do sends a request with the client's cookies; the CSRF header is added to
// unsafe methods unless the caller set one.
func (c *Client) Do(method, path string, body io.Reader, header http.Header) *Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if method != http.MethodGet && method != http.MethodHead && header.Get("X-CSRF-Token") == "" && c.CSRF != "" {
		if _, skip := header["X-CSRF-Token"]; !skip {
			req.Header.Set("X-CSRF-Token", c.CSRF)
		}
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &Response{t: c.t, StatusCode: res.StatusCode, Header: res.Header, Body: string(b)}
}

// Get fetches a path.
func (c *Client) Get(path string) *Response { return c.Do(http.MethodGet, path, nil, nil) }

// GetHTMX fetches a path as htmx would.
func (c *Client) GetHTMX(path string) *Response {
	return c.Do(http.MethodGet, path, nil, http.Header{"Hx-Request": {"true"}})
}

// PostForm posts a urlencoded form with the client's CSRF token in _csrf.
func (c *Client) PostForm(path string, form url.Values) *Response {
	return c.postForm(path, form, nil)
}

// PostFormHTMX posts a form as htmx would (token in the header).
func (c *Client) PostFormHTMX(path string, form url.Values) *Response {
	return c.postForm(path, form, http.Header{"Hx-Request": {"true"}})
}

func (c *Client) postForm(path string, form url.Values, h http.Header) *Response {
	c.t.Helper()
	if h == nil {
		h = http.Header{}
	}
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" && c.CSRF != "" {
		form.Set("_csrf", c.CSRF)
	}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(http.MethodPost, path, strings.NewReader(form.Encode()), h)
}

// SendJSON sends a JSON body (a string is sent as is, anything else encoded).
func (c *Client) SendJSON(method, path string, body any) *Response {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	return c.Do(method, path, r, http.Header{"Content-Type": {"application/json"}})
}
