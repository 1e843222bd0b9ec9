ALTER TABLE outbox DROP COLUMN calendar;
DROP INDEX members_calendar_feed;
ALTER TABLE members DROP COLUMN calendar_feed_hash;
DROP TABLE reply_tokens;
DROP TABLE meeting_replies;
ALTER TABLE meetings DROP COLUMN cancel_reason;
ALTER TABLE meetings DROP COLUMN cancelled_at;
ALTER TABLE meetings DROP COLUMN calendar_sequence;
ALTER TABLE meetings DROP COLUMN reminder_days;
