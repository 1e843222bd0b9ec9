DROP TABLE audit_events;
DROP TABLE login_failures;
DROP TABLE one_time_tokens;
DROP TABLE sessions;
DROP TABLE account_groups;
DROP TABLE accounts;
DROP TABLE members;
DROP TABLE groups;
