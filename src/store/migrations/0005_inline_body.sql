-- Each event's body moves into its own row of `events` (the last column, so reading a summary
-- stops before it and a large body's overflow pages are never read for a list). Storing a
-- webhook is then one row and one B-tree less: a commit of 16 webhooks writes about 29 pages
-- to the WAL instead of 34, and the body's insert no longer looks its event up again for the
-- foreign key.
--
-- The table is rebuilt (SQLite cannot add a NOT NULL column from another table in place).
-- Migrations run with foreign keys off, so dropping the old tables deletes no attempt.

CREATE TABLE events_new (
    -- AUTOINCREMENT: ids are never reused after deletes, so paging and duplicate_of stay sound.
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at      INTEGER NOT NULL,
    method           TEXT    NOT NULL,
    path             TEXT    NOT NULL,
    query            TEXT    NOT NULL,
    headers          TEXT    NOT NULL,
    remote_addr      TEXT,
    source           TEXT    NOT NULL,
    content_type     TEXT,
    size             INTEGER NOT NULL,
    msg_id           TEXT,
    event_type       TEXT,
    event_id         TEXT,
    run_id           TEXT,
    run_status       TEXT,
    run_workflow_id  TEXT,
    run_session_id   TEXT,
    verify_status    TEXT    NOT NULL,
    verify_reason    TEXT,
    verification     TEXT    NOT NULL,
    -- Not a foreign key: the first event may be deleted while its duplicates stay.
    duplicate_of     INTEGER,
    body             BLOB    NOT NULL
);

INSERT INTO events_new (id, received_at, method, path, query, headers, remote_addr, source,
    content_type, size, msg_id, event_type, event_id, run_id, run_status, run_workflow_id,
    run_session_id, verify_status, verify_reason, verification, duplicate_of, body)
SELECT e.id, e.received_at, e.method, e.path, e.query, e.headers, e.remote_addr, e.source,
    e.content_type, e.size, e.msg_id, e.event_type, e.event_id, e.run_id, e.run_status,
    e.run_workflow_id, e.run_session_id, e.verify_status, e.verify_reason, e.verification,
    e.duplicate_of, COALESCE(b.body, x'')
FROM events e LEFT JOIN bodies b ON b.event_id = e.id
ORDER BY e.id;

-- The highest id ever given out carries over, even when its event was deleted since.
DELETE FROM sqlite_sequence WHERE name = 'events_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'events_new', seq FROM sqlite_sequence WHERE name = 'events';

DROP TABLE bodies;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;

CREATE INDEX events_msg_id ON events (msg_id, id) WHERE msg_id IS NOT NULL;
CREATE INDEX events_event_type ON events (event_type, id);
CREATE INDEX events_verify_status ON events (verify_status, id);
CREATE INDEX events_received_at ON events (received_at);
