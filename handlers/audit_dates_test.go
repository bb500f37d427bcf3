package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"curfew/internal/apptest"
	"curfew/store"
)

// seedAuditAt writes one logout event of the owner at a given time.
func seedAuditAt(t *testing.T, srv *apptest.Server, team apptest.Team, at time.Time) {
	t.Helper()
	if _, err := srv.Store.DB().Exec(`INSERT INTO audit_events (account_id, actor_user_id, action, payload, created_at)
		VALUES ($1, $2, $3, '{}', $4)`, team.Account.ID, team.Owner.ID, store.ActionLogout, at); err != nil {
		t.Fatal(err)
	}
}

// The log shows each event's date and time, with how long ago beside it.
func TestAuditListShowsDates(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	at := time.Now().UTC().AddDate(0, 0, -8).Truncate(time.Minute)
	seedAuditAt(t, srv, team, at)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	doc := parseHTML(t, owner.Get("/settings/audit?action="+store.ActionLogout).Body)
	when := findHTML(doc, func(n *html.Node) bool { return htmlAttr(n, "data-testid") == "audit-when" })
	ago := findHTML(doc, func(n *html.Node) bool { return htmlAttr(n, "data-testid") == "audit-ago" })
	want := at.Format("Mon 2 Jan")
	if at.Year() != time.Now().UTC().Year() {
		want = at.Format("Mon 2 Jan 2006")
	}
	want += at.Format(", 15:04 UTC")
	if when == nil || htmlText(when) != want || ago == nil || htmlText(ago) != "8 days ago" {
		t.Errorf("row time: %q · %q, want %q · 8 days ago", htmlText(when), htmlText(ago), want)
	}
}

// from and to keep the events of those days (UTC, both included), on the
// page, in the API and in the export.
func TestAuditDateRange(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	day := func(d int, hm string) time.Time {
		h, _ := time.Parse("15:04", hm)
		return time.Date(2026, 3, d, h.Hour(), h.Minute(), 0, 0, time.UTC)
	}
	for _, at := range []time.Time{day(9, "23:59"), day(10, "00:00"), day(12, "12:00"), day(17, "23:59"), day(18, "00:00")} {
		seedAuditAt(t, srv, team, at)
	}
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	base := "?action=" + store.ActionLogout
	for _, tt := range []struct {
		query string
		want  int
	}{
		{"", 5},
		{"&from=2026-03-10", 4},
		{"&to=2026-03-17", 4},
		{"&from=2026-03-10&to=2026-03-17", 3},
		{"&from=2026-03-12&to=2026-03-12", 1},
		{"&from=2026-04-01", 0},
	} {
		t.Run(tt.query, func(t *testing.T) {
			if got := len(getAudit(t, owner, base+tt.query).Events); got != tt.want {
				t.Errorf("API: %d events, want %d", got, tt.want)
			}
			page := owner.Get("/settings/audit" + base + tt.query)
			if n := strings.Count(page.Body, `data-testid="audit-event"`); page.StatusCode != http.StatusOK || n != tt.want {
				t.Errorf("page: %d with %d events, want %d", page.StatusCode, n, tt.want)
			}
			exp := owner.Get("/settings/audit/export?format=csv&" + base[1:] + tt.query)
			if rows := readCSV(t, exp.Body); exp.StatusCode != http.StatusOK || len(rows)-1 != tt.want {
				t.Errorf("export: %d with %d rows, want %d", exp.StatusCode, len(rows)-1, tt.want)
			}
		})
	}
	t.Run("the form keeps the dates and Load more carries them", func(t *testing.T) {
		doc := parseHTML(t, owner.Get("/settings/audit"+base+"&from=2026-03-10&to=2026-03-17&limit=1").Body)
		from := findHTML(doc, func(n *html.Node) bool { return htmlAttr(n, "id") == "audit-from" })
		if htmlAttr(from, "value") != "2026-03-10" || htmlAttr(from, "type") != "date" {
			t.Errorf("from input: %q", renderHTML(from))
		}
		more := findHTML(doc, func(n *html.Node) bool { return htmlAttr(n, "data-testid") == "audit-load-more" })
		if more == nil || !strings.Contains(htmlAttr(more, "href"), "from=2026-03-10") || !strings.Contains(htmlAttr(more, "href"), "to=2026-03-17") {
			t.Errorf("Load more loses the dates: %v", more)
		}
	})
}

// A bad date is a 422 naming the field in the API, and a sentence beside the
// field on the page, which still shows the filters.
func TestAuditDateRangeRefusesBadDates(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	for _, tt := range []struct {
		query, field, words string
	}{
		{"?from=yesterday", "from", "Enter the first day as a date"},
		{"?to=2026-02-30", "to", "Enter the last day as a date"},
		{"?from=2026-03-10T00:00:00Z", "from", "Enter the first day as a date"},
		{"?from=" + strings.Repeat("9", 5000), "from", "Enter the first day as a date"},
		{"?from=2026-03-17&to=2026-03-10", "to", "The last day is before the first day"},
		{"?action=nope", "action", "That is not an event type the log records"},
	} {
		t.Run(tt.query[:min(len(tt.query), 40)], func(t *testing.T) {
			res := owner.Get(auditAPI + tt.query)
			var e struct {
				Error  string
				Fields map[string]string
			}
			res.JSON(&e)
			if res.StatusCode != http.StatusUnprocessableEntity || e.Error != "validation_failed" || e.Fields[tt.field] == "" || len(e.Fields) != 1 {
				t.Errorf("API: %d %+v, want 422 naming only %s", res.StatusCode, e, tt.field)
			}
			page := owner.Get("/settings/audit" + tt.query)
			doc := parseHTML(t, page.Body)
			msg := findHTML(doc, func(n *html.Node) bool { return htmlAttr(n, "id") == "audit-"+tt.field+"-error" })
			if page.StatusCode != http.StatusUnprocessableEntity || msg == nil || !strings.Contains(htmlText(msg), tt.words) {
				t.Errorf("page: %d, message %q, want %q", page.StatusCode, htmlText(msg), tt.words)
			}
			if findHTML(doc, func(n *html.Node) bool { return htmlAttr(n, "data-testid") == "audit-filters" }) == nil {
				t.Error("the page with the message has no filters to fix it with")
			}
			if strings.Contains(page.Body, "No events match") || !strings.Contains(page.Body, "Fix the filter above to see events.") {
				t.Error("a bad filter reads as an empty result")
			}
		})
	}
}

// Before "Load more" a keyboard user meets at most one Tab stop per event.
func TestAuditRowsHaveOneTabStop(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	seedAudit(t, srv, team.Account.ID, team.Owner.ID, store.ActionLogout, 60)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	doc := parseHTML(t, owner.Get("/settings/audit").Body)
	rows := 0
	walkHTML(doc, func(n *html.Node) {
		if htmlAttr(n, "data-testid") != "audit-event" {
			return
		}
		rows++
		stops := 0
		walkHTML(n, func(m *html.Node) {
			if tabStop(m) {
				stops++
			}
		})
		if stops > 1 {
			t.Errorf("event %s has %d Tab stops", htmlAttr(n, "data-event-id"), stops)
		}
	})
	if rows != 50 {
		t.Fatalf("%d rows", rows)
	}
}

func tabStop(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if ti := htmlAttr(n, "tabindex"); ti != "" {
		return !strings.HasPrefix(ti, "-")
	}
	switch n.Data {
	case "a":
		return hasAttr(n, "href")
	case "button", "input", "select", "textarea", "summary":
		return true
	}
	return false
}
