//! JSON shapes shared by the API and the live stream (README.md lists both, ARCHITECTURE.md the
//! frames): headers as `[name, value]` pairs, bodies as UTF-8 text or base64, attempts, the event
//! detail and the relay status.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;

use crate::store::model::{Attempt, AttemptKind, EventSummary, Extracted, Headers, StoredEvent};
use crate::verify::Verdict;

/// Largest response body an attempt keeps: its first 64 KiB.
pub const ATTEMPT_BODY_LIMIT: usize = 64 * 1024;

/// A body: UTF-8 text when it is valid UTF-8, else base64.
#[derive(Debug, Clone, Serialize)]
pub struct BodyJson {
    /// `utf8` or `base64`.
    pub encoding: &'static str,
    /// The text, or the base64 of the bytes.
    pub data: String,
}

impl BodyJson {
    /// Encodes bytes without loss.
    pub fn from_bytes(bytes: &[u8]) -> BodyJson {
        match std::str::from_utf8(bytes) {
            Ok(text) => BodyJson {
                encoding: "utf8",
                data: text.to_string(),
            },
            Err(_) => BodyJson {
                encoding: "base64",
                data: BASE64.encode(bytes),
            },
        }
    }
}

/// Headers as JSON pairs, plus the indexes of values that were not UTF-8. Those values are given
/// decoded as ISO-8859-1 (one character per byte, as HTTP's obs-text), so nothing is lost.
pub fn headers_json(headers: &Headers) -> (Vec<[String; 2]>, Vec<usize>) {
    let mut binary = Vec::new();
    let pairs = headers
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let text = match std::str::from_utf8(value) {
                Ok(t) => t.to_string(),
                Err(_) => {
                    binary.push(i);
                    value.iter().map(|&b| char::from(b)).collect()
                }
            };
            [name.clone(), text]
        })
        .collect();
    (pairs, binary)
}

/// One delivery try as the API and the stream show it.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptJson {
    /// Attempt id.
    pub id: i64,
    /// The event delivered.
    pub event_id: i64,
    /// forward, replay or retry.
    pub kind: AttemptKind,
    /// Full target URL.
    pub target: String,
    /// proxy, ack, resign or verbatim.
    pub mode: String,
    /// RFC 3339 with milliseconds.
    pub started_at: String,
    /// Headers hookpit sent.
    pub request_headers: Vec<[String; 2]>,
    /// The app's status.
    pub status: Option<u16>,
    /// The app's response headers.
    pub response_headers: Vec<[String; 2]>,
    /// The first 64 KiB of the app's response body.
    pub response_body: BodyJson,
    /// Latency in milliseconds.
    pub duration_ms: Option<i64>,
    /// Why there is no status.
    pub error: Option<String>,
    /// When the next retry is due.
    pub next_retry_at: Option<String>,
    /// The message id this try carried (`svix-id` / `webhook-id`), if any.
    pub msg_id: Option<String>,
    /// The app had already been sent this message id by an earlier try: its duplicate handling
    /// is what this try tests.
    pub duplicate_delivery: bool,
    /// The route's rule that kept this forward from `target` (`events = ["run_complete"]`,
    /// `match = "status:task_failed"`, `--events …`), or the route's transformation that
    /// cancelled it: nothing was sent. `null` for a try.
    pub skipped: Option<String>,
    /// The request the route's transformation shaped (method, URL, body), sent instead of the
    /// stored webhook's; `null` when the webhook went as it was stored.
    pub transformed: Option<TransformedJson>,
}

/// What a route's transformation sent (the headers are the attempt's `request_headers`,
/// re-signed over this body when the attempt re-signed).
#[derive(Debug, Clone, Serialize)]
pub struct TransformedJson {
    /// `POST` or `PUT`.
    pub method: String,
    /// The URL it went to.
    pub url: String,
    /// The body sent.
    pub body: BodyJson,
}

/// Attempts as JSON, each marked when it re-sent a message id an earlier one already carried.
pub fn attempts_json(attempts: &[Attempt]) -> Vec<AttemptJson> {
    let mut seen: Vec<String> = Vec::new();
    attempts
        .iter()
        .map(|a| {
            let mut json = AttemptJson::from(a);
            if let Some(id) = &json.msg_id {
                json.duplicate_delivery = seen.contains(id);
                seen.push(id.clone());
            }
            json
        })
        .collect()
}

impl From<&Attempt> for AttemptJson {
    fn from(a: &Attempt) -> AttemptJson {
        AttemptJson {
            id: a.id,
            event_id: a.event_id,
            kind: a.kind,
            target: a.target.clone(),
            mode: a.mode.clone(),
            started_at: a.started_at.clone(),
            request_headers: headers_json(&a.request_headers).0,
            status: a.outcome.status,
            response_headers: headers_json(&a.outcome.response_headers).0,
            response_body: BodyJson::from_bytes(&a.outcome.response_body),
            duration_ms: a.outcome.duration_ms,
            error: a.outcome.error.clone(),
            next_retry_at: a.outcome.next_retry_at.map(rfc3339_ms),
            msg_id: (a.request_headers.get("svix-id"))
                .or_else(|| a.request_headers.get("webhook-id"))
                .map(|v| String::from_utf8_lossy(v).into_owned()),
            duplicate_delivery: false,
            skipped: a.skipped.clone(),
            transformed: a.sent.as_ref().map(|s| TransformedJson {
                method: s.method.clone(),
                url: s.url.clone(),
                body: BodyJson::from_bytes(&s.body),
            }),
        }
    }
}

/// `GET /api/events/{id}`: the summary plus everything stored.
#[derive(Debug, Clone, Serialize)]
pub struct EventDetailJson {
    /// The list line.
    #[serde(flatten)]
    pub summary: EventSummary,
    /// Headers in original order and case.
    pub headers: Vec<[String; 2]>,
    /// Indexes into `headers` whose value was not UTF-8 (given as ISO-8859-1).
    pub headers_non_utf8: Vec<usize>,
    /// The body.
    pub body: BodyJson,
    /// The full verdict (replaces the summary's short form).
    pub verification: Verdict,
    /// Every try, oldest first.
    pub attempts: Vec<AttemptJson>,
    /// Peer address.
    pub remote_addr: Option<String>,
    /// Facts from the JSON body.
    pub extracted: Extracted,
}

impl From<&StoredEvent> for EventDetailJson {
    fn from(e: &StoredEvent) -> EventDetailJson {
        let (headers, headers_non_utf8) = headers_json(&e.headers);
        EventDetailJson {
            summary: e.summary.clone(),
            headers,
            headers_non_utf8,
            body: BodyJson::from_bytes(&e.body),
            verification: e.verification.clone(),
            attempts: attempts_json(&e.attempts),
            remote_addr: e.remote_addr.clone(),
            extracted: e.extracted.clone(),
        }
    }
}

/// RFC 3339 in UTC with milliseconds, as every time in the API.
pub fn rfc3339_ms(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// What the UI shows about the relay (`relay` in `/api/status`, `relay.status` frames).
#[derive(Debug, Clone, Serialize)]
pub struct RelayStatus {
    /// `connecting`, `connected`, `offline` or `refused`.
    pub state: &'static str,
    /// The relay's base URL.
    pub relay: String,
    /// Where senders post: `{public-url}/c/{channel}`.
    pub public_url: Option<String>,
    /// When the relay was last heard, RFC 3339.
    pub last_heartbeat: Option<String>,
    /// Requests the relay holds that this agent has not acknowledged.
    pub backlog: u64,
    /// Why it is offline or refused.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_text_or_base64_without_loss() {
        let text = BodyJson::from_bytes(b"{\"a\":1}");
        assert_eq!((text.encoding, text.data.as_str()), ("utf8", "{\"a\":1}"));
        let bin = BodyJson::from_bytes(&[0xff, 0x00, 0x1f]);
        assert_eq!((bin.encoding, bin.data.as_str()), ("base64", "/wAf"));
    }

    #[test]
    fn non_utf8_header_values_are_marked_and_lossless() {
        let headers = Headers::from(vec![
            ("X-A".to_string(), b"plain".to_vec()),
            ("X-B".to_string(), vec![0x63, 0xe9, 0xff]),
        ]);
        let (pairs, binary) = headers_json(&headers);
        assert_eq!(binary, vec![1]);
        let back: Vec<u8> = pairs[1][1].chars().map(|c| c as u8).collect();
        assert_eq!(back, vec![0x63, 0xe9, 0xff]);
        assert_eq!(pairs[0], ["X-A".to_string(), "plain".to_string()]);
    }
}
