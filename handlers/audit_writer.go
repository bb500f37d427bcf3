package handlers

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/store"
	"curfew/words"
)

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
		note = fmt.Sprintf("Export stopped at %s events. Export again with before=%d for older events.", words.Thousands(auditExportCap), nextBefore)
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
