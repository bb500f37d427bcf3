package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/store"
	"curfew/views"
)

// sessionsPerPage is the page size of session lists; an account may have
// many thousands of sessions, so lists are paged by keyset, never counted
// through with OFFSET.
const (
	sessionsPerPage    = 50
	sessionsMaxPerPage = 200
)

// sessionPage is one page of active sessions and the cursor of the next.
type sessionPage struct {
	Sessions []store.AccountSession
	Next     *store.SessionCursor
}

// loadSessions reads a page of the caller's account's active sessions (only
// userID's when not 0).
func (s *Server) loadSessions(c echo.Context, userID int64, after *store.SessionCursor, limit int) (sessionPage, error) {
	p := principal(c)
	rows, err := s.store.ActiveSessions(c.Request().Context(), store.ActiveSessionsQuery{
		AccountID: p.AccountID, UserID: userID, Active: s.activeAt(p), After: after, Limit: limit,
	})
	if err != nil {
		return sessionPage{}, err
	}
	var pg sessionPage
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		pg.Next = &store.SessionCursor{LastSeenAt: last.LastSeenAt, ID: last.ID}
	}
	pg.Sessions = rows
	return pg, nil
}

// encodeCursor writes a cursor as "<unix microseconds>_<id>": PostgreSQL keeps
// microseconds, so the next page starts exactly after the last row.
func encodeCursor(k *store.SessionCursor) string {
	if k == nil {
		return ""
	}
	return strconv.FormatInt(k.LastSeenAt.UnixMicro(), 10) + "_" + k.ID
}

// parseCursor reads an "after" value; empty means the first page.
func parseCursor(v string) (*store.SessionCursor, bool) {
	if v == "" {
		return nil, true
	}
	micros, id, ok := strings.Cut(v, "_")
	if !ok || !store.ValidSessionID(id) {
		return nil, false
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil || us < 0 {
		return nil, false
	}
	return &store.SessionCursor{LastSeenAt: time.UnixMicro(us).UTC(), ID: id}, true
}

// sessionListCursor reads ?after= for the session pages; a broken link is
// a 400 that says what to do.
func sessionListCursor(c echo.Context) (*store.SessionCursor, error) {
	after, ok := parseCursor(c.QueryParam("after"))
	if !ok {
		return nil, &Error{Status: http.StatusBadRequest, Code: "bad_request",
			Message: "This page link is not valid. Start again from the first page of sessions.",
			Fields:  map[string]string{"after": "is not a page position Curfew made"}}
	}
	return after, nil
}

// sessionList builds the view of a page of sessions.
func (s *Server) sessionList(c echo.Context, pg sessionPage, showPerson bool, path, endBase string, continued bool) views.SessionList {
	p := principal(c)
	now := s.now()
	l := views.SessionList{ShowPerson: showPerson, CSRF: csrfToken(c), Continued: continued}
	for _, row := range pg.Sessions {
		browser, system := describeUserAgent(row.UserAgent)
		eff := s.effectiveFor(p, row.UserRole)
		at, rule := policy.ExpiryOf(eff, row.CreatedAt, row.LastSeenAt).At()
		by := "after " + policy.HumanMinutes(eff.IdleMinutes) + " without activity"
		if rule == policy.ReasonAbsolute {
			by = "end of its " + policy.HumanMinutes(eff.AbsoluteMinutes) + " lifetime"
		}
		person := row.UserName
		if person == "" {
			person = row.UserEmail
		}
		ip := row.IP
		if ip == "" {
			ip = "unknown"
		}
		l.Rows = append(l.Rows, views.SessionRow{
			ID:          row.ID,
			Person:      person,
			Email:       row.UserEmail,
			Role:        roleLabel(row.UserRole),
			Browser:     browser,
			System:      system,
			IP:          ip,
			SignedIn:    sessionMoment(row.CreatedAt, now),
			LastActive:  sessionMoment(row.LastSeenAt, now),
			Expires:     sessionMoment(at, now),
			ExpiresRule: string(rule),
			ExpiresBy:   by,
			Current:     row.ID == p.SessionID,
			EndURL:      endBase + row.ID + "/revoke",
		})
	}
	if pg.Next != nil {
		l.MoreURL = path + "?after=" + url.QueryEscape(encodeCursor(pg.Next))
	}
	return l
}

func roleLabel(role string) string {
	switch role {
	case store.RoleOwner:
		return "Owner"
	case store.RoleEngineer:
		return "Engineer"
	}
	return role
}

// sessionMoment shows a time relative to now, with the exact time for hover.
func sessionMoment(t, now time.Time) views.SessionTime {
	return views.SessionTime{
		ISO:      t.UTC().Format(time.RFC3339),
		Exact:    t.UTC().Format("Mon 2 Jan 2006, 15:04:05 UTC"),
		Relative: relativeWords(t, now),
	}
}

// relativeWords says how far t is from now: "just now", "5 minutes ago",
// "in 2 hours", "in 13 days".
func relativeWords(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var n int
	var unit string
	switch {
	case d < time.Minute:
		if future {
			return "in under a minute"
		}
		return "just now"
	case d < time.Hour:
		n, unit = int(d/time.Minute), "minute"
	case d < 48*time.Hour:
		n, unit = int(d/time.Hour), "hour"
	default:
		n, unit = int(d/(24*time.Hour)), "day"
	}
	words := strconv.Itoa(n) + " " + unit
	if n != 1 {
		words += "s"
	}
	if future {
		return "in " + words
	}
	return words + " ago"
}

// listNotice turns ?signed_out=N or ?ended=1 after a plain form post into a
// sentence; anything else says nothing.
func listNotice(c echo.Context) string {
	if v := c.QueryParam("signed_out"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			if n == 1 {
				return "Signed out 1 session."
			}
			return "Signed out " + strconv.Itoa(n) + " sessions."
		}
	}
	if c.QueryParam("ended") == "1" {
		return "The session has ended."
	}
	return ""
}

// accountSessionsPage is GET /settings/security/sessions: every active session
// of the account, most recently active first. htmx asks for the next rows.
func (s *Server) accountSessionsPage(c echo.Context) error {
	after, err := sessionListCursor(c)
	if err != nil {
		return err
	}
	pg, err := s.loadSessions(c, 0, after, sessionsPerPage)
	if err != nil {
		return err
	}
	list := s.sessionList(c, pg, true, "/settings/security/sessions", "/settings/security/sessions/", after != nil)
	return renderFragmentOrPage(c, http.StatusOK, views.SessionRowsFragment(list), func() (templ.Component, error) {
		n, err := s.recentAccountCounts(c)
		if err != nil {
			return nil, err
		}
		return views.AccountSessionsView(views.AccountSessions{
			Page:     s.page(c, "Active sessions", "sessions"),
			Sessions: n.Sessions,
			People:   n.People,
			Notice:   listNotice(c),
			List:     list,
		}), nil
	})
}

// revokeAccountSession is POST /settings/security/sessions/:id/revoke: an
// owner ends one session of the account.
func (s *Server) revokeAccountSession(c echo.Context) error {
	return s.endSession(c, 0, "/settings/security/sessions", true)
}

// endSession ends one session from a list page: htmx gets the row's new
// content, a plain post a redirect back to the list. Ending one's own current
// session is signing out.
func (s *Server) endSession(c echo.Context, onlyUserID int64, listPath string, showPerson bool) error {
	p := principal(c)
	e, err := s.store.RevokeSession(c.Request().Context(), s.actor(c), c.Param("id"), onlyUserID, s.now())
	if err != nil {
		return err
	}
	s.counts.forget(p.AccountID)
	if e.ID == p.SessionID {
		return s.sendToLogin(c, "/login?reason=logout")
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, listPath+"?ended=1")
	}
	l := s.sessionList(c, sessionPage{Sessions: []store.AccountSession{e.AccountSession}}, showPerson, listPath, listPath+"/", false)
	return render(c, http.StatusOK, views.SessionEnded(l, l.Rows[0]))
}

// sessionJSON is one session in the API.
type sessionJSON struct {
	ID                string          `json:"id"`
	User              sessionUserJSON `json:"user"`
	IP                string          `json:"ip"`
	UserAgent         string          `json:"user_agent"`
	Browser           string          `json:"browser"`
	OS                string          `json:"os"`
	CreatedAt         time.Time       `json:"created_at"`
	LastSeenAt        time.Time       `json:"last_seen_at"`
	IdleExpiresAt     time.Time       `json:"idle_expires_at"`
	AbsoluteExpiresAt time.Time       `json:"absolute_expires_at"`
	ExpiresAt         time.Time       `json:"expires_at"`
	ExpiresBy         string          `json:"expires_by"`
	Current           bool            `json:"current"`
}

type sessionUserJSON struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

// sessionsJSON is a page of sessions; next_after continues the list.
type sessionsJSON struct {
	Sessions       []sessionJSON `json:"sessions"`
	NextAfter      *string       `json:"next_after"`
	ActiveSessions int           `json:"active_sessions"`
	People         int           `json:"people"`
}

// apiAccountSessions is GET /api/accounts/me/sessions?after=&limit=: the
// account's active sessions, most recently active first.
func (s *Server) apiAccountSessions(c echo.Context) error {
	p := principal(c)
	fields := map[string]string{}
	after, ok := parseCursor(c.QueryParam("after"))
	if !ok {
		fields["after"] = "must be a next_after value from a previous page"
	}
	limit := sessionsPerPage
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > sessionsMaxPerPage {
			fields["limit"] = "must be a whole number from 1 to " + strconv.Itoa(sessionsMaxPerPage)
		}
		limit = n
	}
	if len(fields) > 0 {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: "Some query parameters need fixing.", Fields: fields}
	}
	pg, err := s.loadSessions(c, 0, after, limit)
	if err != nil {
		return err
	}
	n, err := s.recentAccountCounts(c)
	if err != nil {
		return err
	}
	out := sessionsJSON{Sessions: []sessionJSON{}, ActiveSessions: n.Sessions, People: n.People}
	for _, row := range pg.Sessions {
		browser, system := describeUserAgent(row.UserAgent)
		x := policy.ExpiryOf(s.effectiveFor(p, row.UserRole), row.CreatedAt, row.LastSeenAt)
		at, rule := x.At()
		out.Sessions = append(out.Sessions, sessionJSON{
			ID:                row.ID,
			User:              sessionUserJSON{ID: row.UserID, Email: row.UserEmail, Name: row.UserName, Role: row.UserRole},
			IP:                row.IP,
			UserAgent:         row.UserAgent,
			Browser:           browser,
			OS:                system,
			CreatedAt:         row.CreatedAt.UTC(),
			LastSeenAt:        row.LastSeenAt.UTC(),
			IdleExpiresAt:     x.IdleAt.UTC(),
			AbsoluteExpiresAt: x.AbsoluteAt.UTC(),
			ExpiresAt:         at.UTC(),
			ExpiresBy:         string(rule),
			Current:           row.ID == p.SessionID,
		})
	}
	if pg.Next != nil {
		next := encodeCursor(pg.Next)
		out.NextAfter = &next
	}
	return c.JSON(http.StatusOK, out)
}

// apiDeleteAccountSession is DELETE /api/accounts/me/sessions/:id: end one
// session of the account. 204 when it has ended (or already had), 404 when
// it is not one of the account's.
func (s *Server) apiDeleteAccountSession(c echo.Context) error {
	p := principal(c)
	e, err := s.store.RevokeSession(c.Request().Context(), s.actor(c), c.Param("id"), 0, s.now())
	if err != nil {
		return err
	}
	s.counts.forget(p.AccountID)
	if e.ID == p.SessionID {
		s.clearToken(c)
	}
	return c.NoContent(http.StatusNoContent)
}
