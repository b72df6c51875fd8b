-- hookpit schema, version 1. Times are unix milliseconds (UTC); headers are JSON arrays of
-- [name, value] pairs, or [name, base64, "b64"] for a value that is not UTF-8.

-- Marks the file as hookpit's ("hook"), so a foreign database is refused at open.
PRAGMA application_id = 1752133483;

CREATE TABLE events (
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
    duplicate_of     INTEGER
);

CREATE INDEX events_msg_id ON events (msg_id, id) WHERE msg_id IS NOT NULL;
CREATE INDEX events_event_type ON events (event_type, id);
CREATE INDEX events_verify_status ON events (verify_status, id);
CREATE INDEX events_received_at ON events (received_at);

-- Bodies apart from the summaries, so listing never reads them.
CREATE TABLE bodies (
    event_id INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    body     BLOB    NOT NULL
);

CREATE TABLE attempts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id         INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL,
    target           TEXT    NOT NULL,
    mode             TEXT    NOT NULL,
    started_at       INTEGER NOT NULL,
    request_headers  TEXT    NOT NULL,
    status           INTEGER,
    response_headers TEXT    NOT NULL DEFAULT '[]',
    response_body    BLOB    NOT NULL DEFAULT x'',
    duration_ms      INTEGER,
    error            TEXT,
    next_retry_at    INTEGER
);

CREATE INDEX attempts_event ON attempts (event_id, id);
CREATE INDEX attempts_next_retry ON attempts (next_retry_at) WHERE next_retry_at IS NOT NULL;

CREATE TABLE keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    route      TEXT    NOT NULL,
    label      TEXT    NOT NULL,
    secret     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
