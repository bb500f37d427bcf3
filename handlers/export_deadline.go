package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// An export streams up to auditExportCap rows, longer than a page may take:
// bound by CURFEW_REQUEST_TIMEOUT as a whole, a slow download was cut
// mid-row and still ended with a 200. So each batch gets a deadline of its
// own, a request's; the transfer as a whole gets exportTimeout; and every
// batch may take exportWriteWindow to reach the client.
const (
	exportTimeout     = 15 * time.Minute
	exportWriteWindow = 30 * time.Second
)

// ctxUntimed holds the request's context before requestTimeout bounded it.
const ctxUntimed = "curfew.untimed"

// exportContext is the context of a whole export: the request's, without the
// page deadline, under exportTimeout. It still ends when the client leaves.
func exportContext(c echo.Context) (context.Context, context.CancelFunc) {
	parent, ok := c.Get(ctxUntimed).(context.Context)
	if !ok {
		parent = c.Request().Context()
	}
	return context.WithTimeout(parent, exportTimeout)
}

// batchContext bounds one batch of an export like one request.
func (s *Server) batchContext(export context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(export, s.requestDeadline())
}

// extendWrite gives the next batch exportWriteWindow to reach the client,
// past the server's WriteTimeout for the whole response. Not every writer can
// (a test's recorder cannot); such a writer has no deadline to extend.
func extendWrite(c echo.Context) {
	_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Now().Add(exportWriteWindow))
}

// errTransferCut is what a download that failed after its 200 returns:
// abortCutTransfers turns it into an aborted connection.
var errTransferCut = errors.New("transfer cut")

// cutExport ends an export that failed after its first byte. The status is
// sent, so the failure can only show in the body and the connection: a last
// row (CSV) or field (JSON) says the file is incomplete, for whoever looks,
// and the transfer is then aborted, so the client reports a failed download
// instead of saving a file that looks whole.
func (s *Server) cutExport(c echo.Context, w *auditWriter, written int, cause error) error {
	s.log.WarnContext(c.Request().Context(), "audit export cut", "request_id", requestID(c),
		"rows_written", written, "err", cause)
	_ = w.incomplete(written)
	c.Response().Flush()
	return fmt.Errorf("%w after %d rows: %w", errTransferCut, written, cause)
}

// incomplete writes the marker of an export that did not finish.
func (w *auditWriter) incomplete(written int) error {
	note := fmt.Sprintf("EXPORT INCOMPLETE: Curfew could not finish this export after %d events. This file is not the whole log; export again.", written)
	if w.csv != nil {
		w.csv.Write(csvSafe("", "", "", note, "", "", "", "", "", ""))
		w.csv.Flush()
		return w.csv.Error()
	}
	_, err := fmt.Fprintf(w.out, `],"incomplete":true,"error":%q}`, note)
	return err
}

// abortCutTransfers runs outside every other middleware, once the request is
// logged and counted: a response that errTransferCut ended is aborted with
// http.ErrAbortHandler, which net/http answers by closing the connection
// without the end of the chunked body (HTTP/1.1) or with a stream reset
// (HTTP/2), and which it does not log as a crash.
func abortCutTransfers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if errors.Is(err, errTransferCut) {
			panic(http.ErrAbortHandler)
		}
		return err
	}
}
