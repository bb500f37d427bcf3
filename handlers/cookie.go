package handlers

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"curfew/config"
)

// The session cookie holds one value, the session token, signed and
// encrypted by gorilla/sessions with keys derived from CURFEW_SESSION_KEYS.
// The database keeps only the token's hash (docs/security.md).

// cookieToken is the name of the token's value inside the cookie.
const cookieToken = "t"

// newToken returns a fresh 256-bit session token and the hash stored for it.
func newToken() (token string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// readToken returns the session token in the request's cookie, or "" when
// there is none or it fails to verify (tampered, unknown key).
func (s *Server) readToken(c echo.Context) string {
	// Decoded as the cookie store would, without its per-request registry:
	// /auth/verify reads this on every request to the product.
	ck, err := c.Request().Cookie(s.cookie)
	if err != nil {
		return ""
	}
	values := map[any]any{}
	if err := securecookie.DecodeMulti(s.cookie, ck.Value, &values, s.cookies.Codecs...); err != nil {
		return ""
	}
	token, _ := values[cookieToken].(string)
	return token
}

func (s *Server) writeToken(c echo.Context, token string, maxAge int) error {
	if bearerRequest(c.Request()) {
		return nil // an API client's session has no cookie
	}
	sess, _ := s.cookies.New(c.Request(), s.cookie)
	sess.Values[cookieToken] = token
	sess.Options.MaxAge = maxAge
	return sess.Save(c.Request(), c.Response())
}

func (s *Server) clearToken(c echo.Context) {
	if bearerRequest(c.Request()) {
		return // an API client's session has no cookie
	}
	sess, _ := s.cookies.New(c.Request(), s.cookie)
	sess.Options.MaxAge = -1
	_ = sess.Save(c.Request(), c.Response())
}

// newCookieStore derives, for each configured key, an HMAC key and an AES key,
// newest first: new cookies use the first pair, and older pairs still decode
// until their key is removed from CURFEW_SESSION_KEYS.
func newCookieStore(cfg config.Config) (*sessions.CookieStore, string) {
	var pairs [][]byte
	for _, k := range cfg.SessionKeys {
		hashKey := sha256.Sum256(append([]byte("curfew cookie hmac\x00"), k...))
		blockKey := sha256.Sum256(append([]byte("curfew cookie aes\x00"), k...))
		pairs = append(pairs, hashKey[:], blockKey[:])
	}
	cs := sessions.NewCookieStore(pairs...)
	for _, c := range cs.Codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.SetSerializer(tokenSerializer{})
		}
	}
	// __Host- binds the cookie to Curfew's own host; a cookie shared with
	// the product's hosts (CURFEW_COOKIE_DOMAIN) can only be __Secure-.
	name := "__Host-curfew"
	if cfg.CookieDomain != "" {
		name = "__Secure-curfew"
	}
	if cfg.Dev {
		name = "curfew"
	}
	cs.Options = &sessions.Options{
		Domain:   cfg.CookieDomain,
		Path:     "/",
		HttpOnly: true,
		Secure:   !cfg.Dev,
		SameSite: http.SameSiteLaxMode,
		MaxAge:   cfg.Policy.AbsoluteMax * 60,
	}
	cs.MaxAge(cfg.Policy.AbsoluteMax * 60)
	return cs, name
}

// tokenSerializer stores the cookie's only value, the session token, as its
// bytes. gorilla's default, gob, builds a decoder for every request, which
// cost about a fifth of an authenticated request's CPU time.
type tokenSerializer struct{}

func (tokenSerializer) Serialize(src interface{}) ([]byte, error) {
	m, ok := src.(map[interface{}]interface{})
	if !ok {
		return nil, fmt.Errorf("cookie values are a %T", src)
	}
	if len(m) == 0 {
		return []byte{}, nil // a cookie being cleared
	}
	t, ok := m[cookieToken].(string)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("a session cookie holds the token only, got %d values", len(m))
	}
	return []byte(t), nil
}

func (tokenSerializer) Deserialize(src []byte, dst interface{}) error {
	m, ok := dst.(*map[interface{}]interface{})
	if !ok {
		return fmt.Errorf("cannot decode a session cookie into %T", dst)
	}
	*m = map[interface{}]interface{}{}
	if len(src) > 0 {
		(*m)[cookieToken] = string(src)
	}
	return nil
}
