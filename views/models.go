// Package views renders Curfew's pages and the fragments htmx swaps in. Each
// page takes a typed view model; the handlers build the models.
package views

// Nav is what the layout knows about the signed-in person.
type Nav struct {
	Email       string
	Name        string
	Role        string
	AccountName string
	// Active names the current section for aria-current: "security", "sessions", "audit", "me".
	Active string
	// IdleSeconds and AbsoluteExpiresAt drive the idle-expiry warning.
	IdleSeconds       int
	IdleExpiresAt     string
	ServerNow         string
	AbsoluteExpiresAt string
}

// IsOwner reports whether owner-only links are shown.
func (n *Nav) IsOwner() bool { return n != nil && n.Role == "owner" }

// Page is the common frame of every full page.
type Page struct {
	Title string
	CSRF  string
	// Nav is nil on pages for people who are not signed in.
	Nav *Nav
}

// Login is the sign-in page.
type Login struct {
	Page
	Email string
	// Notice explains why the person is here (signed out, expired); Error a failed attempt.
	Notice string
	Error  string
	// Next is the checked return_to URL the form sends back after sign-in.
	Next string
}

// ErrorPage is a styled error for a whole page.
type ErrorPage struct {
	Page
	Status  int
	Heading string
	Message string
}
