package policy

// Standard is a published ceiling on session timeouts, in minutes. A zero
// ceiling means the standard sets none for that timeout.
type Standard struct {
	// ID names the standard in URLs and tests ("nist-aal2").
	ID string
	// Name is the full name with its revision; Short is the name on a label.
	Name  string
	Short string
	// Reference says where the figures are written, and how binding they are.
	Reference   string
	IdleMax     int
	AbsoluteMax int
}

// Standards are the ceilings the policy card compares the policy with, in the
// order it lists them. The figures are the documents' own:
//   - NIST SP 800-63B-4 (August 2025) §2.1.3, §2.2.3, §2.3.3: the overall
//     timeout SHOULD be at most 30 days at AAL1 (no inactivity timeout
//     required), SHOULD be at most 24 hours at AAL2 with inactivity SHOULD at
//     most 1 hour, and SHALL be at most 12 hours at AAL3 with inactivity SHOULD
//     at most 15 minutes.
//   - NIST SP 800-63B-3 §4.2.3, which revision 4 superseded but which OWASP
//     ASVS 4.0.3 V3.3.2 (level 2) still cites: at AAL2 reauthenticate at least
//     every 12 hours and after 30 minutes of inactivity (SHALL).
//   - PCI DSS v4.0 requirement 8.2.8: re-authenticate after a session has been
//     idle for more than 15 minutes; it sets no overall limit.
var Standards = []Standard{
	{
		ID: "nist-aal1", Name: "NIST SP 800-63B-4 AAL1", Short: "NIST AAL1",
		Reference:   "SP 800-63B-4 §2.1.3: reauthenticate at least every 30 days; no inactivity limit is required.",
		AbsoluteMax: 30 * 24 * 60,
	},
	{
		ID: "nist-aal2", Name: "NIST SP 800-63B-4 AAL2", Short: "NIST AAL2",
		Reference: "SP 800-63B-4 §2.2.3: reauthenticate at least every 24 hours and after 1 hour of inactivity.",
		IdleMax:   60, AbsoluteMax: 24 * 60,
	},
	{
		ID: "nist-aal3", Name: "NIST SP 800-63B-4 AAL3", Short: "NIST AAL3",
		Reference: "SP 800-63B-4 §2.3.3: reauthenticate at least every 12 hours and after 15 minutes of inactivity (also OWASP ASVS 4.0 level 3).",
		IdleMax:   15, AbsoluteMax: 12 * 60,
	},
	{
		ID: "nist-aal2-rev3", Name: "NIST SP 800-63B-3 AAL2", Short: "NIST AAL2 (rev. 3)",
		Reference: "SP 800-63B-3 §4.2.3, superseded by revision 4 but still cited by OWASP ASVS 4.0 level 2: every 12 hours and after 30 minutes of inactivity.",
		IdleMax:   30, AbsoluteMax: 12 * 60,
	},
	{
		ID: "pci-dss", Name: "PCI DSS v4.0 requirement 8.2.8", Short: "PCI DSS 8.2.8",
		Reference: "PCI DSS v4.0 8.2.8: re-authenticate after more than 15 minutes idle; no overall limit.",
		IdleMax:   15,
	},
}

// StandardByID finds one of Standards.
func StandardByID(id string) (Standard, bool) {
	for _, st := range Standards {
		if st.ID == id {
			return st, true
		}
	}
	return Standard{}, false
}

// Standing is how a policy compares with one standard.
type Standing struct {
	Standard
	IdleOK     bool
	AbsoluteOK bool
}

// Meets reports whether the policy is within every ceiling of the standard.
func (s Standing) Meets() bool { return s.IdleOK && s.AbsoluteOK }

// Label says the standing in a few words: "Meets NIST AAL2", "Exceeds PCI
// DSS 8.2.8 idle limit", "Exceeds NIST AAL3 idle and lifetime limits".
func (s Standing) Label() string {
	switch {
	case s.Meets():
		return "Meets " + s.Short
	case !s.IdleOK && !s.AbsoluteOK:
		return "Exceeds " + s.Short + " idle and lifetime limits"
	case !s.IdleOK:
		return "Exceeds " + s.Short + " idle limit"
	default:
		return "Exceeds " + s.Short + " lifetime limit"
	}
}

// Compliance compares a policy with every standard, in the order of Standards.
func Compliance(e Effective) []Standing {
	out := make([]Standing, 0, len(Standards))
	for _, st := range Standards {
		out = append(out, Standing{
			Standard:   st,
			IdleOK:     st.IdleMax == 0 || e.IdleMinutes <= st.IdleMax,
			AbsoluteOK: st.AbsoluteMax == 0 || e.AbsoluteMinutes <= st.AbsoluteMax,
		})
	}
	return out
}

// QuickFill is the policy a Custom quick-fill proposes for a standard: each
// timeout the standard limits at its ceiling (or at the system's maximum when
// that is lower), the other kept from e, and the idle timeout never above the
// absolute lifetime. ok is false when the system's minimums make the
// standard unreachable.
func (s Settings) QuickFill(st Standard, e Effective) (next Effective, ok bool) {
	next = e
	if st.IdleMax > 0 {
		next.IdleMinutes = min(st.IdleMax, s.IdleMax)
	}
	if st.AbsoluteMax > 0 {
		next.AbsoluteMinutes = min(st.AbsoluteMax, s.AbsoluteMax)
	}
	next.IdleMinutes = min(next.IdleMinutes, next.AbsoluteMinutes)
	ok = next.IdleMinutes >= s.IdleMin && next.IdleMinutes <= s.IdleMax &&
		next.AbsoluteMinutes >= s.AbsoluteMin && next.AbsoluteMinutes <= s.AbsoluteMax
	return next, ok
}
