-- Transformations: what a route's Svix transformation made of a delivery, when it shaped one.
-- The three columns are NULL for every attempt that sent the stored webhook as it was (and for
-- one the transformation cancelled: `skipped` says so, nothing was sent).
ALTER TABLE attempts ADD COLUMN sent_method TEXT;
ALTER TABLE attempts ADD COLUMN sent_url TEXT;
ALTER TABLE attempts ADD COLUMN sent_body BLOB;
