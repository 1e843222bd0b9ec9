DROP TABLE benefit_limits;
