//! Bulk recovery ("replay everything that failed since T"): picks the events, then replays them
//! one at a time in their original order, at a bounded rate, with progress on the live stream
//! and in the store. A stop ends it between two replays (or cuts the one in flight once the
//! drain deadline has passed); its last frame and its stored state then say interrupted.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::replay::{ReplayMode, ReplayRequest, replay};
use crate::app::App;
use crate::live::Frame;
use crate::store::model::{EventFilter, EventSummary, ListQuery};
use crate::store::{ReplayState, StoreError};

/// Default pace of a bulk replay, in events per second.
const DEFAULT_RATE: f64 = 10.0;
/// Page size used while selecting events.
const PAGE: u32 = 500;

/// The error of the last frame of a bulk replay that hookpit stopped.
const INTERRUPTED: &str = "hookpit stopped during this replay";

/// `POST /api/replay`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// Events received at or after this time (RFC 3339).
    pub since: DateTime<Utc>,
    /// And before this time, when given.
    pub until: Option<DateTime<Utc>>,
    /// Only events the forward target has not answered 2xx for.
    #[serde(default)]
    pub only_failed: bool,
    /// Only this verification status.
    pub verification: Option<String>,
    /// Only this event type.
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Only paths under this prefix.
    pub path: Option<String>,
    /// Where to send them; each event's forward target when absent.
    pub target: Option<String>,
    /// Re-sign (default) or verbatim.
    #[serde(default)]
    pub mode: ReplayMode,
    /// List what would be sent, send nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Events per second (default 10).
    pub rate: Option<f64>,
}

/// Progress of a bulk replay, published as `replay.progress`.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    /// The bulk job.
    pub job: u64,
    /// Replays finished so far.
    pub done: usize,
    /// Replays in the job.
    pub total: usize,
    /// The event just replayed (when interrupted: the first one left unreplayed).
    pub event_id: i64,
    /// The app's status for it, if it answered.
    pub status: Option<u16>,
    /// Why it could not be sent or failed.
    pub error: Option<String>,
    /// Running, done (after the last replay) or interrupted (by a stop).
    pub state: ReplayState,
}

impl Frame for Progress {
    const TYPE: &'static str = "replay.progress";
}

/// The events a bulk request covers, oldest first.
pub async fn select(app: &App, req: &BulkRequest) -> Result<Vec<EventSummary>, StoreError> {
    let filter = EventFilter {
        verification: req.verification.clone(),
        event_type: req.event_type.clone(),
        path_prefix: req.path.clone(),
        ..EventFilter::default()
    };
    let mut picked = Vec::new();
    let mut before = None;
    'pages: loop {
        let page = app
            .store
            .list(ListQuery {
                filter: filter.clone(),
                limit: PAGE,
                before,
            })
            .await?;
        for e in page.events {
            let Ok(at) = DateTime::parse_from_rfc3339(&e.received_at) else {
                continue;
            };
            if at < req.since {
                break 'pages;
            }
            let in_window = req.until.is_none_or(|u| at < u);
            let failed = in_window && req.only_failed && e.last_attempt.is_some() && {
                let target = super::target_for(app, &e.path, &e.query);
                super::failed::forward_failed(&app.store.attempts(e.id).await?, target.as_deref())
            };
            if in_window && (!req.only_failed || failed) {
                picked.push(e);
            }
        }
        match page.next_before {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    picked.reverse();
    Ok(picked)
}

/// Stores the job and starts replaying `events` in the background; returns the job number.
pub async fn start(
    app: &App,
    events: Vec<EventSummary>,
    req: &BulkRequest,
) -> Result<u64, StoreError> {
    let job = app.store.start_replay_job(events.len()).await?;
    if events.is_empty() {
        app.store
            .update_replay_job(job, 0, ReplayState::Done)
            .await?;
        return Ok(job);
    }
    let app = app.clone();
    let pause =
        Duration::from_secs_f64(1.0 / req.rate.filter(|r| *r > 0.0).unwrap_or(DEFAULT_RATE));
    let template = ReplayRequest {
        target: req.target.clone(),
        mode: req.mode,
        ..ReplayRequest::default()
    };
    app.tasks.clone().spawn(async move {
        let total = events.len();
        let stopped = app.stopped();
        let cut = app.cut_short();
        tokio::pin!(stopped, cut);
        let mut done = 0;
        for (i, e) in events.iter().enumerate() {
            if i > 0 {
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = &mut stopped => break,
                }
            }
            if app.is_stopping() {
                break;
            }
            let (status, error) = tokio::select! {
                replayed = replay(&app, e.id, template.clone()) => match replayed {
                    Ok(a) => (a.outcome.status, a.outcome.error),
                    Err(err) => (None, Some(err.to_string())),
                },
                // Its attempt is left in flight; the next start closes it as interrupted.
                _ = &mut cut => break,
            };
            done = i + 1;
            let state = if done == total {
                ReplayState::Done
            } else {
                ReplayState::Running
            };
            let progress = Progress {
                job,
                done,
                total,
                event_id: e.id,
                status,
                error,
                state,
            };
            report(&app, progress).await;
        }
        if done < total {
            let progress = Progress {
                job,
                done,
                total,
                event_id: events[done].id,
                status: None,
                error: Some(INTERRUPTED.to_string()),
                state: ReplayState::Interrupted,
            };
            report(&app, progress).await;
        }
    });
    Ok(job)
}

/// Stores and publishes where a job stands.
async fn report(app: &App, progress: Progress) {
    let (job, done, state) = (progress.job, progress.done, progress.state);
    if let Err(e) = app.store.update_replay_job(job, done, state).await {
        tracing::error!(job, "cannot record bulk replay progress: {e}");
    }
    app.live.publish_frame(&progress);
}
