-- Groups and members: the people the rest of coprod is about. Their endpoints arrive with the
-- records of meetings; accounts link to them now.
CREATE TABLE groups (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    archived_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE members (
    id TEXT PRIMARY KEY NOT NULL,
    full_name TEXT NOT NULL,
    preferred_name TEXT,
    email TEXT,
    phone TEXT,
    payee_reference TEXT,
    communication_needs TEXT,
    notes TEXT,
    archived_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Who may sign in, and as what. A member account is linked to exactly one member record; the
-- password hash is empty until an invitation is accepted.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'finance', 'member')),
    member_id TEXT UNIQUE REFERENCES members (id),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    password_changed_at TIMESTAMP,
    last_login_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (role <> 'member' OR member_id IS NOT NULL)
);

-- The groups a coordinator coordinates.
CREATE TABLE account_groups (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    group_id TEXT NOT NULL REFERENCES groups (id),
    PRIMARY KEY (account_id, group_id)
);
CREATE INDEX account_groups_group ON account_groups (group_id);

-- Sign-in sessions and named API tokens. Only the SHA-256 of a token is kept.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL CHECK (kind IN ('session', 'api_token')),
    name TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_account ON sessions (account_id, kind);

-- Single-use links sent by email: invitations and password resets.
CREATE TABLE one_time_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX one_time_tokens_account ON one_time_tokens (account_id, purpose);

-- Failed sign-ins, counted per scope (an address, an account, or both) to throttle guessing.
CREATE TABLE login_failures (
    id TEXT PRIMARY KEY NOT NULL,
    scope TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_scope ON login_failures (scope, failed_at);

-- Who changed what, when, and why. Append-only: triggers refuse updates and deletes.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    reason TEXT,
    request_id TEXT
);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id);
CREATE INDEX audit_events_actor ON audit_events (actor_id);
CREATE INDEX audit_events_time ON audit_events (occurred_at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
