package apptest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"curfew/config"
	"curfew/handlers"
	"curfew/password"
	"curfew/store"
)

// Password is every test user's password.
const Password = "correct-horse-battery"

var passwordHash = sync.OnceValue(func() string {
	h, err := password.Hash(Password)
	if err != nil {
		panic(err)
	}
	return h
})

// Server is a running Curfew behind httptest on a real loopback port.
type Server struct {
	URL    string
	Store  *store.Store
	Config config.Config
	// Handler is the server's Echo, for benchmarks that call it in-process.
	Handler http.Handler
	http    *httptest.Server
}

// Option changes the configuration of a test server.
type Option func(env map[string]string)

// WithEnv sets an environment variable as Curfew would read it.
func WithEnv(k, v string) Option { return func(env map[string]string) { env[k] = v } }

// SharedKey is the cookie key used by test servers unless changed, so two
// servers on one database accept each other's cookies like real replicas.
const SharedKey = "curfew-test-cookie-key-0123456789abcdef"

// NewServer starts Curfew on the package's test database.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	env := map[string]string{
		"DATABASE_URL":        DatabaseURL(t),
		"CURFEW_ENV":          "dev",
		"CURFEW_SESSION_KEYS": SharedKey,
		// Every test server of a package signs in from 127.0.0.1 against one
		// database, so the per-address sign-in limit would add up the failed
		// sign-ins of unrelated tests and throttle whichever came after the
		// fiftieth. Tests of that limit set their own.
		"CURFEW_LOGIN_LIMIT_PER_IP": "1000000",
	}
	for _, o := range opts {
		o(env)
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	st := Store(t)
	logw := io.Discard
	if os.Getenv("CURFEW_TEST_LOG") != "" {
		logw = os.Stderr
	}
	e, err := handlers.New(handlers.Deps{Store: st, Config: cfg, Logger: slog.New(slog.NewTextHandler(logw, nil)), Now: time.Now})
	if err != nil {
		t.Fatalf("handlers.New: %v", err)
	}
	hs := httptest.NewServer(e)
	t.Cleanup(hs.Close)
	return &Server{URL: hs.URL, Store: st, Config: cfg, Handler: e, http: hs}
}

// Team is a fresh account with one owner and one engineer.
type Team struct {
	Account  store.Account
	Owner    store.User
	Engineer store.User
}

// NewTeam creates an account with a unique name and its two users, so tests
// running in parallel on one database never see each other's data.
func NewTeam(t testing.TB, st *store.Store) Team {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 4)
	rand.Read(b)
	suffix := hex.EncodeToString(b)
	name := strings.ReplaceAll(t.Name(), "/", "-")
	if len(name) > 40 {
		name = name[:40]
	}
	acct, err := st.CreateAccount(ctx, name+"-"+suffix)
	if err != nil {
		t.Fatalf("create account: %v", err)
	}
	owner := AddUser(t, st, acct, "owner-"+suffix+"@example.test", store.RoleOwner)
	eng := AddUser(t, st, acct, "engineer-"+suffix+"@example.test", store.RoleEngineer)
	return Team{Account: acct, Owner: owner, Engineer: eng}
}

// AddUser adds a user with the test password to an account.
func AddUser(t testing.TB, st *store.Store, acct store.Account, email, role string) store.User {
	t.Helper()
	u, err := st.CreateUser(context.Background(), acct.ID, email, "", passwordHash(), role)
	if err != nil {
		t.Fatalf("create user %s: %v", email, err)
	}
	return u
}
