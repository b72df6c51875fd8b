//! A route's Svix transformation applied to a delivery: forwards, retries and replays of a
//! webhook under a route with `transformation = "FILE.js"` send what its `handler` returns
//! (method, URL, body), re-signed over the new body with a fresh timestamp and the same message
//! id, as Svix signs the transformed payload; `cancel: true` sends nothing and is recorded as
//! a skip; a failed run sends nothing and is recorded as the try's error.

use bytes::Bytes;

use super::Outgoing;
use crate::app::App;
use crate::config::Route;
use crate::keys::route_for;
use crate::live::LiveEvent;
use crate::store::StoreError;
use crate::store::model::{Attempt, AttemptKind, EventSummary, Headers, NewAttempt, Sent};
use crate::transform::{Input, TransformError, Transformation, run_blocking};
use crate::wire::AttemptJson;

/// A delivery after the route's transformation.
#[derive(Debug, Clone)]
pub struct Shaped {
    /// The target the delivery is for, as configured or asked (the attempt's `target`, which
    /// retries are queued by), whatever URL the transformation chose.
    pub target: String,
    /// The request to send: the transformation's, or the webhook as it was.
    pub out: Outgoing,
    /// The transformed method, URL and body for the attempt's record; `None` when the route
    /// has no transformation.
    pub sent: Option<Sent>,
    /// Why nothing is sent, when the transformation cancelled or failed.
    pub stop: Option<Stop>,
}

/// Why a transformed delivery sends nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The handler set `cancel`; the reason names the file. Recorded as a skip.
    Cancelled(String),
    /// The transformation failed; the error names the file and the line. Recorded as the
    /// try's error (a failed try, retried on the schedule in ack mode).
    Failed(String),
}

impl Shaped {
    /// A delivery with no transformation.
    pub fn plain(out: Outgoing) -> Shaped {
        Shaped {
            target: out.url.clone(),
            out,
            sent: None,
            stop: None,
        }
    }

    /// `out` not sent, for `stop`.
    fn stopped(out: Outgoing, stop: Stop) -> Shaped {
        Shaped {
            stop: Some(stop),
            ..Shaped::plain(out)
        }
    }
}

/// The transformation of webhooks captured at `path`: that of the longest route with one.
pub fn transformation_for<'a>(app: &'a App, path: &str) -> Option<&'a Transformation> {
    let with = app
        .config
        .routes
        .iter()
        .filter(|r| r.transformation.is_some());
    route_for(with, |r: &Route| r.path.as_str(), path).and_then(|r| r.transformation.as_ref())
}

/// The handler's input for a webhook about to be sent as `method` to `url` with `body`.
pub fn input(
    method: &str,
    url: &str,
    body: &[u8],
    event_type: Option<&str>,
) -> Result<Input, TransformError> {
    let payload = serde_json::from_slice(body).map_err(|e| {
        TransformError::new(format!(
            "the body is not JSON ({e}); a transformation's payload is the body as JSON"
        ))
    })?;
    Ok(Input {
        method: method.to_string(),
        url: url.to_string(),
        payload,
        event_type: event_type.map(str::to_string),
    })
}

/// Applies the transformation of `event`'s route, if any, to `out`. With `resign`, the new
/// body is signed with the route's keys at the current time, keeping the message id; without
/// it (verbatim replays, webhooks hookpit did not find valid) the headers stay as they were.
pub async fn shape(app: &App, event: &EventSummary, out: Outgoing, resign: bool) -> Shaped {
    let Some(t) = transformation_for(app, &event.path) else {
        return Shaped::plain(out);
    };
    let name = t.name();
    let ran = match input(
        &out.method,
        &out.url,
        &out.body,
        event.event_type.as_deref(),
    ) {
        Ok(input) => run_blocking(t.code.clone(), name.clone(), input).await,
        Err(e) => Err(e),
    };
    let result = match ran {
        Ok(result) => result,
        Err(e) => {
            let error = format!("transformation {name} failed: {e}");
            return Shaped::stopped(out, Stop::Failed(error));
        }
    };
    if result.cancel {
        let reason = format!("transformation {name} set cancel = true");
        return Shaped::stopped(out, Stop::Cancelled(reason));
    }
    let body = match serde_json::to_vec(&result.payload) {
        Ok(body) => Bytes::from(body),
        Err(e) => {
            let error = format!("transformation {name}: cannot write the payload: {e}");
            return Shaped::stopped(out, Stop::Failed(error));
        }
    };
    let headers = if resign {
        let keys = app.keys.for_path(&event.path);
        let now = app.clock.now().timestamp();
        // No key that can sign: the old signature goes, and the app's check says so.
        crate::verify::resign_to(&out.headers, &body, &keys, false, now, &result.url)
            .unwrap_or(out.headers)
    } else {
        out.headers
    };
    let sent = Sent {
        method: result.method.clone(),
        url: result.url.clone(),
        body: body.clone(),
    };
    Shaped {
        target: out.url,
        out: Outgoing {
            method: result.method,
            url: result.url,
            headers,
            body,
        },
        sent: Some(sent),
        stop: None,
    }
}

/// Records that the transformation cancelled a delivery of event `id` to `target`: an
/// attempt with the reason in `skipped`, nothing sent, never retried; published.
pub async fn record_cancel(
    app: &App,
    id: i64,
    kind: AttemptKind,
    mode: &str,
    target: String,
    reason: String,
) -> Result<Attempt, StoreError> {
    let new = NewAttempt {
        event_id: id,
        kind,
        target,
        mode: mode.to_string(),
        started_at: app.clock.now(),
        request_headers: Headers::default(),
        sent: None,
    };
    let skipped = app.store.insert_skipped_soon(new, reason).await?;
    app.live
        .publish(LiveEvent::AttemptCreated(AttemptJson::from(&skipped)));
    Ok(skipped)
}
