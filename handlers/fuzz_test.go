package handlers_test

// Fuzz tests: `go test` runs each seed corpus once; `go test -fuzz=FuzzX
// ./handlers/` explores further (with CURFEW_TEST_DATABASE_URL set, as for
// every test here). The invariants: never a panic or a 5xx, the documented
// status for each kind of input, and nothing accepted outside the policy's
// bounds or different from what was sent; a refused input changes nothing.

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"curfew/handlers"
	"curfew/internal/apptest"
)

// policyState is GET /api/accounts/me/security.
type policyState struct {
	IdleMinutes              *int `json:"idle_minutes"`
	AbsoluteMinutes          *int `json:"absolute_minutes"`
	EffectiveIdleMinutes     int  `json:"effective_idle_minutes"`
	EffectiveAbsoluteMinutes int  `json:"effective_absolute_minutes"`
	IdleMinutesMin           int  `json:"idle_minutes_min"`
	IdleMinutesMax           int  `json:"idle_minutes_max"`
	AbsoluteMinutesMin       int  `json:"absolute_minutes_min"`
	AbsoluteMinutesMax       int  `json:"absolute_minutes_max"`
}

// fuzzOwner is one owner session that a fuzz target drives through the real
// server, without the apptest helpers (which report on the *testing.F).
type fuzzOwner struct {
	srv       *apptest.Server
	c         *apptest.Client
	sessionID string
}

func newFuzzOwner(f *testing.F) *fuzzOwner {
	srv := apptest.NewServer(f)
	team := apptest.NewTeam(f, srv.Store)
	c := srv.Login(f, team.Owner.Email, apptest.Password)
	var id string
	if err := srv.Store.DB().Get(&id, `SELECT id FROM sessions WHERE user_id = $1`, team.Owner.ID); err != nil {
		f.Fatal(err)
	}
	return &fuzzOwner{srv: srv, c: c, sessionID: id}
}

// fresh keeps the session young and inside the sudo window however long the
// fuzzer runs and whatever policy it has saved.
func (o *fuzzOwner) fresh(t *testing.T) {
	if _, err := o.srv.Store.DB().Exec(`UPDATE sessions SET created_at = now(), last_seen_at = now(),
		authenticated_at = now() WHERE id = $1`, o.sessionID); err != nil {
		t.Fatal(err)
	}
}

func (o *fuzzOwner) state(t *testing.T) (policyState, string) {
	status, _, body := raw(t, o.c, o.srv, http.MethodGet, "/api/accounts/me/security", nil, "")
	if status != http.StatusOK {
		t.Fatalf("GET the policy: %d %s", status, body)
	}
	var st policyState
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("GET the policy: %v\n%s", err, body)
	}
	return st, body
}

// wantWithinBounds is the invariant of every stored policy.
func wantWithinBounds(t *testing.T, input string, st policyState) {
	t.Helper()
	in := func(p *int, lo, hi int) bool { return p == nil || (*p >= lo && *p <= hi) }
	if !in(st.IdleMinutes, st.IdleMinutesMin, st.IdleMinutesMax) || !in(st.AbsoluteMinutes, st.AbsoluteMinutesMin, st.AbsoluteMinutesMax) ||
		st.EffectiveIdleMinutes < st.IdleMinutesMin || st.EffectiveIdleMinutes > st.IdleMinutesMax ||
		st.EffectiveAbsoluteMinutes < st.AbsoluteMinutesMin || st.EffectiveAbsoluteMinutes > st.AbsoluteMinutesMax ||
		st.EffectiveIdleMinutes > st.EffectiveAbsoluteMinutes {
		t.Fatalf("input %q was accepted and left a policy outside the rules: %+v", input, st)
	}
}

// isJSONObject is what the API promises a 400 for when false.
func isJSONObject(body string) bool {
	b := bytes.TrimSpace([]byte(body))
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

func FuzzPolicyPatchAPI(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"idle_minutes": 60}`, `{"absolute_minutes": 480}`, `{"idle_minutes": 60, "absolute_minutes": 480}`,
		`{"idle_minutes": null}`, `{"idle_minutes": null, "absolute_minutes": null}`,
		`{"idle_minutes": 5, "absolute_minutes": 60}`, `{"idle_minutes": 43200, "absolute_minutes": 129600}`,
		`{"idle_minutes": 4}`, `{"idle_minutes": 43201}`, `{"absolute_minutes": 59}`, `{"absolute_minutes": 129601}`,
		`{"idle_minutes": 43200}`, `{"idle_minutes": 600, "absolute_minutes": 120}`,
		`{"idle_minutes": -1}`, `{"idle_minutes": 0}`, `{"idle_minutes": 1.5}`, `{"idle_minutes": 1e2}`, `{"idle_minutes": 60.0}`,
		`{"idle_minutes": "60"}`, `{"idle_minutes": true}`, `{"idle_minutes": [60]}`, `{"idle_minutes": {"v": 60}}`,
		`{"idle_minutes": 99999999999999999999999}`, `{"idle_minutes": -9223372036854775808}`,
		`{"idle_minutes": 60, "idle_minutes": 61}`, `{"IDLE_MINUTES": 60}`, `{"idle": 60}`, `{"idle_minutes\u0000": 60}`,
		``, ` `, `null`, `[]`, `[{"idle_minutes": 60}]`, `"idle_minutes"`, `60`, `{`, `}`, `{}}`, `{} {}`, `{"idle_minutes": 60}x`,
		`{"idle_minutes":`, "\ufeff{}", "{\"idle_minutes\": 60, }", `{"a":{"b":{"c":[[[[[]]]]]}}}`,
	} {
		f.Add(seed)
	}
	o := newFuzzOwner(f)
	f.Fuzz(func(t *testing.T, body string) {
		o.fresh(t)
		before, beforeBody := o.state(t)
		h := http.Header{"Content-Type": {"application/json"}, "X-Csrf-Token": {o.c.CSRF}}
		status, _, resBody := raw(t, o.c, o.srv, http.MethodPatch, "/api/accounts/me/security", h, body)
		after, afterBody := o.state(t)
		wantWithinBounds(t, body, after)

		switch {
		case status == http.StatusRequestEntityTooLarge && len(body) > 64<<10:
		case !isJSONObject(body):
			if status != http.StatusBadRequest || apiError(resBody) != "bad_request" {
				t.Fatalf("%q is not a JSON object: %d %s, want 400 bad_request", body, status, resBody)
			}
		case status == http.StatusUnprocessableEntity:
			if apiError(resBody) != "validation_failed" {
				t.Fatalf("%q: 422 with %s", body, resBody)
			}
		case status == http.StatusOK:
			var got policyState
			if err := json.Unmarshal([]byte(resBody), &got); err != nil || !jsonSame(resBody, afterBody) {
				t.Fatalf("%q: the PATCH answer %s is not the stored policy %s", body, resBody, afterBody)
			}
			wantPatchApplied(t, body, before, after)
			return
		default:
			t.Fatalf("%q: status %d %s, want 200, 400 or 422", body, status, resBody)
		}
		if afterBody != beforeBody {
			t.Fatalf("%q was refused (%d) but the policy changed: %s -> %s", body, status, beforeBody, afterBody)
		}
	})
}

// wantPatchApplied checks an accepted PATCH stored exactly what it said:
// each key given set (a number) or cleared (null), the others kept.
func wantPatchApplied(t *testing.T, body string, before, after policyState) {
	t.Helper()
	var fields map[string]*int
	if err := json.Unmarshal([]byte(body), &fields); err != nil {
		t.Fatalf("%q was accepted but is not an object of numbers and nulls: %v", body, err)
	}
	want := map[string]*int{"idle_minutes": before.IdleMinutes, "absolute_minutes": before.AbsoluteMinutes}
	for k, v := range fields {
		if _, known := want[k]; !known {
			t.Fatalf("%q was accepted with the unknown field %q", body, k)
		}
		want[k] = v
	}
	if !samePtr(want["idle_minutes"], after.IdleMinutes) || !samePtr(want["absolute_minutes"], after.AbsoluteMinutes) {
		t.Fatalf("%q stored idle=%v absolute=%v", body, fmtIntPtr(after.IdleMinutes), fmtIntPtr(after.AbsoluteMinutes))
	}
}

func samePtr(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func fmtIntPtr(p *int) string {
	if p == nil {
		return "null"
	}
	return strconv.Itoa(*p)
}

func jsonSame(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && jsonString(x) == jsonString(y)
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Form routes and how each answers an accepted form.
var formRoutes = []struct {
	path   string
	htmx   bool
	saves  bool
	accept int
}{
	{"/settings/security/policy", false, true, http.StatusSeeOther},
	{"/settings/security/policy", true, true, http.StatusOK},
	{"/settings/security/policy/preview", true, false, http.StatusOK},
}

func FuzzPolicyForm(f *testing.F) {
	for _, seed := range []string{
		"preset=strict", "preset=custom&idle_minutes=60&absolute_minutes=480", "preset=custom&idle_minutes=5&absolute_minutes=60",
		"preset=custom&idle_minutes=43200&absolute_minutes=129600", "preset=custom&idle_minutes=30&absolute_minutes=20160",
		"preset=custom&idle_minutes=4&absolute_minutes=60", "preset=custom&idle_minutes=600&absolute_minutes=120",
		"preset=custom&idle_minutes=43200", "preset=custom&idle_minutes=&absolute_minutes=", "preset=custom",
		"preset=custom&idle_minutes=+60&absolute_minutes=480", "preset=custom&idle_minutes=-60&absolute_minutes=480",
		"preset=custom&idle_minutes=1.5&absolute_minutes=480", "preset=custom&idle_minutes=1%2C5&absolute_minutes=480",
		"preset=custom&idle_minutes=%2060%20&absolute_minutes=480", "preset=custom&idle_minutes=%EF%BC%96%EF%BC%90&absolute_minutes=480",
		"preset=custom&idle_minutes=99999999999999999999&absolute_minutes=480", "preset=custom&idle_minutes=0x3c&absolute_minutes=480",
		"preset=custom&idle_minutes=60&idle_minutes=61&absolute_minutes=480", "preset=strict&preset=custom",
		"preset=Custom&idle_minutes=60&absolute_minutes=480", "preset=%20custom%20&idle_minutes=60&absolute_minutes=480",
		"preset=lenient", "", "idle_minutes=60", "preset=custom&idle_minutes=60&absolute_minutes=480&password=x",
		"preset=custom&idle_minutes=6%0&absolute_minutes=480", "preset=custom;idle_minutes=60", "%zz", "preset=strict&extra=1",
	} {
		for mode := range formRoutes {
			f.Add(seed, uint8(mode))
		}
	}
	o := newFuzzOwner(f)
	f.Fuzz(func(t *testing.T, body string, mode uint8) {
		route := formRoutes[int(mode)%len(formRoutes)]
		o.fresh(t)
		_, beforeBody := o.state(t)
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Csrf-Token": {o.c.CSRF}}
		if route.htmx {
			h.Set("HX-Request", "true")
		}
		status, _, resBody := raw(t, o.c, o.srv, http.MethodPost, route.path, h, body)
		after, afterBody := o.state(t)
		wantWithinBounds(t, body, after)

		form, perr := url.ParseQuery(body)
		switch {
		case status == http.StatusRequestEntityTooLarge && len(body) > 64<<10:
		case perr != nil:
			if status != http.StatusBadRequest {
				t.Fatalf("%s %q does not parse as a form (%v): %d, want 400", route.path, body, perr, status)
			}
		case status == http.StatusUnprocessableEntity:
			if !strings.Contains(resBody, `role="alert"`) && !strings.Contains(resBody, "aria-invalid") &&
				!strings.Contains(resBody, `data-testid="preview-invalid"`) {
				t.Fatalf("%s %q: 422 without an error shown:\n%s", route.path, body, resBody)
			}
		case status == route.accept:
			if route.saves {
				wantFormApplied(t, body, form, after)
				return
			}
		default:
			t.Fatalf("%s (htmx=%v) %q: status %d, want %d, 400 or 422", route.path, route.htmx, body, status, route.accept)
		}
		if afterBody != beforeBody {
			t.Fatalf("%s %q (%d) changed the policy: %s -> %s", route.path, body, status, beforeBody, afterBody)
		}
	})
}

// wantFormApplied checks a saved form put in force what it said: Strict the
// defaults with no overrides, Custom exactly the two numbers typed.
func wantFormApplied(t *testing.T, body string, form url.Values, after policyState) {
	t.Helper()
	switch strings.TrimSpace(form.Get("preset")) {
	case "strict":
		if after.IdleMinutes != nil || after.AbsoluteMinutes != nil {
			t.Fatalf("%q saved as Strict but overrides remain: %+v", body, after)
		}
	case "custom":
		idle, err1 := strconv.Atoi(strings.TrimSpace(form.Get("idle_minutes")))
		absolute, err2 := strconv.Atoi(strings.TrimSpace(form.Get("absolute_minutes")))
		if err := errors.Join(err1, err2); err != nil {
			t.Fatalf("%q was saved with values that are not numbers: %v", body, err)
		}
		if after.EffectiveIdleMinutes != idle || after.EffectiveAbsoluteMinutes != absolute {
			t.Fatalf("%q saved, but %d/%d is in force", body, after.EffectiveIdleMinutes, after.EffectiveAbsoluteMinutes)
		}
	default:
		t.Fatalf("%q was saved without a valid preset", body)
	}
}

// The decoder behind the reauth and sign-out-everywhere APIs.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"password": "x"}`, `{"scope": "all"}`, `{"scope": "others"}`, `{"scope": null}`, `{"password": null}`,
		`{"scope": 1}`, `{"scope": ["all"]}`, `{"scope": "all", "extra": 1}`, `{"Scope": "all"}`, `{"scope": "all", "scope": "others"}`,
		``, `null`, `[]`, `"all"`, `1`, `{`, `{}}`, `{}]`, `{} {}`, `{} x`, `{"scope": "\ud800"}`, "\xff", `{"scope": "all"}` + strings.Repeat(" ", 10),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var dst struct {
			Password *string `json:"password"`
			Scope    *string `json:"scope"`
		}
		err := handlers.DecodeJSON(body, &dst)
		var he *handlers.Error
		switch {
		case err == nil:
			if !isJSONObject(body) {
				t.Fatalf("%q accepted, but it is not one JSON object", body)
			}
			var fields map[string]any
			json.Unmarshal([]byte(body), &fields)
			for k := range fields {
				if !strings.EqualFold(k, "password") && !strings.EqualFold(k, "scope") {
					t.Fatalf("%q accepted with the unknown field %q", body, k)
				}
			}
		case !errors.As(err, &he):
			t.Fatalf("%q: %T %v, want a *handlers.Error", body, err, err)
		case !isJSONObject(body):
			if he.Status != http.StatusBadRequest {
				t.Fatalf("%q is not a JSON object: %d, want 400", body, he.Status)
			}
		case he.Status != http.StatusUnprocessableEntity || len(he.Fields) == 0 && he.Message == "":
			t.Fatalf("%q is a JSON object: %d %+v, want 422 saying what is wrong", body, he.Status, he)
		}
	})
}
