-- A session's person belongs to the session's account, by the database's own
-- rule, so queries join users by primary key alone. A join that also matched
-- the account let the planner reach the user through all of the account's
-- people (users_account_id_idx): with statistics of one person per account,
-- the prepared hot-path lookup then read every person of a big account on
-- each of their requests (store/lookup_plan_test.go).

-- +goose Up
CREATE UNIQUE INDEX users_id_account_id_key ON users (id, account_id);
ALTER TABLE sessions
    ADD CONSTRAINT sessions_user_in_account FOREIGN KEY (user_id, account_id)
        REFERENCES users (id, account_id) ON DELETE CASCADE,
    DROP CONSTRAINT sessions_user_id_fkey;

-- +goose Down
ALTER TABLE sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    DROP CONSTRAINT sessions_user_in_account;
DROP INDEX users_id_account_id_key;
