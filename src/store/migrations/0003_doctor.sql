-- `hookpit doctor` runs started from the API: each run, each scenario's result (JSON, with the
-- request and response headers and the responses), and the exact body of every request sent.
-- Times are RFC 3339 text as the API shows them, except updated_at (unix milliseconds).
CREATE TABLE doctor_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    target         TEXT    NOT NULL,
    started_at     TEXT    NOT NULL,
    finished_at    TEXT,
    -- running | done | interrupted
    state          TEXT    NOT NULL,
    -- JSON array of the scenario names, in the order they run.
    planned        TEXT    NOT NULL,
    -- JSON summary of a finished run: ok, counts, duration_ms, diagnoses.
    summary        TEXT,
    -- Last progress, and how long a running run may stay silent before it counts as cut short
    -- (hookpit stopped without marking it).
    updated_at     INTEGER NOT NULL,
    stale_after_ms INTEGER NOT NULL
);

CREATE TABLE doctor_results (
    run_id INTEGER NOT NULL REFERENCES doctor_runs (id) ON DELETE CASCADE,
    idx    INTEGER NOT NULL,
    result TEXT    NOT NULL,
    PRIMARY KEY (run_id, idx)
);

-- Request bodies apart from the results, keyed by the request's number in the run.
CREATE TABLE doctor_bodies (
    run_id INTEGER NOT NULL REFERENCES doctor_runs (id) ON DELETE CASCADE,
    n      INTEGER NOT NULL,
    body   BLOB    NOT NULL,
    PRIMARY KEY (run_id, n)
);
