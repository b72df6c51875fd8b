//! Bulk recovery ("replay everything that failed since T"): picks the events, then replays them
//! in the run's order (original by default, or reversed, or shuffled with a seed; some sent
//! twice when `duplicates` asks), at most `concurrency` at once and at a bounded rate, with
//! progress on the live stream and a log of every step in the store. A stop ends it between
//! two replays (or cuts those in flight once the drain deadline has passed); its last frame and
//! its stored state then say interrupted.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::replay::{ReplayMode, ReplayRequest, replay};
use crate::app::App;
use crate::chaos::{Chaos, ChaosError, Order, Step};
use crate::live::Frame;
use crate::store::model::{EventFilter, EventSummary, ListQuery};
use crate::store::{ReplayState, RunOptions, StepOutcome, StoreError};

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
    /// Send order: original (default), reverse or shuffle.
    #[serde(default)]
    pub order: Order,
    /// Seed of the shuffle and of the duplicate picks (drawn when absent, and answered).
    pub seed: Option<i64>,
    /// Share of messages sent a second time with the same message id (0–1, default 0).
    pub duplicates: Option<f64>,
    /// Messages in flight at once (default 1).
    pub concurrency: Option<i64>,
}

impl BulkRequest {
    /// The request's sequence options, checked; a missing seed is drawn from the clock.
    pub fn chaos(&self) -> Result<Chaos, ChaosError> {
        Chaos::new(
            self.order,
            self.seed,
            self.duplicates,
            self.concurrency,
            crate::chaos::clock_entropy(),
        )
    }
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
    /// Its place in the run's send order (0-based).
    pub position: usize,
    /// Whether it was the second sending of a message.
    pub duplicate: bool,
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

/// Stores the job with its plan and starts replaying in the background; returns the job
/// number.
pub async fn start(
    app: &App,
    events: Vec<EventSummary>,
    req: &BulkRequest,
    chaos: Chaos,
) -> Result<u64, StoreError> {
    let plan = chaos.plan(events.len());
    let options = RunOptions {
        order: chaos.order.as_str().to_string(),
        seed: chaos.seed,
        duplicates: chaos.duplicates,
        concurrency: chaos.concurrency,
    };
    let stored = plan
        .iter()
        .map(|s| (events[s.index].id, s.duplicate))
        .collect();
    let job = app.store.start_replay_run(options, stored).await?;
    if plan.is_empty() {
        app.store
            .update_replay_job(job, 0, ReplayState::Done)
            .await?;
        return Ok(job);
    }
    let pause =
        Duration::from_secs_f64(1.0 / req.rate.filter(|r| *r > 0.0).unwrap_or(DEFAULT_RATE));
    let template = ReplayRequest {
        target: req.target.clone(),
        mode: req.mode,
        ..ReplayRequest::default()
    };
    let run = Run {
        app: app.clone(),
        job,
        ids: plan.iter().map(|s| events[s.index].id).collect(),
        plan,
        template,
        pause,
        concurrency: chaos.concurrency,
    };
    app.tasks.clone().spawn(run.go());
    Ok(job)
}

/// A bulk replay in progress.
struct Run {
    app: App,
    job: u64,
    plan: Vec<Step>,
    /// The event id of each step.
    ids: Vec<i64>,
    template: ReplayRequest,
    pause: Duration,
    concurrency: usize,
}

impl Run {
    /// Launches the steps in order, at most `concurrency` in flight, one launch per `pause`.
    async fn go(self) {
        let app = self.app.clone();
        let total = self.plan.len();
        let stopped = app.stopped();
        let cut = app.cut_short();
        tokio::pin!(stopped, cut);
        let mut running = FuturesUnordered::new();
        let mut finished = vec![false; total];
        let (mut next, mut done, mut stopping) = (0, 0, false);
        let mut launch_at = tokio::time::Instant::now();
        loop {
            let can_launch = !stopping && next < total && running.len() < self.concurrency;
            if !can_launch && running.is_empty() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(launch_at), if can_launch => {
                    if app.is_stopping() {
                        stopping = true;
                        continue;
                    }
                    running.push(self.step(next));
                    next += 1;
                    launch_at = tokio::time::Instant::now() + self.pause;
                }
                Some((position, outcome)) = running.next(), if !running.is_empty() => {
                    let outcome: StepOutcome = outcome;
                    finished[position] = true;
                    done += 1;
                    let state = if done == total {
                        ReplayState::Done
                    } else {
                        ReplayState::Running
                    };
                    let progress = self.progress(position, done, outcome.status, outcome.error, state);
                    report(&app, progress).await;
                }
                _ = &mut stopped, if !stopping => stopping = true,
                // Attempts in flight are left so; the next start closes them as interrupted.
                _ = &mut cut => break,
            }
        }
        if let Some(first) = finished.iter().position(|f| !f) {
            let progress = self.progress(
                first,
                done,
                None,
                Some(INTERRUPTED.to_string()),
                ReplayState::Interrupted,
            );
            report(&app, progress).await;
        }
    }

    /// Sends step `position`, logging when it went out and how it ended.
    fn step(
        &self,
        position: usize,
    ) -> impl std::future::Future<Output = (usize, StepOutcome)> + Send + 'static {
        let (app, job, id) = (self.app.clone(), self.job, self.ids[position]);
        let template = self.template.clone();
        async move {
            if let Err(e) = app.store.replay_step_started(job, position).await {
                tracing::error!(job, "cannot record a bulk replay step: {e}");
            }
            let outcome = match replay(&app, id, template).await {
                Ok(a) => StepOutcome {
                    status: a.outcome.status,
                    error: a.outcome.error,
                    attempt_id: Some(a.id),
                },
                Err(err) => StepOutcome {
                    error: Some(err.to_string()),
                    ..StepOutcome::default()
                },
            };
            if let Err(e) = app
                .store
                .replay_step_finished(job, position, outcome.clone())
                .await
            {
                tracing::error!(job, "cannot record a bulk replay step: {e}");
            }
            (position, outcome)
        }
    }

    /// The frame for step `position`.
    fn progress(
        &self,
        position: usize,
        done: usize,
        status: Option<u16>,
        error: Option<String>,
        state: ReplayState,
    ) -> Progress {
        Progress {
            job: self.job,
            done,
            total: self.plan.len(),
            event_id: self.ids[position],
            position,
            duplicate: self.plan[position].duplicate,
            status,
            error,
            state,
        }
    }
}

/// Stores and publishes where a job stands.
async fn report(app: &App, progress: Progress) {
    let (job, done, state) = (progress.job, progress.done, progress.state);
    if let Err(e) = app.store.update_replay_job(job, done, state).await {
        tracing::error!(job, "cannot record bulk replay progress: {e}");
    }
    app.live.publish_frame(&progress);
}
