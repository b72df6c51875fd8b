//! The log of a bulk replay run: the options it ran with and, for each message in send order,
//! when it went out, whether it was a duplicate, and what the app answered. Stored with the
//! plan at the start, so a run cut short by a stop still shows what was left unsent.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::codec::{rfc3339_ms, to_ms};
use super::{Store, StoreError};

/// The sequence options a run was started with, as stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunOptions {
    /// `original`, `reverse` or `shuffle`.
    pub order: String,
    /// The seed of the shuffle and of the duplicate picks.
    pub seed: u64,
    /// Share of messages sent twice.
    pub duplicates: f64,
    /// Messages in flight at once.
    pub concurrency: usize,
}

/// One message of a run, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayStep {
    /// 0-based place in the send order.
    pub position: usize,
    /// The event replayed.
    pub event_id: i64,
    /// The second sending of a message already in the run.
    pub duplicate: bool,
    /// When it went out (RFC 3339 with milliseconds); none while waiting.
    pub started_at: Option<String>,
    /// When the app answered or the try failed.
    pub finished_at: Option<String>,
    /// The app's status, if it answered.
    pub status: Option<u16>,
    /// Why it could not be sent or got no answer.
    pub error: Option<String>,
    /// The replay's Attempt.
    pub attempt_id: Option<i64>,
}

/// How one step ended.
#[derive(Debug, Clone, Default)]
pub struct StepOutcome {
    /// The app's status, if it answered.
    pub status: Option<u16>,
    /// Why it could not be sent or got no answer.
    pub error: Option<String>,
    /// The replay's Attempt, when one was made.
    pub attempt_id: Option<i64>,
}

impl Store {
    /// Stores a bulk replay run that starts now with its options and plan (`(event id,
    /// duplicate)` in send order), in one transaction; its job number.
    pub async fn start_replay_run(
        &self,
        options: RunOptions,
        plan: Vec<(i64, bool)>,
    ) -> Result<u64, StoreError> {
        self.write(0, move |ctx| {
            let now = to_ms(chrono::Utc::now());
            ctx.conn.execute(
                "INSERT INTO replay_jobs (state, done, total, started_at, updated_at, \
                 send_order, seed, duplicates, concurrency) \
                 VALUES ('running', 0, ?1, ?2, ?2, ?3, ?4, ?5, ?6)",
                params![
                    plan.len() as i64,
                    now,
                    options.order,
                    options.seed as i64,
                    options.duplicates,
                    options.concurrency as i64
                ],
            )?;
            let job = ctx.conn.last_insert_rowid();
            let mut stmt = ctx.conn.prepare_cached(
                "INSERT INTO replay_steps (job_id, position, event_id, duplicate) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (position, (event_id, duplicate)) in plan.iter().enumerate() {
                stmt.execute(params![job, position as i64, event_id, duplicate])?;
            }
            Ok(job as u64)
        })
        .await
    }

    /// Records that step `position` of `job` went out now.
    pub async fn replay_step_started(&self, job: u64, position: usize) -> Result<(), StoreError> {
        self.write(0, move |ctx| {
            ctx.conn.execute(
                "UPDATE replay_steps SET started_at = ?1 WHERE job_id = ?2 AND position = ?3",
                params![to_ms(chrono::Utc::now()), job as i64, position as i64],
            )?;
            Ok(())
        })
        .await
    }

    /// Records how step `position` of `job` ended, now.
    pub async fn replay_step_finished(
        &self,
        job: u64,
        position: usize,
        outcome: StepOutcome,
    ) -> Result<(), StoreError> {
        self.write(0, move |ctx| {
            ctx.conn.execute(
                "UPDATE replay_steps SET finished_at = ?1, status = ?2, error = ?3, \
                 attempt_id = ?4 WHERE job_id = ?5 AND position = ?6",
                params![
                    to_ms(chrono::Utc::now()),
                    outcome.status,
                    outcome.error,
                    outcome.attempt_id,
                    job as i64,
                    position as i64
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// A run's options and its steps in send order; none when there is no such job.
    pub async fn replay_log(
        &self,
        job: u64,
    ) -> Result<Option<(RunOptions, Vec<ReplayStep>)>, StoreError> {
        self.read(move |c| {
            let options = c
                .query_row(
                    "SELECT send_order, seed, duplicates, concurrency FROM replay_jobs \
                     WHERE id = ?1",
                    [job as i64],
                    |r| {
                        Ok(RunOptions {
                            order: r.get(0)?,
                            seed: r.get::<_, i64>(1)? as u64,
                            duplicates: r.get(2)?,
                            concurrency: r.get::<_, i64>(3)? as usize,
                        })
                    },
                )
                .optional()?;
            let Some(options) = options else {
                return Ok(None);
            };
            let mut stmt = c.prepare_cached(
                "SELECT position, event_id, duplicate, started_at, finished_at, status, error, \
                 attempt_id FROM replay_steps WHERE job_id = ?1 ORDER BY position",
            )?;
            let steps = stmt
                .query_map([job as i64], |r| {
                    Ok(ReplayStep {
                        position: r.get::<_, i64>(0)? as usize,
                        event_id: r.get(1)?,
                        duplicate: r.get(2)?,
                        started_at: r.get::<_, Option<i64>>(3)?.map(rfc3339_ms),
                        finished_at: r.get::<_, Option<i64>>(4)?.map(rfc3339_ms),
                        status: r.get(5)?,
                        error: r.get(6)?,
                        attempt_id: r.get(7)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some((options, steps)))
        })
        .await
    }
}
