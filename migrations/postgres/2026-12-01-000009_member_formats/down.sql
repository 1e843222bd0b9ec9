ALTER TABLE members DROP COLUMN postal_address;
ALTER TABLE members DROP COLUMN preferred_formats;
