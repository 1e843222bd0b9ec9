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
DROP TRIGGER audit_events_no_update;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NEW.id IS NOT OLD.id OR NEW.occurred_at IS NOT OLD.occurred_at
    OR NEW.actor_id IS NOT OLD.actor_id OR NEW.action IS NOT OLD.action
    OR NEW.entity_type IS NOT OLD.entity_type OR NEW.entity_id IS NOT OLD.entity_id
    OR NEW.request_id IS NOT OLD.request_id
    OR (NEW.before_json IS NOT OLD.before_json
        AND (OLD.before_json IS NULL OR NEW.before_json IS NULL OR NEW.before_json NOT LIKE '%[erased]%'))
    OR (NEW.after_json IS NOT OLD.after_json
        AND (OLD.after_json IS NULL OR NEW.after_json IS NULL OR NEW.after_json NOT LIKE '%[erased]%'))
    OR (NEW.reason IS NOT OLD.reason
        AND (OLD.reason IS NULL OR NEW.reason IS NULL OR NEW.reason NOT LIKE '%[erased]%'))
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
