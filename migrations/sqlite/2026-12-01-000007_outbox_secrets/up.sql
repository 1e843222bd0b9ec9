-- A message that holds a single-use link (an invitation, a password reset) keeps its body only
-- until it is sent or fails for good; then the body is removed, so a copy of the database holds
-- no working link.
ALTER TABLE outbox ADD COLUMN holds_secret BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE outbox SET holds_secret = TRUE
    WHERE dedupe_key LIKE 'invitation:%' OR dedupe_key LIKE 'password-reset:%';
UPDATE outbox
    SET body_text = 'This message held a single-use link. Its text was removed once it was sent.',
        body_html = '<p>This message held a single-use link. Its text was removed once it was sent.</p>'
    WHERE holds_secret AND status IN ('sent', 'failed');
-- The admins' view of the queue: newest first, by status.
CREATE INDEX outbox_by_status ON outbox (status, id);
