package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/store"
)

// sessionFieldsJSON is what the API says of any session, active or ended.
type sessionFieldsJSON struct {
	ID         string          `json:"id"`
	User       sessionUserJSON `json:"user"`
	IP         string          `json:"ip"`
	UserAgent  string          `json:"user_agent"`
	Client     string          `json:"client"`
	Browser    string          `json:"browser"`
	OS         string          `json:"os"`
	CreatedAt  time.Time       `json:"created_at"`
	LastSeenAt time.Time       `json:"last_seen_at"`
}

func sessionFieldsOf(row store.AccountSession) sessionFieldsJSON {
	browser, system := describeSession(row.Client, row.UserAgent)
	return sessionFieldsJSON{
		ID:         row.ID,
		User:       sessionUserJSON{ID: row.UserID, Email: row.UserEmail, Name: row.UserName, Role: row.UserRole},
		IP:         row.IP,
		UserAgent:  row.UserAgent,
		Client:     row.Client,
		Browser:    browser,
		OS:         system,
		CreatedAt:  row.CreatedAt.UTC(),
		LastSeenAt: row.LastSeenAt.UTC(),
	}
}

// sessionJSON is one active session in the API.
type sessionJSON struct {
	sessionFieldsJSON
	IdleExpiresAt     time.Time `json:"idle_expires_at"`
	AbsoluteExpiresAt time.Time `json:"absolute_expires_at"`
	ExpiresAt         time.Time `json:"expires_at"`
	ExpiresBy         string    `json:"expires_by"`
	Current           bool      `json:"current"`
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
	f, err := readSessionFilter(c, stateEnded)
	if err != nil {
		return err
	}
	after, limit, err := sessionsAPIQuery(c)
	if err != nil {
		return err
	}
	if f.State == stateEnded {
		return s.apiEndedSessions(c, f, after, limit)
	}
	pg, err := s.loadSessions(c, 0, f.Search, after, limit)
	if err != nil {
		return err
	}
	n, err := s.recentAccountCounts(c)
	if err != nil {
		return err
	}
	out := sessionsJSON{Sessions: []sessionJSON{}, ActiveSessions: n.Sessions, People: n.People}
	for _, row := range pg.Sessions {
		out.Sessions = append(out.Sessions, sessionAsJSON(row, p))
	}
	if pg.Next != nil {
		next := encodeCursor(pg.Next)
		out.NextAfter = &next
	}
	return c.JSON(http.StatusOK, out)
}

// sessionsAPIQuery reads ?after= and ?limit=, naming each bad one.
func sessionsAPIQuery(c echo.Context) (*store.SessionCursor, int, error) {
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
		return nil, 0, &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: "Some query parameters need fixing.", Fields: fields}
	}
	return after, limit, nil
}

// sessionAsJSON is one session as the API shows it to p, with its deadlines
// under its person's role's values.
func sessionAsJSON(row store.AccountSession, p *Principal) sessionJSON {
	x := policy.ExpiryOf(p.EffectiveFor(row.UserRole), row.CreatedAt, row.LastSeenAt)
	at, rule := x.At()
	return sessionJSON{
		sessionFieldsJSON: sessionFieldsOf(row),
		IdleExpiresAt:     x.IdleAt.UTC(),
		AbsoluteExpiresAt: x.AbsoluteAt.UTC(),
		ExpiresAt:         at.UTC(),
		ExpiresBy:         string(rule),
		Current:           row.ID == p.SessionID,
	}
}
