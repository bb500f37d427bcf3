-- Sign-out-everywhere in constant time: instead of rewriting every session
-- row, an account records a revocation point in the order sessions were
-- created. Every session created at or before it (but the one kept for
-- "everyone but me") is over; the hot-path lookup sees it in the same read,
-- and the rows are marked ended afterwards in the background.

-- +goose Up
ALTER TABLE sessions ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;

ALTER TABLE accounts
    ADD COLUMN sessions_revoked_through bigint NOT NULL DEFAULT 0,
    ADD COLUMN sessions_revoked_kept uuid NULL,
    ADD COLUMN sessions_revoked_reason text NULL CHECK (sessions_revoked_reason IN ('revoked_all', 'revoked_others')),
    ADD COLUMN sessions_revoked_at timestamptz NULL;

-- +goose Down
ALTER TABLE accounts
    DROP COLUMN sessions_revoked_at,
    DROP COLUMN sessions_revoked_reason,
    DROP COLUMN sessions_revoked_kept,
    DROP COLUMN sessions_revoked_through;
ALTER TABLE sessions DROP COLUMN seq;
