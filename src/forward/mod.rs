//! Forward, replay and retry: every delivery of a stored webhook to the developer's app. Each try
//! is an Attempt, stored and published; a failed delivery is a recorded result, not an error.
//! `retry.rs` runs ack-mode deliveries on the schedule, `replay.rs` re-sends on request.

pub mod bulk;
pub mod failed;
mod lanes;
pub mod replay;
pub mod retry;
pub mod rules;
pub mod transformed;

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use http_body_util::Full;
use hyper::Request;

use crate::app::App;
use crate::client::{DELIVERY_TIMEOUT, Delivery};
use crate::live::LiveEvent;
use crate::store::StoreError;
use crate::store::model::{Attempt, AttemptKind, AttemptOutcome, Headers, NewAttempt, Sent};
use crate::wire::{ATTEMPT_BODY_LIMIT, AttemptJson};
pub use transformed::{Shaped, Stop};

/// Added to every forwarded request (with this hookpit's [`Marker`]), so that when it comes
/// back to this hookpit it is not forwarded again.
pub const FORWARDED_HEADER: &str = "Hookpit-Forwarded";
/// Added to replays (with this hookpit's [`Marker`]), so that when one comes back to this
/// hookpit it is recorded as `source: "replay"`.
pub const REPLAY_HEADER: &str = "Hookpit-Replay";

pub use crate::headers::Marker;

/// A request about to be delivered.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// HTTP method.
    pub method: String,
    /// Full target URL.
    pub url: String,
    /// Headers to send (Host is set from the URL).
    pub headers: Headers,
    /// Exact body bytes.
    pub body: Bytes,
}

/// Where a webhook captured at `path?query` is forwarded first: the first target of the longest
/// route with a `forward` (the rest of the path after the route prefix appended), else
/// `--forward` (the whole path appended). `None` when there is no target. Replays and bulk
/// recovery go here unless told otherwise; [`rules::targets_for`] gives every target.
pub fn target_for(app: &App, path: &str, query: &str) -> Option<String> {
    rules::targets_for(app, path, query).into_iter().next()
}

/// Joins a base URL, a captured path (`/` or empty appends nothing) and a raw query, built from
/// parts: scheme and authority are the base's alone, so nothing in the captured path (`@host`,
/// `//host`, `?`, `#`) can name another host or end the path, and dot-segments are resolved
/// inside the captured path, so it cannot climb above the base's own path. `None` when the base
/// is not an absolute URL (the configuration checks it is).
pub fn join(base: &str, path: &str, query: &str) -> Option<String> {
    let uri: http::Uri = base.parse().ok()?;
    let (scheme, authority) = (uri.scheme_str()?, uri.authority()?);
    let mut url = format!("{scheme}://{authority}");
    let rest = resolve_dots(path);
    if rest == "/" {
        url.push_str(uri.path());
    } else {
        url.push_str(uri.path().trim_end_matches('/'));
        escape_into(&mut url, &encoded_separators(&rest), b"?#");
    }
    let queries: Vec<&str> = [uri.query().unwrap_or(""), query]
        .into_iter()
        .filter(|q| !q.is_empty())
        .collect();
    if !queries.is_empty() {
        url.push('?');
        escape_into(&mut url, &queries.join("&"), b"#");
    }
    Some(url)
}

/// `path` with the `%` of the `%2f` and `%5c` (an encoded `/` or `\`) in a segment encoded as
/// `%25` when that segment, read with them as separators, holds a `.` or `..` step: an app whose
/// framework decodes them before resolving dot-segments would otherwise read `..%2f..` as two
/// steps up, above the base. Any other segment (`/a%2Fb`, an encoded id) is passed on as it came.
fn encoded_separators(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let lower = segment.to_ascii_lowercase().replace("%2e", ".");
            let steps = lower.split("%2f").flat_map(|p| p.split("%5c"));
            if steps.clone().count() > 1 && steps.into_iter().any(|p| p == "." || p == "..") {
                encode_separators(segment)
            } else {
                segment.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `segment` with the `%` of every `%2f` and `%5c` written as `%25`.
fn encode_separators(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    let mut rest = segment;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 3).map(str::to_ascii_lowercase);
        out.push_str(if matches!(code.as_deref(), Some("2f" | "5c")) {
            "%25"
        } else {
            "%"
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out
}

/// `path` with `.` and `..` segments (also as `%2e`) resolved against its own root, always
/// starting with `/`; a path that ends in a dot-segment ends in `/`.
fn resolve_dots(path: &str) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut ends_in_dir = false;
    for segment in path.strip_prefix('/').unwrap_or(path).split('/') {
        let dots = segment.to_ascii_lowercase().replace("%2e", ".");
        ends_in_dir = dots == "." || dots == "..";
        match dots.as_str() {
            "." => {}
            ".." => {
                kept.pop();
            }
            _ => kept.push(segment),
        }
    }
    let mut out = String::new();
    for segment in &kept {
        out.push('/');
        out.push_str(segment);
    }
    if ends_in_dir || out.is_empty() {
        out.push('/');
    }
    out
}

/// Appends `text`, percent-encoding the bytes in `structural`, backslashes (some servers read
/// them as `/`) and anything that is not visible ASCII.
fn escape_into(url: &mut String, text: &str, structural: &[u8]) {
    for &b in text.as_bytes() {
        if (0x21..0x7f).contains(&b) && b != b'\\' && !structural.contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
}

/// The stored headers minus hop-by-hop ones and Host, plus `Hookpit-Forwarded` with this
/// hookpit's marker. Markers of other hookpits stay, so a loop through several stops too.
pub fn outgoing_headers(stored: &Headers, marker: &Marker) -> Headers {
    let mut out = crate::headers::end_to_end(stored);
    out.remove("host");
    out.push((
        FORWARDED_HEADER.to_string(),
        marker.value().as_bytes().to_vec(),
    ));
    out
}

/// A shell command that sends `out` with curl, hookpit's own marker headers left out.
pub fn curl_command(out: &Outgoing) -> String {
    let headers: Headers = out
        .headers
        .iter()
        .filter(|(n, _)| {
            !n.eq_ignore_ascii_case(FORWARDED_HEADER) && !n.eq_ignore_ascii_case(REPLAY_HEADER)
        })
        .cloned()
        .collect();
    let body = if out.body.is_empty() {
        crate::curl::Body::Empty
    } else {
        crate::curl::Body::Bytes(&out.body)
    };
    crate::curl::command(&out.method, &out.url, &headers, body)
}

/// Whether an answer with `status` (none: no answer) counts as delivered: a 2xx, as Svix
/// counts it (3xx is a failure).
pub fn succeeded(status: Option<u16>) -> bool {
    status.is_some_and(|s| (200..300).contains(&s))
}

/// Delivers `shaped` once and records it as an Attempt (published when it starts and when it
/// ends); one its transformation cancelled is recorded as a skip and not sent. `retry_in` is
/// when to try again if this try fails. `keep` is how much of the answer the caller needs; the
/// Attempt keeps the first 64 KiB.
pub async fn attempt(
    app: &App,
    event_id: i64,
    kind: AttemptKind,
    mode: &str,
    shaped: Shaped,
    retry_in: Option<Duration>,
    keep: usize,
) -> Result<(Attempt, Delivery), StoreError> {
    if let Some(Stop::Cancelled(reason)) = shaped.stop {
        let skipped =
            transformed::record_cancel(app, event_id, kind, mode, shaped.target, reason).await?;
        return Ok((skipped, Delivery::default()));
    }
    let started = start(
        app,
        event_id,
        kind,
        mode,
        shaped.target.clone(),
        shaped.out.headers.clone(),
        shaped.sent.clone(),
    )
    .await?;
    let delivery = send_shaped(app, &shaped, keep).await;
    let finished = finish(
        app,
        started.id,
        outcome(&delivery, retry_in, app.clock.now()),
    )
    .await?;
    Ok((finished, delivery))
}

/// Proxy mode's delivery: the sender waits for the app, not for hookpit's records of it. The
/// Attempt is stored in the background while the request is in flight, its outcome once the
/// app has answered; a failure to record is logged, and the answer is passed on regardless
/// (the webhook itself is already stored). A cancelled delivery is the caller's to record.
pub async fn proxy(app: &App, event_id: i64, shaped: Shaped, keep: usize) -> Delivery {
    let (ended, outcome_rx) = tokio::sync::oneshot::channel();
    let recorder = app.clone();
    let (url, headers, sent) = (
        shaped.target.clone(),
        shaped.out.headers.clone(),
        shaped.sent.clone(),
    );
    app.tasks.spawn(async move {
        let app = &recorder;
        let record = async {
            // Both records join the next webhook's commit (or commit alone a moment later)
            // rather than each paying a commit that the next webhook would queue behind.
            let new = NewAttempt {
                event_id,
                kind: AttemptKind::Forward,
                target: url,
                mode: "proxy".to_string(),
                started_at: app.clock.now(),
                request_headers: headers,
                sent,
            };
            let started = app.store.insert_attempt_soon(new).await?;
            app.live
                .publish(LiveEvent::AttemptCreated(AttemptJson::from(&started)));
            // Dropped unanswered only when the sender hung up and hyper cancelled the request.
            let outcome = outcome_rx.await.unwrap_or_else(|_| AttemptOutcome {
                error: Some("the sender hung up before the app answered".into()),
                ..AttemptOutcome::default()
            });
            let finished = app.store.finish_attempt_soon(started.id, outcome).await?;
            app.live
                .publish(LiveEvent::AttemptUpdated(AttemptJson::from(&finished)));
            Ok::<_, StoreError>(finished)
        };
        if let Err(e) = record.await {
            tracing::error!("could not record a forward: {e}");
        }
    });
    let delivery = send_shaped(app, &shaped, keep).await;
    let _ = ended.send(outcome(&delivery, None, app.clock.now()));
    delivery
}

/// Stores and publishes the start of an Attempt to deliver `out`.
async fn start(
    app: &App,
    event_id: i64,
    kind: AttemptKind,
    mode: &str,
    target: String,
    request_headers: Headers,
    sent: Option<Sent>,
) -> Result<Attempt, StoreError> {
    let started = app
        .store
        .insert_attempt(NewAttempt {
            event_id,
            kind,
            target,
            mode: mode.to_string(),
            started_at: app.clock.now(),
            request_headers,
            sent,
        })
        .await?;
    app.live
        .publish(LiveEvent::AttemptCreated(AttemptJson::from(&started)));
    Ok(started)
}

/// Sends a shaped delivery once: one whose transformation failed is not sent, and its
/// `Delivery` carries the transformation's error.
async fn send_shaped(app: &App, shaped: &Shaped, keep: usize) -> Delivery {
    match &shaped.stop {
        Some(Stop::Failed(error) | Stop::Cancelled(error)) => Delivery {
            error: Some(error.clone()),
            ..Delivery::default()
        },
        None => send(app, &shaped.out, keep).await,
    }
}

/// Sends `out` once; a failure is a `Delivery` with an error, never an `Err`.
async fn send(app: &App, out: &Outgoing, keep: usize) -> Delivery {
    match build_request(out) {
        Ok(req) => {
            app.client
                .deliver(req, DELIVERY_TIMEOUT, keep.max(ATTEMPT_BODY_LIMIT))
                .await
        }
        Err(error) => Delivery {
            error: Some(error),
            ..Delivery::default()
        },
    }
}

/// What an Attempt records of `delivery`; a failed try is due again after `retry_in`.
fn outcome(
    delivery: &Delivery,
    retry_in: Option<Duration>,
    now: chrono::DateTime<chrono::Utc>,
) -> AttemptOutcome {
    let failed = !succeeded(delivery.status);
    AttemptOutcome {
        status: delivery.status,
        response_headers: delivery.headers.clone(),
        response_body: delivery
            .body
            .slice(..delivery.body.len().min(ATTEMPT_BODY_LIMIT)),
        duration_ms: Some(delivery.duration.as_millis() as i64),
        error: delivery.error.clone(),
        next_retry_at: retry_in
            .filter(|_| failed)
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| now + d),
    }
}

/// Stores and publishes how an Attempt ended.
async fn finish(app: &App, id: i64, outcome: AttemptOutcome) -> Result<Attempt, StoreError> {
    let finished = app.store.finish_attempt(id, outcome).await?;
    app.live
        .publish(LiveEvent::AttemptUpdated(AttemptJson::from(&finished)));
    Ok(finished)
}

/// The hyper request for `out`; an error names what is wrong with it.
fn build_request(out: &Outgoing) -> Result<Request<Full<Bytes>>, String> {
    let uri: http::Uri = out
        .url
        .parse()
        .map_err(|e| format!("bad target URL {:?}: {e}", out.url))?;
    let host = uri
        .authority()
        .map(|a| a.to_string())
        .ok_or_else(|| format!("target URL {:?} has no host", out.url))?;
    let mut req = Request::builder()
        .method(out.method.as_str())
        .uri(uri)
        .body(Full::new(out.body.clone()))
        .map_err(|e| format!("cannot build the request: {e}"))?;
    let headers = req.headers_mut();
    for (name, value) in &out.headers {
        // A header that HTTP cannot carry again (it arrived, so this is rare) is left out.
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            headers.append(n, v);
        }
    }
    headers.insert(
        http::header::HOST,
        HeaderValue::from_str(&host).map_err(|e| format!("bad host {host:?}: {e}"))?,
    );
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_appends_the_captured_path_and_query() {
        let j = |base, path, query| join(base, path, query).expect("absolute base");
        assert_eq!(
            j("http://localhost:3000/webhooks", "/cyberdesk", ""),
            "http://localhost:3000/webhooks/cyberdesk"
        );
        assert_eq!(
            j("http://localhost:3000/webhooks/", "/", ""),
            "http://localhost:3000/webhooks/"
        );
        assert_eq!(
            j("http://localhost:3000", "/", ""),
            "http://localhost:3000/"
        );
        assert_eq!(
            j("http://localhost:3000", "", "a=1"),
            "http://localhost:3000/?a=1"
        );
        assert_eq!(j("http://h/x?k=v", "/y", "a=1"), "http://h/x/y?k=v&a=1");
        assert_eq!(join("not a url", "/y", ""), None);
    }

    #[test]
    fn join_never_lets_the_captured_path_choose_the_host_or_leave_the_base() {
        let j = |path, query| join("http://app:3000/hooks", path, query).expect("joined");
        // What a hostile relay sent: a path that would have turned the base into userinfo.
        assert_eq!(
            j("@127.0.0.1:9/x", ""),
            "http://app:3000/hooks/@127.0.0.1:9/x"
        );
        assert_eq!(
            j("//evil.example/x", ""),
            "http://app:3000/hooks//evil.example/x"
        );
        assert_eq!(j("/../../x", ""), "http://app:3000/hooks/x");
        assert_eq!(j("/a/%2E%2e/./b/..", ""), "http://app:3000/hooks");
        // Encoded separators stay data: an app that decodes them cannot climb above /hooks.
        assert_eq!(
            j("/a/..%5c..%5cx", ""),
            "http://app:3000/hooks/a/..%255c..%255cx"
        );
        assert_eq!(
            j("/a/..%2F..%2fadmin/%41%2", ""),
            "http://app:3000/hooks/a/..%252F..%252fadmin/%41%2"
        );
        // An encoded separator with no dot step around it is data the app may need as it came.
        assert_eq!(
            j("/orders/a%2Fb/%5Cx", ""),
            "http://app:3000/hooks/orders/a%2Fb/%5Cx"
        );
        assert_eq!(
            j("/a?b#c d\\e", "q=1#f"),
            "http://app:3000/hooks/a%3Fb%23c%20d%5Ce?q=1%23f"
        );
        for (path, query) in [("@127.0.0.1:9/x", ""), ("/../../x", "a=b"), ("/é x", "#")] {
            let url: http::Uri = j(path, query).parse().expect("a valid URI");
            assert_eq!(url.authority().map(|a| a.as_str()), Some("app:3000"));
            assert!(url.path().starts_with("/hooks"), "{url}");
        }
    }

    #[test]
    fn curl_commands_leave_the_markers_out() {
        let out = Outgoing {
            method: "POST".into(),
            url: "http://h/x?a=1&b=2".into(),
            headers: Headers::from(vec![
                ("X-Q".into(), b"it's".to_vec()),
                (FORWARDED_HEADER.into(), b"1".to_vec()),
            ]),
            body: Bytes::from_static(b"{\"a\":\"$HOME\"}"),
        };
        let cmd = curl_command(&out);
        assert!(cmd.contains("-H 'X-Q: it'\\''s'"), "{cmd}");
        assert!(!cmd.contains("Hookpit-"), "{cmd}");
        assert!(cmd.ends_with("--data-raw '{\"a\":\"$HOME\"}'"), "{cmd}");
    }

    #[test]
    fn hop_by_hop_headers_are_dropped_and_the_marker_added() {
        let stored: Headers = Headers::from(vec![
            ("Host".into(), b"a".to_vec()),
            ("Connection".into(), b"keep-alive, X-Drop".to_vec()),
            ("X-Drop".into(), b"1".to_vec()),
            ("Content-Length".into(), b"2".to_vec()),
            ("svix-id".into(), b"msg_1".to_vec()),
            ("X-Keep".into(), b"2".to_vec()),
        ]);
        let marker = Marker::new();
        let out = outgoing_headers(&stored, &marker);
        let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["svix-id", "X-Keep", FORWARDED_HEADER]);
        assert!(marker.on(&out, FORWARDED_HEADER));
        assert!(
            !Marker::new().on(&out, FORWARDED_HEADER),
            "another hookpit's value"
        );
        assert!(!marker.on(&stored, FORWARDED_HEADER));
    }
}
