package words_test

import (
	"testing"
	"time"

	"curfew/words"
)

func TestMinutes(t *testing.T) {
	tests := []struct {
		minutes int
		want    string
	}{
		{1, "1 minute"},
		{5, "5 minutes"},
		{30, "30 minutes"},
		{60, "1 hour"},
		{90, "1 hour 30 minutes"},
		{120, "2 hours"},
		{1440, "1 day"},
		{1500, "1 day 1 hour"},
		{20160, "14 days"},
		{43200, "30 days"},
		{129600, "90 days"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := words.Minutes(tt.minutes); got != tt.want {
				t.Errorf("Minutes(%d) = %q, want %q", tt.minutes, got, tt.want)
			}
		})
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 people", 1: "1 person", 2: "2 people"} {
		if got := words.Plural(n, "person", "people"); got != want {
			t.Errorf("Plural(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestList(t *testing.T) {
	tests := map[string][]string{"": nil, "A": {"A"}, "A and B": {"A", "B"}, "A, B and C": {"A", "B", "C"}}
	for want, names := range tests {
		if got := words.List(names); got != want {
			t.Errorf("List(%q) = %q, want %q", names, got, want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567", -1000: "-1,000", -100: "-100"} {
		if got := words.Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestShorten(t *testing.T) {
	if got := words.Shorten("short", 40); got != "short" {
		t.Errorf("a short string is changed: %q", got)
	}
	if got := words.Shorten("héllo", 2); got != "h…" {
		t.Errorf("cut inside a character: %q, want %q", got, "h…")
	}
}

func TestRelative(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	tests := []struct {
		from time.Duration // t - now: negative is the past
		want string
	}{
		{-59 * time.Second, "just now"},
		{-time.Minute, "1 minute ago"},
		{-59 * time.Minute, "59 minutes ago"},
		{-time.Hour, "1 hour ago"},
		{-23 * time.Hour, "23 hours ago"},
		{-day, "yesterday"},
		{-2 * day, "2 days ago"},
		{-29 * day, "29 days ago"},
		{-40 * day, "29 Jan 2026"},
		{30 * time.Second, "in under a minute"},
		{time.Minute, "in 1 minute"},
		{9 * time.Minute, "in 9 minutes"},
		{5 * time.Hour, "in 5 hours"},
		{30 * time.Hour, "tomorrow"},
		{13 * day, "in 13 days"},
		{60 * day, "9 May 2026"},
	}
	for _, tt := range tests {
		if got := words.Relative(now.Add(tt.from), now); got != tt.want {
			t.Errorf("Relative(now%+v) = %q, want %q", tt.from, got, tt.want)
		}
	}
	// Something that has happened, stamped by a clock a little ahead.
	if got := words.Ago(now.Add(time.Minute), now); got != "just now" {
		t.Errorf("Ago(a minute ahead) = %q, want just now", got)
	}
	if got := words.Ago(now.Add(-time.Hour), now); got != "1 hour ago" {
		t.Errorf("Ago(an hour back) = %q", got)
	}
}

func TestExact(t *testing.T) {
	at := time.Date(2026, 3, 10, 21, 4, 5, 0, time.FixedZone("JST", 9*3600))
	if got, want := words.Exact(at), "Tue 10 Mar 2026, 12:04:05 UTC"; got != want {
		t.Errorf("Exact = %q, want %q", got, want)
	}
}

func TestBrowser(t *testing.T) {
	tests := []struct {
		ua, browser, system, on string
	}{
		{"", "Unknown browser", "Unknown system", "Unknown browser"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
			"Chrome 126", "macOS", "Chrome 126 on macOS"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
			"Firefox 128", "Windows", "Firefox 128 on Windows"},
		{"curl/8.5.0", "curl 8", "Unknown system", "curl 8"},
	}
	for _, tt := range tests {
		b, s := words.Browser(tt.ua)
		if b != tt.browser || s != tt.system {
			t.Errorf("Browser(%q) = %q, %q; want %q, %q", tt.ua, b, s, tt.browser, tt.system)
		}
		if got := words.BrowserOn(tt.ua); got != tt.on {
			t.Errorf("BrowserOn(%q) = %q, want %q", tt.ua, got, tt.on)
		}
	}
}
