-- Sign-in throttling without a lock-out button, throttled attempts counted
-- rather than audited one by one, and the numbers of an expiry kept with it.

-- +goose Up
-- Which counter an attempt counts against. '' is the per-email counter of
-- strangers (no device cookie, an address that never signed in to the email);
-- 'address' is the counter of one email at an address that has signed in to
-- it before (counted with the ip column); 'device:<id>' is the counter of one
-- browser holding a device cookie for the email. An attacker elsewhere only
-- fills ''; the owner's browser and office keep their own counters.
ALTER TABLE login_attempts ADD COLUMN scope text NOT NULL DEFAULT '';

-- Addresses that have signed in to an email with the right password, and when
-- they last did: such an address keeps its own counter (scope 'address').
-- Rows are written only after a correct password, so an attacker cannot grow
-- the table without the password; old rows are purged.
CREATE TABLE login_known_addresses (
    email           text NOT NULL,
    ip              text NOT NULL,
    last_success_at timestamptz NOT NULL,
    PRIMARY KEY (email, ip)
);
CREATE INDEX login_known_addresses_last_success_at_idx ON login_known_addresses (last_success_at);

-- Refused (throttled) attempts on an account's email, counted here instead of
-- one audit row each: one auth.login_failed row marked throttled is written
-- per email at most once per window, carrying how many refusals it stands
-- for. One row per email of an account (throttled answers for unknown emails
-- write nothing), so its size is bounded by the number of users.
CREATE TABLE login_refusals (
    email      text PRIMARY KEY,
    -- When the last audit row for this email's refusals was written.
    audited_at timestamptz NOT NULL,
    -- Refusals since then that no audit row has reported yet.
    pending    integer NOT NULL DEFAULT 0
);

-- The limit an expired session ended by, in minutes, as it was when the
-- session was found over: a later request on the same session says "after 30
-- minutes of inactivity" with that number even after the policy changed.
ALTER TABLE sessions ADD COLUMN revoked_after_minutes integer NULL;

-- +goose Down
ALTER TABLE sessions DROP COLUMN revoked_after_minutes;
DROP TABLE login_refusals;
DROP TABLE login_known_addresses;
ALTER TABLE login_attempts DROP COLUMN scope;
