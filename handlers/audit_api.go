package handlers

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/store"
)

// auditEventJSON is one event in the API and the JSON export.
type auditEventJSON struct {
	ID        int64           `json:"id"`
	Action    string          `json:"action"`
	Actor     *auditActorJSON `json:"actor"`
	Summary   string          `json:"summary"`
	Payload   json.RawMessage `json:"payload"`
	IP        string          `json:"ip"`
	UserAgent string          `json:"user_agent"`
	CreatedAt time.Time       `json:"created_at"`
}

type auditActorJSON struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

func auditJSON(e store.AuditEvent, names map[int64]string) auditEventJSON {
	j := auditEventJSON{
		ID:        e.ID,
		Action:    e.Action,
		Summary:   describeAuditEvent(e, names).String(),
		Payload:   e.Payload,
		IP:        e.IP,
		UserAgent: e.UserAgent,
		CreatedAt: e.CreatedAt.UTC(),
	}
	// The actor is shown only when they are a user of this account.
	if e.ActorUserID != nil && e.ActorEmail != nil {
		j.Actor = &auditActorJSON{ID: *e.ActorUserID, Email: *e.ActorEmail}
		if e.ActorName != nil {
			j.Actor.Name = *e.ActorName
		}
	}
	if len(j.Payload) == 0 {
		j.Payload = json.RawMessage("{}")
	}
	return j
}

// apiAudit is GET /api/accounts/me/audit?action=&actor=&before=&limit=.
func (s *Server) apiAudit(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	q, errs := parseAuditQuery(c)
	if errs != nil {
		return auditQueryError(errs)
	}
	page, err := s.store.AuditEvents(ctx, p.AccountID, q.AuditFilter)
	if err != nil {
		return err
	}
	people, err := s.store.AuditPeople(ctx, p.AccountID)
	if err != nil {
		return err
	}
	names := auditNames(people)
	body := struct {
		Events     []auditEventJSON `json:"events"`
		NextBefore *int64           `json:"next_before"`
	}{Events: make([]auditEventJSON, 0, len(page.Events))}
	for _, e := range page.Events {
		body.Events = append(body.Events, auditJSON(e, names))
	}
	if page.NextBefore != 0 {
		body.NextBefore = &page.NextBefore
	}
	return c.JSON(http.StatusOK, body)
}
