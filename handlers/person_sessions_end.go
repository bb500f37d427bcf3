package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"curfew/store"
	"curfew/views"
)

// personID reads :id of the people routes; anything but a positive number
// names no person, which is a 404 like a person of another account.
func personID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.ErrNotFound
	}
	return id, nil
}

// revokePersonSessions is POST /settings/security/people/:id/revoke-sessions:
// an owner signs one person out of every session, from the list grouped by
// person. Another person's sessions need the sudo window, as ending one of
// them does; the owner's own keep the session in use.
func (s *Server) revokePersonSessions(c echo.Context) error {
	p := principal(c)
	id, err := personID(c)
	if err != nil {
		return err
	}
	if id != p.UserID {
		if err := s.sudo(c, c.FormValue("password")); err != nil {
			return s.askPasswordForPerson(c, id, err)
		}
	}
	n, err := s.store.RevokePersonSessions(c.Request().Context(), s.actor(c), id, p.SessionID, s.activeAt(p))
	if err != nil {
		return err
	}
	s.counts.Forget(p.AccountID)
	return c.Redirect(http.StatusSeeOther, "/settings/security/sessions?state=people&signed_out="+strconv.Itoa(n))
}

// askPasswordForPerson answers a refused sign-out of a person: the grouped
// list again (422) with that person's form open, asking for the password.
func (s *Server) askPasswordForPerson(c echo.Context, id int64, err error) error {
	msg := "Enter your password to sign this person out."
	var e *Error
	if !errors.Is(err, errReauthRequired) {
		if !errors.As(err, &e) || e.Fields["password"] == "" {
			return err
		}
		msg = e.Fields["password"]
	}
	f := sessionFilter{State: statePeople}
	l, lerr := s.peopleList(c, f, func(r *views.PersonRow) {
		if r.UserID == id {
			r.NeedsPassword, r.PasswordError = true, msg
		}
	})
	if lerr != nil {
		return lerr
	}
	return s.renderAccountSessions(c, http.StatusUnprocessableEntity, views.AccountSessions{State: statePeople, People: l})
}

// apiRevokePersonSessions is DELETE /api/accounts/me/people/:id/sessions: the
// same for an API client → {"revoked_count":N}.
func (s *Server) apiRevokePersonSessions(c echo.Context) error {
	p := principal(c)
	id, err := personID(c)
	if err != nil {
		return err
	}
	if id != p.UserID {
		if err := s.sudo(c, ""); err != nil {
			return err
		}
	}
	n, err := s.store.RevokePersonSessions(c.Request().Context(), s.actor(c), id, p.SessionID, s.activeAt(p))
	if err != nil {
		return err
	}
	s.counts.Forget(p.AccountID)
	return c.JSON(http.StatusOK, map[string]int{"revoked_count": n})
}
