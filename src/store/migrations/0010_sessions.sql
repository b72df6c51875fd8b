-- Cyberdesk sessions: one small row per stored webhook whose body names a `run.session_id`
-- and a `run.id`, so that the session list reads these rows (through the index below) and
-- never the events table or its bodies. The row is written by the trigger in the same
-- statement as its event (capture's insert stays one statement) and goes with its event
-- (the cascade: delete, delete-all, retention).
CREATE TABLE session_runs (
    event_id      INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    session_id    TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    status        TEXT,
    -- `run.release_session_after`: 1 when true, 0 when false, NULL when absent or null.
    release_after INTEGER,
    received_at   INTEGER NOT NULL
);
-- Covers the list's read: per session and run, the newest webhook and its outcome.
CREATE INDEX session_runs_by_run
    ON session_runs (session_id, run_id, event_id, status, release_after, received_at);

-- The flag is read from the body only for events with a session (a run's few kilobytes);
-- a body that is not JSON gives NULL instead of failing the insert.
CREATE TRIGGER session_runs_capture AFTER INSERT ON events
WHEN new.run_session_id IS NOT NULL AND new.run_id IS NOT NULL
BEGIN
    INSERT INTO session_runs (event_id, session_id, run_id, status, release_after, received_at)
    VALUES (
        new.id, new.run_session_id, new.run_id, new.run_status,
        CASE WHEN json_valid(CAST(new.body AS TEXT))
            THEN CASE json_type(CAST(new.body AS TEXT), '$.run.release_session_after')
                WHEN 'true' THEN 1 WHEN 'false' THEN 0 END
        END,
        new.received_at
    );
END;

-- Events stored before this migration.
INSERT INTO session_runs (event_id, session_id, run_id, status, release_after, received_at)
SELECT id, run_session_id, run_id, run_status,
    CASE WHEN json_valid(CAST(body AS TEXT))
        THEN CASE json_type(CAST(body AS TEXT), '$.run.release_session_after')
            WHEN 'true' THEN 1 WHEN 'false' THEN 0 END
    END,
    received_at
FROM events WHERE run_session_id IS NOT NULL AND run_id IS NOT NULL;

-- The chain a user expects for a session (`PUT /api/sessions/{id}/expected`): its run ids in
-- step order, as a JSON array. Kept when the session's events are deleted: it is what the user
-- said, not what arrived.
CREATE TABLE session_expected (
    session_id TEXT PRIMARY KEY,
    run_ids    TEXT NOT NULL,
    set_at     INTEGER NOT NULL
);
