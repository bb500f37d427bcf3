package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/store"
	"curfew/views"
)

// Ending another person's session is as sensitive as signing everyone out,
// one session at a time: outside the sudo window it needs the password, on
// the page and in the API alike. Ending one's own sessions never does.

// endNeedsPassword is a refusal to end another person's session until the
// password is given; it wraps errReauthRequired or the password's field error.
type endNeedsPassword struct {
	session store.AccountSession
	err     error
}

func (e *endNeedsPassword) Error() string { return e.err.Error() }
func (e *endNeedsPassword) Unwrap() error { return e.err }

// sudoToEnd lets the caller end session id: at once when it is their own (or
// not the account's, which ending then answers with 404) or inside the sudo
// window; otherwise only with the right password pw, which renews the window.
func (s *Server) sudoToEnd(c echo.Context, id, pw string) error {
	if s.inSudoWindow(c) {
		return nil
	}
	p := principal(c)
	row, err := s.store.AccountSessionByID(c.Request().Context(), p.AccountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if row.UserID == p.UserID {
		return nil
	}
	if err := s.sudo(c, pw); err != nil {
		return &endNeedsPassword{session: row, err: err}
	}
	return nil
}

// askPasswordToEnd answers a refused End on the owner's session list: the row
// again with its End form open, asking for the password (422). htmx swaps it
// in for the row; a plain form post gets the list page with that one row.
func (s *Server) askPasswordToEnd(c echo.Context, err error, listPath string) error {
	var need *endNeedsPassword
	var e *Error
	if !errors.As(err, &need) {
		return err
	}
	msg := "Enter your password to end this session."
	if !errors.Is(err, errReauthRequired) {
		if !errors.As(err, &e) || e.Fields["password"] == "" {
			return err
		}
		msg = e.Fields["password"]
	}
	l := s.sessionList(c, sessionPage{Sessions: []store.AccountSession{need.session}}, true, listPath, listPath+"/", true)
	row := &l.Rows[0]
	row.NeedsPassword, row.PasswordError = true, msg
	if isHTMX(c) {
		c.Response().Header().Set("HX-Retarget", "#session-"+row.ID)
		c.Response().Header().Set("HX-Reswap", "outerHTML")
		return render(c, http.StatusUnprocessableEntity, views.SessionRowView(l, *row))
	}
	n, err := s.recentAccountCounts(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusUnprocessableEntity, views.AccountSessionsView(views.AccountSessions{
		Page:        s.page(c, "Sessions", "sessions"),
		Sessions:    n.Sessions,
		PeopleCount: n.People,
		State:       views.SessionsStateActive,
		List:        l,
	}))
}

// needsPasswordToEnd reports whether a listed session's End form asks for
// the password: another person's session, outside the caller's sudo window.
func (s *Server) needsPasswordToEnd(p *Principal, row store.AccountSession) bool {
	return row.UserID != p.UserID && !policy.InSudoWindow(p.AuthenticatedAt, s.now())
}
