-- Sequence chaos: each bulk replay keeps the options it ran with and a log of what it did
-- (which message went when, in what position, whether it was a duplicate, what the app
-- answered). Times are unix milliseconds.
ALTER TABLE replay_jobs ADD COLUMN send_order  TEXT    NOT NULL DEFAULT 'original';
ALTER TABLE replay_jobs ADD COLUMN seed        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE replay_jobs ADD COLUMN duplicates  REAL    NOT NULL DEFAULT 0;
ALTER TABLE replay_jobs ADD COLUMN concurrency INTEGER NOT NULL DEFAULT 1;

CREATE TABLE replay_steps (
    job_id      INTEGER NOT NULL REFERENCES replay_jobs(id) ON DELETE CASCADE,
    -- 0-based place in the send order
    position    INTEGER NOT NULL,
    event_id    INTEGER NOT NULL,
    duplicate   INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER,
    status      INTEGER,
    error       TEXT,
    -- the replay's Attempt (none when it could not be sent, or the event was deleted since)
    attempt_id  INTEGER,
    PRIMARY KEY (job_id, position)
);
