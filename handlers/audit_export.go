package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// Variables only so a test can shrink them (SetAuditExportLimits).
var (
	// auditExportCap bounds one export file; a note says where it stopped.
	auditExportCap = 100_000
	// auditExportBatch is how many rows an export reads per query.
	auditExportBatch = 1000
)

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
	if err := s.beginExport(c, w); err != nil {
		return s.cutExport(c, w, 0, err)
	}
	// From here on a failure cannot change the status: cutExport makes it
	// visible. Each batch has its own deadline (export_deadline.go).
	exportCtx, cancel := exportContext(c)
	defer cancel()
	extendWrite(c)
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

// beginExport sends the headers of a download named for today and the start
// of the file.
func (s *Server) beginExport(c echo.Context, w *auditWriter) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, w.contentType())
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="curfew-audit-%s.%s"`, s.now().UTC().Format("2006-01-02"), w.format))
	c.Response().WriteHeader(http.StatusOK)
	return w.begin()
}
