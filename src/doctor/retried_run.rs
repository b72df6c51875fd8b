//! Judging `retried_run`: did the app take the retried run's webhook (same `run.id`, new
//! `svix-id` `<run_id>_<ms>`) as new work? Doctor sees only answers, not what the app did, so
//! it reads them against the app's own answer to a repeat: the run's webhook is delivered,
//! then repeated twice (same `svix-id`), then the retried run's arrives. When the retried run
//! gets the answer a repeat gets, and a repeat's answer differs from the first delivery's, the
//! app took it for a repeat. When the app answers a repeat exactly as new work (or its answers
//! change on their own), nothing it sends tells, and the verdict says so.

use super::report::{Exchange, Outcome, ScenarioResult, excerpt};
use super::scenarios::RETRIED_RUN_DELIVERIES;

/// What the answers to `retried_run` show, when every delivery got a 2xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// The retried run got a repeat's answer: the app took it for a duplicate of the first.
    Dropped,
    /// The retried run's answer is unlike a repeat's.
    NewWork,
    /// The answers cannot tell; why, in words.
    Unclear(String),
}

/// An answer as compared: the status and the body with its whitespace collapsed.
fn answer(e: &Exchange) -> (Option<u16>, String) {
    let t = &e.delivery;
    let body: Vec<&str> = t.response_body.split_whitespace().collect();
    (t.status, body.join(" "))
}

/// What the deliveries show; `None` unless all four were made and each got a 2xx (a refusal
/// is judged and diagnosed as any other answer).
pub fn read(exchanges: &[Exchange]) -> Option<Reading> {
    if exchanges.len() != RETRIED_RUN_DELIVERIES || exchanges.iter().any(|e| !e.delivery.ok) {
        return None;
    }
    let [first, repeat, again, retried] = [0, 1, 2, 3].map(|i| answer(&exchanges[i]));
    Some(if repeat != again {
        Reading::Unclear(format!(
            "its answers to the same repeat differ ({} and then {}), so they tell nothing",
            excerpt(&exchanges[1].delivery),
            excerpt(&exchanges[2].delivery)
        ))
    } else if first == repeat {
        Reading::Unclear(format!(
            "it answers a repeat exactly as new work ({}), so whether it did the retried run's \
             work is not visible in its answers",
            excerpt(&exchanges[0].delivery)
        ))
    } else if retried == repeat {
        Reading::Dropped
    } else {
        Reading::NewWork
    })
}

/// Whether the app dropped or refused the retried run's webhook while it took the run's own
/// webhook and its repeats: the mistake [`super::Code::RetriedRunDropped`] explains.
pub fn dropped(r: &ScenarioResult) -> bool {
    match r.exchanges.as_slice() {
        [first, repeat, again, retried] => {
            read(&r.exchanges) == Some(Reading::Dropped)
                || (first.delivery.ok
                    && repeat.delivery.ok
                    && again.delivery.ok
                    && !retried.delivery.ok
                    && retried.delivery.status.is_some())
        }
        _ => false,
    }
}

/// The cause of [`super::Code::RetriedRunDropped`] for one result.
pub fn cause(r: &ScenarioResult) -> String {
    let Some(retried) = r.exchanges.last() else {
        return String::new();
    };
    let how = match read(&r.exchanges) {
        Some(Reading::Dropped) => format!(
            "the way it answers a repeated delivery ({}), unlike the run's first webhook ({})",
            excerpt(&retried.delivery),
            excerpt(&r.exchanges[0].delivery)
        ),
        _ => format!(
            "with {} while it accepted the run's first webhook",
            excerpt(&retried.delivery)
        ),
    };
    format!(
        "It answered the retried run's webhook (the same run.id, now success, under the new \
         svix-id <run_id>_<ms>) {how}. It keys its idempotency on run.id or on the svix-id \
         before the '_', so a run Cyberdesk retried stays failed in the app."
    )
}

/// Refines the plain verdict of `retried_run` (every answer a 2xx, in time) with what the
/// answers show.
pub(super) fn refine(r: &mut ScenarioResult) {
    // A failure (a 2xx past Svix's 15 s) is the verdict already, with its own reason.
    let Some(reading) = read(&r.exchanges).filter(|_| r.outcome < Outcome::Fail) else {
        return;
    };
    let (first, repeat, retried) = (&r.exchanges[0], &r.exchanges[1], &r.exchanges[3]);
    let (outcome, detail) = match reading {
        Reading::Dropped => (
            Outcome::Fail,
            format!(
                "the retried run got the answer of a repeat, {}; the first delivery got {}",
                excerpt(&retried.delivery),
                excerpt(&first.delivery)
            ),
        ),
        Reading::NewWork => (
            r.outcome,
            format!(
                "the retried run answered {}, a repeat {}",
                excerpt(&retried.delivery),
                excerpt(&repeat.delivery)
            ),
        ),
        Reading::Unclear(why) => (r.outcome.max(Outcome::Info), format!("all accepted; {why}")),
    };
    r.status = retried.delivery.status;
    // A slow answer keeps its warning, said first.
    r.detail = match r.outcome {
        Outcome::Warn if outcome != Outcome::Fail => format!("{}; {detail}", r.detail),
        _ => detail,
    };
    r.outcome = outcome.max(r.outcome);
}
