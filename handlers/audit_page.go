package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/store"
	"curfew/views"
	"curfew/words"
)

// auditPage is GET /settings/audit: the log, newest first, in plain words.
// An htmx request ("Load more") gets just the next rows and a new button.
func (s *Server) auditPage(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	q, errs := parseAuditQuery(c)
	if errs != nil && isHTMX(c) {
		return auditQueryError(errs)
	}
	people, err := s.store.AuditPeople(ctx, p.AccountID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	var page store.AuditPage
	if errs == nil {
		if page, err = s.store.AuditEvents(ctx, p.AccountID, q.AuditFilter); err != nil {
			return err
		}
	} else {
		status = http.StatusUnprocessableEntity
	}
	rows := s.auditRows(q, page, auditNames(people))
	m := views.Audit{
		Page:        s.page(c, "Audit log", "audit"),
		Action:      q.action,
		Actor:       q.actor,
		From:        q.from,
		To:          q.to,
		FieldErrors: auditFilterMessages(errs),
		Older:       q.Before != 0,
		NewestURL:   q.url("/settings/audit", 0, nil),
		ExportCSV:   q.url("/settings/audit/export", 0, url.Values{"format": {"csv"}}),
		ExportJS:    q.url("/settings/audit/export", 0, url.Values{"format": {"json"}}),
		ExportCap:   words.Thousands(auditExportCap),
		Rows:        rows,
		Actions:     auditActionOptions(),
		People:      auditPeopleOptions(people, q.actor),
	}
	return renderPageOrFragment(c, status, views.AuditView(m), views.AuditRowsFragment(rows))
}

// auditRows is a page of events as the log shows them, with the link to the
// next page.
func (s *Server) auditRows(q auditQuery, page store.AuditPage, names map[int64]string) views.AuditRows {
	rows := views.AuditRows{Appended: q.Before != 0}
	for _, e := range page.Events {
		rows.Events = append(rows.Events, s.auditRow(e, names))
	}
	if page.NextBefore != 0 {
		rows.MoreURL = q.url("/settings/audit", page.NextBefore, nil)
	}
	return rows
}

// auditActionOptions is the action filter: every action the log records.
func auditActionOptions() []views.AuditOption {
	var out []views.AuditOption
	for _, a := range store.AuditActions {
		out = append(out, views.AuditOption{Value: a, Label: auditActionLabel(a)})
	}
	return out
}

// auditPeopleOptions is the person filter: the account's people, and the
// filtered-on actor when they are not (or no longer) one of them, shown as
// such rather than as "Everyone".
func auditPeopleOptions(people []store.AuditPerson, actor string) []views.AuditOption {
	var out []views.AuditOption
	listed := actor == ""
	for _, person := range people {
		id := strconv.FormatInt(person.ID, 10)
		listed = listed || id == actor
		out = append(out, views.AuditOption{Value: id, Label: auditPersonLabel(person)})
	}
	if !listed {
		out = append(out, views.AuditOption{Value: actor, Label: "Not in this account (#" + actor + ")"})
	}
	return out
}

func auditPersonLabel(p store.AuditPerson) string {
	if p.Name != "" {
		return p.Name + " (" + p.Email + ")"
	}
	return p.Email
}

func auditNames(people []store.AuditPerson) map[int64]string {
	names := make(map[int64]string, len(people))
	for _, p := range people {
		names[p.ID] = p.DisplayName()
	}
	return names
}

func (s *Server) auditRow(e store.AuditEvent, names map[int64]string) views.AuditEventRow {
	said := describeAuditEvent(e, names)
	return views.AuditEventRow{
		ID:          e.ID,
		Action:      e.Action,
		ActionLabel: auditActionLabel(e.Action),
		Subject:     said.Subject,
		Predicate:   said.Predicate,
		At:          e.CreatedAt.UTC().Format(time.RFC3339),
		Exact:       words.Exact(e.CreatedAt),
		When:        words.When(e.CreatedAt, s.now()),
		Ago:         words.Ago(e.CreatedAt, s.now()),
		IP:          e.IP,
		Browser:     words.BrowserOn(e.UserAgent),
		UserAgent:   e.UserAgent,
		Details:     words.Details(auditWordsEvent(e, names)),
	}
}
