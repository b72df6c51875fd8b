//! Ack-mode delivery: the sender already has hookpit's 2xx, so hookpit delivers to the app
//! itself — now, then on the retry schedule until the first 2xx, re-signing each retry as Svix
//! does. The next try's time is stored with each failed attempt, so a restart resumes it.

use std::time::Duration;

use super::replay::{ReplayMode, prepare};
use super::{Outgoing, attempt, outgoing_headers, succeeded, target_for};
use crate::app::App;
use crate::store::model::AttemptKind;

/// How far ahead `resume` looks for stored retries.
const RESUME_HORIZON_DAYS: i64 = 30;

/// Starts delivering event `id`: try number `tries_so_far` after `delay`, and on until success
/// or the schedule ends. Stops when hookpit stops.
pub fn spawn(app: &App, id: i64, tries_so_far: usize, delay: Duration) {
    let app = app.clone();
    let stopped = app.stopped();
    tokio::spawn(async move {
        tokio::select! {
            _ = deliver(&app, id, tries_so_far, delay) => {}
            _ = stopped => {}
        }
    });
}

async fn deliver(app: &App, id: i64, mut tries: usize, mut delay: Duration) {
    let schedule = &app.config.retry_schedule;
    loop {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let event = match app.store.get(id).await {
            Ok(Some(event)) => event,
            Ok(None) => return, // deleted meanwhile: nothing to deliver
            Err(e) => {
                tracing::error!(id, "cannot load event for delivery: {e}");
                return;
            }
        };
        let Some(url) = target_for(app, &event.summary.path, &event.summary.query) else {
            return;
        };
        // The first try passes the webhook on as it came; retries are re-signed like Svix's,
        // falling back to the original headers when no key can sign.
        let out = if tries == 0 {
            None
        } else {
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
        };
        let out = out.unwrap_or_else(|| Outgoing {
            method: event.summary.method.clone(),
            url,
            headers: outgoing_headers(&event.headers, &app.marker),
            body: event.body.clone(),
        });
        let next = schedule.delay_before(tries + 1);
        let kind = if tries == 0 {
            AttemptKind::Forward
        } else {
            AttemptKind::Retry
        };
        match attempt(app, id, kind, "ack", out, next, 0).await {
            Ok((_, d)) if succeeded(&d) => return,
            Ok(_) => {}
            Err(e) => {
                tracing::error!(id, "cannot record a delivery attempt: {e}");
                return;
            }
        }
        match next {
            Some(d) => {
                delay = d;
                tries += 1;
            }
            None => {
                tracing::warn!(
                    id,
                    tries = tries + 1,
                    "delivery failed on every try of the schedule"
                );
                return;
            }
        }
    }
}

/// Restarts the retries that were pending when hookpit stopped.
pub async fn resume(app: &App) {
    let horizon = chrono::Utc::now() + chrono::Duration::days(RESUME_HORIZON_DAYS);
    let pending = match app.store.due_retries(horizon).await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("cannot load pending retries: {e}");
            return;
        }
    };
    for a in pending {
        let Some(at) = a.outcome.next_retry_at else {
            continue;
        };
        let tries = match app.store.attempts(a.event_id).await {
            Ok(all) => all
                .iter()
                .filter(|x| matches!(x.kind, AttemptKind::Forward | AttemptKind::Retry))
                .count(),
            Err(_) => continue,
        };
        let wait = (at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tracing::info!(
            event = a.event_id,
            "resuming a pending retry in {} s",
            wait.as_secs()
        );
        spawn(app, a.event_id, tries, wait);
    }
}
