-- Forwarding rules: a forward that a route's rule (`events`, `match`) kept from one of its
-- targets is recorded as an attempt of kind 'forward' with the rule in `skipped`; it is
-- finished as it is written (no status, no error, never retried), and the delivery queue,
-- which is kept per (event, target), leaves it out.
ALTER TABLE attempts ADD COLUMN skipped TEXT;
