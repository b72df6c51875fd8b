-- Schema drift: what is learned of each kind of event (route and event type) from the JSON
-- bodies captured, and for each event how its shape differed from its kind's, if it did.
-- The learner works after the commit; `meta.schema_cursor` is the last event id it has read.

-- One row per drifted event (most events have none, so no column on `events`): JSON
-- [{path, op, was?, now?}]. Deleting an event (by hand or by retention) deletes its row.
CREATE TABLE event_drift (
    event_id INTEGER PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    drift    TEXT    NOT NULL
);

CREATE TABLE schemas (
    key           TEXT    PRIMARY KEY, -- "route event_type" (the type left out when there is none)
    route         TEXT    NOT NULL,
    event_type    TEXT,
    events        INTEGER NOT NULL,
    -- JSON {path: {types, seen, example}} (the learner's `schema::Learned` fields)
    fields        TEXT    NOT NULL,
    last_drift_id INTEGER
);
