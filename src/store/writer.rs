//! The single writer thread: it owns the write connection, takes jobs from a channel, runs
//! every queued job in one transaction (group commit), answers each job after the commit,
//! then applies retention. With no job waiting, it indexes what is new for text search.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot};

use super::codec::to_ms;
use super::conn::FileIdentity;
use super::indexer;
use super::{Retention, StoreError};

/// Most jobs one transaction takes.
pub(crate) const MAX_BATCH_JOBS: usize = 1_000;

/// Most body bytes one transaction takes (a job over it still runs, alone).
pub(crate) const MAX_BATCH_BYTES: usize = 64 << 20;

/// Commit times kept for the status's percentiles.
pub(crate) const RECENT_COMMITS: usize = 4_096;

/// Deletes the oldest `?1` events. It walks only the rows it deletes: counting back `max_events`
/// rows from the newest (with an OFFSET) would read the whole table on every batch once the
/// store is full.
pub(crate) const PRUNE_OLDEST: &str =
    "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?1)";

/// Pruning by age runs at most this often.
const AGE_PRUNE_EVERY: Duration = Duration::from_secs(1);

/// What a job sees while it runs inside the batch's transaction.
pub(crate) struct Ctx<'c> {
    /// The write connection, inside the batch's transaction.
    pub(crate) conn: &'c Connection,
    /// Events stored once this transaction commits.
    pub(crate) count: u64,
    /// Whether a job of this batch stored an event (retention runs after such a batch).
    pub(crate) inserted: bool,
}

/// One queued write, type-erased so one channel carries every kind.
pub(crate) trait Job: Send {
    /// Body bytes it carries, to bound a batch's size.
    fn weight(&self) -> usize;
    /// Whether all its writes are one SQL statement: SQLite undoes a statement that fails by
    /// itself, so such a job needs no savepoint of its own.
    fn one_statement(&self) -> bool;
    /// Runs inside the batch's transaction; on failure returns a copy of the error.
    fn run(&mut self, ctx: &mut Ctx<'_>) -> Option<StoreError>;
    /// Answers the caller once the batch committed (`Ok`) or failed (`Err`, for every job).
    fn reply(self: Box<Self>, batch: Result<(), StoreError>);
}

/// A job made of a closure and the oneshot its caller awaits.
struct Pending<T, F> {
    /// Body bytes it carries.
    weight: usize,
    /// Whether its writes are one statement.
    one_statement: bool,
    /// The work; taken when run.
    work: Option<F>,
    /// The work's result, held until the batch commits.
    out: Option<Result<T, StoreError>>,
    /// Where the caller waits.
    reply: oneshot::Sender<Result<T, StoreError>>,
}

/// Wraps a closure as a job answering on `reply`.
pub(crate) fn job<T, F>(
    weight: usize,
    work: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
) -> Box<dyn Job>
where
    T: Send + 'static,
    F: FnOnce(&mut Ctx<'_>) -> Result<T, StoreError> + Send + 'static,
{
    pending(weight, false, work, reply)
}

/// Like [`job`], for work whose writes are one SQL statement (reads around it are fine): it
/// runs without a savepoint, which costs two statements and a copy of every page it touches.
pub(crate) fn one_statement_job<T, F>(
    weight: usize,
    work: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
) -> Box<dyn Job>
where
    T: Send + 'static,
    F: FnOnce(&mut Ctx<'_>) -> Result<T, StoreError> + Send + 'static,
{
    pending(weight, true, work, reply)
}

/// The job of either kind.
fn pending<T, F>(
    weight: usize,
    one_statement: bool,
    work: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
) -> Box<dyn Job>
where
    T: Send + 'static,
    F: FnOnce(&mut Ctx<'_>) -> Result<T, StoreError> + Send + 'static,
{
    Box::new(Pending {
        weight,
        one_statement,
        work: Some(work),
        out: None,
        reply,
    })
}

impl<T, F> Job for Pending<T, F>
where
    T: Send,
    F: FnOnce(&mut Ctx<'_>) -> Result<T, StoreError> + Send,
{
    fn weight(&self) -> usize {
        self.weight
    }

    fn one_statement(&self) -> bool {
        self.one_statement
    }

    fn run(&mut self, ctx: &mut Ctx<'_>) -> Option<StoreError> {
        let out = self
            .work
            .take()
            .map_or(Err(StoreError::Closed), |work| work(ctx));
        let failed = out.as_ref().err().cloned();
        self.out = Some(out);
        failed
    }

    fn reply(self: Box<Self>, batch: Result<(), StoreError>) {
        let answer = match batch {
            Ok(()) => self.out.unwrap_or(Err(StoreError::Closed)),
            Err(e) => Err(e),
        };
        // The caller may have gone away (its request was cancelled); the write stands.
        let _ = self.reply.send(answer);
    }
}

/// Counters the writer keeps, readable from any thread.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Committed batch transactions.
    pub(crate) commits: AtomicU64,
    /// Jobs in committed batches.
    pub(crate) jobs: AtomicU64,
    /// Batches whose transaction failed.
    pub(crate) failed: AtomicU64,
    /// Events removed by retention.
    pub(crate) pruned: AtomicU64,
    /// How long the latest commits took, in microseconds, newest last (at most
    /// `RECENT_COMMITS`): every sender waits for one, so they bound capture's latency.
    pub(crate) recent_commit_us: std::sync::Mutex<std::collections::VecDeque<u32>>,
    /// Why the last batch failed, while writes keep failing (disk full, I/O error); cleared by
    /// the next commit that succeeds.
    pub(crate) failing: std::sync::Mutex<Option<String>>,
    /// Every commit's time, counted in the bucket of [`COMMIT_BUCKETS_S`] it fits (the last
    /// slot: slower than all), for the relay's histogram.
    pub(crate) commit_buckets: [AtomicU64; COMMIT_BUCKETS_S.len() + 1],
    /// Every commit's time added up, in microseconds.
    pub(crate) commit_sum_us: AtomicU64,
}

/// Upper bounds, in seconds, of the commit-time histogram's buckets.
pub const COMMIT_BUCKETS_S: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The writer thread's state.
pub(crate) struct Writer {
    /// The one connection that writes.
    conn: Connection,
    /// Jobs from every `Store` clone.
    jobs: mpsc::Receiver<Box<dyn Job>>,
    /// Bounds on what is kept.
    retention: Retention,
    /// Events stored, loaded at open and kept in step with every commit.
    count: u64,
    /// When pruning by age last ran.
    last_age_prune: Option<Instant>,
    /// Shared counters.
    counters: Arc<Counters>,
    /// The database file as opened, checked before each batch (`None`: in memory).
    file: Option<FileIdentity>,
    /// The text index's background work.
    indexer: indexer::Indexer,
}

impl Writer {
    /// Prepares the writer for an open, migrated connection.
    pub(crate) fn new(
        conn: Connection,
        jobs: mpsc::Receiver<Box<dyn Job>>,
        retention: Retention,
        counters: Arc<Counters>,
    ) -> Result<Writer, StoreError> {
        let count = count_events(&conn)?;
        Ok(Writer {
            conn,
            jobs,
            retention,
            count,
            last_age_prune: None,
            counters,
            file: None,
            indexer: indexer::Indexer::default(),
        })
    }

    /// Refuses every batch once `file` no longer names the database it opened.
    pub(crate) fn watching(mut self, file: Option<FileIdentity>) -> Writer {
        self.file = file;
        self
    }

    /// Runs until every `Store` clone is gone and the queue is empty.
    pub(crate) fn run(mut self) {
        self.prune();
        // The start-up pass does not hold back the age check after the first batch.
        self.last_age_prune = None;
        while let Some(first) = self.next_job() {
            let mut bytes = first.weight();
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH_JOBS && bytes < MAX_BATCH_BYTES {
                match self.jobs.try_recv() {
                    Ok(job) => {
                        bytes += job.weight();
                        batch.push(job);
                    }
                    Err(_) => break,
                }
            }
            let jobs = batch.len() as u64;
            let started = Instant::now();
            let outcome = match self.file.as_ref().map(FileIdentity::check) {
                Some(Err(gone)) => Err(gone),
                _ => self.commit_batch(&mut batch),
            };
            // Only commits: a batch that failed fast says nothing about how long writing takes.
            if outcome.is_ok() {
                self.record_commit_time(started.elapsed());
            }
            let inserted = matches!(outcome, Ok(true));
            let failing = outcome.as_ref().err().map(|e| e.to_string());
            match &outcome {
                Ok(_) => {
                    self.counters.commits.fetch_add(1, Ordering::Relaxed);
                    self.counters.jobs.fetch_add(jobs, Ordering::Relaxed);
                }
                Err(e) => {
                    self.counters.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::error!("store: a batch of {jobs} writes failed: {e}");
                }
            }
            *self
                .counters
                .failing
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = failing;
            for job in batch {
                job.reply(outcome.clone().map(|_| ()));
            }
            if inserted {
                self.indexer.behind();
                self.prune();
            }
        }
    }

    /// The next job; while none waits and the text index is behind, indexes a step at a time.
    fn next_job(&mut self) -> Option<Box<dyn Job>> {
        loop {
            match self.jobs.try_recv() {
                Ok(job) => {
                    self.indexer.interrupted();
                    return Some(job);
                }
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) if self.indexer.is_behind() => {
                    self.indexer
                        .work(&self.conn, &self.jobs, self.file.as_ref());
                }
                Err(TryRecvError::Empty) => return self.jobs.blocking_recv(),
            }
        }
    }

    /// Keeps how long a batch took, the oldest forgotten past `RECENT_COMMITS`.
    fn record_commit_time(&self, took: Duration) {
        let secs = took.as_secs_f64();
        let slot = COMMIT_BUCKETS_S
            .iter()
            .position(|&bound| secs <= bound)
            .unwrap_or(COMMIT_BUCKETS_S.len());
        self.counters.commit_buckets[slot].fetch_add(1, Ordering::Relaxed);
        self.counters.commit_sum_us.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        let mut recent = self
            .counters
            .recent_commit_us
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if recent.len() == RECENT_COMMITS {
            recent.pop_front();
        }
        recent.push_back(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
    }

    /// Runs the batch in one transaction; `Ok(inserted)` once committed.
    fn commit_batch(&mut self, batch: &mut [Box<dyn Job>]) -> Result<bool, StoreError> {
        let conn = &self.conn;
        let result = (|| {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            let mut ctx = Ctx {
                conn,
                count: self.count,
                inserted: false,
            };
            for job in batch.iter_mut() {
                // A savepoint per job: one failing job is undone alone, the others commit. A
                // job of one statement needs none: SQLite undoes a failed statement itself.
                // Cached statements: these run once per job, so they are not parsed each time.
                let savepoint = !job.one_statement();
                if savepoint {
                    conn.prepare_cached("SAVEPOINT job")?.execute([])?;
                }
                match job.run(&mut ctx) {
                    None if savepoint => {
                        conn.prepare_cached("RELEASE job")?.execute([])?;
                    }
                    None => {}
                    // SQLite rolled the whole transaction back (disk full, I/O error), or the
                    // file cannot take writes at all: the batch fails, and the status says why.
                    Some(e) if conn.is_autocommit() || is_storage_failure(&e) => return Err(e),
                    Some(_) if savepoint => conn.execute_batch("ROLLBACK TO job; RELEASE job")?,
                    Some(_) => {}
                }
            }
            conn.execute_batch("COMMIT")?;
            Ok((ctx.count, ctx.inserted))
        })();
        match result {
            Ok((count, inserted)) => {
                self.count = count;
                Ok(inserted)
            }
            Err(e) => {
                if !conn.is_autocommit() {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                Err(e)
            }
        }
    }

    /// Deletes the oldest events past `max_events`, and (at most once a second) those older
    /// than `max_age`; their bodies and attempts go with them (`ON DELETE CASCADE`).
    fn prune(&mut self) {
        let max = self.retention.max_events;
        if max > 0 && self.count > max {
            let excess = i64::try_from(self.count - max).unwrap_or(i64::MAX);
            let deleted = self
                .conn
                .prepare_cached(PRUNE_OLDEST)
                .and_then(|mut stmt| stmt.execute([excess]));
            self.after_prune(deleted);
        }
        let due = self
            .last_age_prune
            .is_none_or(|at| at.elapsed() >= AGE_PRUNE_EVERY);
        if let Some(age) = self.retention.max_age
            && due
        {
            self.last_age_prune = Some(Instant::now());
            let age_ms = i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
            let cutoff = to_ms(chrono::Utc::now()).saturating_sub(age_ms);
            let deleted = self
                .conn
                .execute("DELETE FROM events WHERE received_at < ?1", [cutoff]);
            self.after_prune(deleted);
        }
    }

    /// Books a pruning delete; on failure says so and recounts.
    fn after_prune(&mut self, deleted: rusqlite::Result<usize>) {
        match deleted {
            Ok(n) => {
                self.count = self.count.saturating_sub(n as u64);
                self.counters.pruned.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::warn!(error = %e, "store: retention could not delete old events");
                if let Ok(n) = count_events(&self.conn) {
                    self.count = n;
                }
            }
        }
    }
}

/// Whether `e` is the file or disk refusing writes (SQLite may undo only the statement), as
/// opposed to one job's own mistake.
fn is_storage_failure(e: &StoreError) -> bool {
    use rusqlite::ErrorCode::{
        CannotOpen, DatabaseCorrupt, DiskFull, NotADatabase, ReadOnly, SystemIoFailure,
    };
    matches!(e, StoreError::Sqlite(inner) if matches!(
        inner.sqlite_error_code(),
        Some(ReadOnly | DiskFull | SystemIoFailure | CannotOpen | DatabaseCorrupt | NotADatabase)
    ))
}

/// Events stored now.
fn count_events(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}
