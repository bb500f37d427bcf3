package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AuditFilter selects one page of an account's audit log, newest first.
// Pages are keyset pages on id: Before is the id the previous page ended at,
// so a page costs the same at any depth and new rows never shift it.
type AuditFilter struct {
	// Action keeps one action; "" keeps all.
	Action string
	// ActorID keeps events by one user; 0 keeps all.
	ActorID int64
	// Before keeps events with a smaller id; 0 starts at the newest.
	Before int64
	// Since keeps events at or after it and Until those before it; the zero
	// time leaves that end open.
	Since, Until time.Time
	// Limit is the page size; it must be positive.
	Limit int
}

// AuditEvent is one audit row with its actor's email and name, when the
// actor is a user of the same account.
type AuditEvent struct {
	ID          int64           `db:"id"`
	ActorUserID *int64          `db:"actor_user_id"`
	ActorEmail  *string         `db:"actor_email"`
	ActorName   *string         `db:"actor_name"`
	Action      string          `db:"action"`
	Payload     json.RawMessage `db:"payload"`
	IP          string          `db:"ip"`
	UserAgent   string          `db:"user_agent"`
	CreatedAt   time.Time       `db:"created_at"`
}

// ActorDisplayName is the actor's name, else their email, else "".
func (e AuditEvent) ActorDisplayName() string {
	if e.ActorName != nil && *e.ActorName != "" {
		return *e.ActorName
	}
	if e.ActorEmail != nil {
		return *e.ActorEmail
	}
	return ""
}

// AuditPage is a page of events and where the next one starts.
type AuditPage struct {
	Events []AuditEvent
	// NextBefore is the Before of the next page, 0 when this is the last.
	NextBefore int64
}

// AuditEvents reads one page of an account's audit log. Each shape of filter
// is served by its own index — (account_id, id DESC), (account_id, action,
// id DESC), (account_id, actor_user_id, id DESC) — read in order and stopped
// after Limit+1 entries; the extra one tells whether another page exists.
func (s *Store) AuditEvents(ctx context.Context, accountID int64, f AuditFilter) (AuditPage, error) {
	if f.Limit <= 0 {
		return AuditPage{}, fmt.Errorf("read audit events: limit %d must be positive", f.Limit)
	}
	query, args := auditEventsQuery(accountID, f)
	var events []AuditEvent
	if err := s.db.SelectContext(ctx, &events, query, args...); err != nil {
		return AuditPage{}, fmt.Errorf("read audit events: %w", err)
	}
	page := AuditPage{Events: events}
	if len(events) > f.Limit {
		page.Events = events[:f.Limit]
		page.NextBefore = page.Events[f.Limit-1].ID
	}
	return page, nil
}

// auditEventsQuery builds the page query with only the conditions the filter
// uses, so the planner sees plain equalities on the indexed columns.
//
// The page's ids are picked first, from the columns the indexes hold, and the
// rows fetched after. Asked for whole rows at once, PostgreSQL may instead walk
// the primary key backwards and filter by account, betting that the account's
// rows are spread evenly over the table; for an account whose events are all
// old (or a person who left) that walk reads every newer row of the table
// before it finds one. The id-only subquery is an index-only scan of the
// matching index, which wins that bet outright.
func auditEventsQuery(accountID int64, f AuditFilter) (string, []any) {
	where := []string{"account_id = $1"}
	args := []any{accountID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.ActorID != 0 {
		add("actor_user_id = ?", f.ActorID)
	}
	if f.Before != 0 {
		add("id < ?", f.Before)
	}
	if !f.Since.IsZero() {
		add("created_at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		add("created_at < ?", f.Until)
	}
	args = append(args, f.Limit+1)
	// The join to users is scoped to the account too: a name from another
	// account never shows, even if an id were wrong.
	return `SELECT e.id, e.actor_user_id, u.email AS actor_email, u.name AS actor_name,
			e.action, e.payload, e.ip, e.user_agent, e.created_at
		FROM (SELECT id FROM audit_events
			WHERE ` + strings.Join(where, " AND ") + `
			ORDER BY id DESC
			LIMIT $` + strconv.Itoa(len(args)) + `) page
		JOIN audit_events e ON e.id = page.id AND e.account_id = $1
		LEFT JOIN users u ON u.id = e.actor_user_id AND u.account_id = e.account_id
		ORDER BY e.id DESC`, args
}

// ExplainAuditEvents returns PostgreSQL's plan for the page query, for tests
// and the benchmark to check that a page is an index scan. With analyze the
// query runs and the plan carries actual times and buffers.
func (s *Store) ExplainAuditEvents(ctx context.Context, accountID int64, f AuditFilter, analyze bool) (string, error) {
	query, args := auditEventsQuery(accountID, f)
	explain := "EXPLAIN "
	if analyze {
		explain = "EXPLAIN (ANALYZE, BUFFERS) "
	}
	var lines []string
	if err := s.db.SelectContext(ctx, &lines, explain+query, args...); err != nil {
		return "", fmt.Errorf("explain audit events: %w", err)
	}
	return strings.Join(lines, "\n"), nil
}

// AuditPerson is a user of the account, as the audit log's person filter
// lists them.
type AuditPerson struct {
	ID    int64  `db:"id"`
	Email string `db:"email"`
	Name  string `db:"name"`
}

// DisplayName is the name if set, else the email.
func (p AuditPerson) DisplayName() string {
	if p.Name != "" {
		return p.Name
	}
	return p.Email
}

// AuditPeople lists the account's users by name, for the person filter and
// for naming the people an event's payload refers to.
func (s *Store) AuditPeople(ctx context.Context, accountID int64) ([]AuditPerson, error) {
	var people []AuditPerson
	err := s.db.SelectContext(ctx, &people, `SELECT id, email, name FROM users
		WHERE account_id = $1 ORDER BY lower(coalesce(nullif(name, ''), email)), id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list people for audit: %w", err)
	}
	return people, nil
}
