package handlers

import (
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/store"
	"curfew/views"
	"curfew/words"
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
// userID's when not 0, only those matching search when not "").
func (s *Server) loadSessions(c echo.Context, userID int64, search string, after *store.SessionCursor, limit int) (sessionPage, error) {
	p := principal(c)
	rows, err := s.store.ActiveSessions(c.Request().Context(), store.ActiveSessionsQuery{
		AccountID: p.AccountID, UserID: userID, Active: s.activeAt(p), After: after, Limit: limit, Search: search,
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

// sessionListPage reads the page of active sessions that ?after= asks for
// (only userID's when not 0, only those f searches for) and builds its view,
// with links under path.
func (s *Server) sessionListPage(c echo.Context, userID int64, f sessionFilter, path string, showPerson bool) (views.SessionList, error) {
	after, err := sessionListCursor(c)
	if err != nil {
		return views.SessionList{}, err
	}
	pg, err := s.loadSessions(c, userID, f.Search, after, sessionsPerPage)
	if err != nil {
		return views.SessionList{}, err
	}
	l := s.sessionList(c, pg, showPerson, path, path+"/", after != nil)
	if pg.Next != nil {
		l.MoreURL = path + f.query(encodeCursor(pg.Next))
	}
	l.Search = f.Search
	return l, nil
}

// sessionList builds the view of a page of sessions.
func (s *Server) sessionList(c echo.Context, pg sessionPage, showPerson bool, path, endBase string, continued bool) views.SessionList {
	p := principal(c)
	now := s.now()
	l := views.SessionList{ShowPerson: showPerson, CSRF: csrfToken(c), Continued: continued}
	for _, row := range pg.Sessions {
		r := sessionRow(row, p, now, endBase)
		// Only the owner's list shows other people's sessions.
		r.NeedsPassword = showPerson && s.needsPasswordToEnd(p, row)
		l.Rows = append(l.Rows, r)
	}
	if pg.Next != nil {
		l.MoreURL = path + "?after=" + url.QueryEscape(encodeCursor(pg.Next))
	}
	return l
}

// sessionRow is one session as a list shows it to p: who, where, and when
// and by which limit of its person's role it will end.
func sessionRow(row store.AccountSession, p *Principal, now time.Time, endBase string) views.SessionRow {
	browser, system := describeSession(row.Client, row.UserAgent)
	eff := p.EffectiveFor(row.UserRole)
	at, rule := policy.ExpiryOf(eff, row.CreatedAt, row.LastSeenAt).At()
	by := words.ExpiresBy(true, eff.IdleMinutes)
	if rule == policy.ReasonAbsolute {
		by = words.ExpiresBy(false, eff.AbsoluteMinutes)
	}
	person := row.UserName
	if person == "" {
		person = row.UserEmail
	}
	ip := row.IP
	if ip == "" {
		ip = "unknown"
	}
	return views.SessionRow{
		ID:          row.ID,
		Person:      person,
		Email:       row.UserEmail,
		Role:        roleLabel(row.UserRole),
		Browser:     browser,
		System:      system,
		Device:      words.Device(row.Client == store.ClientAPI, row.UserAgent),
		UserAgent:   row.UserAgent,
		IP:          ip,
		SignedIn:    sessionMoment(row.CreatedAt, now),
		LastActive:  sessionMoment(row.LastSeenAt, now),
		Expires:     sessionMoment(at, now),
		ExpiresRule: rule,
		ExpiresBy:   by,
		Current:     row.ID == p.SessionID,
		EndURL:      endBase + row.ID + "/revoke",
	}
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
		Exact:    words.Exact(t),
		Relative: words.Relative(t, now),
	}
}

// listNotice turns ?signed_out=N or ?ended=1 after a plain form post into a
// sentence; anything else says nothing.
func listNotice(c echo.Context) string {
	if v := c.QueryParam("signed_out"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return "Signed out " + words.Plural(n, "session", "sessions") + "."
		}
	}
	if c.QueryParam("ended") == "1" {
		return "The session has ended."
	}
	return ""
}
