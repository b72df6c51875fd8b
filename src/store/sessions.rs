//! Cyberdesk sessions as stored: the newest webhook of each run of a session (`session_runs`,
//! filled by migration 0010's trigger at capture) and the chain a user expects
//! (`session_expected`). Which run stopped a chain and what is missing is decided by
//! `crate::session`; this only reads and writes.

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};

use super::codec::{bad_column, to_ms};
use super::writer::Ctx;
use super::{Store, StoreError};

/// Most runs one session's timeline reads (each with its body); past it the newest webhooks
/// are left out and counted.
pub const MAX_TIMELINE_RUNS: usize = 1000;

/// The newest webhook of one run of a session, without its body.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRun {
    /// `run.session_id`.
    pub session_id: String,
    /// `run.id`.
    pub run_id: String,
    /// The newest stored webhook of this run: its latest outcome.
    pub event_id: i64,
    /// `run.status` of that webhook.
    pub status: Option<String>,
    /// `run.release_session_after` of that webhook.
    pub release_after: Option<bool>,
    /// When the first webhook of this run arrived (unix ms).
    pub first_at: i64,
    /// When the newest webhook of this run arrived (unix ms).
    pub last_at: i64,
}

/// Every session as the list reads it: no body, one snapshot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AllSessions {
    /// The newest webhook of every run of every session, oldest run first.
    pub runs: Vec<SessionRun>,
    /// Every expected chain: session id and run ids in step order.
    pub expected: Vec<(String, Vec<String>)>,
}

/// One session's runs with their newest webhook's body, and the chain the user expects.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    /// Each run's newest webhook, oldest run first (by that webhook's id), with its body.
    pub runs: Vec<(SessionRun, Bytes)>,
    /// Runs past [`MAX_TIMELINE_RUNS`] that were not read.
    pub runs_left_out: usize,
    /// The run ids the user gave, in step order.
    pub expected: Option<Vec<String>>,
}

/// Per session and run, the newest webhook and the first and last arrival: read from the
/// covering index `session_runs_by_run`, never from `events`. `$where` is empty (every
/// session) or narrows to session `?1`, so that one session's read seeks in the index.
macro_rules! newest_per_run {
    ($where:literal) => {
        concat!(
            "SELECT g.session_id, g.run_id, g.newest, r.status, r.release_after, g.first_at, \
             g.last_at \
             FROM (SELECT session_id, run_id, MAX(event_id) AS newest, \
                   MIN(received_at) AS first_at, MAX(received_at) AS last_at \
                   FROM session_runs ",
            $where,
            " GROUP BY session_id, run_id) g \
             JOIN session_runs r ON r.event_id = g.newest ORDER BY g.newest"
        )
    };
}

/// The newest webhook of each run of every session.
const NEWEST_PER_RUN: &str = newest_per_run!("");
/// The newest webhook of each run of session `?1`.
const NEWEST_PER_RUN_OF: &str = newest_per_run!("WHERE session_id = ?1");

fn session_run(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionRun> {
    Ok(SessionRun {
        session_id: r.get(0)?,
        run_id: r.get(1)?,
        event_id: r.get(2)?,
        status: r.get(3)?,
        release_after: r.get(4)?,
        first_at: r.get(5)?,
        last_at: r.get(6)?,
    })
}

/// Reads a stored expected chain (a JSON array of strings).
fn expected_ids(json: &str, column: usize) -> rusqlite::Result<Vec<String>> {
    serde_json::from_str(json).map_err(|e| bad_column(column, e.to_string()))
}

/// Every run of every session (its newest webhook) and every expected chain, in one snapshot.
fn all(conn: &Connection) -> Result<AllSessions, StoreError> {
    let tx = conn.unchecked_transaction()?;
    let runs = tx
        .prepare_cached(NEWEST_PER_RUN)?
        .query_map([], session_run)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let expected = tx
        .prepare_cached("SELECT session_id, run_ids FROM session_expected")?
        .query_map([], |r| {
            Ok((r.get(0)?, expected_ids(&r.get::<_, String>(1)?, 1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    tx.commit()?;
    Ok(AllSessions { runs, expected })
}

/// One session, or `None` when no webhook names it and no chain is expected for it.
fn one(conn: &Connection, session_id: &str) -> Result<Option<StoredSession>, StoreError> {
    let tx = conn.unchecked_transaction()?;
    let mut runs = tx
        .prepare_cached(NEWEST_PER_RUN_OF)?
        .query_map([session_id], session_run)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let runs_left_out = runs.len().saturating_sub(MAX_TIMELINE_RUNS);
    runs.truncate(MAX_TIMELINE_RUNS);
    let expected = tx
        .prepare_cached("SELECT run_ids FROM session_expected WHERE session_id = ?1")?
        .query_row([session_id], |r| r.get::<_, String>(0))
        .optional()?
        .map(|json| expected_ids(&json, 0))
        .transpose()?;
    if runs.is_empty() && expected.is_none() {
        return Ok(None);
    }
    let mut body_of = tx.prepare_cached("SELECT body FROM events WHERE id = ?1")?;
    let mut with_bodies = Vec::with_capacity(runs.len());
    for run in runs {
        // The cascade removes a run's row with its event, so the body is there in this
        // snapshot; an empty body stands in should it not be.
        let body: Option<Vec<u8>> = body_of.query_row([run.event_id], |r| r.get(0)).optional()?;
        with_bodies.push((run, Bytes::from(body.unwrap_or_default())));
    }
    drop(body_of);
    tx.commit()?;
    Ok(Some(StoredSession {
        runs: with_bodies,
        runs_left_out,
        expected,
    }))
}

/// Stores (or, for an empty list, forgets) the chain expected for a session.
fn set_expected(ctx: &mut Ctx<'_>, session_id: &str, run_ids: &[String]) -> Result<(), StoreError> {
    if run_ids.is_empty() {
        ctx.conn.execute(
            "DELETE FROM session_expected WHERE session_id = ?1",
            [session_id],
        )?;
        return Ok(());
    }
    let json = serde_json::to_string(run_ids).expect("a list of strings always serializes");
    ctx.conn.execute(
        "INSERT INTO session_expected (session_id, run_ids, set_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (session_id) DO UPDATE SET run_ids = excluded.run_ids, set_at = excluded.set_at",
        params![session_id, json, to_ms(chrono::Utc::now())],
    )?;
    Ok(())
}

impl Store {
    /// The newest webhook of every run of every session, oldest run first, and every
    /// expected chain.
    pub async fn sessions(&self) -> Result<AllSessions, StoreError> {
        self.read(all).await
    }

    /// One session's runs with bodies and its expected chain; `None` when hookpit knows
    /// nothing of it.
    pub async fn session(&self, session_id: &str) -> Result<Option<StoredSession>, StoreError> {
        let session_id = session_id.to_owned();
        self.read(move |c| one(c, &session_id)).await
    }

    /// Stores the run ids expected for a session, in step order; an empty list forgets them.
    pub async fn set_session_expected(
        &self,
        session_id: &str,
        run_ids: Vec<String>,
    ) -> Result<(), StoreError> {
        let session_id = session_id.to_owned();
        self.write(0, move |ctx| set_expected(ctx, &session_id, &run_ids))
            .await
    }
}
