DROP TABLE retention_runs;
DROP TABLE erasures;
