-- What kind of client a session belongs to: a browser signed in through the
-- login form (its token lives in an encrypted cookie) or an API client signed
-- in with POST /api/session (its token is sent as Authorization: Bearer). The
-- lists say "API client" for the second, and each token only authenticates
-- the way it was issued.

-- +goose Up
ALTER TABLE sessions
    ADD COLUMN client text NOT NULL DEFAULT 'browser'
        CONSTRAINT sessions_client_known CHECK (client IN ('browser', 'api'));

-- +goose Down
ALTER TABLE sessions DROP COLUMN client;
