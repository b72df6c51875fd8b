//! How the sender of a stored webhook is answered, decided once for every listener: the route's
//! chaos first, then the app's own answer when proxying, else `--respond-status` (with delivery
//! to the app in the background). The result is plain data; the capture listener turns it into
//! a hyper response and the relay agent into a `response` frame.

use bytes::Bytes;
use http::StatusCode;

use super::{Ingested, deliver_to};
use crate::app::App;
use crate::config::ForwardMode;
use crate::forward::{self, Outgoing, outgoing_headers};
use crate::keys::route_for;
use crate::store::model::Headers;

/// The name of the header carrying the stored event's id.
pub const EVENT_ID_HEADER: &str = "hookpit-event-id";

/// How a stored webhook is answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Stored (and handed to the app in the background when it has a target).
    Stored {
        /// `--respond-status`.
        status: StatusCode,
    },
    /// Stored, but failed on purpose (the route's `fail_rate`) so the sender retries.
    FailedOnPurpose,
    /// Proxy mode: the app's own answer.
    Proxied {
        /// The app's status.
        status: u16,
        /// The app's headers, as received.
        headers: Headers,
        /// The app's body.
        body: Bytes,
    },
    /// Proxy mode, and the app could not be reached.
    Unreachable {
        /// Why.
        error: String,
    },
    /// Stored, but its delivery to the app could not be put on record, so nothing would resume
    /// it: the sender is asked to retry, as when the webhook itself cannot be stored.
    Unrecorded,
}

/// A response as plain data, for any listener to frame: status, ordered headers, body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Headers in order; never framing or hop-by-hop ones (the listener frames the body).
    pub headers: Headers,
    /// Body.
    pub body: Bytes,
}

impl Reply {
    /// A JSON reply.
    pub fn json(status: StatusCode, value: &serde_json::Value) -> Reply {
        Reply {
            status,
            headers: Headers::from(vec![("content-type".into(), b"application/json".to_vec())]),
            body: Bytes::from(serde_json::to_vec(value).expect("JSON values serialize")),
        }
    }
}

impl Answer {
    /// What the sender of event `id` gets: hookpit's own answers as JSON, the app's without
    /// framing and hop-by-hop headers, each with `Hookpit-Event-Id`.
    pub fn reply(self, id: i64) -> Reply {
        let mut reply = match self {
            Answer::Stored { status } => Reply::json(status, &serde_json::json!({ "id": id })),
            Answer::FailedOnPurpose => Reply::json(
                StatusCode::INTERNAL_SERVER_ERROR,
                &serde_json::json!({ "id": id, "error": "failed on purpose (route fail_rate)" }),
            ),
            Answer::Proxied {
                status,
                headers,
                body,
            } => Reply {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
                headers: crate::headers::end_to_end(&headers),
                body,
            },
            Answer::Unreachable { error } => Reply::json(
                StatusCode::BAD_GATEWAY,
                &serde_json::json!({ "id": id, "error": format!("the app did not answer: {error}") }),
            ),
            Answer::Unrecorded => {
                let mut reply = Reply::json(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &serde_json::json!({
                        "id": id,
                        "error": "hookpit stored this webhook but could not record its delivery to the app; please retry",
                    }),
                );
                reply.headers.push(("retry-after".into(), b"1".to_vec()));
                reply
            }
        };
        // The app's own `hookpit-event-id`, if it sent one, would contradict ours.
        reply.headers.remove(EVENT_ID_HEADER);
        reply
            .headers
            .push((EVENT_ID_HEADER.into(), id.to_string().into_bytes()));
        reply
    }
}

/// Decides the answer for a stored webhook (waiting for the route's delay, or for the app when
/// proxying).
pub async fn answer(app: &App, ingested: &Ingested) -> Answer {
    delay(app, ingested).await;
    let settled = settle(app, ingested).await;
    finish(app, ingested, settled).await
}

/// What [`settle`] decided: the answer itself, or the app's to wait for.
#[derive(Debug)]
pub enum Settled {
    /// The answer, known without waiting for the app; in ack mode the first try of the
    /// delivery is on record.
    Answer(Answer),
    /// Proxy mode: the app's answer, from this target.
    Proxy(String),
}

/// Waits for the route's `delay`, if it has one: every answer waits it.
pub async fn delay(app: &App, ingested: &Ingested) {
    let route = route_for(&app.config.routes, |r| &r.path, &ingested.summary.path);
    if let Some(delay) = route.and_then(|r| r.delay) {
        tokio::time::sleep(delay).await;
    }
}

/// Everything of the answer that does not wait: the route's `fail_rate`, its forwarding rules
/// (a skipped forward is recorded in the background), and the first try of each ack-style
/// delivery (every target in ack mode, all but the first when proxying), returned once their
/// attempts are stored. A listener that must acknowledge a webhook onward (the relay agent)
/// settles it before it does.
pub async fn settle(app: &App, ingested: &Ingested) -> Settled {
    let s = &ingested.summary;
    let route = route_for(&app.config.routes, |r| &r.path, &s.path);
    if route.is_some_and(|r| r.fail_rate > 0.0 && rand::random::<f64>() < r.fail_rate) {
        // Stored, but failed on purpose so the sender retries: not forwarded.
        return Settled::Answer(Answer::FailedOnPurpose);
    }
    let plan = if ingested.was_forwarded(&app.marker) {
        forward::rules::Plan::default()
    } else {
        forward::rules::plan(app, s).await
    };
    if let Some(rule) = plan.skipped_by {
        forward::rules::record_skips(app, s.id, plan.targets, rule);
        return Settled::Answer(Answer::Stored {
            status: app.config.respond_status,
        });
    }
    let mut targets = plan.targets;
    if app.config.forward_mode == ForwardMode::Proxy && !targets.is_empty() {
        // The sender waits for the first target's answer; the others are owed the webhook as
        // in ack mode, with retries, and are on record before the sender hears anything.
        let first = targets.remove(0);
        if !targets.is_empty() && !deliver_to(app, ingested, targets).await {
            return Settled::Answer(Answer::Unrecorded);
        }
        return Settled::Proxy(first);
    }
    if !targets.is_empty() && !deliver_to(app, ingested, targets).await {
        return Settled::Answer(Answer::Unrecorded);
    }
    Settled::Answer(Answer::Stored {
        status: app.config.respond_status,
    })
}

/// The answer of a [`settle`]d webhook: the app's own when proxying.
pub async fn finish(app: &App, ingested: &Ingested, settled: Settled) -> Answer {
    let url = match settled {
        Settled::Answer(answer) => return answer,
        Settled::Proxy(url) => url,
    };
    let s = &ingested.summary;
    let out = Outgoing {
        method: s.method.clone(),
        url,
        headers: outgoing_headers(&ingested.headers, &app.marker),
        body: ingested.body.clone(),
    };
    let resign = s.verification.status == crate::verify::Status::Valid;
    let shaped = forward::transformed::shape(app, s, out, resign).await;
    if let Some(forward::Stop::Cancelled(reason)) = &shaped.stop {
        let recorded = forward::transformed::record_cancel(
            app,
            s.id,
            crate::store::model::AttemptKind::Forward,
            "proxy",
            shaped.target.clone(),
            reason.clone(),
        )
        .await;
        if let Err(e) = recorded {
            tracing::error!(
                id = s.id,
                "cannot record a forward its transformation cancelled: {e}"
            );
        }
        return Answer::Stored {
            status: app.config.respond_status,
        };
    }
    let d = forward::proxy(app, s.id, shaped, app.config.max_body as usize).await;
    match d.status {
        Some(status) => Answer::Proxied {
            status,
            headers: d.headers,
            body: d.body,
        },
        None => Answer::Unreachable {
            error: d.error.unwrap_or_default(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a [u8]> {
        reply.headers.get(name)
    }

    #[test]
    fn hookpits_own_answers_are_json_with_the_event_id() {
        let r = Answer::Stored {
            status: StatusCode::ACCEPTED,
        }
        .reply(7);
        assert_eq!(r.status, StatusCode::ACCEPTED);
        assert_eq!(&r.body[..], br#"{"id":7}"#);
        assert_eq!(header(&r, EVENT_ID_HEADER), Some(&b"7"[..]));
        let r = Answer::Unreachable {
            error: "refused".into(),
        }
        .reply(8);
        assert_eq!(r.status, StatusCode::BAD_GATEWAY);
        assert!(String::from_utf8_lossy(&r.body).contains("the app did not answer: refused"));
    }

    #[test]
    fn the_apps_answer_loses_its_framing_and_keeps_the_rest() {
        let r = Answer::Proxied {
            status: 201,
            headers: Headers::from(vec![
                ("Content-Length".into(), b"0".to_vec()),
                ("Transfer-Encoding".into(), b"chunked".to_vec()),
                ("Set-Cookie".into(), b"a=1".to_vec()),
            ]),
            body: Bytes::from_static(b"hello"),
        }
        .reply(9);
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(header(&r, "content-length"), None);
        assert_eq!(header(&r, "transfer-encoding"), None);
        assert_eq!(header(&r, "set-cookie"), Some(&b"a=1"[..]));
        assert_eq!(&r.body[..], b"hello");
    }
}
