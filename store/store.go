// Package store is Curfew's PostgreSQL storage: one concrete type over
// *sqlx.DB, one file per table. Every query is scoped to an account and takes
// the request's context, so a cancelled request cancels its query.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"curfew/migrations"
)

// ErrNotFound is returned when a row does not exist or belongs to another account.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a unique value (an email, an account name) is taken.
var ErrConflict = errors.New("already exists")

// Store is the database of one Curfew deployment.
type Store struct {
	db *sqlx.DB

	// stmts holds the hot queries as prepared statements, by SQL text,
	// prepared on first use (the tables may not exist before Migrate).
	// database/sql prepares each again on every pooled connection as needed.
	stmts   sync.Map // string → *sqlx.Stmt
	stmtsMu sync.Mutex

	pooler Pooler // what sits in front of PostgreSQL (pooler.go)
}

// Open connects to PostgreSQL and checks the connection. url may list several
// hosts (dsn.go); opts say what sits in front of PostgreSQL (pooler.go).
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	s := New(nil, opts...)
	cfg, err := pq.NewConfig(multiHostURL(url))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// Behind a transaction pooler a query and its parameters must travel in
	// one round trip, with no Parse left on a server connection in between.
	cfg.BinaryParameters = cfg.BinaryParameters || s.pooler == PoolerTransaction
	connector, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db := sqlx.NewDb(sql.OpenDB(connector), "postgres")
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	s.db = db
	return s, nil
}

// New wraps a pool opened elsewhere, for tests and tools that open the driver
// themselves (for example to count the queries a request makes).
func New(db *sqlx.DB, opts ...Option) *Store {
	s := &Store{db: db}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Close closes the prepared statements and the connection pool.
func (s *Store) Close() error {
	s.stmts.Range(func(_, v any) bool {
		v.(*sqlx.Stmt).Close()
		return true
	})
	return s.db.Close()
}

// prepared returns the prepared statement for a hot query, preparing it the
// first time. PostgreSQL then plans it once per connection instead of on every
// request, which costs several times the execution of a short indexed query
// (docs/performance.md). A failed attempt is retried on the next call.
func (s *Store) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if stmt, ok := s.stmts.Load(query); ok {
		return stmt.(*sqlx.Stmt), nil
	}
	s.stmtsMu.Lock()
	defer s.stmtsMu.Unlock()
	if stmt, ok := s.stmts.Load(query); ok {
		return stmt.(*sqlx.Stmt), nil
	}
	stmt, err := s.db.PreparexContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare statement: %w", err)
	}
	s.stmts.Store(query, stmt)
	return stmt, nil
}

// DB exposes the pool for tests and metrics.
func (s *Store) DB() *sqlx.DB { return s.db }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Migrate applies pending migrations. A PostgreSQL advisory lock held for the
// duration makes two instances starting at once apply each migration once.
// It refuses a standby, and behind a transaction pooler it only checks that
// nothing is pending (pooler.go).
func (s *Store) Migrate(ctx context.Context, logger *slog.Logger) error {
	if err := s.checkMigratable(ctx); err != nil {
		return err
	}
	// Retry every second for up to five minutes while another instance migrates.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, s.db.DB, migrations.FS,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if s.pooler == PoolerTransaction {
		return s.schemaCurrent(ctx, p, logger)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		logger.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// withTx runs fn in a transaction, committing when it returns nil and rolling
// back otherwise. A change and its audit row always share one.
func (s *Store) withTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// notFound maps sql.ErrNoRows to ErrNotFound and wraps other errors.
func notFound(err error, doing string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// isUniqueViolation reports a unique-constraint error from PostgreSQL.
func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}
