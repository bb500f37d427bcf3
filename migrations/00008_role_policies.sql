-- An account may hold one role to its own session limits, usually shorter
-- ones for the owners, who can change security settings. Per field a session
-- lives by its person's role's value, else the account's, else the system
-- default (policy.Settings.EffectiveForRole). A row exists only while the
-- role has an override: clearing both deletes it.

-- +goose Up
CREATE TABLE role_policies (
    account_id       bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role             text NOT NULL CHECK (role IN ('owner', 'engineer')),
    idle_minutes     integer NULL CHECK (idle_minutes > 0),
    absolute_minutes integer NULL CHECK (absolute_minutes > 0),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- The hot-path lookup joins the caller's role's row by this key.
    PRIMARY KEY (account_id, role),
    CONSTRAINT role_policies_idle_le_absolute
        CHECK (idle_minutes IS NULL OR absolute_minutes IS NULL OR idle_minutes <= absolute_minutes),
    CONSTRAINT role_policies_has_override
        CHECK (idle_minutes IS NOT NULL OR absolute_minutes IS NOT NULL)
);

-- +goose Down
DROP TABLE role_policies;
