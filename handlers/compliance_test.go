package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"curfew/internal/apptest"
)

// TestPolicyCardShowsStandingAgainstStandards: the card labels the policy in
// force against each standard, and follows a saved change.
func TestPolicyCardShowsStandingAgainstStandards(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	doc := htmlDoc(t, c.Get("/settings/security").Body)
	for testid, want := range map[string]string{
		"standing-nist-aal1":      "Meets NIST AAL1",
		"standing-nist-aal2":      "Exceeds NIST AAL2 lifetime limit",
		"standing-nist-aal3":      "Exceeds NIST AAL3 idle and lifetime limits",
		"standing-nist-aal2-rev3": "Exceeds NIST AAL2 (rev. 3) lifetime limit",
		"standing-pci-dss":        "Exceeds PCI DSS 8.2.8 idle limit",
		"idle_minutes-words":      "= 30 minutes",
		"absolute_minutes-words":  "= 14 days",
	} {
		if got := nodeText(nodeByTestID(t, doc, testid)); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", testid, got, want)
		}
	}
	if got := attrOf(nodeByID(t, doc, "policy-idle"), "aria-describedby"); !strings.Contains(got, "policy-idle-words") {
		t.Errorf("the idle input is not described by its value in words: %q", got)
	}

	setOverrides(t, srv.Store, team.Account.ID, ptrInt(15), ptrInt(720))
	doc = htmlDoc(t, c.Get("/settings/security").Body)
	for _, id := range []string{"nist-aal1", "nist-aal2", "nist-aal3", "nist-aal2-rev3", "pci-dss"} {
		if n := nodeByTestID(t, doc, "standing-"+id); attrOf(n, "data-meets") != "true" {
			t.Errorf("15 minutes / 12 hours: %s says %q", id, nodeText(n))
		}
	}
}

// TestQuickFillWithoutJavaScript: a quick-fill is a link to the page; the
// page comes back with Custom chosen, the standard's limits in the inputs and
// a message that nothing is saved, and nothing is.
func TestQuickFillWithoutJavaScript(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)

	doc := htmlDoc(t, c.Get("/settings/security").Body)
	link := nodeByTestID(t, doc, "quick-fill-pci-dss")
	if link.Data != "a" || attrOf(link, "href") != "/settings/security?fill=pci-dss#policy-card" {
		t.Fatalf("the PCI quick-fill is not a link to the filled form: %s", renderNode(link))
	}

	tests := []struct {
		fill, idle, absolute, message string
	}{
		{"pci-dss", "15 minutes", "14 days", "Filled in the limits of PCI DSS v4.0 requirement 8.2.8: 15 minutes idle. Not saved yet"},
		{"nist-aal2", "1 hours", "1 days", "Filled in the limits of NIST SP 800-63B-4 AAL2: 1 hour idle, 1 day at most."},
		{"nist-aal1", "30 minutes", "30 days", "NIST SP 800-63B-4 AAL1: 30 days at most."},
	}
	for _, tt := range tests {
		res := c.Get("/settings/security?fill=" + tt.fill)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("fill=%s: %d", tt.fill, res.StatusCode)
		}
		doc := htmlDoc(t, res.Body)
		if nodeAttr(nodeByID(t, doc, "policy-preset-custom"), "checked") == nil {
			t.Errorf("fill=%s: Custom is not chosen", tt.fill)
		}
		inUnit := func(id string) string {
			return attrOf(nodeByID(t, doc, id), "value") + " " + selectedOption(doc, id+"-unit")
		}
		if got := inUnit("policy-idle") + "/" + inUnit("policy-absolute"); got != tt.idle+"/"+tt.absolute {
			t.Errorf("fill=%s: inputs %s, want %s/%s", tt.fill, got, tt.idle, tt.absolute)
		}
		if got := nodeText(nodeByTestID(t, doc, "policy-fill-status")); !strings.Contains(got, tt.message) {
			t.Errorf("fill=%s: message %q, want %q", tt.fill, got, tt.message)
		}
	}
	wantOverrides(t, srv.Store, team.Account.ID, nil, nil)

	// An unknown standard changes nothing on the page.
	doc = htmlDoc(t, c.Get("/settings/security?fill=hipaa").Body)
	if nodeAttr(nodeByID(t, doc, "policy-preset-strict"), "checked") == nil || nodeText(nodeByTestID(t, doc, "policy-fill-status")) != "" {
		t.Error("an unknown quick-fill changed the form")
	}
}

// TestPolicyPreviewSaysTheStandingOfTheChange: the live preview compares
// the values being typed with the standards.
func TestPolicyPreviewSaysTheStandingOfTheChange(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	res := c.PostFormHTMX("/settings/security/policy/preview", customForm("60", "1440"))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d %s", res.StatusCode, res.Body)
	}
	want := "Within the limits of NIST AAL1 and NIST AAL2; beyond those of NIST AAL3, NIST AAL2 (rev. 3) and PCI DSS 8.2.8."
	if got := nodeText(nodeByTestID(t, htmlDoc(t, res.Body), "impact-standing")); got != want {
		t.Errorf("preview standing %q, want %q", got, want)
	}
}
