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
