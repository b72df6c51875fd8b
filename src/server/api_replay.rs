//! API handlers for deliveries: replay one event, bulk recovery, and the timeline of one
//! message id (the sender's retries, forwards and replays of one webhook).

use http::StatusCode;
use hyper::Request;
use hyper::body::Incoming;
use serde::Serialize;

use super::api::read_json;
use super::json_response;
use super::routes::{ApiError, ApiResult};
use crate::app::App;
use crate::forward::bulk::{self, BulkRequest};
use crate::forward::replay::{ReplayError, ReplayRequest, replay};
use crate::store::model::{EventFilter, EventSummary, ListQuery};
use crate::wire::AttemptJson;

impl From<ReplayError> for ApiError {
    fn from(e: ReplayError) -> ApiError {
        match e {
            ReplayError::NotFound(_) => ApiError::NotFound(e.to_string()),
            ReplayError::Store(s) => ApiError::Store(s),
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

/// `POST /api/events/{id}/replay` → the Attempt.
pub async fn replay_one(app: &App, id: i64, req: Request<Incoming>) -> ApiResult {
    let body: ReplayRequest = super::api::read_json_or_default(req).await?;
    let attempt = replay(app, id, body).await?;
    Ok(json_response(StatusCode::OK, &AttemptJson::from(&attempt)))
}

/// `POST /api/replay`: a dry run lists the events and the send plan; otherwise they are
/// replayed in the background in the run's order (`order`, `seed`, `duplicates`,
/// `concurrency`), with `replay.progress` frames on the live stream. The answer carries the
/// seed, so the same run can be asked for again.
pub async fn replay_many(app: &App, req: Request<Incoming>) -> ApiResult {
    let body: BulkRequest = read_json(req).await?;
    let chaos = body
        .chaos()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let events = bulk::select(app, &body).await?;
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    let plan: Vec<serde_json::Value> = chaos
        .plan(events.len())
        .iter()
        .enumerate()
        .map(|(position, s)| {
            serde_json::json!({
                "position": position, "event_id": ids[s.index], "duplicate": s.duplicate,
            })
        })
        .collect();
    let options = serde_json::json!({
        "order": chaos.order, "seed": chaos.seed, "duplicates": chaos.duplicates,
        "concurrency": chaos.concurrency,
    });
    if body.dry_run {
        return Ok(json_response(
            StatusCode::OK,
            &serde_json::json!({
                "dry_run": true, "total": ids.len(), "events": events, "plan": plan,
                "options": options,
            }),
        ));
    }
    let job = bulk::start(app, events, &body, chaos).await?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &serde_json::json!({
            "job": job, "total": ids.len(), "ids": ids, "plan": plan, "options": options,
        }),
    ))
}

/// `GET /api/replay/{job}`: where a bulk replay stands (`running`, `done` or `interrupted`,
/// and how many of its events were replayed), the options it ran with, and its log: each step
/// in send order with when it went out, whether it was a duplicate and what the app answered.
pub async fn replay_job(app: &App, job: &str) -> ApiResult {
    let number: u64 = job
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("bad job number {job:?}")))?;
    let Some(state) = app.store.replay_job(number).await? else {
        return Err(ApiError::NotFound(format!("no bulk replay {number}")));
    };
    let (options, steps) = app.store.replay_log(number).await?.unwrap_or_default();
    let mut out = serde_json::to_value(&state).unwrap_or_default();
    out["options"] = serde_json::to_value(&options).unwrap_or_default();
    out["steps"] = serde_json::to_value(&steps).unwrap_or_default();
    Ok(json_response(StatusCode::OK, &out))
}

/// One delivery of a message in its timeline.
#[derive(Serialize)]
struct Delivery {
    #[serde(flatten)]
    event: EventSummary,
    attempts: Vec<AttemptJson>,
}

/// `GET /api/messages/{msg_id}`: every event with that message id, oldest first, each with its
/// forwards and replays.
pub async fn message_timeline(app: &App, msg_id: &str) -> ApiResult {
    let page = app
        .store
        .list(ListQuery {
            filter: EventFilter {
                msg_id: Some(msg_id.to_string()),
                ..EventFilter::default()
            },
            limit: 500,
            before: None,
        })
        .await?;
    if page.events.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no event with message id {msg_id:?}"
        )));
    }
    let mut deliveries = Vec::new();
    for event in page.events.into_iter().rev() {
        let attempts = app.store.attempts(event.id).await?;
        deliveries.push(Delivery {
            event,
            attempts: crate::wire::attempts_json(&attempts),
        });
    }
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "msg_id": msg_id, "deliveries": deliveries }),
    ))
}

/// `POST /api/events/{id}/curl` `{"mode"?, "new_id"?, "target"?}`: a curl command that sends
/// the event again: re-signed now (valid for 5 minutes) or verbatim. Without a target it goes
/// to the forward target, else back to the capture listener.
pub async fn curl(app: &App, id: i64, req: Request<Incoming>) -> ApiResult {
    let body: ReplayRequest = super::api::read_json_or_default(req).await?;
    let event = app
        .store
        .get(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no event with id {id}")))?;
    let s = &event.summary;
    let target = body
        .target
        .clone()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| crate::forward::target_for(app, &s.path, &s.query))
        .unwrap_or_else(|| {
            // Back to the capture listener, joined as a forward target is.
            crate::forward::join(&capture_base(app.bound.capture), &s.path, &s.query)
                .expect("a socket address makes an absolute base URL")
        });
    let out = crate::forward::replay::prepare(
        app,
        &event,
        body.mode,
        body.new_id,
        body.body,
        body.headers,
        target,
    )?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "curl": crate::forward::curl_command(&out), "mode": body.mode.as_str() }),
    ))
}

/// The capture listener's base URL; one bound to every address (0.0.0.0, ::) is reached on
/// loopback, since an unspecified address is no destination.
fn capture_base(mut capture: std::net::SocketAddr) -> String {
    if capture.ip().is_unspecified() {
        let loopback: std::net::IpAddr = if capture.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        };
        capture.set_ip(loopback);
    }
    format!("http://{capture}/")
}

#[cfg(test)]
mod tests {
    use super::capture_base;

    #[test]
    fn an_unspecified_capture_address_is_reached_on_loopback() {
        let base = |a: &str| capture_base(a.parse().expect("address"));
        assert_eq!(base("0.0.0.0:8080"), "http://127.0.0.1:8080/");
        assert_eq!(base("[::]:8080"), "http://[::1]:8080/");
        assert_eq!(base("192.168.1.5:8080"), "http://192.168.1.5:8080/");
    }
}
