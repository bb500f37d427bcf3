package handlers_test

import (
	"strings"
	"testing"

	"curfew/internal/apptest"
)

// The decision first: the policy in force, the preset, the values (with the
// quick-fills inside Custom), then the standing against standards in one
// line with each standard on demand.
func TestPolicyCardPutsTheDecisionFirst(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	c := srv.Login(t, team.Owner.Email, apptest.Password)
	body := c.Get("/settings/security").Body
	var last int
	for _, marker := range []string{
		`data-testid="effective-idle"`,
		`id="policy-preset-strict"`,
		`id="policy-idle"`,
		`data-testid="quick-fills"`,
		`data-testid="compliance-summary"`,
		`data-testid="standing-nist-aal1"`,
	} {
		i := strings.Index(body, marker)
		if i < 0 {
			t.Fatalf("no %s on the page", marker)
		}
		if i < last {
			t.Errorf("%s comes before what should precede it", marker)
		}
		last = i
	}
	doc := htmlDoc(t, body)
	// The quick-fills hide with the Custom fields when Strict is chosen.
	if cls := attrOf(nodeByTestID(t, doc, "quick-fills"), "class"); !strings.Contains(cls, "group-has-[#policy-preset-strict:checked]:hidden") {
		t.Errorf("quick-fills are shown under Strict: class %q", cls)
	}
	// Inside the policy form, Save stays its only submit button.
	if n := strings.Count(renderNode(nodeByTestID(t, doc, "policy-form")), `type="submit"`); n != 1 {
		t.Errorf("the policy form has %d submit buttons, want 1 (Save)", n)
	}
	// In proportion: one neutral line, the standards behind a <details>.
	want := "Meets NIST AAL1; longer than NIST AAL2, NIST AAL3, NIST AAL2 (rev. 3) and PCI DSS 8.2.8 allow."
	if got := nodeText(nodeByTestID(t, doc, "compliance-summary")); got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	compliance := renderNode(nodeByTestID(t, doc, "compliance"))
	if !strings.Contains(compliance, "<details") || strings.Contains(compliance, "amber") {
		t.Errorf("the standards are not on demand, or are flagged amber:\n%s", compliance)
	}
	if got := nodeText(nodeByID(t, doc, "policy-preset-strict").Parent); !strings.Contains(got, "The system defaults: 30 minutes idle, 14 days at most.") {
		t.Errorf("Strict is not said to be the system defaults: %q", got)
	}

	setOverrides(t, srv.Store, team.Account.ID, ptrInt(15), ptrInt(720))
	doc = htmlDoc(t, c.Get("/settings/security").Body)
	if got := nodeText(nodeByTestID(t, doc, "compliance-summary")); !strings.HasPrefix(got, "Meets the session limits of NIST AAL1, NIST AAL2") {
		t.Errorf("15 minutes / 12 hours: summary %q", got)
	}
}
