package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/pressly/goose/v3"

	"curfew/internal/apptest"
	"curfew/migrations"
	"curfew/store"
)

func TestMain(m *testing.M) { os.Exit(apptest.Main(m)) }

// freshDatabase creates an empty database, dropped when the test ends, and
// returns its URL. The package database from apptest is already migrated, so
// a test of migrating from nothing needs its own.
func freshDatabase(t *testing.T) string {
	t.Helper()
	admin := os.Getenv(apptest.EnvAdminURL)
	if admin == "" {
		t.Fatalf("%s is not set", apptest.EnvAdminURL)
	}
	b := make([]byte, 4)
	rand.Read(b)
	name := "curfew_test_migrate_" + hex.EncodeToString(b)
	db, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatalf("open admin connection: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", apptest.EnvAdminURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

// migrationVersions lists the versions of the embedded migration files.
func migrationVersions(t *testing.T) []int64 {
	t.Helper()
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var versions []int64
	for _, f := range files {
		prefix, _, _ := strings.Cut(f, "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil {
			t.Fatalf("migration %s has no numeric version: %v", f, err)
		}
		versions = append(versions, v)
	}
	if len(versions) == 0 {
		t.Fatal("no migrations embedded")
	}
	slices.Sort(versions)
	return versions
}

// TestMigrateConcurrently starts four instances against one new database at
// once: the advisory lock must let every one succeed and apply each migration
// exactly once.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// prepare readies the new database before the instances start.
		prepare func(ctx context.Context, t *testing.T, db *sql.DB)
	}{
		{name: "empty database", prepare: func(context.Context, *testing.T, *sql.DB) {}},
		{
			// goose retries creating its version table a second later, which
			// staggers instances on an empty database; with the table already
			// there they race on the first migration itself, and only the lock
			// keeps them apart.
			name: "version table already created",
			prepare: func(ctx context.Context, t *testing.T, db *sql.DB) {
				p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithDisableGlobalRegistry(true))
				if err != nil {
					t.Fatal(err)
				}
				if v, err := p.GetDBVersion(ctx); err != nil || v != 0 {
					t.Fatalf("create goose version table: version %d, %v", v, err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dbURL := freshDatabase(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			db, err := sql.Open("postgres", dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			tt.prepare(ctx, t, db)
			migrateConcurrently(ctx, t, dbURL, 4)
			if t.Failed() {
				return
			}
			checkMigrated(ctx, t, db)
		})
	}
}

// migrateConcurrently opens n stores, then migrates them all at the same moment.
func migrateConcurrently(ctx context.Context, t *testing.T, dbURL string, n int) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	stores := make([]*store.Store, n)
	for i := range stores {
		st, err := store.Open(ctx, dbURL)
		if err != nil {
			t.Fatalf("open store %d: %v", i, err)
		}
		defer st.Close()
		stores[i] = st
	}
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
	)
	for i, st := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = st.Migrate(ctx, logger)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
}

// checkMigrated requires each embedded migration recorded once and the four
// tables Curfew is built on (accounts, users, sessions, audit_events) present.
func checkMigrated(ctx context.Context, t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.QueryContext(ctx, `SELECT version_id, count(*) FROM goose_db_version WHERE is_applied GROUP BY version_id ORDER BY version_id`)
	if err != nil {
		t.Fatalf("read goose_db_version: %v", err)
	}
	defer rows.Close()
	var applied []int64
	for rows.Next() {
		var version, count int64
		if err := rows.Scan(&version, &count); err != nil {
			t.Fatal(err)
		}
		if count != 1 {
			t.Errorf("version %d recorded %d times, want once", version, count)
		}
		if version > 0 {
			applied = append(applied, version)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := migrationVersions(t); !slices.Equal(applied, want) {
		t.Errorf("applied versions = %v, want %v", applied, want)
	}

	for _, table := range []string{"accounts", "users", "sessions", "audit_events"} {
		var exists bool
		err := db.QueryRowContext(ctx, `SELECT to_regclass('public.' || $1) IS NOT NULL`, table).Scan(&exists)
		if err != nil {
			t.Fatalf("look up table %s: %v", table, err)
		}
		if !exists {
			t.Errorf("table %s does not exist after migrating", table)
		}
	}
}

// TestAccountsIdleNotAboveAbsolute checks the DB's last line of defence: with
// both overrides set, idle may not exceed absolute. A partial override is left
// to policy.Validate, which knows the defaults.
func TestAccountsIdleNotAboveAbsolute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := apptest.Store(t)
	b := make([]byte, 4)
	rand.Read(b)
	a, err := st.CreateAccount(ctx, "check-idle-absolute-"+hex.EncodeToString(b))
	if err != nil {
		t.Fatalf("create account: %v", err)
	}
	set := func(idle, absolute *int) error {
		_, err := st.DB().ExecContext(ctx,
			`UPDATE accounts SET idle_minutes = $2, absolute_minutes = $3 WHERE id = $1`, a.ID, idle, absolute)
		return err
	}
	n := func(v int) *int { return &v }

	tests := []struct {
		name           string
		idle, absolute *int
		wantConstraint string // empty: the update succeeds
	}{
		{name: "idle below absolute", idle: n(30), absolute: n(60)},
		{name: "idle equal to absolute", idle: n(60), absolute: n(60)},
		{name: "idle alone", idle: n(43200)},
		{name: "absolute alone", absolute: n(60)},
		{name: "idle above absolute", idle: n(120), absolute: n(60), wantConstraint: "accounts_idle_le_absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := set(tt.idle, tt.absolute)
			if tt.wantConstraint == "" {
				if err != nil {
					t.Fatalf("update: %v", err)
				}
				return
			}
			var pqErr *pq.Error
			if !errors.As(err, &pqErr) {
				t.Fatalf("update = %v, want a PostgreSQL check violation", err)
			}
			if pqErr.Code != "23514" || pqErr.Constraint != tt.wantConstraint {
				t.Errorf("update failed with code %s on %q, want check_violation (23514) on %q",
					pqErr.Code, pqErr.Constraint, tt.wantConstraint)
			}
		})
	}

	// The refused update left the last accepted values in place.
	got, err := st.Account(ctx, a.ID)
	if err != nil {
		t.Fatalf("read account: %v", err)
	}
	if got.IdleMinutes != nil || got.AbsoluteMinutes == nil || *got.AbsoluteMinutes != 60 {
		t.Errorf("account overrides after refused update = %v, %v; want nil, 60", got.IdleMinutes, got.AbsoluteMinutes)
	}
}
