package config_test

import (
	"strings"
	"testing"

	"curfew/config"
)

func TestAllowedOrigins(t *testing.T) {
	c, err := config.Load(getenv(map[string]string{
		"CURFEW_ALLOWED_ORIGINS": " https://App.Example.com , http://localhost:3000,https://app.example.com:443/,http://[::1]:8080",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://app.example.com", "http://localhost:3000", "https://app.example.com", "http://[::1]:8080"}
	if strings.Join(c.AllowedOrigins, " ") != strings.Join(want, " ") {
		t.Errorf("AllowedOrigins = %q, want %q", c.AllowedOrigins, want)
	}
	for _, bad := range []string{
		"app.example.com", "ftp://app.example.com", "https://app.example.com/path", "https://user@app.example.com",
		"https://app.example.com?x=1", "https://", "javascript:alert(1)", "https://exa mple.com", "https://app_example.com",
	} {
		t.Run(bad, func(t *testing.T) {
			_, err := config.Load(getenv(map[string]string{"CURFEW_ALLOWED_ORIGINS": "https://ok.example.com," + bad}))
			if err == nil || !strings.Contains(err.Error(), "CURFEW_ALLOWED_ORIGINS") || !strings.Contains(err.Error(), bad) {
				t.Errorf("Load(%q) = %v, want an error naming the variable and the value", bad, err)
			}
		})
	}
}

func TestCookieDomain(t *testing.T) {
	for given, want := range map[string]string{"": "", "example.com": "example.com", ".Example.COM": "example.com", "corp.example.co.uk": "corp.example.co.uk"} {
		c, err := config.Load(getenv(map[string]string{"CURFEW_COOKIE_DOMAIN": given}))
		if err != nil || c.CookieDomain != want {
			t.Errorf("CURFEW_COOKIE_DOMAIN=%q: %q, %v; want %q", given, c.CookieDomain, err, want)
		}
	}
	for _, bad := range []string{"com", "co.uk", "github.io", "localhost", "https://example.com", "example.com:443", "example.com/", "exa mple.com", "-example.com", "127.0.0.1"} {
		t.Run(bad, func(t *testing.T) {
			_, err := config.Load(getenv(map[string]string{"CURFEW_COOKIE_DOMAIN": bad}))
			if err == nil || !strings.Contains(err.Error(), "CURFEW_COOKIE_DOMAIN") {
				t.Errorf("CURFEW_COOKIE_DOMAIN=%q accepted (%v)", bad, err)
			}
		})
	}
}
