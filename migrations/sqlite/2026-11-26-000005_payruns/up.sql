-- Rate cards: named, effective-dated sets of rules, for one group or (group_id NULL) the default.
CREATE TABLE rate_cards (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL CHECK (name <> ''),
    group_id TEXT REFERENCES groups (id),
    effective_from DATE NOT NULL,
    effective_to DATE,
    supersedes TEXT REFERENCES rate_cards (id),
    created_by TEXT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (effective_to IS NULL OR effective_to >= effective_from)
);
CREATE INDEX rate_cards_dates ON rate_cards (effective_from, id);

CREATE TABLE rate_rules (
    id TEXT PRIMARY KEY NOT NULL,
    rate_card_id TEXT NOT NULL REFERENCES rate_cards (id),
    position INTEGER NOT NULL,
    role TEXT REFERENCES roles (code),
    activity_kind TEXT REFERENCES activity_kinds (code),
    member_id TEXT REFERENCES members (id),
    basis TEXT NOT NULL CHECK (basis IN ('hourly', 'band', 'fixed')),
    hourly_rate_pence BIGINT CHECK (hourly_rate_pence IS NULL OR hourly_rate_pence >= 0),
    half_day_pence BIGINT CHECK (half_day_pence IS NULL OR half_day_pence >= 0),
    full_day_pence BIGINT CHECK (full_day_pence IS NULL OR full_day_pence >= 0),
    boundary_minutes INTEGER,
    boundary_is_full_day BOOLEAN NOT NULL,
    fixed_pence BIGINT CHECK (fixed_pence IS NULL OR fixed_pence >= 0),
    prep_hourly_rate_pence BIGINT CHECK (prep_hourly_rate_pence IS NULL OR prep_hourly_rate_pence >= 0),
    UNIQUE (rate_card_id, position)
);

-- A member's remuneration choices over time: the row with the latest effective_from on or before a
-- date (the latest written, on a tie) is the one in force. Rows are never changed, only added.
CREATE TABLE preferences (
    id TEXT PRIMARY KEY NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id),
    effective_from DATE NOT NULL,
    fee_choice TEXT NOT NULL CHECK (fee_choice IN ('full', 'reduced', 'decline', 'donate')),
    reduced_max_pence BIGINT CHECK (reduced_max_pence IS NULL OR reduced_max_pence >= 0),
    decline_expenses BOOLEAN NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('bank_transfer', 'payroll', 'voucher')),
    voucher_provider TEXT,
    charity TEXT,
    cap_amount_pence BIGINT CHECK (cap_amount_pence IS NULL OR cap_amount_pence >= 0),
    cap_limit_code TEXT,
    cap_period TEXT CHECK (cap_period IS NULL OR cap_period IN ('week', 'month', 'tax_year')),
    cap_week_starts_on TEXT,
    cap_month_anchor_day INTEGER CHECK (cap_month_anchor_day IS NULL OR (cap_month_anchor_day >= 1 AND cap_month_anchor_day <= 28)),
    cap_counts_methods TEXT,
    over_cap TEXT NOT NULL CHECK (over_cap IN ('carry_forward', 'forgo', 'donate')),
    notify_by_email BOOLEAN NOT NULL,
    set_by TEXT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX preferences_member ON preferences (member_id, effective_from, created_at);

-- Corrections after approval: paid (or recovered, when negative) by the next run.
CREATE TABLE adjustments (
    id TEXT PRIMARY KEY NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id),
    group_id TEXT REFERENCES groups (id),
    kind TEXT NOT NULL CHECK (kind IN ('fee', 'expense')),
    amount_pence BIGINT NOT NULL CHECK (amount_pence <> 0),
    reason TEXT NOT NULL CHECK (reason <> ''),
    created_by TEXT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX adjustments_member ON adjustments (member_id);

CREATE TABLE pay_runs (
    id TEXT PRIMARY KEY NOT NULL,
    group_id TEXT REFERENCES groups (id),
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    payment_date DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'exported', 'paid', 'cancelled')),
    payment_count INTEGER NOT NULL,
    line_count INTEGER NOT NULL,
    total_pence BIGINT NOT NULL,
    warnings TEXT NOT NULL,
    calculated_at TIMESTAMP NOT NULL,
    created_by TEXT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    approved_by TEXT REFERENCES accounts (id),
    approved_at TIMESTAMP,
    exported_at TIMESTAMP,
    paid_on DATE,
    paid_reference TEXT,
    marked_paid_by TEXT REFERENCES accounts (id),
    marked_paid_at TIMESTAMP,
    cancelled_by TEXT REFERENCES accounts (id),
    cancelled_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    CHECK (period_end >= period_start)
);
CREATE INDEX pay_runs_created ON pay_runs (created_at, id);
CREATE INDEX pay_runs_payment_date ON pay_runs (payment_date, status);

-- Every line of a run. A source (an attendance, an expense, an adjustment, a carried balance) may
-- have several lines in one run (paid up to the cap, the rest carried forward).
CREATE TABLE pay_lines (
    id TEXT PRIMARY KEY NOT NULL,
    pay_run_id TEXT NOT NULL REFERENCES pay_runs (id),
    position INTEGER NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id),
    group_id TEXT REFERENCES groups (id),
    meeting_id TEXT REFERENCES meetings (id),
    meeting_date DATE,
    source_kind TEXT NOT NULL CHECK (source_kind IN ('attendance', 'expense', 'adjustment', 'carried')),
    source_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('fee', 'prep', 'expense', 'carried', 'adjustment')),
    disposition TEXT NOT NULL CHECK (disposition IN ('paid', 'carried_forward', 'forgone', 'donated', 'declined')),
    method TEXT,
    payee TEXT,
    amount_pence BIGINT NOT NULL,
    minutes INTEGER,
    rate_pence BIGINT,
    rate_card_id TEXT REFERENCES rate_cards (id),
    rule TEXT,
    explanation TEXT NOT NULL
);
CREATE INDEX pay_lines_run ON pay_lines (pay_run_id, position);
CREATE INDEX pay_lines_member ON pay_lines (member_id, pay_run_id);
CREATE INDEX pay_lines_source ON pay_lines (source_kind, source_id);

CREATE TABLE payments (
    id TEXT PRIMARY KEY NOT NULL,
    pay_run_id TEXT NOT NULL REFERENCES pay_runs (id),
    position INTEGER NOT NULL,
    member_id TEXT NOT NULL REFERENCES members (id),
    payee TEXT NOT NULL,
    method TEXT NOT NULL,
    fee_pence BIGINT NOT NULL,
    expenses_pence BIGINT NOT NULL,
    total_pence BIGINT NOT NULL
);
CREATE INDEX payments_run ON payments (pay_run_id, position);
CREATE INDEX payments_member ON payments (member_id);

-- What approved runs have taken: one row per source, so no source is ever in two approved runs,
-- however two approvals interleave (the second insert fails on the primary key).
CREATE TABLE pay_claims (
    source_kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    pay_run_id TEXT NOT NULL REFERENCES pay_runs (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source_kind, source_id)
);
CREATE INDEX pay_claims_run ON pay_claims (pay_run_id);
