package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Roles a user can have.
const (
	RoleOwner    = "owner"
	RoleEngineer = "engineer"
)

// User is a person who signs in to one account.
type User struct {
	ID           int64     `db:"id"`
	AccountID    int64     `db:"account_id"`
	Email        string    `db:"email"`
	Name         string    `db:"name"`
	PasswordHash string    `db:"password_hash"`
	Role         string    `db:"role"`
	CreatedAt    time.Time `db:"created_at"`
}

// DisplayName is the name if set, else the email.
func (u User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

const userColumns = `id, account_id, email, name, password_hash, role, created_at`

// NormalizeEmail is how emails are compared and stored.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CreateUser adds a user to an account; ErrConflict when the email is taken.
func (s *Store) CreateUser(ctx context.Context, accountID int64, email, name, passwordHash, role string) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `INSERT INTO users (account_id, email, name, password_hash, role)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+userColumns,
		accountID, NormalizeEmail(email), name, passwordHash, role)
	if isUniqueViolation(err) {
		return User{}, ErrConflict
	}
	if err != nil {
		return User{}, fmt.Errorf("create user %q: %w", email, err)
	}
	return u, nil
}

// UserByEmail finds a user for sign-in.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE email = $1`, NormalizeEmail(email))
	return u, notFound(err, "find user by email")
}

// User reads one user of an account.
func (s *Store) User(ctx context.Context, accountID, userID int64) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE account_id = $1 AND id = $2`, accountID, userID)
	return u, notFound(err, "read user")
}

// UpdatePassword replaces a user's password hash.
func (s *Store) UpdatePassword(ctx context.Context, userID int64, passwordHash string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, passwordHash)
	if err != nil {
		return fmt.Errorf("update password: %w", err)
	}
	return nil
}
