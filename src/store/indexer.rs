//! The background indexer: on the writer thread, whenever it has no write waiting, it adds the
//! next events above the index's reach to the trigram index, a bounded batch per transaction.
//! A sender never waits for it: each webhook is answered after its own commit, and at most one
//! small batch of indexing stands between a new write and the writer.

use rusqlite::Connection;

use super::StoreError;
use super::search::indexed_upto;

/// Body bytes the first indexing transaction after a write takes (at least one event, however
/// large): small, so that a write arriving meanwhile waits a few milliseconds at most.
pub(crate) const STEP_BYTES: i64 = 32 << 10;

/// Most events the first indexing transaction after a write takes.
pub(crate) const STEP_EVENTS: i64 = 16;

/// How far steps grow while no write arrives: each step in a row doubles, up to this many
/// times the first. FTS5 writes one segment per transaction, and its merges cost less when
/// they are larger (16 events a step index about 1,800 a second here, 256 about 5,300).
pub(crate) const MAX_SCALE: i64 = 16;

/// What a text search matches, as one text: path, query, headers as stored (JSON) and the body
/// read as text, a newline between them. A word found in one field is found in this text, so
/// the index offers every event a scan would match (it may offer more: the scan's conditions
/// check each one).
const DOC: &str = "e.path || char(10) || e.query || char(10) || e.headers || char(10) || \
                   CAST(e.body AS TEXT)";

/// Indexes the next batch above the index's reach in one transaction, `scale` times the first
/// step's size (1..=[`MAX_SCALE`]); `Ok(true)` when events are left for another step.
pub(crate) fn step(conn: &Connection, scale: i64) -> Result<bool, StoreError> {
    let scale = scale.clamp(1, MAX_SCALE);
    // The index can be rebuilt from the events, so its commits skip the fsync: a crash loses
    // at most the latest steps, together with their progress mark, and they are done again.
    // The next write's FULL commit syncs them with its own.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let outcome = (|| {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let from = indexed_upto(conn)?;
        let more = match batch_end(conn, from, scale)? {
            Some(to) => {
                conn.prepare_cached(&format!(
                    "INSERT INTO events_fts (rowid, doc) SELECT e.id, {DOC} FROM events e \
                     WHERE e.id > ?1 AND e.id <= ?2"
                ))?
                .execute([from, to])?;
                conn.prepare_cached("UPDATE events_fts_progress SET upto = ?1 WHERE one = 1")?
                    .execute([to])?;
                true
            }
            None => false,
        };
        conn.execute_batch("COMMIT")?;
        Ok(more)
    })();
    if outcome.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    outcome
}

/// The id that ends the next batch after `from`: up to `scale` times [`STEP_EVENTS`] events,
/// stopping once they hold `scale` times [`STEP_BYTES`] of body; `None` when no event is above
/// `from`.
fn batch_end(conn: &Connection, from: i64, scale: i64) -> Result<Option<i64>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, size FROM events WHERE id > ?1 ORDER BY id LIMIT ?2")?;
    let mut rows = stmt.query([from, STEP_EVENTS * scale])?;
    let (mut end, mut bytes) = (None, 0i64);
    while let Some(row) = rows.next()? {
        end = Some(row.get::<_, i64>(0)?);
        bytes = bytes.saturating_add(row.get::<_, i64>(1)?);
        if bytes >= STEP_BYTES * scale {
            break;
        }
    }
    Ok(end)
}
