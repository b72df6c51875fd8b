//! The capture pipeline every webhook goes through, whatever carried it (capture port, relay,
//! sender): verify → store → publish, then [`answer`] decides what the sender gets. Callers
//! answer the sender only after this returns.

mod answer;
pub mod canary;

pub use answer::{Answer, EVENT_ID_HEADER, Reply, Settled, answer, delay, finish, settle};

use bytes::Bytes;

use crate::app::App;
use crate::live::LiveEvent;
use crate::store::StoreError;
use crate::store::model::{EventSummary, Headers, NewEvent, Source};

/// A request as it arrived, before hookpit looked at it.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// When the last byte arrived.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// HTTP method.
    pub method: String,
    /// Path as sent.
    pub path: String,
    /// Raw query without `?`.
    pub query: String,
    /// Headers exactly as they arrived.
    pub headers: Headers,
    /// Raw body.
    pub body: Bytes,
    /// Peer address.
    pub remote_addr: Option<String>,
    /// How it came.
    pub source: Source,
}

/// A webhook now on disk, with what forwarding needs.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// The stored event's list line.
    pub summary: EventSummary,
    /// Headers as they arrived.
    pub headers: Headers,
    /// Raw body.
    pub body: Bytes,
}

impl Ingested {
    /// Whether this hookpit forwarded this itself (forwarding it again would loop).
    pub fn was_forwarded(&self, marker: &crate::headers::Marker) -> bool {
        marker.on(&self.headers, crate::forward::FORWARDED_HEADER)
    }
}

/// Verifies, stores durably and publishes one webhook. `Err` means it is not on disk and the
/// sender must be told to retry.
pub async fn ingest(app: &App, arrival: Arrival) -> Result<Ingested, StoreError> {
    let (event, headers, body) = judge(app, arrival);
    let summary = app.store.insert_event(event).await?;
    Ok(publish(app, summary, headers, body))
}

/// Like [`ingest`] for requests a relay delivered as sequence numbers of `channel`, in one
/// commit: `None` for a sequence already stored (a redelivery after a lost ack).
pub async fn ingest_relayed(
    app: &App,
    arrivals: Vec<(Arrival, i64)>,
    channel: &str,
) -> Result<Vec<Option<Ingested>>, StoreError> {
    let mut kept = Vec::with_capacity(arrivals.len());
    let mut items = Vec::with_capacity(arrivals.len());
    for (arrival, seq) in arrivals {
        let (event, headers, body) = judge(app, arrival);
        items.push((event, seq));
        kept.push((headers, body));
    }
    let stored = app.store.insert_relayed(items, channel).await?;
    Ok(stored
        .into_iter()
        .zip(kept)
        .map(|(summary, (headers, body))| summary.map(|s| publish(app, s, headers, body)))
        .collect())
}

/// Verifies an arrival and reads its facts: the event to store, plus what forwarding needs.
fn judge(app: &App, arrival: Arrival) -> (NewEvent, Headers, Bytes) {
    let verification = verdict(
        app,
        &Judged {
            method: &arrival.method,
            path: &arrival.path,
            query: &arrival.query,
            headers: &arrival.headers,
            body: &arrival.body,
            source: arrival.source,
        },
        arrival.received_at.timestamp(),
    );
    let msg_id = verification.msg_id.clone().or_else(|| {
        (arrival.headers.get_str("svix-id"))
            .or_else(|| arrival.headers.get_str("webhook-id"))
            .map(str::to_string)
    });
    let (headers, body) = (arrival.headers.clone(), arrival.body.clone());
    let event = NewEvent {
        received_at: arrival.received_at,
        content_type: arrival.headers.get_str("content-type").map(str::to_string),
        extracted: extracted(&arrival.headers, &arrival.body),
        msg_id,
        verification,
        method: arrival.method,
        path: arrival.path,
        query: arrival.query,
        headers: arrival.headers,
        body: arrival.body,
        remote_addr: arrival.remote_addr,
        source: arrival.source,
    };
    (event, headers, body)
}

/// A webhook as verification needs it, arrived or stored.
pub struct Judged<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path as sent.
    pub path: &'a str,
    /// Raw query without `?` (empty when none).
    pub query: &'a str,
    /// Headers as they arrived.
    pub headers: &'a Headers,
    /// Raw body.
    pub body: &'a [u8],
    /// How it came: through the relay, the URL its sender signed is the relay's public one.
    pub source: Source,
}

/// The verdict on a webhook received at `received_at` (unix seconds): with its path's keys, as
/// the provider its route pins or its headers identify, and for a relayed one the public URL
/// its sender used (Twilio, Square and HubSpot sign the URL).
pub fn verdict(app: &App, w: &Judged<'_>, received_at: i64) -> crate::verify::Verdict {
    let keys = app.keys.for_path(w.path);
    let base = match w.source {
        Source::Relay => app.relay.get().and_then(|s| s.public_url),
        _ => None,
    };
    let req = crate::verify::Request {
        method: w.method,
        path: w.path,
        query: (!w.query.is_empty()).then_some(w.query),
        headers: w.headers,
        body: w.body,
        base: base.as_deref(),
    };
    crate::verify::verify_request(&req, &keys, received_at, app.keys.pinned(w.path))
}

/// Facts from the body; a sender that names the event in a header (GitHub's `X-GitHub-Event`)
/// gives the type when the body does not.
fn extracted(headers: &Headers, body: &[u8]) -> crate::store::model::Extracted {
    let mut x = crate::extract::extract(body);
    if x.event_type.is_none() {
        x.event_type = headers.get_str("x-github-event").map(str::to_string);
    }
    x
}

fn publish(app: &App, summary: EventSummary, headers: Headers, body: Bytes) -> Ingested {
    app.live.publish(LiveEvent::EventCreated(summary.clone()));
    // The learner works on its own task; this only hands it the body already in memory.
    app.learn_feed
        .push(crate::learn::committed(&summary, &headers, &body));
    Ingested {
        summary,
        headers,
        body,
    }
}

/// Hands a stored webhook to the app in the background (ack-style), to every target its rules
/// let it go to, when it has any and did not come from another hookpit's forward. Returns once
/// the first try to each target is on record, so the sender is acknowledged only when a restart
/// would resume every delivery: `false` when a record could not be stored.
pub async fn forward_in_background(app: &App, ingested: &Ingested) -> bool {
    if ingested.was_forwarded(&app.marker) {
        return true;
    }
    let plan = crate::forward::rules::plan(app, &ingested.summary).await;
    match plan.skipped_by {
        Some(rule) => {
            crate::forward::rules::record_skips(app, ingested.summary.id, plan.targets, rule);
            true
        }
        None => deliver_to(app, ingested, plan.targets).await,
    }
}

/// Starts an ack-style delivery of a stored webhook to each of `targets` at once, each with its
/// own attempts and retries; `true` once every first try is on record (see
/// [`crate::forward::retry::deliver`]).
pub async fn deliver_to(app: &App, ingested: &Ingested, targets: Vec<String>) -> bool {
    let s = &ingested.summary;
    let headers = crate::forward::outgoing_headers(&ingested.headers, &app.marker);
    // A webhook hookpit found valid is re-signed over what its route's transformation makes
    // of it, as Svix signs the transformed payload; any other keeps the headers it came with.
    let resign = s.verification.status == crate::verify::Status::Valid;
    let tries = targets.into_iter().map(|url| {
        let out = crate::forward::Outgoing {
            method: s.method.clone(),
            url,
            headers: headers.clone(),
            body: ingested.body.clone(),
        };
        async move {
            let shaped = crate::forward::transformed::shape(app, s, out, resign).await;
            crate::forward::retry::deliver(app, s.id, shaped).await
        }
    });
    futures_util::future::join_all(tries)
        .await
        .into_iter()
        .all(|recorded| recorded)
}
