package e2e_test

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"curfew/internal/apptest"
)

// moduleRoot walks up from the test's working directory to go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// buildCurfew builds the real binary into a temporary folder.
func buildCurfew(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "curfew")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/curfew")
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/curfew: %v\n%s", err, out)
	}
	return bin
}

var servingLine = regexp.MustCompile(`msg=serving url=(http://\S+)`)

// startCurfew runs `curfew serve` on the package's test database on a free
// port and returns its URL once it says it is serving. The process is
// stopped when the test ends.
func startCurfew(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+apptest.DatabaseURL(t),
		"CURFEW_ENV=dev",
		"CURFEW_SESSION_KEYS="+apptest.SharedKey,
		"CURFEW_ADDR=127.0.0.1:0",
	)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	var (
		logMu sync.Mutex
		logs  strings.Builder
	)
	urlc := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			logs.WriteString(line + "\n")
			logMu.Unlock()
			if m := servingLine.FindStringSubmatch(line); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		exited := make(chan error, 1)
		go func() { <-done; exited <- cmd.Wait() }()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("curfew (pid %d) did not stop on SIGTERM", cmd.Process.Pid)
		}
	})
	select {
	case u := <-urlc:
		return u
	case <-done:
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("curfew exited before serving:\n%s", logs.String())
	case <-time.After(30 * time.Second):
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("curfew did not say it was serving within 30s:\n%s", logs.String())
	}
	return ""
}

// TestRevocationReachesEveryServer runs two real Curfew processes on one
// database, as two replicas behind a load balancer would: sessions started
// on either work on both, and sessions revoked on one are refused by the
// other at their next request.
func TestRevocationReachesEveryServer(t *testing.T) {
	bin := buildCurfew(t)
	a := &apptest.Server{URL: startCurfew(t, bin)}
	b := &apptest.Server{URL: startCurfew(t, bin)}
	team := apptest.NewTeam(t, apptest.Store(t))

	owner := a.Login(t, team.Owner.Email, apptest.Password)
	ownerOnB := b.Login(t, team.Owner.Email, apptest.Password)
	engineer := b.Login(t, team.Engineer.Email, apptest.Password)

	// One cookie, either server: the replicas share the database and keys.
	for name, c := range map[string]*apptest.Client{"owner": owner, "owner on b": ownerOnB, "engineer": engineer} {
		for _, srv := range []*apptest.Server{a, b} {
			if status := getWith(t, c, srv, "/api/session"); status != http.StatusOK {
				t.Fatalf("%s on %s: /api/session = %d before revoking", name, srv.URL, status)
			}
		}
	}

	res := owner.SendJSON(http.MethodPost, "/api/accounts/me/security/revoke-sessions", map[string]string{"scope": "others"})
	if res.StatusCode != http.StatusOK || strings.TrimSpace(res.Body) != `{"revoked_count":2}` {
		t.Fatalf("revoke others on a = %d %s", res.StatusCode, res.Body)
	}
	if status := getWith(t, engineer, b, "/api/session"); status != http.StatusUnauthorized {
		t.Errorf("engineer on b after revoking on a: %d, want 401", status)
	}
	if status := getWith(t, ownerOnB, b, "/settings/security"); status != http.StatusSeeOther {
		t.Errorf("owner's other session on b after revoking on a: %d, want 303 to sign in", status)
	}
	if status := getWith(t, owner, b, "/api/session"); status != http.StatusOK {
		t.Errorf("the caller's session on b: %d, want 200", status)
	}
}

// getWith sends the client's cookies to either server, as a load balancer
// switching replicas would (cookies are not bound to a port).
func getWith(t *testing.T, c *apptest.Client, srv *apptest.Server, path string) int {
	t.Helper()
	res, err := c.HTTP.Get(srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s%s: %v", srv.URL, path, err)
	}
	res.Body.Close()
	return res.StatusCode
}
