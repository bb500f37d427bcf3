// Package proxyrun runs Debian's nginx and Caddy with the configurations
// shipped in deploy/, for the end-to-end tests and `make bench`: each in a
// private temporary folder, in the foreground, on loopback ports, stopped by
// its caller.
//
// The shipped files are written for operators (real names, ports 80/443), so
// a run applies a few exact edits to them (Render). An edit whose text is not
// in the file is an error: a config changed out from under its tests fails
// them instead of being tested half-edited.
package proxyrun

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// NginxPath finds Debian's nginx; the error says what to install.
func NginxPath() (string, error) {
	return find("nginx", "/usr/sbin/nginx", "nginx-light (apt-get install nginx-light; `make setup` does)")
}

// CaddyPath finds Debian's caddy; the error says what to install.
func CaddyPath() (string, error) {
	return find("caddy", "/usr/bin/caddy", "caddy (apt-get install caddy; `make setup` does)")
}

func find(name, usual, pkg string) (string, error) {
	if _, err := os.Stat(usual); err == nil {
		return usual, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s is not installed (looked for %s and in PATH): install %s", name, usual, pkg)
}

// Edit is one exact substitution in a shipped config: every occurrence of
// Old becomes New.
type Edit struct{ Old, New string }

// Render applies edits to src in order. Each Old must occur at least once.
func Render(src string, edits ...Edit) (string, error) {
	for _, e := range edits {
		if !strings.Contains(src, e.Old) {
			return "", fmt.Errorf("the config has no %q to replace: it changed, so update its test edits too", e.Old)
		}
		src = strings.ReplaceAll(src, e.Old, e.New)
	}
	return src, nil
}

// FreePorts reserves n loopback ports by listening on port 0 and releases
// them: they are free now, and a proxy started right after gets them.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Proc is a running proxy.
type Proc struct {
	Name string
	Dir  string // its private folder: config, logs, pid, temp files
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // set when done is closed
}

// Output is what the proxy printed so far, for failure messages.
func (p *Proc) Output() string {
	s := p.out.String()
	if b, err := os.ReadFile(filepath.Join(p.Dir, "error.log")); err == nil {
		s += string(b)
	}
	return s
}

// Stop ends the proxy (SIGTERM, then SIGKILL after 5 s) and waits for it.
func (p *Proc) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// NginxMain is the main configuration around an http-level include such as
// deploy/nginx/curfew.conf: foreground, every path inside dir, no access log
// (a log line per request would be measured too), workers as the given
// number (0: one per core).
func NginxMain(dir, httpConf string, workers int) string {
	w := "auto"
	if workers > 0 {
		w = strconv.Itoa(workers)
	}
	user := ""
	if os.Geteuid() == 0 {
		// Workers would run as nobody, who cannot enter a private temp folder.
		user = "user root root;\n"
	}
	return fmt.Sprintf(`%sworker_processes %s;
daemon off;
pid %s;
error_log %s warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %s;
    proxy_temp_path %s;
    fastcgi_temp_path %s;
    uwsgi_temp_path %s;
    scgi_temp_path %s;
    default_type application/octet-stream;
%s
}
`, user, w, filepath.Join(dir, "nginx.pid"), filepath.Join(dir, "error.log"),
		filepath.Join(dir, "client_body"), filepath.Join(dir, "proxy"), filepath.Join(dir, "fastcgi"),
		filepath.Join(dir, "uwsgi"), filepath.Join(dir, "scgi"), httpConf)
}

// StartNginx writes mainConf (see NginxMain) into dir, has nginx check it,
// starts nginx in the foreground and waits until every port accepts
// connections.
func StartNginx(ctx context.Context, bin, dir, mainConf string, ports ...int) (*Proc, error) {
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(mainConf), 0o644); err != nil {
		return nil, err
	}
	args := []string{"-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf}
	if out, err := exec.CommandContext(ctx, bin, append(args, "-t", "-q")...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("nginx -t: %v\n%s", err, out)
	}
	return start(ctx, "nginx", dir, exec.CommandContext(ctx, bin, args...), ports)
}

// StartCaddy writes caddyfile into dir and runs `caddy run` on it, with
// Caddy's data and config folders inside dir, and waits until every port
// accepts connections. The Caddyfile should turn the admin endpoint and
// automatic HTTPS off (a test shares the machine).
func StartCaddy(ctx context.Context, bin, dir, caddyfile string, ports ...int) (*Proc, error) {
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(caddyfile), 0o644); err != nil {
		return nil, err
	}
	env := append(os.Environ(), "XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"HOME="+dir)
	check := exec.CommandContext(ctx, bin, "validate", "--config", path, "--adapter", "caddyfile")
	check.Env = env
	if out, err := check.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("caddy validate: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, bin, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = env
	return start(ctx, "caddy", dir, cmd, ports)
}

func start(ctx context.Context, name, dir string, cmd *exec.Cmd, ports []int) (*Proc, error) {
	p := &Proc{Name: name, Dir: dir, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(15 * time.Second)
	for _, port := range ports {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		for {
			c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-p.done:
				return nil, fmt.Errorf("%s exited (%v) before listening on %s:\n%s", name, p.err, addr, p.Output())
			case <-ctx.Done():
				p.Stop()
				return nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				p.Stop()
				return nil, fmt.Errorf("%s did not listen on %s within 15 s:\n%s", name, addr, p.Output())
			}
		}
	}
	return p, nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Pid is the proxy's main process id (nginx's master).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }
