package policy

// Reason says why a session ended. It is the one spelling of the reasons: the
// store writes it to sessions.revoked_reason (whose CHECK constraint lists the
// same words), the login page reads it from its query string, and the pages
// show it (docs/design.md, "Why a session ends").
type Reason string

// The reasons a session ends. The two expiry reasons come from this package's
// rules; the others are recorded when someone ends a session.
const (
	ReasonNone     Reason = ""
	ReasonIdle     Reason = "idle"
	ReasonAbsolute Reason = "absolute"
	// ReasonLogout: the person signed out, or ended a session of their own.
	ReasonLogout Reason = "logout"
	// ReasonRevoked: an owner ended this one session.
	ReasonRevoked Reason = "revoked"
	// ReasonRevokedAll and ReasonRevokedOthers: an owner's sign-out-everywhere,
	// of everyone or of everyone but the owner's own session.
	ReasonRevokedAll    Reason = "revoked_all"
	ReasonRevokedOthers Reason = "revoked_others"
)

// Reasons lists every reason a session can end with.
var Reasons = []Reason{ReasonIdle, ReasonAbsolute, ReasonLogout, ReasonRevoked, ReasonRevokedAll, ReasonRevokedOthers}

// Told is the reason as the person signed out is told it: the expiry reasons
// and their own sign-out as they are, any owner's doing as ReasonRevoked.
func (r Reason) Told() Reason {
	switch r {
	case ReasonIdle, ReasonAbsolute, ReasonLogout:
		return r
	}
	return ReasonRevoked
}
