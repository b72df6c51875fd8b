//! The relay's tables: channels and the requests received on their public URLs, each with a
//! per-channel sequence number, kept until acknowledged. Also the agent's side: storing a relayed
//! event and its sequence in one transaction, so a redelivery is recognised, not stored twice.

use rusqlite::{OptionalExtension, params};

use super::model::{EventSummary, NewEvent};
use super::{Store, StoreError, ops};

/// A channel as the relay stores it (hashes only, never the key or token).
#[derive(Debug, Clone)]
pub struct RelayChannel {
    /// The channel id (part of the public URL).
    pub id: String,
    /// sha256 hex of the channel key.
    pub key_hash: String,
    /// sha256 hex of the token that created it.
    pub token_hash: String,
}

/// Outcome of queueing a request on a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// Stored with this sequence number.
    Stored(i64),
    /// The channel's unacknowledged requests already hold this many bytes; refused.
    Full(i64),
}

/// Counts over every channel, for the relay's metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayTotals {
    /// Channels created.
    pub channels: u64,
    /// Requests stored and not yet acknowledged.
    pub requests_queued: u64,
    /// Bytes those requests hold.
    pub bytes_queued: u64,
}

/// The meta key holding the last sequence an agent stored for `channel`.
fn seq_key(channel: &str) -> String {
    format!("relay.last_seq.{channel}")
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// Creates a channel.
    pub async fn relay_create_channel(&self, c: RelayChannel) -> Result<(), StoreError> {
        self.write(0, move |ctx| {
            ctx.conn.execute(
                "INSERT INTO relay_channels (id, key_hash, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![c.id, c.key_hash, c.token_hash, now_ms()],
            )?;
            Ok(())
        })
        .await
    }

    /// A channel by id.
    pub async fn relay_channel(&self, id: &str) -> Result<Option<RelayChannel>, StoreError> {
        let id = id.to_string();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT id, key_hash, token_hash FROM relay_channels WHERE id = ?1",
                [id],
                |r| {
                    Ok(RelayChannel {
                        id: r.get(0)?,
                        key_hash: r.get(1)?,
                        token_hash: r.get(2)?,
                    })
                },
            )
            .optional()?)
        })
        .await
    }

    /// How many channels a token has created.
    pub async fn relay_channels_of(&self, token_hash: &str) -> Result<u64, StoreError> {
        let token_hash = token_hash.to_string();
        self.read(move |c| {
            let n: i64 = c.query_row(
                "SELECT COUNT(*) FROM relay_channels WHERE token_hash = ?1",
                [token_hash],
                |r| r.get(0),
            )?;
            Ok(n as u64)
        })
        .await
    }

    /// Stores a request on `channel` with the next sequence number, unless the channel's
    /// unacknowledged requests already hold `max_queued` bytes. `frame` builds the stored text
    /// from the sequence number. Answers once committed.
    pub async fn relay_enqueue<F>(
        &self,
        channel: &str,
        size: usize,
        max_queued: i64,
        frame: F,
    ) -> Result<Enqueued, StoreError>
    where
        F: FnOnce(i64) -> String + Send + 'static,
    {
        let channel = channel.to_string();
        self.write(size, move |ctx| {
            let (queued, last): (i64, i64) = ctx.conn.prepare_cached(
                "SELECT queued_bytes, last_seq FROM relay_channels WHERE id = ?1",
            )?
            .query_row([&channel], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if queued + size as i64 > max_queued {
                return Ok(Enqueued::Full(queued));
            }
            let seq = last + 1;
            ctx.conn
                .prepare_cached(
                    "INSERT INTO relay_requests (channel, seq, received_at, frame, size) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![channel, seq, now_ms(), frame(seq), size as i64])?;
            ctx.conn
                .prepare_cached(
                    "UPDATE relay_channels SET last_seq = ?2, queued_bytes = queued_bytes + ?3 WHERE id = ?1",
                )?
                .execute(params![channel, seq, size as i64])?;
            Ok(Enqueued::Stored(seq))
        })
        .await
    }

    /// Up to `limit` stored requests of `channel` after sequence `after`, in order.
    pub async fn relay_after(
        &self,
        channel: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let channel = channel.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq, frame FROM relay_requests WHERE channel = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![channel, after, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// Deletes the unacknowledged request `seq` of `channel` (one that can never be delivered),
    /// freeing its bytes; a later ack covers its sequence number.
    pub async fn relay_drop(&self, channel: &str, seq: i64) -> Result<(), StoreError> {
        let channel = channel.to_string();
        self.write(0, move |ctx| {
            let size: Option<i64> = ctx
                .conn
                .query_row(
                    "DELETE FROM relay_requests WHERE channel = ?1 AND seq = ?2 \
                     AND seq > (SELECT acked_seq FROM relay_channels WHERE id = ?1) RETURNING size",
                    params![channel, seq],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(size) = size {
                ctx.conn.execute(
                    "UPDATE relay_channels SET queued_bytes = queued_bytes - ?2 WHERE id = ?1",
                    params![channel, size],
                )?;
            }
            Ok(())
        })
        .await
    }

    /// Marks every request of `channel` up to `seq` (at most its last) acknowledged; how many
    /// were not acknowledged before.
    pub async fn relay_ack(&self, channel: &str, seq: i64) -> Result<u64, StoreError> {
        let channel = channel.to_string();
        self.write(0, move |ctx| {
            let (acked, last): (i64, i64) = ctx
                .conn
                .prepare_cached("SELECT acked_seq, last_seq FROM relay_channels WHERE id = ?1")?
                .query_row([&channel], |r| Ok((r.get(0)?, r.get(1)?)))?;
            // Never past what was queued: a later request must not count as acknowledged.
            let seq = seq.min(last);
            if seq <= acked {
                return Ok(0);
            }
            let freed: i64 = ctx
                .conn
                .prepare_cached(
                    "SELECT COALESCE(SUM(size), 0) FROM relay_requests WHERE channel = ?1 AND seq > ?2 AND seq <= ?3",
                )?
                .query_row(params![channel, acked, seq], |r| r.get(0))?;
            // One row for the whole ack: the requests' own rows (their frames) are not
            // written again.
            ctx.conn
                .prepare_cached(
                    "INSERT OR REPLACE INTO relay_acks (channel, seq, acked_at) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![channel, seq, now_ms()])?;
            ctx.conn
                .prepare_cached(
                    "UPDATE relay_channels SET acked_seq = ?2, queued_bytes = queued_bytes - ?3 WHERE id = ?1",
                )?
                .execute(params![channel, seq, freed])?;
            Ok((seq - acked) as u64)
        })
        .await
    }

    /// Every channel at once: how many there are, their unacknowledged requests and the bytes
    /// those hold.
    pub async fn relay_totals(&self) -> Result<RelayTotals, StoreError> {
        self.read(|c| {
            let (channels, queued, bytes): (i64, i64, i64) = c.query_row(
                "SELECT COUNT(*), COALESCE(SUM(last_seq - acked_seq), 0), COALESCE(SUM(queued_bytes), 0) FROM relay_channels",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            Ok(RelayTotals {
                channels: channels.max(0) as u64,
                requests_queued: queued.max(0) as u64,
                bytes_queued: bytes.max(0) as u64,
            })
        })
        .await
    }

    /// Unacknowledged requests of `channel`.
    pub async fn relay_backlog(&self, channel: &str) -> Result<u64, StoreError> {
        let channel = channel.to_string();
        self.read(move |c| {
            let n: i64 = c
                .query_row(
                    "SELECT last_seq - acked_seq FROM relay_channels WHERE id = ?1",
                    [channel],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
            Ok(n.max(0) as u64)
        })
        .await
    }

    /// Deletes acknowledged requests acknowledged before `before_ms`; returns how many.
    pub async fn relay_prune(&self, before_ms: i64) -> Result<usize, StoreError> {
        self.write(0, move |ctx| {
            // Each channel's newest ack before the cutoff covers every request up to its seq.
            let reached: Vec<(String, i64)> = ctx
                .conn
                .prepare_cached(
                    "SELECT channel, MAX(seq) FROM relay_acks WHERE acked_at < ?1 GROUP BY channel",
                )?
                .query_map([before_ms], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let mut deleted = 0;
            for (channel, seq) in &reached {
                deleted += ctx.conn.execute(
                    "DELETE FROM relay_requests WHERE channel = ?1 AND seq <= ?2",
                    params![channel, seq],
                )?;
            }
            ctx.conn
                .execute("DELETE FROM relay_acks WHERE acked_at < ?1", [before_ms])?;
            // Acknowledged before the acks had their own table.
            deleted += ctx.conn.execute(
                "DELETE FROM relay_requests WHERE acked_at IS NOT NULL AND acked_at < ?1",
                [before_ms],
            )?;
            Ok(deleted)
        })
        .await
    }

    /// The agent's side: stores relayed events in one transaction, skipping every sequence
    /// number of `channel` already stored; the events and the new last sequence commit together.
    /// One answer per item: `None` for a redelivery.
    pub async fn insert_relayed(
        &self,
        items: Vec<(NewEvent, i64)>,
        channel: &str,
    ) -> Result<Vec<Option<EventSummary>>, StoreError> {
        let key = seq_key(channel);
        let weight = items.iter().map(|(e, _)| e.body.len()).sum();
        self.write(weight, move |ctx| {
            let stored: Option<String> = ctx
                .conn
                .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
                .query_row([&key], |r| r.get(0))
                .optional()?;
            let mut last = stored.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
            let mut out = Vec::with_capacity(items.len());
            for (event, seq) in items {
                if seq <= last {
                    out.push(None);
                    continue;
                }
                out.push(Some(ops::insert_event(ctx, event)?));
                last = seq;
            }
            ops::set_meta(ctx, &key, &last.to_string())?;
            Ok(out)
        })
        .await
    }

    /// The last sequence of `channel` this agent has stored (0 when none).
    pub async fn relay_last_seq(&self, channel: &str) -> Result<i64, StoreError> {
        Ok(self
            .meta(&seq_key(channel))
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Retention;

    fn store() -> Store {
        Store::open(
            ":memory:",
            Retention {
                max_events: 0,
                max_age: None,
            },
        )
        .expect("store")
    }

    #[tokio::test]
    async fn sequences_count_per_channel_and_acks_shrink_the_backlog() {
        let s = store();
        for ch in ["a", "b"] {
            s.relay_create_channel(RelayChannel {
                id: ch.into(),
                key_hash: "k".into(),
                token_hash: "t".into(),
            })
            .await
            .expect("channel");
        }
        assert_eq!(s.relay_channels_of("t").await.expect("count"), 2);
        assert_eq!(
            s.relay_enqueue("a", 10, 1000, |n| format!("a{n}"))
                .await
                .expect("q"),
            Enqueued::Stored(1)
        );
        assert_eq!(
            s.relay_enqueue("a", 10, 1000, |n| format!("a{n}"))
                .await
                .expect("q"),
            Enqueued::Stored(2)
        );
        assert_eq!(
            s.relay_enqueue("b", 10, 1000, |n| format!("b{n}"))
                .await
                .expect("q"),
            Enqueued::Stored(1)
        );
        let after = s.relay_after("a", 0, 10).await.expect("after");
        assert_eq!(after, vec![(1, "a1".to_string()), (2, "a2".to_string())]);
        s.relay_ack("a", 1).await.expect("ack");
        assert_eq!(s.relay_backlog("a").await.expect("backlog"), 1);
        assert_eq!(s.relay_backlog("b").await.expect("backlog"), 1);
        assert_eq!(
            s.relay_enqueue("a", 995, 1000, |n| format!("a{n}"))
                .await
                .expect("q"),
            Enqueued::Full(10)
        );
        assert_eq!(s.relay_prune(i64::MAX).await.expect("prune"), 1);
        assert_eq!(s.relay_after("a", 0, 10).await.expect("after").len(), 1);
    }

    /// Retention deletes what acks before the cutoff covered (and rows acknowledged the old
    /// way, by their `acked_at`), never a request acknowledged later or not at all; an
    /// acknowledged request cannot be dropped as undeliverable.
    #[tokio::test]
    async fn retention_follows_the_acks() {
        let s = store();
        s.relay_create_channel(RelayChannel {
            id: "a".into(),
            key_hash: "k".into(),
            token_hash: "t".into(),
        })
        .await
        .expect("channel");
        for _ in 0..5 {
            s.relay_enqueue("a", 10, 1000, |n| format!("a{n}"))
                .await
                .expect("q");
        }
        s.relay_ack("a", 2).await.expect("ack");
        // An ack of 3 and 4 whose time is after the cutoff below.
        s.write(0, |ctx| {
            ctx.conn.execute(
                "UPDATE relay_requests SET acked_at = 5 WHERE channel = 'a' AND seq = 1",
                [],
            )?;
            Ok(())
        })
        .await
        .expect("an ack of the old kind");
        s.relay_ack("a", 4).await.expect("ack");
        s.write(0, |ctx| {
            ctx.conn
                .execute("UPDATE relay_acks SET acked_at = 100 WHERE seq = 2", [])?;
            ctx.conn
                .execute("UPDATE relay_acks SET acked_at = 300 WHERE seq = 4", [])?;
            Ok(())
        })
        .await
        .expect("ack times");
        s.relay_drop("a", 3).await.expect("drop");
        assert_eq!(s.relay_after("a", 0, 10).await.expect("after").len(), 5);
        assert_eq!(s.relay_prune(200).await.expect("prune"), 2);
        let left: Vec<i64> = (s.relay_after("a", 0, 10).await.expect("after"))
            .into_iter()
            .map(|(seq, _)| seq)
            .collect();
        assert_eq!(left, vec![3, 4, 5]);
        assert_eq!(s.relay_backlog("a").await.expect("backlog"), 1);
        assert_eq!(s.relay_prune(400).await.expect("prune"), 2);
        assert_eq!(s.relay_after("a", 0, 10).await.expect("after").len(), 1);
    }
}
