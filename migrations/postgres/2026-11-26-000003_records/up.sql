-- Reference data an admin may extend: roles inside a group, and kinds of activity.
CREATE TABLE roles (
    code TEXT PRIMARY KEY NOT NULL CHECK (code <> ''),
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO roles (code, label, created_at) VALUES
    ('co_chair', 'Co-chair', CURRENT_TIMESTAMP),
    ('chair', 'Chair', CURRENT_TIMESTAMP),
    ('member', 'Member', CURRENT_TIMESTAMP),
    ('lived_experience_associate', 'Lived experience associate', CURRENT_TIMESTAMP),
    ('carer_representative', 'Carer representative', CURRENT_TIMESTAMP);

CREATE TABLE activity_kinds (
    code TEXT PRIMARY KEY NOT NULL CHECK (code <> ''),
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO activity_kinds (code, label, created_at) VALUES
    ('meeting', 'Meeting', CURRENT_TIMESTAMP),
    ('workshop', 'Workshop', CURRENT_TIMESTAMP),
    ('interview_panel', 'Interview panel', CURRENT_TIMESTAMP),
    ('training_delivery', 'Training delivery', CURRENT_TIMESTAMP),
    ('document_review', 'Document review', CURRENT_TIMESTAMP),
    ('conference', 'Conference', CURRENT_TIMESTAMP);

-- A member's role in a group from a start date to an optional end date (inclusive).
CREATE TABLE memberships (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES groups (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    role TEXT NOT NULL REFERENCES roles (code),
    starts_on DATE NOT NULL,
    ends_on DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX memberships_group ON memberships (group_id, starts_on);
CREATE INDEX memberships_member ON memberships (member_id, group_id);

CREATE TABLE meetings (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT NOT NULL REFERENCES groups (id),
    title TEXT NOT NULL,
    activity_kind TEXT NOT NULL REFERENCES activity_kinds (code),
    meeting_date DATE NOT NULL,
    starts_at TEXT,
    duration_minutes INTEGER NOT NULL CHECK (duration_minutes > 0 AND duration_minutes <= 1440),
    prep_minutes_allowed INTEGER NOT NULL CHECK (prep_minutes_allowed >= 0 AND prep_minutes_allowed <= 1440),
    location TEXT,
    online BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX meetings_group_date ON meetings (group_id, meeting_date, id);
CREATE INDEX meetings_date ON meetings (meeting_date, id);

-- One record per member per meeting.
CREATE TABLE attendance (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    status TEXT NOT NULL CHECK (status IN ('attended', 'partial', 'apologies', 'absent')),
    attended_minutes INTEGER CHECK (attended_minutes IS NULL OR (attended_minutes >= 0 AND attended_minutes <= 1440)),
    prep_minutes INTEGER NOT NULL CHECK (prep_minutes >= 0 AND prep_minutes <= 1440),
    role_override TEXT REFERENCES roles (code),
    notes TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (meeting_id, member_id)
);
CREATE INDEX attendance_member ON attendance (member_id);

-- Out-of-pocket costs claimed for a meeting. Mileage amounts are left to the remuneration engine.
CREATE TABLE expense_claims (
    id TEXT PRIMARY KEY NOT NULL,
    meeting_id TEXT NOT NULL REFERENCES meetings (id),
    member_id TEXT NOT NULL REFERENCES members (id),
    kind TEXT NOT NULL CHECK (kind IN ('car', 'motorcycle', 'bicycle', 'public_transport', 'taxi',
        'parking', 'care', 'subsistence', 'home_allowance', 'other')),
    care_type TEXT CHECK (care_type IS NULL OR care_type IN ('replacement_care', 'childcare', 'personal_assistant')),
    miles_tenths INTEGER CHECK (miles_tenths IS NULL OR miles_tenths > 0),
    passengers INTEGER NOT NULL CHECK (passengers >= 0 AND passengers <= 8),
    amount_pence BIGINT CHECK (amount_pence IS NULL OR amount_pence >= 0),
    receipt_ref TEXT,
    description TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by TEXT REFERENCES accounts (id),
    decided_at TIMESTAMP,
    rejection_reason TEXT,
    created_by TEXT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX expense_claims_meeting ON expense_claims (meeting_id);
CREATE INDEX expense_claims_member ON expense_claims (member_id, status);

-- Responses remembered for Idempotency-Key, per account.
CREATE TABLE idempotency_keys (
    account_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER,
    response_body TEXT,
    location TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE INDEX members_name ON members (full_name, id);
CREATE INDEX groups_name ON groups (name, id);
