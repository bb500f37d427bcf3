// Package handlers is Curfew's HTTP layer: routes, middleware, pages and the
// JSON API. Handlers are small, return errors, and leave status codes and
// rendering of failures to one error handler.
package handlers

import (
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"curfew/config"
	"curfew/policy"
	"curfew/store"
)

// Deps is everything the HTTP layer needs from outside.
type Deps struct {
	Store  *store.Store
	Config config.Config
	Logger *slog.Logger
	// Now is the clock; tests may fix it.
	Now func() time.Time
	// Registry collects the Prometheus metrics served on /metrics.
	Registry *prometheus.Registry
}

// Server holds the dependencies the handlers share.
type Server struct {
	store    *store.Store
	cfg      config.Config
	settings policy.Settings
	log      *slog.Logger
	now      func() time.Time
	cookies  *sessions.CookieStore
	cookie   string
	metrics  *metrics
	registry *prometheus.Registry
	counts   *countsCache
}

// New builds the Echo server with every route and middleware.
func New(d Deps) (*echo.Echo, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	if len(d.Config.SessionKeys) == 0 {
		return nil, fmt.Errorf("no session cookie keys configured")
	}
	s := &Server{
		store:    d.Store,
		cfg:      d.Config,
		settings: d.Config.Policy,
		log:      d.Logger,
		now:      d.Now,
		registry: d.Registry,
		counts:   newCountsCache(),
	}
	s.cookies, s.cookie = newCookieStore(d.Config)
	m, err := newMetrics(d.Registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = ipExtractor(d.Config)
	if err := s.routes(e); err != nil {
		return nil, err
	}
	return e, nil
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

func ipExtractor(cfg config.Config) echo.IPExtractor {
	if len(cfg.TrustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range cfg.TrustedProxies {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
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
