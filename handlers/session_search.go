package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"curfew/store"
)

// The states of the owner's session list: who is signed in now, those
// signed in grouped by person, and the sessions that ended lately.
const (
	stateActive = "active"
	statePeople = "people"
	stateEnded  = "ended"
)

// sessionFilter is what a session list is asked for: ?q= and ?state=.
type sessionFilter struct {
	Search string
	State  string
}

// maxSearchChars is how long a search may be, in characters; the store
// bounds it in bytes as well.
const maxSearchChars = 100

// readSessionFilter reads ?q= and ?state=, naming each bad one. states are
// the states the list offers (the API has no people view).
func readSessionFilter(c echo.Context, states ...string) (sessionFilter, error) {
	f := sessionFilter{Search: strings.TrimSpace(c.QueryParam("q")), State: c.QueryParam("state")}
	fields := map[string]string{}
	if !utf8.ValidString(f.Search) || strings.ContainsRune(f.Search, 0) {
		fields["q"] = "must be text"
	} else if utf8.RuneCountInString(f.Search) > maxSearchChars {
		fields["q"] = "must be at most " + strconv.Itoa(maxSearchChars) + " characters"
	}
	if f.State == "" {
		f.State = stateActive
	}
	known := f.State == stateActive
	for _, st := range states {
		known = known || f.State == st
	}
	if !known {
		fields["state"] = "must be one of " + strings.Join(append([]string{stateActive}, states...), ", ")
		f.State = stateActive
	}
	if len(fields) > 0 {
		var msgs []string
		if m := fields["q"]; m != "" {
			msgs = append(msgs, "The search (q) "+m+".")
		}
		if m := fields["state"]; m != "" {
			msgs = append(msgs, "The list (state) "+m+".")
		}
		return f, &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
			Message: strings.Join(msgs, " "), Fields: fields}
	}
	return f, nil
}

// query is the filter as a query string for links that keep it, with
// ?after= when continuing a list.
func (f sessionFilter) query(after string) string {
	v := url.Values{}
	if f.Search != "" {
		v.Set("q", f.Search)
	}
	if f.State != stateActive {
		v.Set("state", f.State)
	}
	if after != "" {
		v.Set("after", after)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// loadEndedSessions reads a page of the caller's account's ended sessions,
// those within the retention period.
func (s *Server) loadEndedSessions(c echo.Context, search string, after *store.SessionCursor, limit int) ([]store.PastSession, *store.SessionCursor, error) {
	p := principal(c)
	rows, err := s.store.EndedSessions(c.Request().Context(), store.EndedSessionsQuery{
		AccountID: p.AccountID, Since: s.now().Add(-s.cfg.SessionRetention), After: after, Limit: limit, Search: search,
	})
	if err != nil {
		return nil, nil, err
	}
	var next *store.SessionCursor
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		next = &store.SessionCursor{LastSeenAt: *last.RevokedAt, ID: last.ID}
	}
	return rows, next, nil
}
