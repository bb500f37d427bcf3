package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"curfew/internal/apptest"
	"curfew/policy"
)

func roleSummaryText(t *testing.T, c *apptest.Client, role string) string {
	t.Helper()
	res := c.Get("/settings/security")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /settings/security: %d", res.StatusCode)
	}
	return nodeText(nodeByTestID(t, htmlDoc(t, res.Body), "role-summary-"+role))
}

// The card says per role what applies and where it comes from; a plain form
// post sets the owners' values (303 and the page says so), and clearing them
// puts the owners back on the account's values.
func TestRolePolicyCardWithoutJavaScript(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	if got := roleSummaryText(t, c, "owner"); !strings.HasPrefix(got, "Owners: 30 minutes idle · 14 days at most — the system defaults") {
		t.Errorf("owners before = %q", got)
	}
	res := c.PostForm("/settings/security/roles", url.Values{"role": {"owner"}, "idle_minutes": {"15"}, "absolute_minutes": {"720"}, "action": {"save"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings/security?roles=saved#role-policies" {
		t.Fatalf("save: %d to %q\n%s", res.StatusCode, res.Header.Get("Location"), res.Body)
	}
	page := c.Get("/settings/security?roles=saved")
	doc := htmlDoc(t, page.Body)
	if got := nodeText(nodeByTestID(t, doc, "role-summary-owner")); !strings.HasPrefix(got, "Owners: 15 minutes idle · 12 hours at most — set for owners") {
		t.Errorf("owners after = %q", got)
	}
	if got := nodeText(nodeByTestID(t, doc, "role-standing-owner")); !strings.Contains(got, "Within the limits of") || !strings.Contains(got, "NIST AAL3") || strings.Contains(got, "beyond") {
		t.Errorf("owners' standing = %q, want them within every standard, AAL3 included", got)
	}
	if got := nodeText(nodeByTestID(t, doc, "role-standing-engineer")); !strings.Contains(got, "beyond those of") || !strings.Contains(got, "NIST AAL3") {
		t.Errorf("engineers' standing = %q, want them beyond AAL3 on the defaults", got)
	}
	if got := nodeText(nodeByTestID(t, doc, "role-summary-engineer")); !strings.HasPrefix(got, "Engineers: 30 minutes idle · 14 days at most — the system defaults") {
		t.Errorf("engineers = %q", got)
	}
	if got := nodeText(nodeByTestID(t, doc, "role-policies-saved")); !strings.Contains(got, "Saved.") {
		t.Errorf("status = %q", got)
	}
	if v := attrOf(nodeByID(t, doc, "role-owner-idle"), "value"); v != "15" {
		t.Errorf("owners' idle input = %q, want 15", v)
	}

	// The account's idle timeout moves; the owners keep theirs, the engineers follow it.
	setOverrides(t, srv.Store, team.Account.ID, ptrInt(60), nil)
	if got := roleSummaryText(t, c, "engineer"); !strings.HasPrefix(got, "Engineers: 1 hour idle · 14 days at most — idle timeout as for the account, lifetime the system default") {
		t.Errorf("engineers on the account's idle = %q", got)
	}

	res = c.PostForm("/settings/security/roles", url.Values{"role": {"owner"}, "action": {"clear"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("clear: %d\n%s", res.StatusCode, res.Body)
	}
	if got := roleSummaryText(t, c, "owner"); !strings.HasPrefix(got, "Owners: 1 hour idle · 14 days at most — idle timeout as for the account") {
		t.Errorf("owners after clearing = %q", got)
	}
	audits := policyAudits(t, srv.Store, team.Account.ID)
	if len(audits) != 2 || !strings.Contains(string(audits[0].Payload), `"roles"`) || !strings.Contains(string(audits[1].Payload), `"roles"`) {
		t.Errorf("audit rows = %d, want 2 with a roles part", len(audits))
	}

	// The log, its export and the API say it in words.
	for _, path := range []string{"/settings/audit", "/settings/audit/export?format=csv", "/settings/audit/export?format=json", "/api/accounts/me/audit"} {
		body := c.Get(path).Body
		for _, want := range []string{"set the owners' idle timeout to 15 minutes", "set the owners' absolute lifetime to 12 hours",
			"cleared the owners' idle timeout (now 1 hour, as for the account)"} {
			if !strings.Contains(strings.ReplaceAll(body, "&#39;", "'"), want) {
				t.Errorf("%s does not say %q", path, want)
			}
		}
	}

	// Saving the same values again is no change and no row.
	res = c.PostForm("/settings/security/roles", url.Values{"role": {"owner"}, "idle_minutes": {""}, "absolute_minutes": {""}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "roles=unchanged") {
		t.Errorf("saving nothing new: %d to %q", res.StatusCode, loc)
	}
	if n := len(policyAudits(t, srv.Store, team.Account.ID)); n != 2 {
		t.Errorf("%d audit rows after a no-op, want 2", n)
	}
}

// htmx: a bad value is a 422 card with the message beside its input; the
// live preview names the role's sessions that would end, the owner's own.
func TestRolePolicyCardWithHTMX(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)

	res := c.PostFormHTMX("/settings/security/roles", url.Values{"role": {"owner"}, "idle_minutes": {"4"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad value: %d", res.StatusCode)
	}
	doc := htmlDoc(t, res.Body)
	nodeByID(t, doc, "role-policies")
	if got := nodeText(nodeByID(t, doc, "role-owner-idle-error")); !strings.Contains(got, "owners' idle timeout") {
		t.Errorf("error beside the input = %q", got)
	}
	if attrOf(nodeByID(t, doc, "role-owner-idle"), "aria-invalid") != "true" {
		t.Error("the input is not marked invalid")
	}
	if attrOf(nodeByID(t, doc, "role-owner-idle"), "value") != "4" {
		t.Error("the typed value is not shown back")
	}

	// The rule across the account: an engineer idle timeout above the default lifetime.
	res = c.PostFormHTMX("/settings/security/roles/preview", url.Values{"role": {"engineer"}, "idle_minutes": {"43200"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "cannot be longer than their absolute lifetime") ||
		!strings.Contains(res.Body, `id="role-engineer-idle-error"`) {
		t.Errorf("preview of a conflict: %d\n%s", res.StatusCode, res.Body)
	}

	// Both people signed in 13 hours ago: a 12-hour owners' lifetime would
	// end the owner's session (this one) and no engineer's. (An idle limit
	// cannot end the session asking: its request is activity.)
	ageSessions(t, srv.Store, team.Owner.ID, `created_at = now() - interval '13 hours'`)
	ageSessions(t, srv.Store, team.Engineer.ID, `created_at = now() - interval '13 hours'`)
	res = c.PostFormHTMX("/settings/security/roles/preview", url.Values{"role": {"owner"}, "absolute_minutes": {"720"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d %s", res.StatusCode, res.Body)
	}
	got := nodeText(nodeByTestID(t, htmlDoc(t, res.Body), "role-impact-count"))
	if !strings.Contains(got, "1 owner session of 1 owner would end") || !strings.Contains(got, "Your own session is among them") {
		t.Errorf("impact = %q", got)
	}
	if n := len(policyAudits(t, srv.Store, team.Account.ID)); n != 0 {
		t.Errorf("a preview wrote %d audit rows", n)
	}

	res = c.PostFormHTMX("/settings/security/roles", url.Values{"role": {"engineer"}, "absolute_minutes": {"10080"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("save: %d %s", res.StatusCode, res.Body)
	}
	if got := nodeText(nodeByTestID(t, htmlDoc(t, res.Body), "role-summary-engineer")); !strings.HasPrefix(got, "Engineers: 30 minutes idle · 7 days at most — idle timeout the system default, lifetime set for engineers") {
		t.Errorf("engineers after save = %q", got)
	}
}

// Unknown roles and actions are refused; engineers cannot use the form;
// outside the sudo window the password is asked for.
func TestRolePolicyCardRefusals(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	for _, form := range []url.Values{
		{"role": {"admin"}, "idle_minutes": {"15"}},
		{"idle_minutes": {"15"}},
		{"role": {"owner", "engineer"}, "idle_minutes": {"15"}},
		{"role": {"owner"}, "action": {"drop"}},
	} {
		if res := c.PostForm("/settings/security/roles", form); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d, want 422", form, res.StatusCode)
		}
	}
	e := srv.Login(t, team.Engineer.Email, apptest.Password)
	if res := e.PostForm("/settings/security/roles", url.Values{"role": {"engineer"}, "idle_minutes": {"600"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("engineer: %d, want 403", res.StatusCode)
	}

	leaveSudoWindow(t, srv.Store, team.Owner.ID)
	res := c.PostFormHTMX("/settings/security/roles", url.Values{"role": {"owner"}, "idle_minutes": {"15"}})
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, `id="role-owner-password"`) {
		t.Errorf("outside the sudo window: %d, want 403 with the password asked for\n%s", res.StatusCode, res.Body)
	}
	res = c.PostFormHTMX("/settings/security/roles", url.Values{"role": {"owner"}, "idle_minutes": {"15"}, "password": {apptest.Password}})
	if res.StatusCode != http.StatusOK {
		t.Errorf("with the password: %d\n%s", res.StatusCode, res.Body)
	}
	p, _ := srv.Store.AccountPolicy(t.Context(), team.Account.ID)
	if !p.Role("owner").Equal(policy.Overrides{IdleMinutes: ptrInt(15)}) || len(policyAudits(t, srv.Store, team.Account.ID)) != 1 {
		t.Errorf("owners = %+v, want 15 minutes saved once", p.Role("owner"))
	}
}

// The account's preview counts each session under its own role's values:
// owners with an idle timeout of their own are not counted under the
// account's new one, and the count says which role's sessions end.
func TestAccountPreviewCountsPerRole(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	setRolePolicy(t, srv.Store, team, policy.Policy{Account: policy.Overrides{IdleMinutes: ptrInt(90)},
		Roles: map[string]policy.Overrides{"owner": {IdleMinutes: ptrInt(120)}}})
	srv.Login(t, team.Owner.Email, apptest.Password)
	srv.Login(t, team.Engineer.Email, apptest.Password)
	ageSessions(t, srv.Store, team.Owner.ID, `last_seen_at = now() - interval '60 minutes'`)
	ageSessions(t, srv.Store, team.Engineer.ID, `last_seen_at = now() - interval '60 minutes'`)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	res := c.PostFormHTMX("/settings/security/policy/preview", url.Values{"preset": {"custom"}, "idle_minutes": {"30"}, "absolute_minutes": {"20160"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d %s", res.StatusCode, res.Body)
	}
	got := nodeText(nodeByTestID(t, htmlDoc(t, res.Body), "impact-count"))
	if !strings.Contains(got, "1 active session of 1 person would end at once, at their next request (1 engineer session of 1 engineer)") ||
		!strings.Contains(got, "Your own session is not affected") {
		t.Errorf("impact = %q", got)
	}
}
