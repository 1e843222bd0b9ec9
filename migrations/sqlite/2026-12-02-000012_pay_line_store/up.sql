-- Drafting reads the carried-forward lines no run has taken yet; they are few among every line
-- ever drafted, cancelled drafts' too. The query names the disposition as a literal so the
-- planner can use this partial index. (On PostgreSQL this migration also drops the per-row
-- foreign keys of pay_lines and payments, which the store replaces with set-based checks;
-- SQLite checks foreign keys in process for little cost, so its tables keep them.)
CREATE INDEX pay_lines_carried ON pay_lines (pay_run_id) WHERE disposition = 'carried_forward';
