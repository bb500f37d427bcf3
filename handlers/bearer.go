package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"curfew/store"
)

// apiTokenPrefix starts every API token, so a token pasted somewhere it should
// not be is easy to recognise (secret scanners, logs).
const apiTokenPrefix = "curfew_"

// apiTokenLen is the length of a token: the prefix and 32 random bytes in
// unpadded base64url.
const apiTokenLen = len(apiTokenPrefix) + 43

// newAPIToken returns a fresh bearer token and the hash stored for it.
func newAPIToken() (token string, hash []byte, err error) {
	raw, _, err := newToken()
	if err != nil {
		return "", nil, err
	}
	token = apiTokenPrefix + raw
	return token, hashToken(token), nil
}

// takesBearer says whether a route accepts Authorization: Bearer: the JSON
// API and the proxy check. Pages are for browsers and read the cookie only.
func takesBearer(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/api/") || p == "/auth/verify"
}

// bearerRequest says whether a request authenticates with a bearer token
// instead of the cookie. Such a request is authenticated by its header alone
// (the cookie is not read), which is why it needs no CSRF token: a browser
// never adds an Authorization header of its own to a cross-site request.
func bearerRequest(r *http.Request) bool {
	_, sent := r.Header["Authorization"]
	return sent && takesBearer(r)
}

// requestToken is the session token a request carries and how: the bearer
// token when the route takes one and the request sends an Authorization
// header (then only that header counts, valid or not, so a cookie never
// authenticates a request that skipped the CSRF check), else the cookie's.
// A malformed header, or a token in the query string, is a 401 that says so.
func (s *Server) requestToken(c echo.Context) (token, client string, err error) {
	r := c.Request()
	if !takesBearer(r) {
		return s.readToken(c), store.ClientBrowser, nil
	}
	if r.URL.RawQuery != "" && c.QueryParams().Has("access_token") {
		return "", store.ClientAPI, &Error{Status: http.StatusUnauthorized, Code: "token_in_url",
			Message: "Send the token in the Authorization header (Authorization: Bearer <token>), never in the URL, where logs and browser history keep it."}
	}
	if !bearerRequest(r) {
		return s.readToken(c), store.ClientBrowser, nil
	}
	token, ok := parseBearer(r.Header.Values("Authorization"))
	if !ok {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer error="invalid_request"`)
		return "", store.ClientAPI, &Error{Status: http.StatusUnauthorized, Code: "invalid_authorization",
			Message: "The Authorization header must be \"Bearer \" followed by a token from POST /api/session."}
	}
	return token, store.ClientAPI, nil
}

// parseBearer reads the one Authorization header as "Bearer <token>" (the
// scheme in any case, RFC 9110) with a token of Curfew's own shape. Anything
// else, however long, is refused without being looked up.
func parseBearer(values []string) (string, bool) {
	if len(values) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || len(token) != apiTokenLen || !strings.HasPrefix(token, apiTokenPrefix) {
		return "", false
	}
	for i := len(apiTokenPrefix); i < len(token); i++ {
		ch := token[i]
		if !('a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || ch == '-' || ch == '_') {
			return "", false
		}
	}
	return token, true
}
