package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/pressly/goose/v3"
)

// Pooler says what sits between Curfew and PostgreSQL (CURFEW_DB_POOLER).
// Each server connection of a transaction pooler (PgBouncer with
// pool_mode=transaction) serves many clients in turn, so nothing that lives
// on a server connection between transactions survives: not a named prepared
// statement (PgBouncer keeps them only from 1.21, with max_prepared_statements),
// not the unnamed statement between a Parse and a later Bind, not a session
// advisory lock.
type Pooler string

const (
	// PoolerNone is PostgreSQL itself, or a pooler in session mode, which
	// gives each client a server connection of its own for as long as it is
	// connected: everything works as on PostgreSQL.
	PoolerNone Pooler = ""
	// PoolerSession names a session-mode pooler; it behaves as PoolerNone.
	PoolerSession Pooler = "session"
	// PoolerTransaction is a transaction-mode pooler: Curfew prepares no
	// statement and sends each query with its parameters in one round trip
	// (lib/pq's binary_parameters), and does not migrate: it starts only on
	// a schema that is already current.
	PoolerTransaction Pooler = "transaction"
)

// ParsePooler reads a CURFEW_DB_POOLER value: empty, "none", "session" or
// "transaction".
func ParsePooler(s string) (Pooler, error) {
	switch s {
	case "", "none":
		return PoolerNone, nil
	case string(PoolerSession), string(PoolerTransaction):
		return Pooler(s), nil
	}
	return "", fmt.Errorf("CURFEW_DB_POOLER=%.40q: want none, session or transaction", s)
}

// Option changes how a Store talks to the database.
type Option func(*Store)

// WithPooler tells the store what sits in front of PostgreSQL.
func WithPooler(p Pooler) Option { return func(s *Store) { s.pooler = p } }

// getHot runs one of the hot read queries into dest: as a prepared statement,
// planned once per connection, or, behind a transaction pooler, as a
// one-round-trip query on the unnamed statement, planned every time.
func (s *Store) getHot(ctx context.Context, dest any, query string, args ...any) error {
	if s.pooler == PoolerTransaction {
		return s.db.GetContext(ctx, dest, query, args...)
	}
	stmt, err := s.prepared(ctx, query)
	if err != nil {
		return err
	}
	return stmt.GetContext(ctx, dest, args...)
}

// ErrStandby is returned by Migrate when the database is a standby: it could
// not write, and it may be a node that lost a failover.
var ErrStandby = errors.New("the database is a standby (read-only): migrate on the primary; with several hosts in DATABASE_URL add target_session_attrs=read-write")

// ErrTransactionPooler is returned by Migrate behind a transaction pooler
// when migrations are pending: the session advisory lock that keeps two
// instances from migrating at once cannot be held there.
var ErrTransactionPooler = errors.New("refusing to migrate through a transaction pooler (CURFEW_DB_POOLER=transaction): the migration lock is a session advisory lock, which such a pooler does not keep; run `curfew migrate` with DATABASE_URL pointing at PostgreSQL itself or at a session-mode pool, then start this instance again")

// schemaCurrent stands in for migrating behind a transaction pooler: with
// nothing pending the instance may serve; otherwise it refuses, naming what
// to do, instead of taking a lock the pooler cannot keep. It changes nothing,
// not even goose's version table.
func (s *Store) schemaCurrent(ctx context.Context, p *goose.Provider, logger *slog.Logger) error {
	var current, target int64
	if sources := p.ListSources(); len(sources) > 0 {
		target = sources[len(sources)-1].Version
	}
	var versioned bool
	if err := s.db.QueryRowContext(ctx, `SELECT to_regclass('goose_db_version') IS NOT NULL`).Scan(&versioned); err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	if versioned {
		v, err := p.GetDBVersion(ctx)
		if err != nil {
			return fmt.Errorf("read the schema version: %w", err)
		}
		current = v
	}
	if current < target {
		return fmt.Errorf("schema version %d, this build needs %d: %w", current, target, ErrTransactionPooler)
	}
	logger.Info("behind a transaction pooler: not migrating, the schema is current", "version", current)
	return nil
}

// checkMigratable refuses, before any lock is taken, a database Migrate
// cannot change: a standby.
func (s *Store) checkMigratable(ctx context.Context) error {
	var standby bool
	if err := s.db.QueryRowContext(ctx, `SELECT pg_is_in_recovery()`).Scan(&standby); err != nil {
		return fmt.Errorf("check the database is a primary: %w", err)
	}
	if standby {
		return ErrStandby
	}
	return nil
}
