//! `GET /api/events/wait?q&after&timeout`: holds the request until an event matching `q` with an
//! id above `after` is stored, and answers with the oldest such event, or 408 when time runs out.
//!
//! A waiter costs nothing while nothing arrives: it sleeps on the live hub and asks the store only
//! when an `event.created` frame names an id above what it has already checked (or when it fell
//! behind the hub and may have missed one). It subscribes before it first reads the store, so an
//! event stored between the two is seen either by the read or by the subscription.

use std::time::Duration;

use http::{StatusCode, Uri};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::api::parse_search;
use super::json_response;
use super::routes::{ApiError, ApiResult};
use crate::app::App;
use crate::store::model::EventFilter;

/// How long a wait holds when no `timeout` is given.
const DEFAULT_WAIT: Duration = Duration::from_secs(30);
/// The longest `timeout` accepted.
const MAX_WAIT: Duration = Duration::from_secs(300);

/// What a waiter reads of a live frame: its type and, for an event, the id.
#[derive(Deserialize)]
struct FrameHead {
    #[serde(rename = "type")]
    kind: String,
    data: Option<FrameId>,
}

#[derive(Deserialize)]
struct FrameId {
    id: Option<i64>,
}

/// `GET /api/events/wait`.
pub async fn wait(app: &App, uri: &Uri) -> ApiResult {
    let mut filter = EventFilter::default();
    let mut after = None;
    let mut timeout = DEFAULT_WAIT;
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        match &*k {
            "q" => parse_search(&v, &mut filter).map_err(ApiError::BadRequest)?,
            "after" => {
                after = Some(v.parse::<i64>().ok().filter(|a| *a >= 0).ok_or_else(|| {
                    ApiError::BadRequest(format!("after {v:?} is not an event id (or 0)"))
                })?)
            }
            "timeout" => timeout = parse_timeout(&v).map_err(ApiError::BadRequest)?,
            _ => {}
        }
    }
    // Subscribed before the store is read: whatever is stored after the read is published after
    // it too, so it reaches this receiver.
    let mut live = app.live.subscribe();
    let after = match after {
        Some(after) => after,
        None => app.store.newest_id().await?.unwrap_or(0),
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let stopped = app.stopped();
    tokio::pin!(stopped);
    // Every event up to `checked` is known not to match, so a read starts above it.
    let mut checked = after;
    // The highest id a frame has named: that event, and every one below it, is committed (one
    // writer hands out ids in commit order), so a read that finds no match clears them all.
    let mut named = after;
    loop {
        let named_before_read = named;
        if let Some(event) = app.store.oldest_after(filter.clone(), checked).await? {
            return Ok(json_response(
                StatusCode::OK,
                &serde_json::json!({ "event": event }),
            ));
        }
        checked = checked.max(named_before_read);
        loop {
            tokio::select! {
                frame = live.recv() => match frame {
                    Ok(text) => match created_id(&text) {
                        Some(id) if id > checked => {
                            named = named.max(id);
                            break;
                        }
                        _ => {}
                    },
                    // Frames were missed: the store knows what they said.
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return Ok(stopping()),
                },
                () = tokio::time::sleep_until(deadline) => return Ok(timed_out(after, timeout)),
                () = &mut stopped => return Ok(stopping()),
            }
        }
    }
}

/// The 408 of a wait that saw no match in time.
fn timed_out(after: i64, timeout: Duration) -> http::Response<super::Body> {
    let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    json_response(
        StatusCode::REQUEST_TIMEOUT,
        &serde_json::json!({
            "error": "timeout",
            "message": format!("no matching event with an id above {after} arrived within {ms} ms"),
            "after": after,
            "timeout_ms": ms,
        }),
    )
}

/// The id of an `event.created` frame, `None` for every other frame.
fn created_id(frame: &str) -> Option<i64> {
    // Most frames are not events: skip them without parsing.
    if !frame.starts_with(r#"{"type":"event.created""#) {
        return None;
    }
    let head: FrameHead = serde_json::from_str(frame).ok()?;
    (head.kind == "event.created")
        .then_some(head.data?.id)
        .flatten()
}

/// The answer to a waiter when hookpit stops under it.
fn stopping() -> http::Response<super::Body> {
    super::error_response(StatusCode::SERVICE_UNAVAILABLE, "hookpit is stopping")
}

/// `30s`, `2m`, `500ms` or plain seconds, at most [`MAX_WAIT`].
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let timeout = crate::duration::parse_duration(text).map_err(|e| format!("timeout: {e}"))?;
    if timeout > MAX_WAIT {
        return Err(format!(
            "timeout {text:?} is over the longest wait of {} s",
            MAX_WAIT.as_secs()
        ));
    }
    Ok(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_event_created_frames_name_an_id() {
        assert_eq!(
            created_id(r#"{"type":"event.created","data":{"id":7,"path":"/"}}"#),
            Some(7)
        );
        assert_eq!(
            created_id(r#"{"type":"event.deleted","data":{"id":7}}"#),
            None
        );
        assert_eq!(created_id(r#"{"type":"resync"}"#), None);
    }

    #[test]
    fn timeouts_parse_with_units_up_to_five_minutes() {
        assert_eq!(parse_timeout("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_timeout("45"), Ok(Duration::from_secs(45)));
        assert!(parse_timeout("301s").is_err());
        assert!(parse_timeout("soon").is_err());
    }
}
