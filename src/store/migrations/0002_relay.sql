-- The relay's side (`hookpit relay`): channels agents own, and every request received on a
-- public URL, kept until its agent acknowledges it (and then for --retention).
CREATE TABLE relay_channels (
    id          TEXT PRIMARY KEY,
    key_hash    TEXT NOT NULL,
    token_hash  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    -- Kept here so queueing and acking never scan a channel's history.
    last_seq     INTEGER NOT NULL DEFAULT 0,
    acked_seq    INTEGER NOT NULL DEFAULT 0,
    queued_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX relay_channels_token ON relay_channels (token_hash);

CREATE TABLE relay_requests (
    channel     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    frame       TEXT NOT NULL,
    size        INTEGER NOT NULL,
    acked_at    INTEGER,
    PRIMARY KEY (channel, seq)
);
CREATE INDEX relay_requests_acked ON relay_requests (acked_at) WHERE acked_at IS NOT NULL;
