-- +goose Up
CREATE TABLE accounts (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL,
    idle_minutes     integer NULL CHECK (idle_minutes > 0),
    absolute_minutes integer NULL CHECK (absolute_minutes > 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_idle_le_absolute
        CHECK (idle_minutes IS NULL OR absolute_minutes IS NULL OR idle_minutes <= absolute_minutes)
);
CREATE UNIQUE INDEX accounts_name_key ON accounts (lower(name));

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email         text NOT NULL CHECK (email = lower(email) AND email <> ''),
    name          text NOT NULL DEFAULT '',
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('owner', 'engineer')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_account_id_idx ON users (account_id);

CREATE TABLE sessions (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the random token in the cookie; the token itself is never stored.
    token_hash       bytea NOT NULL CHECK (octet_length(token_hash) = 32),
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    authenticated_at timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz NULL,
    revoked_reason   text NULL CHECK (revoked_reason IN ('logout', 'idle', 'absolute', 'revoked', 'revoked_all', 'revoked_others')),
    ip               text NOT NULL DEFAULT '',
    user_agent       text NOT NULL DEFAULT '',
    CONSTRAINT sessions_revoked_has_reason CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
-- The hot path: one lookup by token hash on every request.
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
-- Active sessions of an account (lists, counts, sign-out-everywhere).
CREATE INDEX sessions_active_by_account_idx ON sessions (account_id, last_seen_at DESC) WHERE revoked_at IS NULL;
-- Active sessions of one person (/me/sessions).
CREATE INDEX sessions_active_by_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;
-- The purge job finds ended sessions past retention.
CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE audit_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    actor_user_id bigint NULL REFERENCES users (id) ON DELETE SET NULL,
    action        text NOT NULL,
    payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
    ip            text NOT NULL DEFAULT '',
    user_agent    text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- Newest-first keyset pagination, optionally filtered by action or actor.
CREATE INDEX audit_events_account_id_idx ON audit_events (account_id, id DESC);
CREATE INDEX audit_events_account_action_idx ON audit_events (account_id, action, id DESC);
CREATE INDEX audit_events_account_actor_idx ON audit_events (account_id, actor_user_id, id DESC);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE accounts;
