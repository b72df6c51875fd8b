//! The delivery queue as stored: which ack-mode retries are due, which attempts a stopped
//! hookpit left in flight, and the state of bulk replays. The database is the queue, so a
//! stop at any moment (even `kill -9`) loses no scheduled try.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::codec::{from_ms, rfc3339_ms, to_ms};
use super::model::Attempt;
use super::rows::{self, ATTEMPT_COLUMNS};
use super::writer::Ctx;
use super::{Store, StoreError};

/// Forward and retry tries of `a`'s event to `a`'s target up to and including `a` (replays
/// and forwards a rule skipped do not count). The queue is kept per (event, target): each
/// target of a fan-out has its own tries and its own schedule.
const TRIES_SO_FAR: &str = "(SELECT COUNT(*) FROM attempts t WHERE t.event_id = a.event_id \
     AND t.target = a.target AND t.id <= a.id AND t.kind IN ('forward', 'retry') \
     AND t.skipped IS NULL)";

/// A retry is pending on `a` when it has a time for the next try and no later forward or retry
/// of the same event to the same target has finished (another target's tries say nothing of
/// this one). A later try still in flight does not count: left behind by a stop, it must not
/// hide the retry it was making (the dispatcher skips retries it is making itself). A later
/// retry the route's transformation cancelled ends the queue: nothing more is owed.
const PENDING: &str = "a.next_retry_at IS NOT NULL \
     AND NOT EXISTS (SELECT 1 FROM attempts l WHERE l.event_id = a.event_id AND l.id > a.id \
     AND l.target = a.target AND l.kind IN ('forward', 'retry') \
     AND (l.status IS NOT NULL OR l.error IS NOT NULL OR l.skipped IS NOT NULL))";

/// An ack-mode retry whose time has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRetry {
    /// The failed attempt that scheduled it.
    pub attempt_id: i64,
    /// The event to deliver.
    pub event_id: i64,
    /// The target URL the failed attempt was sent to: the retry goes there.
    pub target: String,
    /// When it was due.
    pub due: chrono::DateTime<chrono::Utc>,
    /// Forward and retry tries of the event to this target so far (the next is try number
    /// `tries + 1`).
    pub tries: usize,
}

/// Where a bulk replay stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplayState {
    /// Still replaying.
    Running,
    /// Every event was replayed.
    Done,
    /// hookpit stopped before the last event.
    Interrupted,
}

impl ReplayState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReplayState::Running => "running",
            ReplayState::Done => "done",
            ReplayState::Interrupted => "interrupted",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<ReplayState> {
        match s {
            "running" => Some(ReplayState::Running),
            "done" => Some(ReplayState::Done),
            "interrupted" => Some(ReplayState::Interrupted),
            _ => None,
        }
    }
}

/// A bulk replay as stored.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayJob {
    /// Job number.
    pub job: u64,
    /// Running, done or interrupted.
    pub state: ReplayState,
    /// Replays finished.
    pub done: usize,
    /// Replays in the job.
    pub total: usize,
    /// RFC 3339 with milliseconds.
    pub started_at: String,
    /// When `done` or `state` last changed.
    pub updated_at: String,
}

impl Store {
    /// Pending retries due at `now`, ordered by due time then attempt id, at most `limit`,
    /// starting after the `(due, attempt_id)` cursor when one is given.
    pub async fn due_retries(
        &self,
        now: DateTime<Utc>,
        after: Option<(DateTime<Utc>, i64)>,
        limit: u32,
    ) -> Result<Vec<DueRetry>, StoreError> {
        self.read(move |c| due_retries(c, now, after, limit)).await
    }

    /// When the earliest pending retry after `now` is due, if any is.
    pub async fn next_retry_after(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read(move |c| {
            let sql = format!(
                "SELECT MIN(a.next_retry_at) FROM attempts a WHERE a.next_retry_at > ?1 \
                 AND {PENDING}"
            );
            let ms: Option<i64> = c.query_row(&sql, [to_ms(now)], |r| r.get(0))?;
            Ok(ms.map(from_ms))
        })
        .await
    }

    /// Attempts with neither a status nor an error (and not skipped by a rule): in flight when
    /// the last run stopped, oldest first, each with the number of forward and retry tries of
    /// its event to its target so far.
    pub async fn unfinished_attempts(&self) -> Result<Vec<(Attempt, usize)>, StoreError> {
        self.read(|c| {
            let cols = ATTEMPT_COLUMNS
                .split(", ")
                .map(|col| format!("a.{col}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "SELECT {cols}, {TRIES_SO_FAR} FROM attempts a \
                 WHERE a.status IS NULL AND a.error IS NULL AND a.skipped IS NULL ORDER BY a.id"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([], |r| {
                let tries: i64 = r.get(17)?;
                Ok((rows::attempt(r)?, usize::try_from(tries).unwrap_or(0)))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    /// Closes attempts left in flight with `error`, each with its next try's time (or none),
    /// in one transaction; an attempt that has finished meanwhile is left as it is. How many
    /// were closed.
    pub async fn close_interrupted(
        &self,
        error: &str,
        closing: Vec<(i64, Option<DateTime<Utc>>)>,
    ) -> Result<usize, StoreError> {
        let error = error.to_owned();
        self.write(0, move |ctx| close_interrupted(ctx, &error, &closing))
            .await
    }

    /// Stores a bulk replay that starts now; its job number.
    pub async fn start_replay_job(&self, total: usize) -> Result<u64, StoreError> {
        self.write(0, move |ctx| {
            let now = to_ms(Utc::now());
            ctx.conn.execute(
                "INSERT INTO replay_jobs (state, done, total, started_at, updated_at) \
                 VALUES ('running', 0, ?1, ?2, ?2)",
                params![total as i64, now],
            )?;
            Ok(ctx.conn.last_insert_rowid() as u64)
        })
        .await
    }

    /// Records a bulk replay's progress: `done` replays finished, `state` now.
    pub async fn update_replay_job(
        &self,
        job: u64,
        done: usize,
        state: ReplayState,
    ) -> Result<(), StoreError> {
        self.write(0, move |ctx| {
            ctx.conn.execute(
                "UPDATE replay_jobs SET done = ?1, state = ?2, updated_at = ?3 WHERE id = ?4",
                params![done as i64, state.as_str(), to_ms(Utc::now()), job as i64],
            )?;
            Ok(())
        })
        .await
    }

    /// Marks bulk replays still `running` as interrupted (they belong to a run that ended);
    /// how many there were.
    pub async fn interrupt_replay_jobs(&self) -> Result<usize, StoreError> {
        self.write(0, |ctx| {
            Ok(ctx.conn.execute(
                "UPDATE replay_jobs SET state = 'interrupted', updated_at = ?1 \
                 WHERE state = 'running'",
                [to_ms(Utc::now())],
            )?)
        })
        .await
    }

    /// One bulk replay's stored state.
    pub async fn replay_job(&self, job: u64) -> Result<Option<ReplayJob>, StoreError> {
        self.read(move |c| {
            let job = c
                .query_row(
                    "SELECT id, state, done, total, started_at, updated_at FROM replay_jobs \
                     WHERE id = ?1",
                    [job as i64],
                    |r| {
                        let state: String = r.get(1)?;
                        Ok(ReplayJob {
                            job: r.get::<_, i64>(0)? as u64,
                            state: ReplayState::parse(&state).unwrap_or(ReplayState::Interrupted),
                            done: r.get::<_, i64>(2)? as usize,
                            total: r.get::<_, i64>(3)? as usize,
                            started_at: rfc3339_ms(r.get(4)?),
                            updated_at: rfc3339_ms(r.get(5)?),
                        })
                    },
                )
                .optional()?;
            Ok(job)
        })
        .await
    }
}

/// See [`Store::due_retries`].
fn due_retries(
    conn: &Connection,
    now: DateTime<Utc>,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u32,
) -> Result<Vec<DueRetry>, StoreError> {
    let sql = format!(
        "SELECT a.id, a.event_id, a.next_retry_at, {TRIES_SO_FAR}, a.target FROM attempts a \
         WHERE a.next_retry_at <= ?1 AND (a.next_retry_at, a.id) > (?2, ?3) AND {PENDING} \
         ORDER BY a.next_retry_at, a.id LIMIT ?4"
    );
    let (after_ms, after_id) = after.map_or((i64::MIN, i64::MIN), |(t, id)| (to_ms(t), id));
    let mut stmt = conn.prepare_cached(&sql)?;
    let due = stmt
        .query_map(params![to_ms(now), after_ms, after_id, limit], |r| {
            let tries: i64 = r.get(3)?;
            Ok(DueRetry {
                attempt_id: r.get(0)?,
                event_id: r.get(1)?,
                target: r.get(4)?,
                due: from_ms(r.get(2)?),
                tries: usize::try_from(tries).unwrap_or(0),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(due)
}

/// See [`Store::close_interrupted`].
fn close_interrupted(
    ctx: &mut Ctx<'_>,
    error: &str,
    closing: &[(i64, Option<DateTime<Utc>>)],
) -> Result<usize, StoreError> {
    let mut stmt = ctx.conn.prepare_cached(
        "UPDATE attempts SET error = ?1, next_retry_at = ?2 \
         WHERE id = ?3 AND status IS NULL AND error IS NULL",
    )?;
    let mut closed = 0;
    for (id, next) in closing {
        closed += stmt.execute(params![error, next.map(to_ms), id])?;
    }
    Ok(closed)
}
