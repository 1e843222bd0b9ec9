ALTER TABLE expense_claims DROP COLUMN late_reason;
DROP TABLE receipts;
