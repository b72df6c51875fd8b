//! Doctor runs: each run's target, state and summary, each scenario's result as JSON, and the
//! exact body of every request sent. The store keeps the newest `KEEP_RUNS` finished runs.

use std::time::Duration;

use bytes::Bytes;
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{Store, StoreError};

/// Finished runs kept; older ones go with their results and bodies (a run holds about 1.1 MB).
pub const KEEP_RUNS: i64 = 20;

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Scenarios are being delivered.
    Running,
    /// Every scenario ended; the summary is stored.
    Done,
    /// hookpit stopped first (or went silent for longer than a run can).
    Interrupted,
}

impl RunState {
    fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Interrupted => "interrupted",
        }
    }

    fn parse(text: &str) -> RunState {
        match text {
            "running" => RunState::Running,
            "done" => RunState::Done,
            _ => RunState::Interrupted,
        }
    }
}

/// A run about to start.
#[derive(Debug, Clone)]
pub struct NewDoctorRun {
    /// The URL tested.
    pub target: String,
    /// RFC 3339 start time.
    pub started_at: String,
    /// JSON array of the scenario names, in order.
    pub planned: String,
    /// How long the run may go without progress before it counts as interrupted.
    pub stale_after: Duration,
}

/// A stored run, without its results.
#[derive(Debug, Clone)]
pub struct DoctorRun {
    /// Its id.
    pub id: i64,
    /// The URL tested.
    pub target: String,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time, once it ended.
    pub finished_at: Option<String>,
    /// Where it is.
    pub state: RunState,
    /// JSON array of the scenario names.
    pub planned: String,
    /// JSON summary (ok, counts, duration_ms, diagnoses), once done.
    pub summary: Option<String>,
    /// Scenario results stored so far.
    pub done: usize,
}

/// The columns `run_row` reads; `?1` is the current time in unix ms.
const RUN_COLUMNS: &str = "id, target, started_at, finished_at, \
     CASE WHEN state = 'running' AND ?1 - updated_at > stale_after_ms THEN 'interrupted' ELSE state END, \
     planned, summary, (SELECT COUNT(*) FROM doctor_results r WHERE r.run_id = doctor_runs.id)";

fn run_row(r: &Row<'_>) -> rusqlite::Result<DoctorRun> {
    let state: String = r.get(4)?;
    Ok(DoctorRun {
        id: r.get(0)?,
        target: r.get(1)?,
        started_at: r.get(2)?,
        finished_at: r.get(3)?,
        state: RunState::parse(&state),
        planned: r.get(5)?,
        summary: r.get(6)?,
        done: r.get::<_, i64>(7)?.try_into().unwrap_or(0),
    })
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// Stores a new running run and forgets ended runs beyond the newest `KEEP_RUNS`.
    pub async fn doctor_start(&self, run: NewDoctorRun) -> Result<i64, StoreError> {
        let stale_ms = i64::try_from(run.stale_after.as_millis()).unwrap_or(i64::MAX);
        self.write(0, move |ctx| {
            ctx.conn.execute(
                "INSERT INTO doctor_runs (target, started_at, state, planned, updated_at, stale_after_ms) \
                 VALUES (?1, ?2, 'running', ?3, ?4, ?5)",
                params![run.target, run.started_at, run.planned, now_ms(), stale_ms],
            )?;
            let id = ctx.conn.last_insert_rowid();
            ctx.conn.execute(
                "DELETE FROM doctor_runs \
                 WHERE (state != 'running' OR ?2 - updated_at > stale_after_ms) \
                 AND id NOT IN (SELECT id FROM doctor_runs ORDER BY id DESC LIMIT ?1)",
                params![KEEP_RUNS, now_ms()],
            )?;
            Ok(id)
        })
        .await
    }

    /// Stores scenario `idx`'s result and the bodies of its requests (numbered in the run).
    pub async fn doctor_record(
        &self,
        run_id: i64,
        idx: usize,
        result: String,
        bodies: Vec<(usize, Bytes)>,
    ) -> Result<(), StoreError> {
        let weight = bodies.iter().map(|(_, b)| b.len()).sum::<usize>() + result.len();
        self.write(weight, move |ctx| {
            ctx.conn.execute(
                "INSERT OR REPLACE INTO doctor_results (run_id, idx, result) VALUES (?1, ?2, ?3)",
                params![run_id, idx as i64, result],
            )?;
            for (n, body) in bodies {
                ctx.conn.execute(
                    "INSERT OR REPLACE INTO doctor_bodies (run_id, n, body) VALUES (?1, ?2, ?3)",
                    params![run_id, n as i64, &body[..]],
                )?;
            }
            ctx.conn.execute(
                "UPDATE doctor_runs SET updated_at = ?2 WHERE id = ?1",
                params![run_id, now_ms()],
            )?;
            Ok(())
        })
        .await
    }

    /// Ends a run as `done` (with its JSON summary) or `interrupted`.
    pub async fn doctor_finish(
        &self,
        run_id: i64,
        state: RunState,
        finished_at: String,
        summary: Option<String>,
    ) -> Result<(), StoreError> {
        self.write(0, move |ctx| {
            let changed = ctx.conn.execute(
                "UPDATE doctor_runs SET state = ?2, finished_at = ?3, summary = ?4, updated_at = ?5 \
                 WHERE id = ?1",
                params![run_id, state.as_str(), finished_at, summary, now_ms()],
            )?;
            match changed {
                0 => Err(StoreError::NotFound {
                    what: "doctor run",
                    id: run_id,
                }),
                _ => Ok(()),
            }
        })
        .await
    }

    /// The newest runs first, at most `limit`.
    pub async fn doctor_runs(&self, limit: u32) -> Result<Vec<DoctorRun>, StoreError> {
        self.read(move |c| {
            let sql = format!("SELECT {RUN_COLUMNS} FROM doctor_runs ORDER BY id DESC LIMIT ?2");
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params![now_ms(), limit], run_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// One run with its scenario results (JSON, in the order run).
    pub async fn doctor_run(
        &self,
        id: i64,
    ) -> Result<Option<(DoctorRun, Vec<String>)>, StoreError> {
        self.read(move |c| {
            let sql = format!("SELECT {RUN_COLUMNS} FROM doctor_runs WHERE id = ?2");
            let Some(run) = c
                .query_row(&sql, params![now_ms(), id], run_row)
                .optional()?
            else {
                return Ok(None);
            };
            let mut stmt = c.prepare_cached(
                "SELECT result FROM doctor_results WHERE run_id = ?1 ORDER BY idx",
            )?;
            let results = stmt
                .query_map([id], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(Some((run, results)))
        })
        .await
    }

    /// The exact body of request `n` of run `run_id`.
    pub async fn doctor_body(&self, run_id: i64, n: i64) -> Result<Option<Bytes>, StoreError> {
        self.read(move |c| {
            let body: Option<Vec<u8>> = c
                .query_row(
                    "SELECT body FROM doctor_bodies WHERE run_id = ?1 AND n = ?2",
                    params![run_id, n],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(body.map(Bytes::from))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Retention;

    fn store() -> Store {
        let keep = Retention {
            max_events: 0,
            max_age: None,
        };
        Store::open(":memory:", keep).expect("open :memory:")
    }

    fn new_run(stale_after: Duration) -> NewDoctorRun {
        NewDoctorRun {
            target: "http://127.0.0.1:9/hooks".into(),
            started_at: "2026-01-01T00:00:00.000Z".into(),
            planned: r#"["compact","duplicate"]"#.into(),
            stale_after,
        }
    }

    #[tokio::test]
    async fn doctor_runs_keep_results_bodies_and_summary() {
        let s = store();
        let id = s
            .doctor_start(new_run(Duration::from_secs(60)))
            .await
            .expect("start");
        let big = Bytes::from(vec![b'x'; 1 << 20]);
        s.doctor_record(
            id,
            0,
            r#"{"name":"compact"}"#.into(),
            vec![(1, Bytes::from_static(b"{}"))],
        )
        .await
        .expect("record");
        s.doctor_record(
            id,
            1,
            r#"{"name":"duplicate"}"#.into(),
            vec![(2, big.clone()), (3, big)],
        )
        .await
        .expect("record");
        let (run, results) = s.doctor_run(id).await.expect("read").expect("exists");
        assert_eq!(
            (run.state, run.done, run.finished_at),
            (RunState::Running, 2, None)
        );
        assert_eq!(
            results,
            [r#"{"name":"compact"}"#, r#"{"name":"duplicate"}"#]
        );
        assert_eq!(
            s.doctor_body(id, 3).await.expect("read").map(|b| b.len()),
            Some(1 << 20)
        );
        assert_eq!(s.doctor_body(id, 4).await.expect("read"), None);
        s.doctor_finish(
            id,
            RunState::Done,
            "2026-01-01T00:00:01.000Z".into(),
            Some("{}".into()),
        )
        .await
        .expect("finish");
        let runs = s.doctor_runs(10).await.expect("list");
        assert_eq!(
            (runs.len(), runs[0].state, runs[0].summary.as_deref()),
            (1, RunState::Done, Some("{}"))
        );
        let missing = s
            .doctor_finish(id + 1, RunState::Done, String::new(), None)
            .await;
        assert!(matches!(missing, Err(StoreError::NotFound { .. })));
    }

    #[tokio::test]
    async fn doctor_silent_runs_read_as_interrupted_and_old_runs_go() {
        let s = store();
        let silent = s
            .doctor_start(new_run(Duration::from_secs(1)))
            .await
            .expect("start");
        s.write(0, |ctx| {
            ctx.conn
                .execute("UPDATE doctor_runs SET updated_at = updated_at - 5000", [])?;
            Ok(())
        })
        .await
        .expect("backdate");
        let live = s
            .doctor_start(new_run(Duration::from_secs(60)))
            .await
            .expect("start");
        let shared = &s;
        let state = |id| async move {
            let run = shared.doctor_run(id).await.expect("read");
            run.map(|(r, _)| r.state)
        };
        assert_eq!(state(silent).await, Some(RunState::Interrupted));
        assert_eq!(state(live).await, Some(RunState::Running));
        for _ in 0..KEEP_RUNS + 3 {
            let id = s
                .doctor_start(new_run(Duration::from_secs(60)))
                .await
                .expect("start");
            s.doctor_finish(id, RunState::Done, String::new(), None)
                .await
                .expect("finish");
        }
        let runs = s.doctor_runs(100).await.expect("list");
        // The live run stays; of the ended ones (the silent one too), the newest KEEP_RUNS.
        assert_eq!(runs.len() as i64, KEEP_RUNS + 1);
        assert!(runs.iter().any(|r| r.id == live) && !runs.iter().any(|r| r.id == silent));
    }
}
