-- Who ended a session, for the ledger of ended sessions: the person whose
-- click ended it (an owner ending one session or everyone's, a person signing
-- out), or NULL when a rule ended it (idle, absolute) or the row predates
-- this column. The account's revocation point records who took it, so rows
-- marked ended after a sign-out-everywhere name that owner too.

-- +goose Up
ALTER TABLE sessions ADD COLUMN revoked_by_user_id bigint NULL REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE accounts ADD COLUMN sessions_revoked_by bigint NULL REFERENCES users (id) ON DELETE SET NULL;

-- "Recently ended", newest first, keyset by (revoked_at, id): the partial
-- index the purge job already has is by time alone and for every account.
CREATE INDEX sessions_ended_by_account_idx ON sessions (account_id, revoked_at DESC, id DESC) WHERE revoked_at IS NOT NULL;

-- +goose Down
DROP INDEX sessions_ended_by_account_idx;
ALTER TABLE accounts DROP COLUMN sessions_revoked_by;
ALTER TABLE sessions DROP COLUMN revoked_by_user_id;
