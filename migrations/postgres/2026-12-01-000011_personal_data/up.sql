-- Members whose personal details were erased (UK GDPR article 17): when, by which account (none
-- when the retention rules did it) and under which rule. Why is in the audit trail. The member's
-- row stays, under a pseudonym, so the pay runs that paid them still add up.
CREATE TABLE erasures (
    member_id TEXT PRIMARY KEY REFERENCES members (id),
    erased_at TIMESTAMP NOT NULL,
    erased_by TEXT REFERENCES accounts (id),
    rule TEXT
);

-- The daily retention pass: one row per day it ran (the day as YYYY-MM-DD), taken in the same transaction as the work,
-- so several instances run it once a day between them.
CREATE TABLE retention_runs (
    run_on TEXT PRIMARY KEY,
    started_at TIMESTAMP NOT NULL,
    removed BIGINT NOT NULL DEFAULT 0
);

-- Audit events stay append-only, with one exception: erasure may strike personal details out of
-- an event's snapshots and reason (a value that was there is replaced by one that holds
-- "[erased]"; nothing is added where there was none). Who, what, when and
-- about what never change, and no event is ever deleted.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND NEW.id IS NOT DISTINCT FROM OLD.id
        AND NEW.occurred_at IS NOT DISTINCT FROM OLD.occurred_at
        AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
        AND NEW.action IS NOT DISTINCT FROM OLD.action
        AND NEW.entity_type IS NOT DISTINCT FROM OLD.entity_type
        AND NEW.entity_id IS NOT DISTINCT FROM OLD.entity_id
        AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id
        AND (NEW.before_json IS NOT DISTINCT FROM OLD.before_json
            OR (OLD.before_json IS NOT NULL AND NEW.before_json LIKE '%[erased]%'))
        AND (NEW.after_json IS NOT DISTINCT FROM OLD.after_json
            OR (OLD.after_json IS NOT NULL AND NEW.after_json LIKE '%[erased]%'))
        AND (NEW.reason IS NOT DISTINCT FROM OLD.reason
            OR (OLD.reason IS NOT NULL AND NEW.reason LIKE '%[erased]%'))
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
