DROP TABLE pay_claims;
DROP TABLE payments;
DROP TABLE pay_lines;
DROP TABLE pay_runs;
DROP TABLE adjustments;
DROP TABLE preferences;
DROP TABLE rate_rules;
DROP TABLE rate_cards;
