package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/store"
	"curfew/words"
)

// endedSessionJSON is one ended session in the API: who, where, when it
// ended, why, and who ended it (null when a rule did).
type endedSessionJSON struct {
	sessionFieldsJSON
	EndedAt     time.Time        `json:"ended_at"`
	EndedReason string           `json:"ended_reason"`
	EndedBy     *sessionUserJSON `json:"ended_by"`
	// EndedBecause is the reason in words, as the session ledger says it.
	EndedBecause string `json:"ended_because"`
}

// endedSessionsJSON is a page of ended sessions; next_after continues it.
type endedSessionsJSON struct {
	Sessions  []endedSessionJSON `json:"sessions"`
	NextAfter *string            `json:"next_after"`
}

// apiEndedSessions is GET /api/accounts/me/sessions?state=ended: the
// account's sessions that ended within the retention period, the most
// recently ended first.
func (s *Server) apiEndedSessions(c echo.Context, f sessionFilter, after *store.SessionCursor, limit int) error {
	rows, next, err := s.loadEndedSessions(c, f.Search, after, limit)
	if err != nil {
		return err
	}
	out := endedSessionsJSON{Sessions: []endedSessionJSON{}}
	for _, row := range rows {
		out.Sessions = append(out.Sessions, endedSessionAsJSON(row))
	}
	if next != nil {
		n := encodeCursor(next)
		out.NextAfter = &n
	}
	return c.JSON(http.StatusOK, out)
}

func endedSessionAsJSON(row store.PastSession) endedSessionJSON {
	j := endedSessionJSON{
		sessionFieldsJSON: sessionFieldsOf(row.AccountSession),
		EndedAt:           row.RevokedAt.UTC(),
		EndedReason:       deref(row.RevokedReason),
		EndedBecause:      endedBecause(row),
	}
	if row.EndedByID != nil {
		j.EndedBy = &sessionUserJSON{ID: *row.EndedByID, Email: deref(row.EndedByEmail), Name: deref(row.EndedByName)}
	}
	return j
}

// endedBecause is a session's one stated reason, naming who ended it.
func endedBecause(row store.PastSession) string {
	by := deref(row.EndedByName)
	if by == "" {
		by = deref(row.EndedByEmail)
	}
	minutes := 0
	if row.RevokedAfterMinutes != nil {
		minutes = *row.RevokedAfterMinutes
	}
	return words.Ended(deref(row.RevokedReason), minutes, by)
}
