package handlers_test

import (
	"net/http"
	"net/url"
	"testing"

	"curfew/internal/apptest"
)

// A failed sign-in's message is tied to the inputs it is about.
func TestLoginErrorDescribesItsInputs(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	for _, tt := range []struct {
		name string
		form url.Values
	}{
		{"wrong password", url.Values{"email": {team.Owner.Email}, "password": {"wrong"}}},
		{"empty", url.Values{"email": {""}, "password": {""}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := srv.NewClient(t)
			res := c.LoginAs(tt.form.Get("email"), tt.form.Get("password"))
			if res.StatusCode < 400 || res.StatusCode >= 500 {
				t.Fatalf("status %d, want a 4xx", res.StatusCode)
			}
			doc := htmlDoc(t, res.Body)
			if nodeText(nodeByID(t, doc, "login-error")) == "" {
				t.Fatal("no message")
			}
			for _, id := range []string{"email", "password"} {
				in := nodeByID(t, doc, id)
				if attrOf(in, "aria-invalid") != "true" || attrOf(in, "aria-describedby") != "login-error" {
					t.Errorf("#%s: aria-invalid=%q aria-describedby=%q", id, attrOf(in, "aria-invalid"), attrOf(in, "aria-describedby"))
				}
			}
		})
	}
	t.Run("no error, no aria-invalid", func(t *testing.T) {
		doc := htmlDoc(t, srv.NewClient(t).Get("/login").Body)
		if in := nodeByID(t, doc, "email"); attrOf(in, "aria-invalid") != "" || attrOf(in, "aria-describedby") != "" {
			t.Errorf("a fresh form marks the email invalid")
		}
	})
}

// After a failed save the first invalid field takes the focus (with and
// without JavaScript), not the summary far above it.
func TestFailedPolicySaveFocusesTheFirstInvalidField(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	for _, tt := range []struct {
		name  string
		form  url.Values
		focus string
	}{
		{"idle and absolute", customForm("x", "y"), "policy-idle"},
		{"absolute only", customForm("60", "y"), "policy-absolute"},
		{"preset", url.Values{"preset": {"lenient"}}, "policy-preset-strict"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := c.PostForm("/settings/security/policy", tt.form)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", res.StatusCode)
			}
			doc := htmlDoc(t, res.Body)
			for _, id := range []string{"policy-preset-strict", "policy-idle", "policy-absolute"} {
				n := nodeByID(t, doc, id)
				got := nodeAttr(n, "autofocus") != nil && nodeAttr(n, "data-autofocus") != nil
				if got != (id == tt.focus) {
					t.Errorf("#%s autofocus=%v, want %v", id, got, id == tt.focus)
				}
			}
			if nodeAttr(nodeByTestID(t, doc, "policy-errors"), "data-autofocus") != nil {
				t.Error("the summary still takes the focus")
			}
		})
	}
}
