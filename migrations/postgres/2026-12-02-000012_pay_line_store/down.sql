DROP INDEX pay_lines_carried;
ALTER TABLE pay_lines ADD FOREIGN KEY (pay_run_id) REFERENCES pay_runs (id);
ALTER TABLE pay_lines ADD FOREIGN KEY (member_id) REFERENCES members (id);
ALTER TABLE pay_lines ADD FOREIGN KEY (group_id) REFERENCES groups (id);
ALTER TABLE pay_lines ADD FOREIGN KEY (meeting_id) REFERENCES meetings (id);
ALTER TABLE pay_lines ADD FOREIGN KEY (rate_card_id) REFERENCES rate_cards (id);
ALTER TABLE payments ADD FOREIGN KEY (pay_run_id) REFERENCES pay_runs (id);
ALTER TABLE payments ADD FOREIGN KEY (member_id) REFERENCES members (id);
