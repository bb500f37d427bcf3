package store

import (
	"context"
	"errors"
)

// Ready runs what every signed-in request runs first, the session lookup,
// for a token hash no session has. A Ping would pass while a lock on
// sessions, users or accounts (an ALTER TABLE, a LOCK TABLE, a migration
// waiting its turn) makes every signed-in request wait and time out; this
// waits on the same lock, so under the caller's deadline it fails with them.
func (s *Store) Ready(ctx context.Context) error {
	_, err := s.SessionByTokenHash(ctx, make([]byte, 32))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
