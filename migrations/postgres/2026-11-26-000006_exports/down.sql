ALTER TABLE pay_runs DROP COLUMN export_count;
