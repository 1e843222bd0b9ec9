-- How a member likes to read: `preferred_formats` is a comma list of codes in a fixed order
-- (large print, Easy Read), empty for neither; statements, letters and emails follow it.
-- `postal_address` is where a letter reaches them, one line per line.
ALTER TABLE members ADD COLUMN preferred_formats TEXT NOT NULL DEFAULT ''
    CHECK (preferred_formats IN ('', 'large_print', 'easy_read', 'large_print,easy_read'));
ALTER TABLE members ADD COLUMN postal_address TEXT;
