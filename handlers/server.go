// Package handlers is Curfew's HTTP layer: routes, middleware, pages and the
// JSON API, a file per resource or action. Handlers parse the request, call
// the policy rules and the store, fill the view model and render; they are
// small, return errors, and leave status codes and rendering of failures to
// one error handler. The rules live in policy, the words in words
// (docs/design.md, "Where things live").
package handlers

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"curfew/config"
	"curfew/internal/countcache"
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
	counts   *countcache.Cache
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
		counts:   countcache.New(),
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
