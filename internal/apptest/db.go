// Package apptest starts real Curfew servers for tests: a fresh PostgreSQL
// database per test package, the real handlers behind httptest, and HTTP
// clients that sign in and carry cookies and CSRF tokens.
package apptest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/lib/pq"

	"curfew/store"
)

// EnvAdminURL names the variable holding an admin URL of the test PostgreSQL.
const EnvAdminURL = "CURFEW_TEST_DATABASE_URL"

// When the tests run through a pooler (faults/pgbouncer_test.go), EnvPooler
// says which kind, as CURFEW_DB_POOLER does for Curfew, and EnvDirectURL is an
// admin URL of the PostgreSQL behind it: a transaction pooler cannot migrate,
// so the package database is migrated there, as an operator would.
const (
	EnvPooler    = "CURFEW_DB_POOLER"
	EnvDirectURL = "CURFEW_TEST_DIRECT_DATABASE_URL"
)

// StoreOptions are the store options of the test run: the pooler in front of
// the test PostgreSQL, if any.
func StoreOptions() []store.Option {
	p, err := store.ParsePooler(os.Getenv(EnvPooler))
	if err != nil {
		panic(err) // Main has already refused it
	}
	return []store.Option{store.WithPooler(p)}
}

var (
	pkgDB     string // URL of this package's database
	pkgDBName string
)

// Main creates a fresh database for the test package, runs the tests and drops
// it. Without CURFEW_TEST_DATABASE_URL it fails loudly: tests never skip the
// database silently.
func Main(m *testing.M) int {
	admin := os.Getenv(EnvAdminURL)
	if admin == "" {
		fmt.Fprintf(os.Stderr, "FAIL: %s is not set. Run `make test` (it starts PostgreSQL), or set it to an admin URL such as postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable\n", EnvAdminURL)
		return 1
	}
	pooler, err := store.ParsePooler(os.Getenv(EnvPooler))
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	migrateURL := ""
	if pooler == store.PoolerTransaction {
		if migrateURL = os.Getenv(EnvDirectURL); migrateURL == "" {
			fmt.Fprintf(os.Stderr, "FAIL: %s=transaction needs %s, an admin URL of the PostgreSQL behind the pooler, to migrate the test database\n", EnvPooler, EnvDirectURL)
			return 1
		}
	}
	name, dbURL, err := createDatabase(admin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: create test database: %v\n", err)
		return 1
	}
	pkgDB, pkgDBName = dbURL, name
	if pooler == store.PoolerTransaction {
		// Queries travel with their parameters in one round trip, as the
		// store's own pool does (store.Open), in every pool a test opens.
		pkgDB = withParam(dbURL, "binary_parameters", "yes")
		migrateURL = withPath(migrateURL, name)
	} else {
		migrateURL = dbURL
	}
	st, err := store.Open(context.Background(), migrateURL)
	if err == nil {
		err = st.Migrate(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		st.Close()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: migrate test database: %v\n", err)
		dropDatabase(admin, name)
		return 1
	}
	code := m.Run()
	closeStores()
	if err := dropDatabase(admin, name); err != nil {
		fmt.Fprintf(os.Stderr, "warning: drop test database %s: %v\n", name, err)
	}
	return code
}

func createDatabase(admin string) (name, dbURL string, err error) {
	b := make([]byte, 4)
	rand.Read(b)
	wd, _ := os.Getwd()
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(filepath.Base(wd)))
	name = "curfew_test_" + base + "_" + hex.EncodeToString(b)
	db, err := sql.Open("postgres", admin)
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		return "", "", err
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", "", err
	}
	u.Path = "/" + name
	return name, u.String(), nil
}

func withPath(dbURL, name string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	u.Path = "/" + name
	return u.String()
}

func withParam(dbURL, k, v string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

func dropDatabase(admin, name string) error {
	db, err := sql.Open("postgres", admin)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	return err
}

var (
	storesMu sync.Mutex
	stores   []*store.Store
)

func closeStores() {
	storesMu.Lock()
	defer storesMu.Unlock()
	for _, s := range stores {
		s.Close()
	}
	stores = nil
}

// DatabaseURL is the URL of the package's test database.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	if pkgDB == "" {
		t.Fatal("apptest.Main was not called: add func TestMain(m *testing.M) { os.Exit(apptest.Main(m)) }")
	}
	return pkgDB
}

// Store is the package's shared store on its test database: one small pool
// for every test server of the package, so parallel tests and packages stay
// well inside PostgreSQL's connection limit.
func Store(t testing.TB) *store.Store {
	t.Helper()
	storesMu.Lock()
	defer storesMu.Unlock()
	if len(stores) > 0 {
		return stores[0]
	}
	st, err := store.Open(context.Background(), DatabaseURL(t), StoreOptions()...)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	st.DB().SetMaxOpenConns(16)
	st.DB().SetMaxIdleConns(16)
	stores = append(stores, st)
	return st
}
