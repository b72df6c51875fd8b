//! Storage: webhooks, their delivery attempts, signing keys and meta values in SQLite.
//! One writer thread commits writes in batches (group commit); reads run on pooled connections
//! in `spawn_blocking`. The store knows nothing of HTTP or the live stream.

pub mod model;

mod codec;
mod conn;
mod deliveries;
pub mod doctor;
mod indexer;
mod ops;
pub mod query;
mod read;
mod relay;
mod replay_log;
mod rows;
pub mod runs;
pub mod schemas;
mod search;
pub mod sessions;
mod soon;
mod writer;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

pub use conn::default_db_path;
pub use deliveries::{DueRetry, ReplayJob, ReplayState};
pub use relay::{Enqueued, RelayChannel, RelayTotals};
pub use replay_log::{ReplayStep, RunOptions, StepOutcome};
pub use search::IndexProgress;

use crate::verify::Verdict;
use model::{
    Attempt, AttemptOutcome, EventFilter, EventSummary, ListQuery, NewAttempt, NewEvent, Page,
    StoredEvent, StoredKey,
};

/// Jobs that may wait for the writer before senders wait too (backpressure, not blocking).
const QUEUE: usize = 4_096;

/// Why a store operation failed. Each message is complete (it includes the underlying error's),
/// so none has a `source`; the variants still carry the underlying error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused or failed (disk full, I/O error, locked past the busy timeout, ...).
    #[error("database error: {0}")]
    Sqlite(Arc<rusqlite::Error>),
    /// The writer thread has stopped, so nothing more can be written.
    #[error("the store is closed")]
    Closed,
    /// The file at `path` is not a database hookpit can use; it is left untouched.
    #[error("{path} is not a usable hookpit database: {reason}; move it away or pick another --db")]
    Corrupt {
        /// The database path as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file-system step around the database failed.
    #[error("cannot prepare {path}: {error}")]
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        error: Arc<std::io::Error>,
    },
    /// The database file exists but cannot be written (permissions, owner, immutable
    /// attribute, read-only mount): hookpit could capture nothing, so it does not start.
    #[error(
        "{path} cannot be written (read-only file, another owner, immutable attribute or \
         read-only mount); fix its permissions or pick another --db"
    )]
    ReadOnly {
        /// The database path as given.
        path: String,
    },
    /// The database file was deleted or replaced while hookpit ran; writing on would store
    /// into a file nobody can open again.
    #[error(
        "{path} was deleted or replaced while hookpit ran; nothing more is written to it. \
         Restart hookpit to open a database there again"
    )]
    Gone {
        /// The database path as given.
        path: String,
    },
    /// A write named a row that does not exist.
    #[error("{what} {id} not found")]
    NotFound {
        /// `event` or `attempt`.
        what: &'static str,
        /// The id asked for.
        id: i64,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Sqlite(Arc::new(e))
    }
}

/// Bounds on what the store keeps; the oldest events go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Most events kept (`0`: no bound).
    pub max_events: u64,
    /// Events older than this (by `received_at`) are deleted, checked at most once a second.
    pub max_age: Option<Duration>,
}

/// What the writer has done since open (for tests and diagnostics).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StoreStats {
    /// Batch transactions committed.
    pub commits: u64,
    /// Write operations in those transactions.
    pub writes: u64,
    /// Batch transactions that failed (each of their operations got the error).
    pub failed_batches: u64,
    /// Events deleted by retention.
    pub pruned: u64,
    /// How long the latest batches (up to 4,096) took from `BEGIN` to the end of `COMMIT`
    /// (its fsync included), in milliseconds: median, 99th percentile and longest.
    pub commit_ms: [f64; 3],
}

/// Handle to hookpit's SQLite store: cheap to clone, every clone shares one `Arc`.
#[derive(Clone)]
pub struct Store {
    /// The shared state.
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

/// What every clone of a [`Store`] shares. Fields drop in order: the job sender first, so the
/// writer sees the channel close, then `_writer`, which waits for it to finish.
struct Inner {
    /// Jobs for the writer thread.
    jobs: mpsc::Sender<Box<dyn writer::Job>>,
    /// The path as given (`:memory:` for a throwaway store).
    path: String,
    /// Read connections.
    pool: read::Pool,
    /// The writer's counters.
    counters: Arc<writer::Counters>,
    /// The writer thread, joined on drop (held only for that).
    _writer: WriterThread,
    /// Writes waiting to join the next commit (`soon.rs`).
    soon: std::sync::Mutex<Vec<Box<dyn writer::Job>>>,
}

/// Joins the writer thread when the last `Store` clone goes away (it is idle by then: every
/// caller that queued a job held a clone until answered).
struct WriterThread(Option<JoinHandle<()>>);

impl Drop for WriterThread {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            let _ = handle.join();
        }
    }
}

impl Store {
    /// Opens (or creates) the database at `path`, or a fresh in-memory one for `:memory:`:
    /// creates parent directories, refuses a file that is not hookpit's, runs migrations and
    /// starts the writer thread. Blocking: call it at start-up, not on the async runtime.
    pub fn open(path: &str, retention: Retention) -> Result<Store, StoreError> {
        let target = conn::Target::new(path)?;
        let write_conn = conn::open_writer(&target, path)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let counters = Arc::new(writer::Counters::default());
        let writer = writer::Writer::new(write_conn, rx, retention, Arc::clone(&counters))
            .map_err(|e| conn::damaged(e, path))?
            .watching(target.identity());
        let handle = std::thread::Builder::new()
            .name("hookpit-store-writer".into())
            .spawn(move || writer.run())
            .map_err(|e| StoreError::Io {
                path: path.to_owned(),
                error: Arc::new(e),
            })?;
        Ok(Store {
            inner: Arc::new(Inner {
                jobs: tx,
                path: path.to_owned(),
                pool: read::Pool::new(target),
                counters,
                _writer: WriterThread(Some(handle)),
                soon: std::sync::Mutex::default(),
            }),
        })
    }

    /// The database path as given to [`Store::open`].
    pub fn path(&self) -> &str {
        &self.inner.path
    }

    /// Counters of the writer since open.
    pub fn stats(&self) -> StoreStats {
        let c = &self.inner.counters;
        StoreStats {
            commits: c.commits.load(Ordering::Relaxed),
            writes: c.jobs.load(Ordering::Relaxed),
            failed_batches: c.failed.load(Ordering::Relaxed),
            pruned: c.pruned.load(Ordering::Relaxed),
            commit_ms: {
                let mut us: Vec<u32> = c
                    .recent_commit_us
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .iter()
                    .copied()
                    .collect();
                us.sort_unstable();
                let at = |q: f64| {
                    let i = ((us.len() as f64 - 1.0) * q).round() as usize;
                    us.get(i).map_or(0.0, |&v| f64::from(v) / 1000.0)
                };
                [at(0.5), at(0.99), at(1.0)]
            },
        }
    }

    /// Every commit's time as a histogram: each bucket's upper bound in seconds with the
    /// commits that took at most that long (cumulative, the last bound infinite), and the sum
    /// of all their times in seconds.
    pub fn commit_histogram(&self) -> (Vec<(f64, u64)>, f64) {
        let c = &self.inner.counters;
        let mut total = 0;
        let bounds = writer::COMMIT_BUCKETS_S
            .iter()
            .copied()
            .chain([f64::INFINITY]);
        let buckets = bounds
            .zip(&c.commit_buckets)
            .map(|(bound, n)| {
                total += n.load(Ordering::Relaxed);
                (bound, total)
            })
            .collect();
        let sum = c.commit_sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        (buckets, sum)
    }

    /// Why writes are failing now (disk full, I/O error, read-only file), or `None` when the
    /// last batch committed. Writes recover by themselves once the cause is gone.
    pub fn write_failure(&self) -> Option<String> {
        self.inner
            .counters
            .failing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// For tests: caps the database at its current size plus `extra_pages` pages
    /// (`PRAGMA max_page_count` on the writer connection), so writes that need more space fail
    /// as on a full disk; `None` lifts the cap.
    #[doc(hidden)]
    pub async fn simulate_full_disk(&self, extra_pages: Option<u64>) -> Result<(), StoreError> {
        self.write(0, move |ctx| {
            let pages: i64 = ctx.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            let cap = match extra_pages {
                Some(n) => pages.saturating_add(i64::try_from(n).unwrap_or(i64::MAX)),
                None => 0xFFFF_FFFE,
            };
            ctx.conn
                .query_row(&format!("PRAGMA max_page_count = {cap}"), [], |_| Ok(()))?;
            Ok(())
        })
        .await
    }

    /// Queues `work` for the writer thread; answers once its batch has committed.
    pub(crate) async fn write<T, F>(&self, weight: usize, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut writer::Ctx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.queue(writer::job(weight, work, tx), rx).await
    }

    /// Like [`Store::write`] for work whose writes are one SQL statement (it needs no savepoint).
    async fn write_one_statement<T, F>(&self, weight: usize, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut writer::Ctx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.queue(writer::one_statement_job(weight, work, tx), rx)
            .await
    }

    /// Hands `job` to the writer thread and waits for its answer on `rx`.
    async fn queue<T>(
        &self,
        job: Box<dyn writer::Job>,
        rx: oneshot::Receiver<Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        // Writes that wait to share a commit go first, so they share this one.
        self.send_soon().await;
        self.inner
            .jobs
            .send(job)
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on a pooled read connection in `spawn_blocking`.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        match tokio::task::spawn_blocking(move || inner.pool.with(f)).await {
            Ok(out) => out,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(StoreError::Closed),
        }
    }

    /// Applies retention now (the writer otherwise prunes only after storing an event), so an
    /// idle hookpit still drops events past `--max-age`.
    pub async fn apply_retention(&self) -> Result<(), StoreError> {
        self.write(0, |ctx| {
            // Marks the batch as one after which retention runs; nothing else is written.
            ctx.inserted = true;
            Ok(())
        })
        .await
    }

    /// Stores a captured event; returns only once it is committed to disk.
    pub async fn insert_event(&self, e: NewEvent) -> Result<EventSummary, StoreError> {
        // One INSERT (the body is in the event's row), so no savepoint.
        self.write_one_statement(e.body.len(), move |ctx| ops::insert_event(ctx, e))
            .await
    }

    /// One page of the event list, newest first (limit clamped to 1..=500).
    pub async fn list(&self, q: ListQuery) -> Result<Page, StoreError> {
        if q.filter.text.iter().all(|w| w.trim().is_empty()) {
            return self.read(move |c| read::list(c, &q)).await;
        }
        if let Some(fts) = search::match_expr(&q.filter) {
            return self.read(move |c| search::list(c, &q, &fts)).await;
        }
        // Only words under three letters: a text search reads every body it passes. Two
        // connections scan the two halves of the id range at once, newer half's matches first.
        let Some((low, high)) = self.read(read::id_span).await? else {
            return Ok(Page {
                events: Vec::new(),
                next_before: None,
            });
        };
        let top = q.before.map_or(high + 1, |b| b.min(high + 1));
        if top - low < 2 {
            return self.read(move |c| read::list(c, &q)).await;
        }
        let split = low + (top - low) / 2;
        let limit = q.limit.clamp(1, read::MAX_LIMIT);
        let (newer, older) = (q.filter.clone(), q.filter);
        let (mut events, rest) = tokio::try_join!(
            self.read(move |c| read::newest(c, &newer, Some(top), Some(split), limit)),
            self.read(move |c| read::newest(c, &older, Some(split), None, limit)),
        )?;
        events.extend(rest);
        Ok(read::page(events, limit))
    }

    /// The oldest event matching `filter` with an id above `after` (`hookpit wait`).
    pub async fn oldest_after(
        &self,
        filter: EventFilter,
        after: i64,
    ) -> Result<Option<EventSummary>, StoreError> {
        self.read(move |c| read::oldest_after(c, &filter, after))
            .await
    }

    /// The newest stored event id, if any.
    pub async fn newest_id(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.read(read::id_span).await?.map(|(_, high)| high))
    }

    /// Everything stored about one event.
    pub async fn get(&self, id: i64) -> Result<Option<StoredEvent>, StoreError> {
        self.read(move |c| read::get(c, id)).await
    }

    /// An event's content type and exact body bytes.
    pub async fn raw_body(&self, id: i64) -> Result<Option<(Option<String>, Bytes)>, StoreError> {
        self.read(move |c| read::raw_body(c, id)).await
    }

    /// Deletes one event with its body and attempts; whether it existed.
    pub async fn delete(&self, id: i64) -> Result<bool, StoreError> {
        self.write(0, move |ctx| ops::delete_event(ctx, id)).await
    }

    /// Deletes every event; how many there were.
    pub async fn delete_all(&self) -> Result<u64, StoreError> {
        self.write(0, ops::delete_all).await
    }

    /// Replaces an event's verdict (re-verify); its new summary, `None` if it does not exist.
    pub async fn set_verification(
        &self,
        id: i64,
        v: Verdict,
    ) -> Result<Option<EventSummary>, StoreError> {
        self.write(0, move |ctx| ops::set_verification(ctx, id, &v))
            .await
    }

    /// How many stored events the text index covers, of how many (it catches up in the
    /// background after writes and after an upgrade).
    pub async fn index_progress(&self) -> Result<IndexProgress, StoreError> {
        self.read(search::progress).await
    }

    /// The same page as [`Store::list`], found by reading every event the filter passes, never
    /// through the text index: what the index must agree with (tests and benchmarks).
    #[doc(hidden)]
    pub async fn list_by_scan(&self, q: ListQuery) -> Result<Page, StoreError> {
        self.read(move |c| read::list(c, &q)).await
    }

    /// Events stored.
    pub async fn count(&self) -> Result<u64, StoreError> {
        self.read(read::count).await
    }

    /// Records a delivery try that starts now; `NotFound` if the event is gone.
    pub async fn insert_attempt(&self, a: NewAttempt) -> Result<Attempt, StoreError> {
        self.write(0, move |ctx| ops::insert_attempt(ctx, a)).await
    }

    /// Records how a delivery try ended; `NotFound` if the attempt is gone.
    pub async fn finish_attempt(&self, id: i64, o: AttemptOutcome) -> Result<Attempt, StoreError> {
        self.write(o.response_body.len(), move |ctx| {
            ops::finish_attempt(ctx, id, o)
        })
        .await
    }

    /// Every attempt of one event, oldest first.
    pub async fn attempts(&self, event_id: i64) -> Result<Vec<Attempt>, StoreError> {
        self.read(move |c| Ok(rows::attempts_of(c, event_id)?))
            .await
    }

    /// Every stored signing key, oldest first.
    pub async fn keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        self.read(read::keys).await
    }

    /// Stores a signing key for a route prefix.
    pub async fn add_key(
        &self,
        route: &str,
        label: &str,
        secret: &str,
    ) -> Result<StoredKey, StoreError> {
        let (route, label, secret) = (route.to_owned(), label.to_owned(), secret.to_owned());
        self.write(0, move |ctx| ops::add_key(ctx, route, label, secret))
            .await
    }

    /// Deletes a signing key; whether it existed.
    pub async fn delete_key(&self, id: i64) -> Result<bool, StoreError> {
        self.write(0, move |ctx| ops::delete_key(ctx, id)).await
    }

    /// One meta value.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.read(move |c| read::meta(c, &key)).await
    }

    /// Sets one meta value.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(0, move |ctx| ops::set_meta(ctx, &key, &value))
            .await
    }
}
