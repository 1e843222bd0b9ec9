-- The files behind an expense claim (a photo or scan of a receipt), kept in the database itself so
-- that a backup or a copy of the database holds them too. The type is decided from the file's own
-- bytes when it is uploaded, never from its name.
CREATE TABLE receipts (
    id TEXT PRIMARY KEY NOT NULL,
    expense_id TEXT NOT NULL REFERENCES expense_claims (id),
    filename TEXT NOT NULL CHECK (filename <> ''),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/heic', 'application/pdf')),
    size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    bytes BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES accounts (id),
    uploaded_at TIMESTAMP NOT NULL,
    CHECK (size_bytes = length(bytes))
);
CREATE INDEX receipts_expense ON receipts (expense_id, id);

-- Why a coordinator approved a claim for a session long past (expenses.late_after_days).
ALTER TABLE expense_claims ADD COLUMN late_reason TEXT;
