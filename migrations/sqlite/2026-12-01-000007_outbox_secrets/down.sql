DROP INDEX outbox_by_status;
ALTER TABLE outbox DROP COLUMN holds_secret;
