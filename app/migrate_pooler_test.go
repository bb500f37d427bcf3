package app_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"curfew/internal/apptest"
	"curfew/store"
)

// `curfew migrate` told that a transaction pooler is in front refuses to
// migrate a database with migrations pending, naming what to do, and is
// content once the schema was migrated directly. (faults/ shows the same
// through a real PgBouncer.)
func TestMigrateBehindATransactionPooler(t *testing.T) {
	admin := os.Getenv(apptest.EnvAdminURL)
	b := make([]byte, 4)
	rand.Read(b)
	name := "curfew_test_pooler_" + hex.EncodeToString(b)
	db, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`) })
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	env := map[string]string{"DATABASE_URL": u.String(), "CURFEW_ENV": "dev", "CURFEW_DB_POOLER": "transaction"}

	_, err = run(t, env, "", "migrate")
	if !errors.Is(err, store.ErrTransactionPooler) || !strings.Contains(err.Error(), "curfew migrate") {
		t.Fatalf("migrate with migrations pending behind a transaction pooler: %v, want the refusal", err)
	}
	direct := map[string]string{"DATABASE_URL": u.String(), "CURFEW_ENV": "dev"}
	if _, err := run(t, direct, "", "migrate"); err != nil {
		t.Fatalf("migrate directly: %v", err)
	}
	if out, err := run(t, env, "", "migrate"); err != nil || !strings.Contains(out, "up to date") {
		t.Errorf("migrate behind a transaction pooler on a current schema: %q %v", out, err)
	}
}
