package faults_test

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
	"testing"
)

// needTool finds a program the fault tests run, or fails the test saying which
// Debian package has it: a missing engine is a failure, never a skip.
func needTool(t *testing.T, name, pkg string, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if isExecutable(p) {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Fatalf("%s was not found (PATH, %v): install the Debian package %s (scripts/setup.sh does, as root)", name, paths, pkg)
	return ""
}

// postgresCredential runs a process as the postgres OS user when the tests
// run as root: PostgreSQL, pg_autoctl and PgBouncer all refuse root.
func postgresCredential(t *testing.T) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("running as root, the engines need the postgres user: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// privateDir is a temporary directory the postgres user may write, removed
// when the test ends.
func privateDir(t *testing.T, cred *syscall.Credential) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "curfew-faults-engines-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// daemon is a long-running engine process in a process group of its own, so
// that killing it kills its children too (pg_autoctl's postgres).
type daemon struct {
	name string
	cmd  *exec.Cmd
	log  string
}

func startDaemon(t *testing.T, cred *syscall.Credential, logPath string, env []string, name string, args ...string) *daemon {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		os.Chown(logPath, int(cred.Uid), int(cred.Gid))
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	logf.Close()
	d := &daemon{name: name, cmd: cmd, log: logPath}
	t.Cleanup(d.kill)
	return d
}

// kill sends SIGKILL to the daemon and everything it started: a crash, as a
// lost machine. The process group is not enough: PostgreSQL's children leave
// it, and a background worker whose postmaster died can live on (a
// pg_auto_failover monitor's health check did, after every run). So the
// group is stopped first, so that nothing forks meanwhile, and the whole
// tree below it is killed.
func (d *daemon) kill() {
	if d.cmd.Process == nil || d.cmd.ProcessState != nil {
		return
	}
	pgid := d.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGSTOP)
	for _, pid := range descendantsOf(pgid) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	d.cmd.Wait()
}

// descendantsOf lists every process below pid, from /proc.
func descendantsOf(pid int) []int {
	var all []int
	for next := []int{pid}; len(next) > 0; {
		var kids []int
		for _, p := range next {
			kids = append(kids, childrenOf(p)...)
		}
		all = append(all, kids...)
		next = kids
	}
	return all
}

func (d *daemon) logTail() string {
	b, _ := os.ReadFile(d.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return fmt.Sprintf("--- %s log (%s):\n%s", d.name, d.log, b)
}
