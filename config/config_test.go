package config_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"curfew/config"
	"curfew/policy"
)

// getenv serves variables from a map, so tests never read the real environment.
func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// key is a base64 32-byte key filled with b.
func key(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

func TestLoadDefaults(t *testing.T) {
	c, err := config.Load(getenv(nil))
	if err != nil {
		t.Fatalf("Load with nothing set: %v", err)
	}
	if c.Addr != "127.0.0.1:8080" {
		t.Errorf("Addr = %q, want 127.0.0.1:8080", c.Addr)
	}
	if c.Policy != policy.DefaultSettings {
		t.Errorf("Policy = %+v, want %+v", c.Policy, policy.DefaultSettings)
	}
	if c.Dev {
		t.Error("Dev = true, want false")
	}
	if c.DatabaseURL != "" {
		t.Errorf("DatabaseURL = %q, want empty", c.DatabaseURL)
	}
	if len(c.SessionKeys) != 0 {
		t.Errorf("SessionKeys = %d keys, want none", len(c.SessionKeys))
	}
	if len(c.TrustedProxies) != 0 {
		t.Errorf("TrustedProxies = %v, want none", c.TrustedProxies)
	}
	if c.SessionRetention != 30*24*time.Hour {
		t.Errorf("SessionRetention = %v, want 720h", c.SessionRetention)
	}
	if c.AuditRetention != 0 {
		t.Errorf("AuditRetention = %v, want 0 (keep forever)", c.AuditRetention)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c config.Config)
	}{
		{
			name: "dev",
			env:  map[string]string{"CURFEW_ENV": "dev"},
			check: func(t *testing.T, c config.Config) {
				if !c.Dev {
					t.Error("Dev = false, want true")
				}
			},
		},
		{
			name: "production",
			env:  map[string]string{"CURFEW_ENV": "production"},
			check: func(t *testing.T, c config.Config) {
				if c.Dev {
					t.Error("Dev = true, want false")
				}
			},
		},
		{
			name: "address and database",
			env:  map[string]string{"CURFEW_ADDR": ":9000", "DATABASE_URL": "postgres://u@h/db"},
			check: func(t *testing.T, c config.Config) {
				if c.Addr != ":9000" || c.DatabaseURL != "postgres://u@h/db" {
					t.Errorf("Addr, DatabaseURL = %q, %q", c.Addr, c.DatabaseURL)
				}
			},
		},
		{
			name: "consistent policy settings",
			env: map[string]string{
				"CURFEW_IDLE_DEFAULT_MINUTES":     " 60 ",
				"CURFEW_ABSOLUTE_DEFAULT_MINUTES": "1440",
				"CURFEW_IDLE_MIN_MINUTES":         "10",
				"CURFEW_IDLE_MAX_MINUTES":         "720",
				"CURFEW_ABSOLUTE_MIN_MINUTES":     "120",
				"CURFEW_ABSOLUTE_MAX_MINUTES":     "10080",
			},
			check: func(t *testing.T, c config.Config) {
				want := policy.Settings{IdleDefault: 60, AbsoluteDefault: 1440, IdleMin: 10, IdleMax: 720, AbsoluteMin: 120, AbsoluteMax: 10080}
				if c.Policy != want {
					t.Errorf("Policy = %+v, want %+v", c.Policy, want)
				}
			},
		},
		{
			name: "one base64 session key",
			env:  map[string]string{"CURFEW_SESSION_KEYS": key(1)},
			check: func(t *testing.T, c config.Config) {
				if len(c.SessionKeys) != 1 || !bytes.Equal(c.SessionKeys[0], bytes.Repeat([]byte{1}, 32)) {
					t.Errorf("SessionKeys = %x, want one key of 32 0x01 bytes", c.SessionKeys)
				}
			},
		},
		{
			name: "two session keys kept in order",
			env:  map[string]string{"CURFEW_SESSION_KEYS": key(2) + ", " + key(1)},
			check: func(t *testing.T, c config.Config) {
				if len(c.SessionKeys) != 2 {
					t.Fatalf("SessionKeys = %d keys, want 2", len(c.SessionKeys))
				}
				if c.SessionKeys[0][0] != 2 || c.SessionKeys[1][0] != 1 {
					t.Errorf("SessionKeys = %x, want the 0x02 key first", c.SessionKeys)
				}
			},
		},
		{
			name: "trusted proxies: an IP and a CIDR",
			env:  map[string]string{"CURFEW_TRUSTED_PROXIES": "10.0.0.7, 192.168.0.0/16,::1"},
			check: func(t *testing.T, c config.Config) {
				var got []string
				for _, n := range c.TrustedProxies {
					got = append(got, n.String())
				}
				if want := "10.0.0.7/32 192.168.0.0/16 ::1/128"; strings.Join(got, " ") != want {
					t.Errorf("TrustedProxies = %q, want %q", got, want)
				}
			},
		},
		{
			name: "retention in days",
			env:  map[string]string{"CURFEW_SESSION_RETENTION": "30d", "CURFEW_AUDIT_RETENTION": "365d"},
			check: func(t *testing.T, c config.Config) {
				if c.SessionRetention != 720*time.Hour || c.AuditRetention != 365*24*time.Hour {
					t.Errorf("SessionRetention, AuditRetention = %v, %v; want 720h, 8760h", c.SessionRetention, c.AuditRetention)
				}
			},
		},
		{
			name: "retention as a Go duration",
			env:  map[string]string{"CURFEW_SESSION_RETENTION": "720h"},
			check: func(t *testing.T, c config.Config) {
				if c.SessionRetention != 720*time.Hour {
					t.Errorf("SessionRetention = %v, want 720h", c.SessionRetention)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(getenv(tt.env))
			if err != nil {
				t.Fatalf("Load(%v): %v", tt.env, err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoadRefuses(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings the error must contain
	}{
		{
			name: "unknown CURFEW_ENV",
			env:  map[string]string{"CURFEW_ENV": "staging"},
			want: []string{"CURFEW_ENV", `"staging"`},
		},
		{
			name: "non-numeric policy variable",
			env:  map[string]string{"CURFEW_IDLE_MAX_MINUTES": "lots"},
			want: []string{"CURFEW_IDLE_MAX_MINUTES", `"lots"`},
		},
		{
			name: "policy default below its minimum",
			env:  map[string]string{"CURFEW_IDLE_DEFAULT_MINUTES": "1"},
			want: []string{"session policy settings", "idle default 1 must lie within its minimum 5"},
		},
		{
			name: "idle default above absolute default",
			env:  map[string]string{"CURFEW_IDLE_DEFAULT_MINUTES": "30000"},
			want: []string{"idle default 30000 must not exceed absolute default 20160"},
		},
		{
			name: "short session key",
			env:  map[string]string{"CURFEW_SESSION_KEYS": base64.StdEncoding.EncodeToString(make([]byte, 16))},
			want: []string{"CURFEW_SESSION_KEYS", "key 1", "at least 32 bytes"},
		},
		{
			name: "second session key short",
			env:  map[string]string{"CURFEW_SESSION_KEYS": key(1) + ",tooshort"},
			want: []string{"CURFEW_SESSION_KEYS", "key 2"},
		},
		{
			name: "garbage trusted proxy",
			env:  map[string]string{"CURFEW_TRUSTED_PROXIES": "10.0.0.1,not-an-ip"},
			want: []string{"CURFEW_TRUSTED_PROXIES", "not-an-ip"},
		},
		{
			name: "bad CIDR",
			env:  map[string]string{"CURFEW_TRUSTED_PROXIES": "10.0.0.0/33"},
			want: []string{"CURFEW_TRUSTED_PROXIES", "10.0.0.0/33"},
		},
		{
			name: "retention not a duration",
			env:  map[string]string{"CURFEW_SESSION_RETENTION": "abc"},
			want: []string{"CURFEW_SESSION_RETENTION", `"abc"`},
		},
		{
			name: "retention not a number of days",
			env:  map[string]string{"CURFEW_AUDIT_RETENTION": "xd"},
			want: []string{"CURFEW_AUDIT_RETENTION", `"xd"`},
		},
		{
			name: "negative retention",
			env:  map[string]string{"CURFEW_SESSION_RETENTION": "-1h"},
			want: []string{"CURFEW_SESSION_RETENTION"},
		},
		{
			name: "metrics address without a port",
			env:  map[string]string{"CURFEW_METRICS_ADDR": "127.0.0.1"},
			want: []string{"CURFEW_METRICS_ADDR", `"127.0.0.1"`},
		},
		{
			name: "metrics address the public one",
			env:  map[string]string{"CURFEW_ADDR": "127.0.0.1:8080", "CURFEW_METRICS_ADDR": "127.0.0.1:8080"},
			want: []string{"CURFEW_METRICS_ADDR", "must differ from CURFEW_ADDR"},
		},
		{
			name: "every problem at once",
			env: map[string]string{
				"CURFEW_ENV":                  "staging",
				"CURFEW_ABSOLUTE_MAX_MINUTES": "x",
				"CURFEW_SESSION_KEYS":         "short",
			},
			want: []string{"CURFEW_ENV", "CURFEW_ABSOLUTE_MAX_MINUTES", "CURFEW_SESSION_KEYS"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(getenv(tt.env))
			if err == nil {
				t.Fatalf("Load(%v) = nil error, want one containing %q", tt.env, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Load(%v) error %q does not contain %q", tt.env, err, w)
				}
			}
		})
	}
}

func TestNeed(t *testing.T) {
	var empty config.Config
	if err := empty.NeedDatabase(); err == nil || !strings.Contains(err.Error(), "DATABASE_URL is not set") {
		t.Errorf("NeedDatabase() without a URL = %v, want it to name DATABASE_URL", err)
	}
	if err := empty.NeedSessionKeys(); err == nil || !strings.Contains(err.Error(), "CURFEW_SESSION_KEYS is not set") {
		t.Errorf("NeedSessionKeys() without keys = %v, want it to name CURFEW_SESSION_KEYS", err)
	}
	full, err := config.Load(getenv(map[string]string{"DATABASE_URL": "postgres://u@h/db", "CURFEW_SESSION_KEYS": key(3)}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := full.NeedDatabase(); err != nil {
		t.Errorf("NeedDatabase() with a URL = %v, want nil", err)
	}
	if err := full.NeedSessionKeys(); err != nil {
		t.Errorf("NeedSessionKeys() with a key = %v, want nil", err)
	}
}
