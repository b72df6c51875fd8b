-- A relay's acknowledgement is one row (the channel, the sequence it reaches, when), instead of
-- an update of every request it covers: a relayed request's row (its whole frame) is written
-- once, not a second time when acknowledged. `relay_requests.acked_at` stays for rows
-- acknowledged before this, which retention still prunes by it.
CREATE TABLE relay_acks (
    channel  TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    acked_at INTEGER NOT NULL,
    PRIMARY KEY (channel, seq)
) WITHOUT ROWID;
CREATE INDEX relay_acks_at ON relay_acks (acked_at);
