package words_test

import (
	"testing"

	"curfew/words"
)

func TestDevice(t *testing.T) {
	tests := []struct {
		name string
		api  bool
		ua   string
		want string
	}{
		{"browser", false, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128 on Windows"},
		{"script in a browser session", false, "curl/8.5.0", "curl 8"},
		{"no user agent", false, "", "Unrecognised browser"},
		{"blank user agent", false, "   ", "Unrecognised browser"},
		{"API client", true, "curl/8.5.0", "API client (curl 8)"},
		{"API client without a name", true, "", "API client (an unnamed program)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := words.Device(tt.api, tt.ua); got != tt.want {
				t.Errorf("Device(%v, %q) = %q, want %q", tt.api, tt.ua, got, tt.want)
			}
		})
	}
}

func TestExpiresBy(t *testing.T) {
	if got := words.ExpiresBy(true, 480); got != "8 hours after last activity" {
		t.Errorf("idle: %q", got)
	}
	if got := words.ExpiresBy(false, 20160); got != "14 days after sign-in" {
		t.Errorf("absolute: %q", got)
	}
}

func TestEnded(t *testing.T) {
	tests := []struct {
		reason  string
		minutes int
		by      string
		want    string
	}{
		{"idle", 30, "", "Signed out after 30 minutes of inactivity"},
		{"idle", 0, "", "Signed out after a period of inactivity"},
		{"absolute", 20160, "", "Ended because sessions last at most 14 days"},
		{"logout", 0, "Ana", "Signed out"},
		{"revoked", 0, "Olivia", "Ended by Olivia"},
		{"revoked", 0, "", "Ended by an account owner"},
		{"revoked_all", 0, "Olivia", "Signed out everywhere by Olivia"},
		{"revoked_others", 0, "Olivia", "Signed out everywhere by Olivia (everyone but them)"},
		{"something new", 0, "", "Ended"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			if got := words.Ended(tt.reason, tt.minutes, tt.by); got != tt.want {
				t.Errorf("Ended(%q, %d, %q) = %q, want %q", tt.reason, tt.minutes, tt.by, got, tt.want)
			}
		})
	}
}
