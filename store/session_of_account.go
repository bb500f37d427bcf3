package store

import "context"

// AccountSessionByID is one session of the account with its person, ended or
// not; ErrNotFound when the id is malformed or the session is another
// account's.
func (s *Store) AccountSessionByID(ctx context.Context, accountID int64, sessionID string) (AccountSession, error) {
	var a AccountSession
	if !ValidSessionID(sessionID) {
		return a, ErrNotFound
	}
	err := s.db.GetContext(ctx, &a, `SELECT s.id, s.account_id, s.user_id, s.created_at, s.last_seen_at,
			s.authenticated_at, s.revoked_at, s.revoked_reason, s.ip, s.user_agent, s.client,
			u.email AS user_email, u.name AS user_name, u.role AS user_role
		FROM sessions s
		JOIN users u ON u.id = s.user_id
		WHERE s.id = $1::uuid AND s.account_id = $2`, sessionID, accountID)
	return a, notFound(err, "find session")
}
