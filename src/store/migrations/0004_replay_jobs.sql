-- Bulk replays ("replay everything that failed since T"): how far each got, so a replay cut
-- short by a stop says so. Times are unix milliseconds.
CREATE TABLE replay_jobs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    -- running | done | interrupted
    state      TEXT    NOT NULL,
    done       INTEGER NOT NULL,
    total      INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
