-- How many times finance has exported a run (a repeat is marked as such in the file).
ALTER TABLE pay_runs ADD COLUMN export_count INTEGER NOT NULL DEFAULT 0;
