package words_test

import (
	"errors"
	"testing"
	"time"

	"curfew/words"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		unit    int
		want    int
		wantErr error
	}{
		{"90", 1, 90, nil},
		{" 90 ", 1, 90, nil},
		{"14", 1440, 20160, nil},
		{"8", 60, 480, nil},
		{"8h", 1, 480, nil},
		{"8 hours", 1440, 480, nil},
		{"14d", 1, 20160, nil},
		{"14 Days", 1, 20160, nil},
		{"90m", 1440, 90, nil},
		{"90 min", 60, 90, nil},
		{"1d 12h", 1, 2160, nil},
		{"1h30m", 1, 90, nil},
		{"2w", 1, 20160, nil},
		{"1 hour", 1, 60, nil},
		{"", 1, 0, words.ErrDurationEmpty},
		{"   ", 1, 0, words.ErrDurationEmpty},
		{"-5", 1, 0, words.ErrDurationNegative},
		{"+5", 1, 0, words.ErrDurationSign},
		{"1.5", 1, 0, words.ErrDurationDecimal},
		{"1,5h", 1, 0, words.ErrDurationDecimal},
		{"2.", 1, 0, words.ErrDurationDecimal},
		{".5", 1, 0, words.ErrDurationSyntax},
		{"99999999999999999999", 1, 0, words.ErrDurationTooLarge},
		{"999999999d", 1, 0, words.ErrDurationTooLarge},
		{"600000000m 600000000m", 1, 0, words.ErrDurationTooLarge},
		{"9x", 1, 0, words.ErrDurationUnit},
		{"0x3c", 1, 0, words.ErrDurationUnit},
		{"5 fortnights", 1, 0, words.ErrDurationUnit},
		{"1d 30", 1, 0, words.ErrDurationSyntax},
		{"abc", 1, 0, words.ErrDurationSyntax},
		{"６０", 1, 0, words.ErrDurationSyntax},
		{"h", 1, 0, words.ErrDurationSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := words.ParseDuration(tt.in, tt.unit)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("ParseDuration(%q, %d) = %d, %v; want %d, %v", tt.in, tt.unit, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestInUnit(t *testing.T) {
	tests := []struct {
		minutes int
		n       int
		unit    string
	}{
		{30, 30, "minutes"}, {90, 90, "minutes"}, {60, 1, "hours"}, {480, 8, "hours"},
		{1440, 1, "days"}, {20160, 14, "days"}, {2160, 36, "hours"}, {0, 0, "minutes"},
	}
	for _, tt := range tests {
		if n, unit := words.InUnit(tt.minutes); n != tt.n || unit != tt.unit {
			t.Errorf("InUnit(%d) = %d %s, want %d %s", tt.minutes, n, unit, tt.n, tt.unit)
		}
	}
	if got := words.Between(5, 43200); got != "between 5 minutes and 30 days" {
		t.Errorf("Between = %q", got)
	}
}

func TestWhen(t *testing.T) {
	now := time.Date(2026, 3, 18, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 3, 10, 12, 4, 59, 0, time.UTC), "Tue 10 Mar, 12:04 UTC"},
		{time.Date(2026, 3, 10, 13, 4, 0, 0, time.FixedZone("CET", 3600)), "Tue 10 Mar, 12:04 UTC"},
		{time.Date(2025, 12, 31, 23, 59, 0, 0, time.UTC), "Wed 31 Dec 2025, 23:59 UTC"},
	} {
		if got := words.When(tt.t, now); got != tt.want {
			t.Errorf("When(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}
