//! Ack-mode delivery: the sender already has hookpit's 2xx, so hookpit owes the app the
//! webhook — at least once, through any stop. The first try starts at once; a failed try
//! stores when the next is due, and one dispatcher runs every due retry from the store,
//! earliest first (a webhook whose signature verified is re-signed as Svix does; any other
//! goes as it came). The database is the queue: a try cut short by a
//! stop is recorded as interrupted (by the stop itself, or by `recover` at the next start) and
//! counts as a failed try, as Svix counts a timeout.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use super::lanes::Lanes;
use super::replay::{ReplayMode, prepare};
use super::rules::targets_for;
use super::transformed::{self, Shaped, Stop};
use super::{Outgoing, finish, outcome, outgoing_headers, send_shaped, start, succeeded};
use crate::app::App;
use crate::store::DueRetry;
use crate::store::model::{Attempt, AttemptKind, AttemptOutcome};
use crate::verify::Status;

/// The error of a try that hookpit stopped before the app answered.
pub const INTERRUPTED: &str = "hookpit stopped during this delivery";

/// Most retries in flight at once to one target (scheme and authority); each target's start in
/// the order they fell due, and a slow target fills only its own slots.
pub const MAX_IN_FLIGHT: usize = 8;

/// Due retries read from the store per query.
const PAGE: u32 = 500;

/// How long the dispatcher waits before reading the store again after it failed.
pub(super) const STORE_BACKOFF: Duration = Duration::from_secs(1);

/// Starts the first try of event `id` now, sending `out` (the webhook as it came for its
/// forward target, through the route's transformation), and returns once its attempt is stored (or the try was given up): a sender
/// acknowledged after this is owed a delivery the store knows of, so even `kill -9` the next
/// moment cannot lose it. A failed try leaves its retry to the dispatcher. `false` when the
/// attempt could not be stored: nothing would resume this delivery, so the sender must not be
/// acknowledged.
pub async fn deliver(app: &App, id: i64, out: Shaped) -> bool {
    let (started, recorded) = oneshot::channel();
    let tracked = app.clone();
    // Tracked: a stop waits for it (a webhook captured while connections drain gets its
    // first try too).
    app.tasks.spawn(async move {
        send_try(&tracked, id, 0, out, started).await;
        tracked.retry_due.notify_one();
    });
    recorded.await.unwrap_or(false)
}

/// Makes try number `tries + 1` of event `id` to `target` from what is stored; `started` and
/// what it returns as for [`send_try`].
async fn try_once(
    app: &App,
    id: i64,
    target: String,
    tries: usize,
    started: oneshot::Sender<bool>,
) -> bool {
    let event = match app.store.get(id).await {
        Ok(Some(event)) => event,
        Ok(None) => {
            let _ = started.send(true); // deleted meanwhile: nothing to deliver
            return true;
        }
        Err(e) => {
            let _ = started.send(false);
            tracing::error!(id, "cannot load event for delivery: {e}");
            return false;
        }
    };
    // Each target's retries go to that target; one the configuration no longer names waits
    // for the next start, when it may be named again.
    let targets = targets_for(app, &event.summary.path, &event.summary.query);
    if !targets.contains(&target) {
        tracing::warn!(
            id,
            target,
            "a retry is due but no forward target of this webhook is that URL any more"
        );
        return true;
    }
    let url = target;
    // The first try passes the webhook on as it came; retries of a webhook whose signature
    // hookpit verified are re-signed like Svix's, falling back to the original headers when no
    // key can sign. Any other webhook (forged, unsigned, unverified) is retried exactly as the
    // first try sent it: re-signing it would lend the real key to whoever can post to the
    // capture port.
    let verified = event.verification.status == Status::Valid;
    let resigned = (tries > 0 && verified)
        .then(|| {
            prepare(
                app,
                &event,
                ReplayMode::Resign,
                false,
                None,
                None,
                url.clone(),
            )
            .ok()
        })
        .flatten();
    let out = resigned.unwrap_or_else(|| Outgoing {
        method: event.summary.method.clone(),
        url,
        headers: outgoing_headers(&event.headers, &app.marker),
        body: event.body.clone(),
    });
    let shaped = transformed::shape(app, &event.summary, out, verified).await;
    send_try(app, id, tries, shaped, started).await
}

/// Sends `out` as try number `tries + 1` of event `id` and records it, with the time of the
/// next try when it fails. A stop that has waited long enough cuts it short: it is then
/// recorded as interrupted, a failed try. `started` hears once the attempt is stored (`true`,
/// also when the event was deleted meanwhile) or could not be (`false`), so a caller can wait
/// for that, or start tries in a strict order. Returns `false` when the store failed to record
/// the try's start or its end.
async fn send_try(
    app: &App,
    id: i64,
    tries: usize,
    out: Shaped,
    started: oneshot::Sender<bool>,
) -> bool {
    let kind = if tries == 0 {
        AttemptKind::Forward
    } else {
        AttemptKind::Retry
    };
    if let Some(Stop::Cancelled(reason)) = &out.stop {
        // Nothing is sent and nothing is owed: a skip, never retried.
        let target = out.target.clone();
        let recorded =
            transformed::record_cancel(app, id, kind, "ack", target, reason.clone()).await;
        let stored = !matches!(recorded, Err(ref e) if !matches!(e, crate::store::StoreError::NotFound { .. }));
        let _ = started.send(stored);
        if let Err(e) = &recorded {
            tracing::error!(
                id,
                "cannot record a delivery its transformation cancelled: {e}"
            );
        }
        return stored;
    }
    let next = app.config.retry_schedule.delay_before(tries + 1);
    let recorded = start(
        app,
        id,
        kind,
        "ack",
        out.target.clone(),
        out.out.headers.clone(),
        out.sent.clone(),
    )
    .await;
    let stored =
        !matches!(recorded, Err(ref e) if !matches!(e, crate::store::StoreError::NotFound { .. }));
    let _ = started.send(stored);
    let started = match recorded {
        Ok(started) => started,
        Err(crate::store::StoreError::NotFound { .. }) => return true, // deleted meanwhile
        Err(e) => {
            tracing::error!(id, "cannot record a delivery attempt: {e}");
            return false;
        }
    };
    let began = tokio::time::Instant::now();
    let result = tokio::select! {
        // Biased to the app's answer: one that arrives with the cut is recorded as it was.
        biased;
        delivery = send_shaped(app, &out, 0) => outcome(&delivery, next, app.clock.now()),
        _ = app.cut_short() => AttemptOutcome {
            duration_ms: Some(began.elapsed().as_millis() as i64),
            ..interrupted(app.clock.now(), next)
        },
    };
    let delivered = succeeded(result.status);
    if let Err(e) = finish(app, started.id, result).await {
        // Left unfinished: the next start closes it as interrupted; meanwhile the dispatcher
        // tries again (at least once, never lost).
        tracing::error!(id, "cannot record how a delivery attempt ended: {e}");
        return false;
    }
    if !delivered && next.is_some() {
        // A retry is scheduled: the dispatcher may be sleeping past its time.
        app.retry_due.notify_one();
    }
    if !delivered && next.is_none() {
        tracing::warn!(
            id,
            tries = tries + 1,
            "delivery failed on every try of the schedule"
        );
    }
    true
}

/// How an interrupted try is recorded: failed at `at`, the next due `next` later.
fn interrupted(at: DateTime<Utc>, next: Option<Duration>) -> AttemptOutcome {
    AttemptOutcome {
        error: Some(INTERRUPTED.into()),
        next_retry_at: next
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| at + d),
        ..AttemptOutcome::default()
    }
}

/// Closes what the last run left in flight, before anything new starts: every attempt with
/// neither a status nor an error gets [`INTERRUPTED`]; an ack-mode try also gets its next try,
/// counted from when it started, as a failed try. Bulk replays still marked running are marked
/// interrupted.
pub async fn recover(app: &App) {
    let left = match app.store.unfinished_attempts().await {
        Ok(left) => left,
        Err(e) => return tracing::error!("cannot read attempts left in flight: {e}"),
    };
    if !left.is_empty() {
        let closing: Vec<(i64, Option<DateTime<Utc>>)> = left
            .iter()
            .map(|(a, tries)| (a.id, next_after_interruption(app, a, *tries)))
            .collect();
        let scheduled = closing.iter().filter(|(_, next)| next.is_some()).count();
        match app.store.close_interrupted(INTERRUPTED, closing).await {
            Ok(n) => tracing::warn!(
                "{n} deliveries were in flight when hookpit last stopped; recorded as \
                 interrupted, {scheduled} scheduled again"
            ),
            Err(e) => tracing::error!("cannot close attempts left in flight: {e}"),
        }
    }
    match app.store.interrupt_replay_jobs().await {
        Ok(0) => {}
        Ok(n) => tracing::warn!("{n} bulk replays were cut short when hookpit last stopped"),
        Err(e) => tracing::error!("cannot mark cut-short bulk replays: {e}"),
    }
}

/// When an ack-mode try cut short by a stop is due again; `None` for other attempts (a proxy
/// forward's sender saw the failure, a replay was the user's) or past the schedule's end.
fn next_after_interruption(app: &App, a: &Attempt, tries: usize) -> Option<DateTime<Utc>> {
    let acked = a.mode == "ack" && matches!(a.kind, AttemptKind::Forward | AttemptKind::Retry);
    if !acked {
        return None;
    }
    let started = DateTime::parse_from_rfc3339(&a.started_at)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| app.clock.now());
    // The try ended some time between its start and now; its start is the earliest, so the
    // app waits no longer than the schedule says.
    interrupted(started, app.config.retry_schedule.delay_before(tries)).next_retry_at
}

/// Runs every due retry until hookpit stops: reads the due ones from the store in the order
/// they fell due, however many, and hands them to their target's lane, which starts them in
/// that order, at most [`MAX_IN_FLIGHT`] at a time (so a slow target holds up only its own);
/// then sleeps until the next is due or a try schedules one.
pub async fn dispatch(app: App) {
    // The due retries (by the attempt that scheduled them) started in this run and not yet
    // ended: each is started once, even when a stale read still shows it due while its try is
    // in flight. One the store failed comes back (`failed`) after `STORE_BACKOFF` and is
    // started again; one with no target waits for the next start. An id leaves the set at the
    // first pass that no longer sees it due, so the set holds no more than what is due.
    let mut dispatched = HashSet::new();
    let (failed_tx, mut failed) = tokio::sync::mpsc::unbounded_channel();
    let mut lanes = Lanes::new(failed_tx);
    let stopped = app.stopped();
    tokio::pin!(stopped);
    loop {
        while let Ok(id) = failed.try_recv() {
            dispatched.remove(&id);
        }
        let now = app.clock.now();
        let started = tokio::select! {
            started = dispatch_due(&app, &mut dispatched, &mut lanes, now) => started,
            _ = &mut stopped => return,
        };
        let started = match started {
            Ok(n) => n,
            Err(e) => {
                tracing::error!("cannot read due retries: {e}");
                tokio::select! {
                    _ = tokio::time::sleep(STORE_BACKOFF) => continue,
                    _ = &mut stopped => return,
                }
            }
        };
        if started > 0 {
            continue; // more may have fallen due meanwhile
        }
        let wait = match app.store.next_retry_after(now).await {
            Ok(Some(at)) => (at - app.clock.now()).to_std().unwrap_or(Duration::ZERO),
            Ok(None) => Duration::MAX,
            Err(e) => {
                tracing::error!("cannot read the next retry time: {e}");
                STORE_BACKOFF
            }
        };
        tokio::select! {
            _ = app.retry_due.notified() => {}
            _ = sleep_at_most(wait) => {}
            _ = &mut stopped => return,
        }
    }
}

/// Sleeps for `d`, or forever when `d` is too long for a timer.
async fn sleep_at_most(d: Duration) {
    match tokio::time::Instant::now().checked_add(d) {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Hands every retry due at `now` that is not in `dispatched` to its target's lane; how many
/// it handed over. Each lane starts its retries in the order they fell due, so reading them
/// here in that order is all the ordering there is.
async fn dispatch_due(
    app: &App,
    dispatched: &mut HashSet<i64>,
    lanes: &mut Lanes,
    now: DateTime<Utc>,
) -> Result<usize, crate::store::StoreError> {
    let mut started = 0;
    let mut seen = HashSet::new();
    let mut after = None;
    loop {
        let page = app.store.due_retries(now, after, PAGE).await?;
        for due in &page {
            seen.insert(due.attempt_id);
            if !dispatched.insert(due.attempt_id) {
                continue;
            }
            started += 1;
            lanes.push(app, due.clone());
        }
        match page.last() {
            Some(last) if page.len() == PAGE as usize => after = Some((last.due, last.attempt_id)),
            _ => break,
        }
    }
    // A retry no longer due has been superseded by a later try and never comes back.
    dispatched.retain(|id| seen.contains(id));
    Ok(started)
}

/// One due retry; `started` and what it returns as for [`try_once`].
pub(super) async fn retry(app: &App, due: DueRetry, started: oneshot::Sender<bool>) -> bool {
    tracing::debug!(
        event = due.event_id,
        try_number = due.tries + 1,
        "retrying a delivery due at {}",
        due.due
    );
    try_once(app, due.event_id, due.target, due.tries, started).await
}
