package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/store"
	"curfew/views"
	"curfew/words"
)

// accountSessionsPage is GET /settings/security/sessions: every active session
// of the account, most recently active first; ?state=people groups them by
// person, ?state=ended lists those that ended lately; ?q= searches any of
// them. htmx asks for the next rows of the active list.
func (s *Server) accountSessionsPage(c echo.Context) error {
	c.Response().Header().Add(echo.HeaderVary, "HX-Request")
	f, err := readSessionFilter(c, statePeople, stateEnded)
	if err != nil {
		return err
	}
	m := views.AccountSessions{State: f.State, Search: f.Search}
	switch f.State {
	case stateEnded:
		if m.Ended, err = s.endedList(c, f); err != nil {
			return err
		}
	case statePeople:
		if m.People, err = s.peopleList(c, f, nil); err != nil {
			return err
		}
	default:
		list, err := s.sessionListPage(c, 0, f, "/settings/security/sessions", true)
		if err != nil {
			return err
		}
		if isHTMX(c) && c.QueryParam("after") != "" {
			return render(c, http.StatusOK, views.SessionRowsFragment(list))
		}
		m.List = list
	}
	return s.renderAccountSessions(c, http.StatusOK, m)
}

// renderAccountSessions is the owner's sessions page around m's list, with the
// account's counts.
func (s *Server) renderAccountSessions(c echo.Context, status int, m views.AccountSessions) error {
	n, err := s.recentAccountCounts(c)
	if err != nil {
		return err
	}
	m.Page = s.page(c, "Sessions", "sessions")
	m.Sessions, m.PeopleCount = n.Sessions, n.People
	if m.Notice == "" {
		m.Notice = listNotice(c)
	}
	return render(c, status, views.AccountSessionsView(m))
}

// endedList is the page of the ledger that ?after= asks for.
func (s *Server) endedList(c echo.Context, f sessionFilter) (views.EndedList, error) {
	after, err := sessionListCursor(c)
	if err != nil {
		return views.EndedList{}, err
	}
	rows, next, err := s.loadEndedSessions(c, f.Search, after, sessionsPerPage)
	if err != nil {
		return views.EndedList{}, err
	}
	now := s.now()
	l := views.EndedList{Search: f.Search, Retention: words.Minutes(int(s.cfg.SessionRetention / time.Minute))}
	for _, row := range rows {
		l.Rows = append(l.Rows, views.EndedRow{
			ID:        row.ID,
			Person:    personName(row.AccountSession),
			Email:     row.UserEmail,
			Device:    words.Device(row.Client == store.ClientAPI, row.UserAgent),
			UserAgent: row.UserAgent,
			IP:        orUnknown(row.IP),
			SignedIn:  sessionMoment(row.CreatedAt, now),
			Ended:     sessionMoment(*row.RevokedAt, now),
			Because:   endedBecause(row),
			Reason:    deref(row.RevokedReason),
		})
	}
	if next != nil {
		l.MoreURL = "/settings/security/sessions" + f.query(encodeCursor(next))
	}
	return l, nil
}

// peopleShown is how many people the grouped list shows; a search finds
// the others.
const peopleShown = 200

// peopleList is the people signed in, grouped, with fix applied to each row
// (to open one row's form with an error).
func (s *Server) peopleList(c echo.Context, f sessionFilter, fix func(*views.PersonRow)) (views.PeopleList, error) {
	p := principal(c)
	rows, err := s.store.PeopleSignedIn(c.Request().Context(), p.AccountID, s.activeAt(p), f.Search, peopleShown+1)
	if err != nil {
		return views.PeopleList{}, err
	}
	l := views.PeopleList{Search: f.Search, Limit: peopleShown}
	if len(rows) > peopleShown {
		rows, l.Capped = rows[:peopleShown], true
	}
	now := s.now()
	for _, row := range rows {
		name := row.Name
		if name == "" {
			name = row.Email
		}
		r := views.PersonRow{
			UserID:        row.UserID,
			Person:        name,
			Email:         row.Email,
			Role:          roleLabel(row.Role),
			Sessions:      row.Sessions,
			LastActive:    sessionMoment(row.LastSeenAt, now),
			SessionsURL:   "/settings/security/sessions" + sessionFilter{Search: row.Email, State: stateActive}.query(""),
			EndURL:        "/settings/security/people/" + strconv.FormatInt(row.UserID, 10) + "/revoke-sessions",
			Self:          row.UserID == p.UserID,
			NeedsPassword: row.UserID != p.UserID && !s.inSudoWindow(c),
		}
		if fix != nil {
			fix(&r)
		}
		l.Rows = append(l.Rows, r)
	}
	return l, nil
}

func personName(row store.AccountSession) string {
	if row.UserName == "" {
		return row.UserEmail
	}
	return row.UserName
}

func orUnknown(ip string) string {
	if ip == "" {
		return "unknown"
	}
	return ip
}
