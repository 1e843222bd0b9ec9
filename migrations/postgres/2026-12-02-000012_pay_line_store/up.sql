-- A pay run's lines and payments are written tens of thousands at a time, and PostgreSQL checks a
-- foreign key with a query and a row lock per row: five references per line cost four times as
-- long as writing the lines themselves. The store now checks every reference of a run's lines and
-- payments in one set-based statement per reference, in the same transaction
-- (`db::pay::runs::replace_lines`), and nothing in coprod deletes a run, member, group, meeting or
-- rate card, so what these constraints guarded still holds. SQLite checks its foreign keys in
-- process for little cost and keeps them.
ALTER TABLE pay_lines DROP CONSTRAINT IF EXISTS pay_lines_pay_run_id_fkey;
ALTER TABLE pay_lines DROP CONSTRAINT IF EXISTS pay_lines_member_id_fkey;
ALTER TABLE pay_lines DROP CONSTRAINT IF EXISTS pay_lines_group_id_fkey;
ALTER TABLE pay_lines DROP CONSTRAINT IF EXISTS pay_lines_meeting_id_fkey;
ALTER TABLE pay_lines DROP CONSTRAINT IF EXISTS pay_lines_rate_card_id_fkey;
ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_pay_run_id_fkey;
ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_member_id_fkey;

-- Drafting reads the carried-forward lines no run has taken yet; they are few among every line
-- ever drafted, cancelled drafts' too. The query names the disposition as a literal so the
-- planner can use this partial index.
CREATE INDEX pay_lines_carried ON pay_lines (pay_run_id) WHERE disposition = 'carried_forward';
