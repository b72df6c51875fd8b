//! A Cyberdesk session's timeline from its stored runs: each run once (its newest webhook), in
//! the order the runs ran, where the chain stopped early, whether the session was released,
//! and which expected runs never reported. Pure: the store reads, this decides.
//!
//! A chain stops early at a run whose status is not `success` and which is not the chain's
//! last step. The last step is the last run id of the expected chain when the user gave one;
//! without it, the run marked `release_session_after: true` is taken as the last step, and any
//! other failed run as a stop (later runs of a stopped chain may never send a webhook, so
//! hookpit cannot tell a last step from a stop without being told).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::sessions::{AllSessions, StoredSession};
use crate::wire::rfc3339_ms;

/// A line of `GET /api/sessions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionSummary {
    /// `run.session_id`.
    pub session_id: String,
    /// Distinct runs reported (a run delivered several times counts once).
    pub runs: usize,
    /// When the first webhook of the session arrived; `None` when only a chain is expected.
    pub first_at: Option<String>,
    /// When the newest webhook of the session arrived.
    pub last_at: Option<String>,
    /// A run marked `release_session_after: true` reported.
    pub released: bool,
    /// A run failed before the chain's last step.
    pub stopped_early: bool,
}

/// `GET /api/sessions/{session_id}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    /// `run.session_id`.
    pub session_id: String,
    /// Each run once, in the order the runs ran.
    pub runs: Vec<TimelineRun>,
    /// The run ids the user expects, in step order, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Vec<String>>,
    /// Expected runs that never reported, in step order.
    pub missing: Vec<String>,
    /// The run at which the chain stopped early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_early_at: Option<String>,
    /// A run marked `release_session_after: true` reported.
    pub released: bool,
    /// Runs past the timeline's bound that were not read (0 almost always).
    pub runs_left_out: usize,
}

/// One run of a timeline: its newest webhook's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineRun {
    /// `run.id`.
    pub run_id: String,
    /// The stored webhook this outcome comes from.
    pub event_id: i64,
    /// `run.status`.
    pub status: Option<String>,
    /// `run.started_at`, RFC 3339 with milliseconds.
    pub started_at: Option<String>,
    /// `run.ended_at`, RFC 3339 with milliseconds.
    pub ended_at: Option<String>,
    /// `ended_at - started_at`, when both are there and in that order.
    pub duration_ms: Option<i64>,
    /// The post-run checks whose status is not `success`.
    pub failed_checks: Vec<FailedCheck>,
    /// `run.release_session_after`.
    pub release_session_after: Option<bool>,
}

/// A post-run check that did not pass, as the body gave it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedCheck {
    /// `name`.
    pub name: Option<String>,
    /// `type` (`run_attachment_exists`, …).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `status` (`failed`, `error`, …).
    pub status: Option<String>,
    /// `error_message`.
    pub error_message: Option<String>,
}

/// The keys of `run` a timeline reads; the real sender may leave any of them out.
#[derive(Deserialize, Default)]
struct RunTimes {
    started_at: Option<Value>,
    ended_at: Option<Value>,
    created_at: Option<Value>,
    post_run_checks: Option<Value>,
}

#[derive(Deserialize)]
struct Envelope {
    run: Option<Value>,
}

/// A time the body gives as RFC 3339 text; `None` for anything else.
fn time(v: &Option<Value>) -> Option<DateTime<Utc>> {
    let text = v.as_ref()?.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A text field of a check; numbers and the like are shown as JSON.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The checks of `post_run_checks` whose status is not `success`.
fn failed_checks(checks: &Option<Value>) -> Vec<FailedCheck> {
    let Some(Value::Array(checks)) = checks else {
        return Vec::new();
    };
    checks
        .iter()
        .filter(|c| {
            let status = c.get("status").and_then(Value::as_str);
            status.is_some_and(|s| s != "success")
        })
        .map(|c| FailedCheck {
            name: text(c.get("name")),
            kind: text(c.get("type")),
            status: text(c.get("status")),
            error_message: text(c.get("error_message")),
        })
        .collect()
}

/// Whether a run's outcome stops its chain before the last step (see the module's rule).
fn stops_chain(
    run_id: &str,
    status: Option<&str>,
    release: Option<bool>,
    expected: Option<&[String]>,
) -> bool {
    if status.is_none_or(|s| s == "success") {
        return false;
    }
    match expected {
        Some(ids) => ids.last().map(String::as_str) != Some(run_id),
        None => release != Some(true),
    }
}

/// One session's timeline.
pub fn timeline(session_id: &str, stored: StoredSession) -> Timeline {
    let expected = stored.expected;
    // (when the run ran, for the order; the run)
    let mut runs: Vec<(i64, TimelineRun)> = stored
        .runs
        .into_iter()
        .map(|(run, body)| {
            let times: RunTimes = serde_json::from_slice::<Envelope>(&body)
                .ok()
                .and_then(|env| env.run)
                .and_then(|run| serde_json::from_value(run).ok())
                .unwrap_or_default();
            let started = time(&times.started_at);
            let ended = time(&times.ended_at);
            let ran_at = started
                .or_else(|| time(&times.created_at))
                .map_or(run.first_at, |t| t.timestamp_millis());
            let duration_ms = started
                .zip(ended)
                .map(|(s, e)| (e - s).num_milliseconds())
                .filter(|ms| *ms >= 0);
            let line = TimelineRun {
                run_id: run.run_id,
                event_id: run.event_id,
                status: run.status,
                started_at: started.map(rfc3339_ms),
                ended_at: ended.map(rfc3339_ms),
                duration_ms,
                failed_checks: failed_checks(&times.post_run_checks),
                release_session_after: run.release_after,
            };
            (ran_at, line)
        })
        .collect();
    runs.sort_by_key(|(ran_at, run)| (*ran_at, run.event_id));
    let runs: Vec<TimelineRun> = runs.into_iter().map(|(_, run)| run).collect();
    let stopped_early_at = runs
        .iter()
        .find(|r| {
            stops_chain(
                &r.run_id,
                r.status.as_deref(),
                r.release_session_after,
                expected.as_deref(),
            )
        })
        .map(|r| r.run_id.clone());
    let missing = expected
        .iter()
        .flatten()
        .filter(|id| !runs.iter().any(|r| &r.run_id == *id))
        .cloned()
        .collect();
    Timeline {
        session_id: session_id.to_owned(),
        released: runs.iter().any(|r| r.release_session_after == Some(true)),
        runs,
        expected,
        missing,
        stopped_early_at,
        runs_left_out: stored.runs_left_out,
    }
}

/// The session list, most recently active first, at most `limit` lines: from each run's newest
/// webhook (no body is read) and the expected chains, by the same rule as [`timeline`].
pub fn summaries(all: AllSessions, limit: usize) -> Vec<SessionSummary> {
    let AllSessions { runs, expected } = all;
    let expected: HashMap<String, Vec<String>> = expected.into_iter().collect();
    // (summary, first and last arrival in ms)
    let mut by_session: HashMap<String, (SessionSummary, i64, i64)> = HashMap::new();
    for run in runs {
        let entry = by_session.entry(run.session_id.clone()).or_insert_with(|| {
            let line = SessionSummary {
                session_id: run.session_id.clone(),
                runs: 0,
                first_at: None,
                last_at: None,
                released: false,
                stopped_early: false,
            };
            (line, run.first_at, run.last_at)
        });
        let (line, first, last) = entry;
        line.runs += 1;
        line.released |= run.release_after == Some(true);
        line.stopped_early |= stops_chain(
            &run.run_id,
            run.status.as_deref(),
            run.release_after,
            expected.get(&run.session_id).map(Vec::as_slice),
        );
        *first = (*first).min(run.first_at);
        *last = (*last).max(run.last_at);
    }
    let mut lines: Vec<(Option<i64>, SessionSummary)> = by_session
        .into_values()
        .map(|(mut line, first, last)| {
            line.first_at = DateTime::from_timestamp_millis(first).map(rfc3339_ms);
            line.last_at = DateTime::from_timestamp_millis(last).map(rfc3339_ms);
            (Some(last), line)
        })
        .collect();
    for session_id in expected.into_keys() {
        if !lines.iter().any(|(_, l)| l.session_id == session_id) {
            let line = SessionSummary {
                session_id,
                runs: 0,
                first_at: None,
                last_at: None,
                released: false,
                stopped_early: false,
            };
            lines.push((None, line));
        }
    }
    // Newest activity first; sessions only expected so far after those, by id.
    lines.sort_by(|(a, x), (b, y)| b.cmp(a).then_with(|| x.session_id.cmp(&y.session_id)));
    lines.truncate(limit);
    lines.into_iter().map(|(_, line)| line).collect()
}

#[cfg(test)]
mod tests;
