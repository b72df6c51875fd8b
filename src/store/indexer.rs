//! The background indexer: on the writer thread, once its queue has stayed empty for a moment,
//! it adds the next events above the index's reach to the trigram index, a bounded batch per
//! transaction. A sender never waits for its own event's indexing: each webhook is answered
//! after its own commit, and at most one batch of indexing stands between a new write and the
//! writer.

use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::mpsc;

use super::StoreError;
use super::conn::FileIdentity;
use super::search::indexed_upto;
use super::writer::Job;

/// Body bytes the first indexing transaction after a write takes (at least one event, however
/// large): small, so that a write arriving meanwhile waits a few milliseconds at most.
pub(crate) const STEP_BYTES: i64 = 32 << 10;

/// Most events the first indexing transaction after a write takes.
pub(crate) const STEP_EVENTS: i64 = 16;

/// How far steps grow while no write arrives: each step in a row doubles, up to this many
/// times the first. FTS5 writes one segment per transaction, and its merges cost less when
/// they are larger (16 events a step index about 1,800 a second here, 256 about 5,300).
pub(crate) const MAX_SCALE: i64 = 16;

/// How long the queue must stay empty after a write before indexing starts: under a steady
/// load the next write comes sooner, and the index waits for a pause instead of delaying it.
const QUIET_BEFORE_INDEXING: Duration = Duration::from_millis(2);

/// How often the writer looks for a job while it waits for that quiet.
const QUIET_POLL: Duration = Duration::from_micros(250);

/// The indexer's state on the writer thread.
#[derive(Debug)]
pub(crate) struct Indexer {
    /// Whether events may be waiting for the index (set by every batch that stored one, and
    /// at open).
    behind: bool,
    /// The next step's size, in first steps (doubles while no job arrives).
    scale: i64,
}

impl Default for Indexer {
    fn default() -> Indexer {
        Indexer {
            behind: true,
            scale: 1,
        }
    }
}

impl Indexer {
    /// Events were stored: there is work again.
    pub(crate) fn behind(&mut self) {
        self.behind = true;
    }

    /// Whether events may be waiting for the index.
    pub(crate) fn is_behind(&self) -> bool {
        self.behind
    }

    /// A job came: the next step starts small again, after a quiet spell.
    pub(crate) fn interrupted(&mut self) {
        self.scale = 1;
    }

    /// One step, on the writer thread with its queue empty: after a job, only once the queue
    /// stayed empty for [`QUIET_BEFORE_INDEXING`]. A failure (disk full, a replaced file) is
    /// logged and the indexer waits for the next stored event to try again, not spinning.
    pub(crate) fn work(
        &mut self,
        conn: &Connection,
        jobs: &mpsc::Receiver<Box<dyn Job>>,
        file: Option<&FileIdentity>,
    ) {
        if self.scale == 1 && !quiet(jobs) {
            return;
        }
        if let Some(Err(gone)) = file.map(FileIdentity::check) {
            tracing::warn!("store: text index paused: {gone}");
            self.behind = false;
            return;
        }
        match step(conn, self.scale) {
            Ok(more) => self.behind = more,
            Err(e) => {
                tracing::warn!("store: text indexing failed, retried after the next write: {e}");
                self.behind = false;
            }
        }
        self.scale = (self.scale * 2).min(MAX_SCALE);
    }
}

/// Whether no job arrives for [`QUIET_BEFORE_INDEXING`] (polled, so a job that does is taken
/// within [`QUIET_POLL`]).
fn quiet(jobs: &mpsc::Receiver<Box<dyn Job>>) -> bool {
    let since = Instant::now();
    while since.elapsed() < QUIET_BEFORE_INDEXING {
        if !jobs.is_empty() {
            return false;
        }
        std::thread::sleep(QUIET_POLL);
    }
    jobs.is_empty()
}

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
