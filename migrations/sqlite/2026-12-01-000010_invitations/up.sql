-- Before a session: its calendar entry's version (SEQUENCE, one more for each change people were
-- sent), how many days before it the reminder goes, and whether it was cancelled and why.
ALTER TABLE meetings ADD COLUMN reminder_days INTEGER NOT NULL DEFAULT 2
    CHECK (reminder_days BETWEEN 0 AND 60);
ALTER TABLE meetings ADD COLUMN calendar_sequence INTEGER NOT NULL DEFAULT 0
    CHECK (calendar_sequence >= 0);
ALTER TABLE meetings ADD COLUMN cancelled_at TIMESTAMP;
ALTER TABLE meetings ADD COLUMN cancel_reason TEXT;

-- Who was invited to a session and what they said: `reply` is none until they answer;
-- `access_needs` is a comma list of codes in a fixed order (interpreter, large_print_papers,
-- step_free, quiet_space, companion), `access_note` anything else, in their own words.
-- `invited_at` is null for someone who replied without being sent an invitation.
CREATE TABLE meeting_replies (
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    invited_at TIMESTAMP,
    reply TEXT NOT NULL DEFAULT 'none'
        CHECK (reply IN ('none', 'attending', 'not_attending', 'maybe')),
    access_needs TEXT NOT NULL DEFAULT '',
    access_note TEXT,
    replied_at TIMESTAMP,
    replied_by TEXT REFERENCES accounts (id),
    PRIMARY KEY (meeting_id, member_id)
);
CREATE INDEX meeting_replies_member ON meeting_replies (member_id, meeting_id);

-- The reply links sent by email: each names one person and one meeting, works until the end of
-- the session's day, and is stored only as its SHA-256.
CREATE TABLE reply_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX reply_tokens_meeting ON reply_tokens (meeting_id);

-- A member's private calendar feed: the secret in its address, stored as its SHA-256.
ALTER TABLE members ADD COLUMN calendar_feed_hash TEXT;
CREATE UNIQUE INDEX members_calendar_feed ON members (calendar_feed_hash);

-- A calendar file sent with a message (an invitation, an update, a cancellation).
ALTER TABLE outbox ADD COLUMN calendar TEXT;
