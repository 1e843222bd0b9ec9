-- Benefit limits: dated reference figures (they change every April); an admin adds new ones.
CREATE TABLE benefit_limits (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL,
    period TEXT NOT NULL CHECK (period IN ('week', 'month')),
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0),
    effective_from DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (code, effective_from)
);
INSERT INTO benefit_limits (id, code, period, amount_pence, effective_from, created_at) VALUES
    ('01900000-0000-7000-8000-000000000001', 'esa_permitted_work', 'week', 18350, '2024-04-08', CURRENT_TIMESTAMP),
    ('01900000-0000-7000-8000-000000000002', 'esa_permitted_work', 'week', 19550, '2025-04-07', CURRENT_TIMESTAMP),
    ('01900000-0000-7000-8000-000000000003', 'carers_allowance', 'week', 15100, '2024-04-08', CURRENT_TIMESTAMP),
    ('01900000-0000-7000-8000-000000000004', 'carers_allowance', 'week', 19600, '2025-04-07', CURRENT_TIMESTAMP),
    ('01900000-0000-7000-8000-000000000005', 'uc_work_allowance_housing', 'month', 40400, '2024-04-08', CURRENT_TIMESTAMP),
    ('01900000-0000-7000-8000-000000000006', 'uc_work_allowance_housing', 'month', 41100, '2025-04-07', CURRENT_TIMESTAMP),
    ('01900000-0000-7000-8000-000000000007', 'uc_work_allowance_no_housing', 'month', 67300, '2024-04-08', CURRENT_TIMESTAMP),
    ('01900000-0000-7000-8000-000000000008', 'uc_work_allowance_no_housing', 'month', 68400, '2025-04-07', CURRENT_TIMESTAMP);
