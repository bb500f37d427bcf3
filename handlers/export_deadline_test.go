package handlers_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"curfew/internal/apptest"
)

// exportTestDeadline is the request deadline of the export tests: short
// beside the download, long enough that one batch query of 1,000 rows
// meets it on a machine shared with other tests and their browsers.
const exportTestDeadline = 2 * time.Second

// exportRows is the size of the log the deadline tests export: a full
// export, the cap, in 100 batches.
const exportRows = 100_000

// seedExportLog gives team's account a log of exportRows events, the
// owner's sign-in included, in one INSERT … SELECT.
func seedExportLog(t *testing.T, srv *apptest.Server, team apptest.Team) {
	t.Helper()
	db := srv.Store.DB()
	var have int
	if err := db.Get(&have, `SELECT count(*) FROM audit_events WHERE account_id = $1`, team.Account.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO audit_events (account_id, actor_user_id, action, payload, ip, user_agent, created_at)
		SELECT $1, $2, 'auth.login_failed', jsonb_build_object('email', 'someone-' || g || '@example.test'),
			'198.51.100.' || (g % 250), 'Mozilla/5.0 (X11; Linux x86_64) export test', now() - g * interval '1 second'
		FROM generate_series(1, $3) g`, team.Account.ID, team.Owner.ID, exportRows-have); err != nil {
		t.Fatal(err)
	}
	// As autovacuum would soon after a bulk load: without statistics the
	// planner sorts the account's rows for every batch.
	if _, err := db.Exec(`ANALYZE audit_events`); err != nil {
		t.Fatal(err)
	}
}

// slowDownload is slowDownloadAfter with nothing to do on the way.
func slowDownload(t *testing.T, c *apptest.Client, url string) (status int, body string, readErr error) {
	return slowDownloadAfter(t, c, url, nil)
}

// TestAuditExportOutlivesTheRequestDeadline downloads a 100,000-event log
// slowly from a server whose requests have 2 s: both formats arrive whole,
// every row, because an export's batches have a deadline each instead of one
// for the whole file. (Under the page deadline the file stopped after the
// deadline, mid-row, with a 200: 18,997 of 100,000 rows with 1 s.)
func TestAuditExportOutlivesTheRequestDeadline(t *testing.T) {
	srv := apptest.NewServer(t, apptest.WithEnv("CURFEW_REQUEST_TIMEOUT", exportTestDeadline.String()))
	team := apptest.NewTeam(t, srv.Store)
	owner := sessionWithoutSignIn(t, srv, team.Owner)
	seedExportLog(t, srv, team)

	t.Run("csv", func(t *testing.T) {
		start := time.Now()
		status, body, err := slowDownload(t, owner, srv.URL+"/settings/audit/export?format=csv")
		if status != http.StatusOK || err != nil {
			t.Fatalf("export: status %d, read error %v after %d bytes", status, err, len(body))
		}
		records, perr := csv.NewReader(strings.NewReader(body)).ReadAll()
		rows := len(records) - 1
		t.Logf("csv: %d rows of %d delivered in %v with a %v request deadline", rows, exportRows, time.Since(start).Round(time.Millisecond), exportTestDeadline)
		if perr != nil || rows != exportRows {
			t.Fatalf("export has %d rows (parse error %v), want %d; it ends %q", rows, perr, exportRows, tail(body))
		}
		if time.Since(start) < exportTestDeadline+200*time.Millisecond {
			t.Errorf("the download took %v, less than the deadline: the test did not cross it", time.Since(start))
		}
	})
	t.Run("json", func(t *testing.T) {
		start := time.Now()
		status, body, err := slowDownload(t, owner, srv.URL+"/settings/audit/export?format=json")
		if status != http.StatusOK || err != nil {
			t.Fatalf("export: status %d, read error %v after %d bytes", status, err, len(body))
		}
		var file struct {
			Events    []json.RawMessage `json:"events"`
			Truncated *bool             `json:"truncated"`
		}
		perr := json.Unmarshal([]byte(body), &file)
		t.Logf("json: %d events of %d delivered in %v with a %v request deadline", len(file.Events), exportRows, time.Since(start).Round(time.Millisecond), exportTestDeadline)
		if perr != nil || len(file.Events) != exportRows || file.Truncated == nil || *file.Truncated {
			t.Fatalf("export has %d events, truncated %v (parse error %v), want %d whole; it ends %q",
				len(file.Events), file.Truncated, perr, exportRows, tail(body))
		}
		if time.Since(start) < exportTestDeadline+200*time.Millisecond {
			t.Errorf("the download took %v, less than the deadline: the test did not cross it", time.Since(start))
		}
	})
}

// TestAuditExportFailingMidwayIsAVisiblyFailedDownload makes a batch fail
// after the 200 is sent: an ACCESS EXCLUSIVE lock on audit_events outlasts
// the batch's deadline. The client must see a failed transfer, not a clean
// end, and the last rows it got say the file is incomplete. Not parallel: the
// lock stops every audit write of the package's database while it lasts.
func TestAuditExportFailingMidwayIsAVisiblyFailedDownload(t *testing.T) {
	srv := apptest.NewServer(t, apptest.WithEnv("CURFEW_REQUEST_TIMEOUT", exportTestDeadline.String()))
	team := apptest.NewTeam(t, srv.Store)
	owner := sessionWithoutSignIn(t, srv, team.Owner)
	seedExportLog(t, srv, team)

	for _, format := range []string{"csv", "json"} {
		t.Run(format, func(t *testing.T) {
			ctx := context.Background()
			tx, err := srv.Store.DB().BeginTxx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			var (
				status int
				body   string
				rerr   error
				done   = make(chan struct{})
			)
			locked := make(chan struct{})
			go func() {
				defer close(done)
				status, body, rerr = slowDownloadAfter(t, owner, srv.URL+"/settings/audit/export?format="+format, func() {
					// The first rows are here: the status is sent. Now every
					// further batch waits for the lock past its deadline.
					if _, err := tx.Exec(`LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE`); err != nil {
						t.Error(err)
					}
					close(locked)
				})
			}()
			<-done
			select {
			case <-locked:
			default:
				t.Fatal("the download ended before the lock was taken")
			}
			if status != http.StatusOK {
				t.Fatalf("status %d, want the 200 of a started download", status)
			}
			if rerr == nil {
				t.Fatalf("the download ended cleanly after %d bytes, want a failed transfer; it ends %q", len(body), tail(body))
			}
			if !strings.Contains(body, "EXPORT INCOMPLETE") {
				t.Errorf("the received part does not say it is incomplete; it ends %q", tail(body))
			}
			if format == "json" && json.Valid([]byte(body)) && !strings.Contains(body, `"incomplete":true`) {
				t.Errorf("the received JSON is valid and does not say it is incomplete")
			}
			t.Logf("%s: cut after %d bytes, client error %v", format, len(body), rerr)
		})
	}
}

// slowDownloadAfter downloads url with c's cookies like a slow link: a small
// receive buffer, so the server cannot push the file into the kernel and
// finish early, and a 10 ms pause after every 64 KB. first, when
// not nil, runs once the first bytes of the body have arrived.
func slowDownloadAfter(t *testing.T, c *apptest.Client, url string, first func()) (status int, body string, readErr error) {
	dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 32<<10) })
		return errors.Join(err, serr)
	}}
	client := &http.Client{Jar: c.HTTP.Jar, Transport: &http.Transport{DialContext: dialer.DialContext, DisableCompression: true}}
	defer client.CloseIdleConnections()
	res, err := client.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0, "", err
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 16<<10)
	for paused := 0; ; {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if n > 0 && first != nil {
			first()
			first = nil
		}
		if err == io.EOF {
			return res.StatusCode, b.String(), nil
		}
		if err != nil {
			return res.StatusCode, b.String(), err
		}
		if b.Len()-paused >= 64<<10 {
			time.Sleep(10 * time.Millisecond) // at most 6.4 MB/s: 100,000 rows (17 MB and more) take over 2.6 s
			paused = b.Len()
		}
	}
}

func tail(s string) string {
	if len(s) > 300 {
		return "…" + s[len(s)-300:]
	}
	return s
}
