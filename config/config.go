// Package config reads Curfew's settings from the environment and refuses
// inconsistent ones with a message that names the variable.
package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"curfew/policy"
	"curfew/store"
)

// Config is everything the server needs that comes from outside.
type Config struct {
	DatabaseURL string
	Addr        string
	// MetricsAddr, when set, is the only listener serving /metrics
	// (CURFEW_METRICS_ADDR); empty keeps /metrics on Addr.
	MetricsAddr string
	// Dev allows plain-http cookies on loopback (CURFEW_ENV=dev).
	Dev bool
	// SessionKeys are cookie keys, newest first; older ones only verify.
	SessionKeys [][]byte
	Policy      policy.Settings
	// TrustedProxies are the networks whose X-Forwarded-For is believed.
	TrustedProxies []*net.IPNet
	// SessionRetention is how long ended sessions are kept before purging.
	SessionRetention time.Duration
	// AuditRetention is how long audit rows are kept; 0 keeps them forever.
	AuditRetention time.Duration
	// LoginLimitPerIP and LoginLimitPerAccount bound failed sign-ins per 15 minutes.
	LoginLimitPerIP      int
	LoginLimitPerAccount int
	// RequestTimeout bounds every request's database work (CURFEW_REQUEST_TIMEOUT).
	RequestTimeout time.Duration
	// AllowedOrigins are the origins (scheme://host[:port], normalised by
	// Origin) a sign-in may return to (CURFEW_ALLOWED_ORIGINS).
	AllowedOrigins []string
	// CookieDomain, when set, scopes the session cookie to a parent domain
	// shared with the product (CURFEW_COOKIE_DOMAIN).
	CookieDomain string
	// DBPooler is what sits in front of PostgreSQL (CURFEW_DB_POOLER): none,
	// session or transaction (docs/deploy.md).
	DBPooler store.Pooler
}

// Load reads the configuration through getenv and reports every problem at once.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{
		DatabaseURL:          getenv("DATABASE_URL"),
		Addr:                 getenv("CURFEW_ADDR"),
		MetricsAddr:          strings.TrimSpace(getenv("CURFEW_METRICS_ADDR")),
		Policy:               policy.DefaultSettings,
		SessionRetention:     30 * 24 * time.Hour,
		AuditRetention:       0,
		LoginLimitPerIP:      50,
		LoginLimitPerAccount: 10,
		RequestTimeout:       10 * time.Second,
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	switch env := getenv("CURFEW_ENV"); env {
	case "", "production":
	case "dev":
		c.Dev = true
	default:
		errs = append(errs, fmt.Errorf("CURFEW_ENV must be \"production\" or \"dev\", got %q", env))
	}

	intVar := func(name string, dst *int) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s must be a whole number, got %q", name, v))
			return
		}
		*dst = n
	}
	intVar("CURFEW_IDLE_DEFAULT_MINUTES", &c.Policy.IdleDefault)
	intVar("CURFEW_ABSOLUTE_DEFAULT_MINUTES", &c.Policy.AbsoluteDefault)
	intVar("CURFEW_IDLE_MIN_MINUTES", &c.Policy.IdleMin)
	intVar("CURFEW_IDLE_MAX_MINUTES", &c.Policy.IdleMax)
	intVar("CURFEW_ABSOLUTE_MIN_MINUTES", &c.Policy.AbsoluteMin)
	intVar("CURFEW_ABSOLUTE_MAX_MINUTES", &c.Policy.AbsoluteMax)
	intVar("CURFEW_LOGIN_LIMIT_PER_IP", &c.LoginLimitPerIP)
	intVar("CURFEW_LOGIN_LIMIT_PER_ACCOUNT", &c.LoginLimitPerAccount)
	if c.LoginLimitPerIP < 1 || c.LoginLimitPerAccount < 1 {
		errs = append(errs, errors.New("CURFEW_LOGIN_LIMIT_PER_IP and CURFEW_LOGIN_LIMIT_PER_ACCOUNT must be at least 1 (failed sign-ins allowed per 15 minutes)"))
	}
	if err := c.Policy.Check(); err != nil {
		errs = append(errs, fmt.Errorf("session policy settings (CURFEW_*_MINUTES): %w", err))
	}

	durVar := func(name string, dst *time.Duration) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return
		}
		d, err := parseDays(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			return
		}
		*dst = d
	}
	durVar("CURFEW_SESSION_RETENTION", &c.SessionRetention)
	durVar("CURFEW_AUDIT_RETENTION", &c.AuditRetention)
	if v := strings.TrimSpace(getenv("CURFEW_REQUEST_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("CURFEW_REQUEST_TIMEOUT must be a positive duration such as 10s, got %q", v))
		} else {
			c.RequestTimeout = d
		}
	}

	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("CURFEW_METRICS_ADDR must be host:port such as 127.0.0.1:9090, got %q", c.MetricsAddr))
		} else if c.MetricsAddr == c.Addr && port != "0" {
			errs = append(errs, fmt.Errorf("CURFEW_METRICS_ADDR must differ from CURFEW_ADDR (%s): it takes /metrics off the public address", c.Addr))
		}
	}
	var err error
	if c.AllowedOrigins, err = parseAllowedOrigins(getenv("CURFEW_ALLOWED_ORIGINS")); err != nil {
		errs = append(errs, err)
	}
	if c.CookieDomain, err = parseCookieDomain(getenv("CURFEW_COOKIE_DOMAIN")); err != nil {
		errs = append(errs, err)
	}
	if p, err := store.ParsePooler(strings.TrimSpace(getenv("CURFEW_DB_POOLER"))); err != nil {
		errs = append(errs, err)
	} else {
		c.DBPooler = p
	}

	keys, err := parseKeys(getenv("CURFEW_SESSION_KEYS"))
	if err != nil {
		errs = append(errs, err)
	}
	c.SessionKeys = keys

	for _, p := range strings.Split(getenv("CURFEW_TRUSTED_PROXIES"), ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		given := p
		if !strings.Contains(p, "/") {
			if strings.Contains(p, ":") {
				p += "/128"
			} else {
				p += "/32"
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("CURFEW_TRUSTED_PROXIES: %q is not an IP address or CIDR range", given))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}
	return c, errors.Join(errs...)
}

// NeedDatabase reports a missing DATABASE_URL; only commands that talk to the
// database call it.
func (c Config) NeedDatabase() error {
	if c.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set: give a PostgreSQL URL such as postgres://user@127.0.0.1:5432/curfew?sslmode=disable (make run sets one up)")
	}
	return nil
}

// NeedSessionKeys reports missing cookie keys; only serving needs them.
func (c Config) NeedSessionKeys() error {
	if len(c.SessionKeys) == 0 {
		return errors.New("CURFEW_SESSION_KEYS is not set: give one or more comma-separated keys of at least 32 bytes, newest first (for example: head -c 32 /dev/urandom | base64)")
	}
	return nil
}

// parseKeys accepts base64, hex or raw keys of at least 32 bytes each.
func parseKeys(v string) ([][]byte, error) {
	var keys [][]byte
	for i, raw := range strings.Split(v, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		key := decodeKey(raw)
		if len(key) < 32 {
			return nil, fmt.Errorf("CURFEW_SESSION_KEYS: key %d is %d bytes; each key needs at least 32 bytes (head -c 32 /dev/urandom | base64)", i+1, len(key))
		}
		keys = append(keys, key)
	}
	return keys, nil
}

func decodeKey(raw string) []byte {
	if len(raw) >= 64 && len(raw)%2 == 0 {
		if b, err := hex.DecodeString(raw); err == nil {
			return b
		}
	}
	if b, err := base64.StdEncoding.DecodeString(raw); err == nil && len(b) >= 32 {
		return b
	}
	if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(raw, "=")); err == nil && len(b) >= 32 {
		return b
	}
	return []byte(raw)
}

// parseDays reads a Go duration ("720h") or a number of days ("30d").
func parseDays(v string) (time.Duration, error) {
	if strings.HasSuffix(v, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(v, "d"))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a number of days such as 30d", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration such as 30d or 720h", v)
	}
	return d, nil
}
