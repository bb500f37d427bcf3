package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"curfew/internal/apptest"
)

// Owners type limits with a unit, chosen beside the number or typed after
// it; the form still posts idle_minutes and absolute_minutes, and a number
// without a unit is minutes, as before.
func TestPolicyFormTakesUnits(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	tests := []struct {
		name           string
		form           url.Values
		idle, absolute int
	}{
		{"plain minutes, no unit fields", customForm("90", "480"), 90, 480},
		{"units chosen", url.Values{"preset": {"custom"}, "idle_minutes": {"2"}, "idle_unit": {"hours"},
			"absolute_minutes": {"7"}, "absolute_unit": {"days"}}, 120, 10080},
		{"units typed", customForm("8h", "7d"), 480, 10080},
		{"a typed unit wins over the choice", url.Values{"preset": {"custom"}, "idle_minutes": {"90m"}, "idle_unit": {"days"},
			"absolute_minutes": {"1d 12h"}, "absolute_unit": {"minutes"}}, 90, 2160},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			team := apptest.NewTeam(t, srv.Store)
			c := srv.Login(t, team.Owner.Email, apptest.Password)
			if res := c.PostFormHTMX("/settings/security/policy", tt.form); res.StatusCode != http.StatusOK {
				t.Fatalf("save: %d\n%s", res.StatusCode, res.Body)
			}
			wantOverrides(t, srv.Store, team.Account.ID, ptrInt(tt.idle), ptrInt(tt.absolute))
		})
	}
}

func TestPolicyFormShowsLimitsInTheirUnit(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	if _, err := srv.Store.DB().Exec(`UPDATE accounts SET idle_minutes = 480, absolute_minutes = 20160 WHERE id = $1`, team.Account.ID); err != nil {
		t.Fatal(err)
	}
	doc := htmlDoc(t, c.Get("/settings/security").Body)
	for _, tt := range []struct{ id, value, unit string }{
		{"policy-idle", "8", "hours"},
		{"policy-absolute", "14", "days"},
	} {
		if got := attrOf(nodeByID(t, doc, tt.id), "value"); got != tt.value {
			t.Errorf("%s value = %q, want %q", tt.id, got, tt.value)
		}
		if got := selectedOption(doc, tt.id+"-unit"); got != tt.unit {
			t.Errorf("%s unit = %q, want %q", tt.id, got, tt.unit)
		}
	}
}

// The error says what is wrong with the value, not the hint again; a bad
// unit choice is named.
func TestPolicyFormErrorsAddToTheHint(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	for _, tt := range []struct {
		name  string
		form  url.Values
		field string
		want  string
	}{
		{"below the minimum", customForm("4", "8h"), "policy-idle", "4 minutes is too short"},
		{"above the maximum", customForm("31d", "90d"), "policy-idle", "31 days is too long: the idle timeout can be at most 30 days."},
		{"unknown unit typed", customForm("5 fortnights", "8h"), "policy-idle", "for example 90m, 8h or 14d"},
		{"unknown unit chosen", url.Values{"preset": {"custom"}, "idle_minutes": {"5"}, "idle_unit": {"weeks"},
			"absolute_minutes": {"8h"}}, "policy-idle", "Choose minutes, hours or days for the idle timeout."},
		{"unit sent twice", url.Values{"preset": {"custom"}, "idle_minutes": {"5"}, "idle_unit": {"hours", "days"},
			"absolute_minutes": {"8h"}}, "policy-idle", "sent 2 times"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := c.PostForm("/settings/security/policy", tt.form)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.StatusCode)
			}
			doc := htmlDoc(t, res.Body)
			errText := nodeText(nodeByID(t, doc, tt.field+"-error"))
			hint := nodeText(nodeByID(t, doc, tt.field+"-hint"))
			if !strings.Contains(errText, tt.want) {
				t.Errorf("error = %q, want %q", errText, tt.want)
			}
			if strings.Contains(errText, "Between") || strings.Contains(hint, errText) {
				t.Errorf("error %q repeats the hint %q", errText, hint)
			}
		})
	}
	wantOverrides(t, srv.Store, team.Account.ID, nil, nil)
}

// While the owner types, a field they have just emptied is not flagged: the
// live preview waits for it. Saving it empty is still refused.
func TestPolicyPreviewDoesNotFlagAnEmptyFieldWhileTyping(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	res := c.PostFormHTMX("/settings/security/policy/preview", customForm("", "8h"))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d\n%s", res.StatusCode, res.Body)
	}
	doc := htmlDoc(t, res.Body)
	if got := nodeText(nodeByID(t, doc, "policy-idle-error")); got != "" {
		t.Errorf("empty idle flagged while typing: %q", got)
	}
	nodeByTestID(t, doc, "preview-incomplete")
	// Another field's real problem is still reported beside it.
	res = c.PostFormHTMX("/settings/security/policy/preview", customForm("", "8x"))
	if got := nodeText(nodeByID(t, htmlDoc(t, res.Body), "policy-absolute-error")); res.StatusCode != http.StatusUnprocessableEntity || got == "" {
		t.Errorf("bad absolute while idle is empty: %d %q", res.StatusCode, got)
	}
	// Leaving the empty field (app.js names it in _left) flags it.
	left := customForm("", "8h")
	left.Set("_left", "idle_minutes")
	res = c.PostFormHTMX("/settings/security/policy/preview", left)
	if got := nodeText(nodeByID(t, htmlDoc(t, res.Body), "policy-idle-error")); res.StatusCode != http.StatusUnprocessableEntity || got != "Enter the idle timeout." {
		t.Errorf("preview after leaving the empty idle: %d %q", res.StatusCode, got)
	}
	res = c.PostForm("/settings/security/policy", customForm("", "8h"))
	if got := nodeText(nodeByID(t, htmlDoc(t, res.Body), "policy-idle-error")); res.StatusCode != http.StatusUnprocessableEntity || got != "Enter the idle timeout." {
		t.Errorf("save with empty idle: %d %q", res.StatusCode, got)
	}
}
