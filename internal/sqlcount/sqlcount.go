// Package sqlcount wraps lib/pq's connector to count and record every
// statement a program executes on PostgreSQL: queries, prepared statements,
// BEGIN, COMMIT and ROLLBACK. Tests use it to prove how many queries a request costs, and the
// load generator uses it to capture the exact SQL the store sends.
package sqlcount

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Recorder remembers every statement executed through connections it opened.
// Preparing a statement is counted apart (Prepares): database/sql prepares a
// statement once per pooled connection, not once per use.
type Recorder struct {
	mu       sync.Mutex
	stmts    []string
	prepares int
}

// Open returns a database pool over lib/pq whose every round trip is recorded.
func (r *Recorder) Open(dsn string) (*sqlx.DB, error) {
	pc, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres connector: %w", err)
	}
	return sqlx.NewDb(sql.OpenDB(&connector{Connector: pc, r: r}), "postgres"), nil
}

// Count is how many statements have been recorded so far.
func (r *Recorder) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.stmts)
}

// Since returns the statements recorded after the first n, in order.
func (r *Recorder) Since(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n > len(r.stmts) {
		return nil
	}
	return append([]string(nil), r.stmts[n:]...)
}

// Prepares is how many times a statement was prepared on a connection.
func (r *Recorder) Prepares() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.prepares
}

func (r *Recorder) record(sql string) {
	r.mu.Lock()
	r.stmts = append(r.stmts, sql)
	r.mu.Unlock()
}

type connector struct {
	*pq.Connector
	r *Recorder
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: dc, r: c.r}, nil
}

func (c *connector) Driver() driver.Driver { return c.Connector.Driver() }

// conn forwards to pq's connection, recording each call that reaches the server.
// Pings are not recorded: database/sql only pings when asked to.
type conn struct {
	driver.Conn
	r *Recorder
}

// The interfaces pq's connection implements; database/sql uses them when present.
type pqConn interface {
	driver.QueryerContext
	driver.ExecerContext
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

func (c *conn) pq() pqConn { return c.Conn.(pqConn) }

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.r.record(query)
	return c.pq().QueryContext(ctx, query, args)
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.r.record(query)
	return c.pq().ExecContext(ctx, query, args)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.r.mu.Lock()
	c.r.prepares++
	c.r.mu.Unlock()
	st, err := c.pq().PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &stmt{Stmt: st, query: query, r: c.r}, nil
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.r.record("BEGIN")
	tx, err := c.pq().BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{Tx: tx, r: c.r}, nil
}

func (c *conn) Ping(ctx context.Context) error              { return c.pq().Ping(ctx) }
func (c *conn) ResetSession(ctx context.Context) error      { return c.pq().ResetSession(ctx) }
func (c *conn) IsValid() bool                               { return c.pq().IsValid() }
func (c *conn) CheckNamedValue(nv *driver.NamedValue) error { return c.pq().CheckNamedValue(nv) }
func (c *conn) Begin() (driver.Tx, error)                   { return c.BeginTx(context.Background(), driver.TxOptions{}) }
func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

type txn struct {
	driver.Tx
	r *Recorder
}

func (t *txn) Commit() error {
	t.r.record("COMMIT")
	return t.Tx.Commit()
}

func (t *txn) Rollback() error {
	t.r.record("ROLLBACK")
	return t.Tx.Rollback()
}

// stmt records each execution of a prepared statement.
type stmt struct {
	driver.Stmt
	query string
	r     *Recorder
}

type pqStmt interface {
	driver.StmtQueryContext
	driver.StmtExecContext
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.r.record(s.query)
	return s.Stmt.(pqStmt).QueryContext(ctx, args)
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.r.record(s.query)
	return s.Stmt.(pqStmt).ExecContext(ctx, args)
}
