package handlers

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/store"
	"curfew/views"
)

const (
	// auditPageSize is a page of the log when the request names no limit.
	auditPageSize = 50
	// auditMaxLimit is the largest page the API serves.
	auditMaxLimit = 200
)

// Variables only so a test can shrink them (SetAuditExportLimits).
var (
	// auditExportCap bounds one export file; a note says where it stopped.
	auditExportCap = 100_000
	// auditExportBatch is how many rows an export reads per query.
	auditExportBatch = 1000
)

// auditQuery is the query string of the audit page, API and export.
type auditQuery struct {
	store.AuditFilter
	// Raw values, to keep the form and links as the person gave them.
	action, actor string
	limitGiven    bool
}

// parseAuditQuery reads action, actor, before and limit. Every bad value is
// named in the returned field errors.
func parseAuditQuery(c echo.Context) (auditQuery, map[string]string) {
	q := auditQuery{AuditFilter: store.AuditFilter{Limit: auditPageSize}}
	errs := map[string]string{}
	q.action = c.QueryParam("action")
	if q.action != "" {
		if !slices.Contains(store.AuditActions, q.action) {
			errs["action"] = "must be one of: " + strings.Join(store.AuditActions, ", ")
		}
		q.Action = q.action
	}
	q.actor = c.QueryParam("actor")
	if q.actor != "" {
		id, err := strconv.ParseInt(q.actor, 10, 64)
		if err != nil || id <= 0 {
			errs["actor"] = "must be a user id (a positive whole number)"
		}
		q.ActorID = id
	}
	if v := c.QueryParam("before"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			errs["before"] = "must be an event id (a positive whole number)"
		}
		q.Before = id
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > auditMaxLimit {
			errs["limit"] = "must be a whole number from 1 to " + strconv.Itoa(auditMaxLimit)
		}
		q.Limit, q.limitGiven = n, true
	}
	if len(errs) > 0 {
		return q, errs
	}
	return q, nil
}

// auditQueryError is the 422 for bad query parameters; the message names
// each one too, for the error page a bad link or export URL gets.
func auditQueryError(errs map[string]string) *Error {
	var parts []string
	for _, f := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, f+" "+errs[f])
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
		Message: "Some query parameters are not valid: " + strings.Join(parts, "; ") + ".", Fields: errs}
}

// url is the address of this query on path, with before replaced.
func (q auditQuery) url(path string, before int64, extra url.Values) string {
	v := url.Values{}
	for k, vs := range extra {
		v[k] = vs
	}
	if q.action != "" {
		v.Set("action", q.action)
	}
	if q.actor != "" {
		v.Set("actor", q.actor)
	}
	if before != 0 {
		v.Set("before", strconv.FormatInt(before, 10))
	}
	if q.limitGiven {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

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
	rows := views.AuditRows{Appended: q.Before != 0}
	names := auditNames(people)
	for _, e := range page.Events {
		rows.Events = append(rows.Events, s.auditRow(e, names))
	}
	if page.NextBefore != 0 {
		rows.MoreURL = q.url("/settings/audit", page.NextBefore, nil)
	}
	m := views.Audit{
		Page:        s.page(c, "Audit log", "audit"),
		Action:      q.action,
		Actor:       q.actor,
		FieldErrors: errs,
		Older:       q.Before != 0,
		NewestURL:   q.url("/settings/audit", 0, nil),
		ExportCSV:   q.url("/settings/audit/export", 0, url.Values{"format": {"csv"}}),
		ExportJS:    q.url("/settings/audit/export", 0, url.Values{"format": {"json"}}),
		ExportCap:   auditThousands(auditExportCap),
		Rows:        rows,
	}
	for _, a := range store.AuditActions {
		m.Actions = append(m.Actions, views.AuditOption{Value: a, Label: auditActionLabel(a)})
	}
	actorListed := q.actor == ""
	for _, person := range people {
		id := strconv.FormatInt(person.ID, 10)
		actorListed = actorListed || id == q.actor
		m.People = append(m.People, views.AuditOption{Value: id, Label: auditPersonLabel(person)})
	}
	if !actorListed {
		// A filter on someone who is not in the account (anymore) shows as such
		// rather than as "Everyone".
		m.People = append(m.People, views.AuditOption{Value: q.actor, Label: "Not in this account (#" + q.actor + ")"})
	}
	return renderPageOrFragment(c, status, views.AuditView(m), views.AuditRowsFragment(rows))
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
	words := describeAuditEvent(e, names)
	return views.AuditEventRow{
		ID:          e.ID,
		Action:      e.Action,
		ActionLabel: auditActionLabel(e.Action),
		Subject:     words.Subject,
		Predicate:   words.Predicate,
		At:          e.CreatedAt.UTC().Format(time.RFC3339),
		Exact:       auditExactTime(e.CreatedAt),
		Ago:         auditAgo(s.now(), e.CreatedAt),
		IP:          e.IP,
		Browser:     auditBrowser(e.UserAgent),
		UserAgent:   e.UserAgent,
		Payload:     auditPrettyPayload(e.Payload),
	}
}

func auditPrettyPayload(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

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

// auditExport is GET /settings/audit/export?format=csv|json with the page's
// filters: the filtered log as a download, streamed in batches so memory stays
// flat, and capped at auditExportCap rows with a note saying where it stopped.
func (s *Server) auditExport(c echo.Context) error {
	p := principal(c)
	ctx := c.Request().Context()
	q, errs := parseAuditQuery(c)
	format := c.QueryParam("format")
	if format != "csv" && format != "json" {
		if errs == nil {
			errs = map[string]string{}
		}
		errs["format"] = "must be csv or json"
	}
	if errs != nil {
		return auditQueryError(errs)
	}
	people, err := s.store.AuditPeople(ctx, p.AccountID)
	if err != nil {
		return err
	}
	names := auditNames(people)
	// The first batch is read before any byte is sent, so a failure there
	// still gets a proper error response.
	filter := q.AuditFilter
	filter.Limit = auditExportBatch
	page, err := s.store.AuditEvents(ctx, p.AccountID, filter)
	if err != nil {
		return err
	}

	w := newAuditWriter(format, c.Response(), names)
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, w.contentType())
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="curfew-audit-%s.%s"`, s.now().UTC().Format("2006-01-02"), format))
	c.Response().WriteHeader(http.StatusOK)
	// From here on a failure cannot change the status: cutExport makes it
	// visible. Each batch has its own deadline (export_deadline.go).
	exportCtx, cancel := exportContext(c)
	defer cancel()
	extendWrite(c)
	if err := w.begin(); err != nil {
		return s.cutExport(c, w, 0, err)
	}
	written := 0
	for {
		for _, e := range page.Events {
			if written == auditExportCap {
				return w.end(e.ID + 1)
			}
			if err := w.event(e); err != nil {
				return s.cutExport(c, w, written, err)
			}
			written++
		}
		c.Response().Flush()
		if page.NextBefore == 0 {
			return w.end(0)
		}
		filter.Before = page.NextBefore
		filter.Limit = min(auditExportBatch, auditExportCap-written+1)
		batchCtx, cancelBatch := s.batchContext(exportCtx)
		page, err = s.store.AuditEvents(batchCtx, p.AccountID, filter)
		cancelBatch()
		if err != nil {
			return s.cutExport(c, w, written, err)
		}
		extendWrite(c)
	}
}

// auditWriter writes an export in one format.
type auditWriter struct {
	format string
	out    http.ResponseWriter
	csv    *csv.Writer
	first  bool
	names  map[int64]string
}

func newAuditWriter(format string, out http.ResponseWriter, names map[int64]string) *auditWriter {
	w := &auditWriter{format: format, out: out, first: true, names: names}
	if format == "csv" {
		w.csv = csv.NewWriter(out)
	}
	return w
}

func (w *auditWriter) contentType() string {
	if w.format == "csv" {
		return "text/csv; charset=utf-8"
	}
	return echo.MIMEApplicationJSONCharsetUTF8
}

var auditCSVHeader = []string{"id", "created_at", "action", "summary", "actor_id", "actor_email", "actor_name", "ip", "user_agent", "payload"}

func (w *auditWriter) begin() error {
	if w.csv != nil {
		return w.csv.Write(auditCSVHeader)
	}
	_, err := io.WriteString(w.out, `{"events":[`)
	return err
}

func (w *auditWriter) event(e store.AuditEvent) error {
	j := auditJSON(e, w.names)
	if w.csv == nil {
		b, err := json.Marshal(j)
		if err != nil {
			return err
		}
		if !w.first {
			b = append([]byte{','}, b...)
		}
		w.first = false
		b = append(b, '\n')
		_, err = w.out.Write(b)
		return err
	}
	var actorID, email, name string
	if j.Actor != nil {
		actorID, email, name = strconv.FormatInt(j.Actor.ID, 10), j.Actor.Email, j.Actor.Name
	}
	return w.csv.Write(csvSafe(
		strconv.FormatInt(j.ID, 10), j.CreatedAt.Format(time.RFC3339Nano), j.Action, j.Summary,
		actorID, email, name, j.IP, j.UserAgent, string(j.Payload),
	))
}

// end finishes the file. nextBefore is not 0 when the cap cut the export
// short: the note says how to fetch the rest.
func (w *auditWriter) end(nextBefore int64) error {
	note := ""
	if nextBefore != 0 {
		note = fmt.Sprintf("Export stopped at %s events. Export again with before=%d for older events.", auditThousands(auditExportCap), nextBefore)
	}
	if w.csv != nil {
		if note != "" {
			w.csv.Write(csvSafe("", "", "", note, "", "", "", "", "", ""))
		}
		w.csv.Flush()
		return w.csv.Error()
	}
	tail := map[string]any{"truncated": nextBefore != 0, "next_before": nil}
	if nextBefore != 0 {
		tail["next_before"] = nextBefore
		tail["note"] = note
	}
	b, err := json.Marshal(tail)
	if err != nil {
		return err
	}
	// Splice the tail's fields after the events array: {"events":[…],"truncated":…}
	_, err = w.out.Write(append([]byte("],"), b[1:]...))
	return err
}

// auditThousands writes a count with thousands separators: 100,000.
func auditThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// csvSafe defuses spreadsheet formulas: a cell that starts with = + - @ (or a
// tab or carriage return) gets a leading quote, so it is shown as text.
func csvSafe(cells ...string) []string {
	for i, v := range cells {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			cells[i] = "'" + v
		}
	}
	return cells
}
