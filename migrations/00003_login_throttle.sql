-- +goose Up
-- Sign-in attempts that count against the throttle, kept in PostgreSQL so
-- every instance behind a load balancer sees the same counts. A row is written
-- before the password is checked and deleted again (with the rest of that
-- email's rows) when the sign-in succeeds, so what remains are failures and
-- attempts still in flight. Rows older than the 15-minute window are ignored
-- by the checks and deleted now and then.
CREATE TABLE login_attempts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The email as typed (normalised), whether or not an account has it, so a
    -- throttled answer says nothing about which emails exist.
    email      text NOT NULL,
    ip         text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- The two sliding-window checks: newest attempts of one email, of one IP.
CREATE INDEX login_attempts_email_idx ON login_attempts (email, created_at DESC);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, created_at DESC);
-- The purge of rows past the window.
CREATE INDEX login_attempts_created_at_idx ON login_attempts (created_at);

-- +goose Down
DROP TABLE login_attempts;
