DROP INDEX pay_lines_carried;
