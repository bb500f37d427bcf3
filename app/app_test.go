package app_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"curfew/app"
	"curfew/internal/apptest"
	"curfew/store"
)

func TestMain(m *testing.M) { os.Exit(apptest.Main(m)) }

// run executes the program as `curfew args...` with env and stdin.
func run(t *testing.T, env map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err := app.Run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

func baseEnv(t *testing.T) map[string]string {
	return map[string]string{"DATABASE_URL": apptest.DatabaseURL(t), "CURFEW_ENV": "dev", "CURFEW_SESSION_KEYS": apptest.SharedKey}
}

func TestSeedDemoIsIdempotent(t *testing.T) {
	env := baseEnv(t)
	for i := range 2 {
		out, err := run(t, env, "", "seed", "--demo")
		if err != nil {
			t.Fatalf("seed run %d: %v", i+1, err)
		}
		if !strings.Contains(out, "owner@acme.test") || !strings.Contains(out, "owner@globex.test") {
			t.Errorf("seed output does not list the demo sign-ins:\n%s", out)
		}
	}
	st := apptest.Store(t)
	var n int
	st.DB().Get(&n, `SELECT count(*) FROM users WHERE email IN ('owner@acme.test', 'engineer@acme.test', 'owner@globex.test')`)
	if n != 3 {
		t.Errorf("demo users = %d, want 3 after two seeds", n)
	}
	u, err := st.UserByEmail(context.Background(), "engineer@acme.test")
	if err != nil || u.Role != store.RoleEngineer {
		t.Errorf("engineer@acme.test: %+v %v", u, err)
	}
}

func TestAccountAndUserCreate(t *testing.T) {
	env := baseEnv(t)
	if _, err := run(t, env, "", "account", "create", "Initech"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, env, "", "account", "create", "Initech"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate account: %v", err)
	}
	out, err := run(t, env, "peter-pass-123\n", "user", "create", "--account", "Initech", "--email", "peter@initech.test", "--role", "owner")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "peter@initech.test") {
		t.Errorf("output %q", out)
	}
	srv := apptest.NewServer(t)
	c := srv.NewClient(t)
	if res := c.LoginAs("peter@initech.test", "peter-pass-123"); res.StatusCode != 303 {
		t.Errorf("the created user cannot sign in: %d", res.StatusCode)
	}

	cases := []struct {
		name  string
		stdin string
		args  []string
		want  string
		usage bool
	}{
		{"no account", "pw-123456\n", []string{"user", "create", "--account", "Nope", "--email", "a@b.test", "--role", "owner"}, "no account named", false},
		{"bad role", "pw-123456\n", []string{"user", "create", "--account", "Initech", "--email", "a@b.test", "--role", "admin"}, "--role must be owner or engineer", true},
		{"missing flags", "", []string{"user", "create", "--account", "Initech"}, "--email, --role", true},
		{"no password", "", []string{"user", "create", "--account", "Initech", "--email", "a@b.test", "--role", "engineer"}, "no password on stdin", false},
		{"short password", "short\n", []string{"user", "create", "--account", "Initech", "--email", "a@b.test", "--role", "engineer"}, "at least 8 characters", false},
		{"unknown verb", "", []string{"frobnicate"}, "unknown command", true},
		{"email with a line break", "pw-123456\n", []string{"user", "create", "--account", "Initech", "--email", "a@b.test\r\nX-Injected: 1", "--role", "owner"}, "--email", true},
		{"email with a NUL-like control", "pw-123456\n", []string{"user", "create", "--account", "Initech", "--email", "a\x01@b.test", "--role", "owner"}, "control character", true},
		{"email not UTF-8", "pw-123456\n", []string{"user", "create", "--account", "Initech", "--email", "a\xff@b.test", "--role", "owner"}, "not valid UTF-8", true},
		{"name with a line break", "pw-123456\n", []string{"user", "create", "--account", "Initech", "--email", "n@b.test", "--name", "Eve\nAdmin", "--role", "owner"}, "--name", true},
		{"account name with a line break", "", []string{"account", "create", "Evil\nCorp"}, "account name", true},
		{"account name with a tab", "", []string{"account", "create", "Evil\tCorp"}, "control character", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, env, tc.stdin, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
			if wantCode := map[bool]int{true: 2, false: 1}[tc.usage]; app.ExitCode(err) != wantCode {
				t.Errorf("exit code %d, want %d", app.ExitCode(err), wantCode)
			}
		})
	}
}

func TestBadConfigurationIsRefusedWithTheVariableNamed(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"CURFEW_IDLE_DEFAULT_MINUTES": {"CURFEW_IDLE_DEFAULT_MINUTES": "ten"},
		"CURFEW_ENV":                  {"CURFEW_ENV": "staging"},
		"DATABASE_URL":                {"CURFEW_SESSION_KEYS": apptest.SharedKey},
		"CURFEW_SESSION_KEYS":         {"DATABASE_URL": "postgres://x"},
		"idle default":                {"CURFEW_IDLE_DEFAULT_MINUTES": "30000", "CURFEW_ABSOLUTE_DEFAULT_MINUTES": "20160"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := run(t, env, "", "serve")
			want := name
			if name == "idle default" {
				want = "idle default 30000 must not exceed absolute default 20160"
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v, want one naming %s", err, want)
			}
		})
	}
}

// serve runs until its context ends (SIGTERM in main) and then shuts down cleanly.
func TestServeShutsDownGracefully(t *testing.T) {
	env := baseEnv(t)
	env["CURFEW_ADDR"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	var errOut apptest.SyncBuffer
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &bytes.Buffer{}, &errOut)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errOut.String(), "msg=serving") {
		if time.Now().After(deadline) {
			t.Fatalf("server did not start:\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after shutdown", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
	if !strings.Contains(errOut.String(), "msg=stopped") {
		t.Errorf("no 'stopped' log line:\n%s", errOut.String())
	}
}
