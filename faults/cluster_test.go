package faults_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// cluster is a private PostgreSQL cluster in a temporary directory, listening
// on 127.0.0.1 on a free port, that the tests may stop, start and kill.
type cluster struct {
	bin   string   // directory holding initdb, pg_ctl and postgres
	dir   string   // the data directory, socket and log live under it
	port  int      //
	runAs []string // runuser prefix when running as root (initdb refuses root)
}

// findPGBin finds a directory with both initdb and pg_ctl: $CURFEW_PG_BIN,
// then the PATH, /usr/local/bin, and the newest /usr/lib/postgresql/*/bin.
func findPGBin() (string, error) {
	var dirs []string
	if d := os.Getenv("CURFEW_PG_BIN"); d != "" {
		dirs = append(dirs, d)
	}
	for _, p := range []string{"initdb", "/usr/local/bin/initdb"} {
		if path, err := exec.LookPath(p); err == nil {
			if real, err := filepath.EvalSymlinks(path); err == nil {
				dirs = append(dirs, filepath.Dir(real))
			}
		}
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(versions, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	dirs = append(dirs, versions...)
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", errors.New("initdb and pg_ctl were not found (looked in $CURFEW_PG_BIN, PATH, /usr/local/bin, /usr/lib/postgresql/*/bin); install PostgreSQL 15+")
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode()&0o111 != 0
}

// newCluster creates and starts a cluster. The caller removes it.
func newCluster() (*cluster, error) {
	bin, err := findPGBin()
	if err != nil {
		return nil, err
	}
	sweepStale(bin)
	dir, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin, dir: dir}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return c, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return c, fmt.Errorf("running as root, initdb needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return c, err
		}
		c.runAs = []string{"runuser", "-u", "postgres", "--"}
	}
	if c.port, err = freePort(); err != nil {
		return c, err
	}
	if err := c.run("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N"); err != nil {
		return c, err
	}
	return c, c.start()
}

func (c *cluster) data() string { return filepath.Join(c.dir, "data") }

// url is a libpq URL to a database of the cluster.
func (c *cluster) url(params string) string {
	u := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	if params != "" {
		u += "&" + params
	}
	return u
}

func (c *cluster) run(name string, args ...string) error {
	argv := append(slices.Clone(c.runAs), filepath.Join(c.bin, name))
	cmd := exec.Command(argv[0], append(argv[1:], args...)...)
	cmd.Dir = c.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return nil
}

// start starts the server and waits until it accepts connections.
func (c *cluster) start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100",
		c.port, c.dir)
	return c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(c.dir, "postgres.log"), "-w", "-t", "30", "-o", opts, "start")
}

// stop stops the server: "fast" disconnects clients and shuts down cleanly,
// "immediate" is a crash.
func (c *cluster) stop(mode string) error {
	return c.run("pg_ctl", "-D", c.data(), "-m", mode, "-w", "-t", "30", "stop")
}

// remove stops the server if it runs and deletes everything.
func (c *cluster) remove() {
	if c == nil {
		return
	}
	if _, err := os.Stat(filepath.Join(c.data(), "postmaster.pid")); err == nil {
		c.stop("immediate")
	}
	os.RemoveAll(c.dir)
}

const (
	tempPrefix = "curfew-faults-"
	ownerFile  = "test.pid"
)

// sweepStale stops and removes clusters left behind by test processes that
// were killed before they could clean up (a timeout, a closed pipe).
func sweepStale(bin string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(string(b))
		if err != nil || processAlive(pid) {
			continue
		}
		stale := &cluster{bin: bin, dir: dir}
		if os.Geteuid() == 0 {
			stale.runAs = []string{"runuser", "-u", "postgres", "--"}
		}
		stale.remove()
	}
}

func processAlive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
