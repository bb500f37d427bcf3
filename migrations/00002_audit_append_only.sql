-- +goose Up
-- The audit log is append-only for the application: every UPDATE and DELETE
-- raises, except
--   * the retention purge, which runs each batch in a transaction that did
--     SET LOCAL curfew.audit_purge = 'on' (store.PurgeAudit);
--   * the foreign keys' own actions: deleting a user sets actor_user_id to NULL
--     (ON DELETE SET NULL) and deleting an account removes its log (ON DELETE
--     CASCADE). Both run inside the referential trigger (depth > 1) and change
--     nothing else.
-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF current_setting('curfew.audit_purge', true) = 'on' THEN
            RETURN OLD;
        END IF;
        IF pg_trigger_depth() > 1 AND NOT EXISTS (SELECT 1 FROM accounts WHERE id = OLD.account_id) THEN
            RETURN OLD;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        IF pg_trigger_depth() > 1
           AND OLD.actor_user_id IS NOT NULL AND NEW.actor_user_id IS NULL
           AND (NEW.id, NEW.account_id, NEW.action, NEW.payload, NEW.ip, NEW.user_agent, NEW.created_at)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.account_id, OLD.action, OLD.payload, OLD.ip, OLD.user_agent, OLD.created_at) THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit rows are removed only by the retention purge (CURFEW_AUDIT_RETENTION).';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- +goose StatementBegin
CREATE FUNCTION audit_events_no_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: TRUNCATE refused'
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_no_truncate();

-- The purge finds rows by age. Rows arrive in time order and are never
-- updated, so a BRIN index is tiny and costs appends almost nothing.
CREATE INDEX audit_events_created_at_brin ON audit_events USING brin (created_at);

-- +goose Down
DROP INDEX audit_events_created_at_brin;
DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP FUNCTION audit_events_no_truncate();
DROP TRIGGER audit_events_append_only ON audit_events;
DROP FUNCTION audit_events_append_only();
