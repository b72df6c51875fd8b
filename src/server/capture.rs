//! The capture listener's only handler: read the whole body (within `--max-body`), hand the
//! request to the pipeline, and answer only once it is on disk.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper::{Request, Response};

use super::in_flight::Hold;
use super::{Body, Conn, error_response, json_response};
use crate::app::App;
use crate::config::ForwardMode;
use crate::forward::{self, Outgoing, REPLAY_HEADER, outgoing_headers, target_for};
use crate::ingest::{Arrival, Ingested, forward_in_background, ingest};
use crate::keys::route_matches;
use crate::store::model::{Headers, Source};

/// How much of an oversized body is read and thrown away so the sender sees the 413 instead of
/// a reset connection.
const OVERSIZE_DRAIN: u64 = 8 * 1024 * 1024;

/// The name of the header carrying the stored event's id.
pub const EVENT_ID_HEADER: &str = "hookpit-event-id";

/// Why a request body could not be taken.
pub enum BodyError {
    /// Over the limit.
    TooLarge,
    /// The connection broke off.
    Broken(String),
    /// Nothing arrived for longer than the allowed pause.
    Stalled(std::time::Duration),
    /// All connections together already hold `--max-in-flight` bytes of bodies.
    Busy(u64),
}

/// Captures one webhook.
pub async fn handle(app: App, req: Request<Incoming>, conn: Conn) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let max = app.config.max_body;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Held until the answer is built: the body is in memory until then.
    let mut hold = app.in_flight.hold();
    let body = match declared {
        Some(len) if len > max + OVERSIZE_DRAIN => Err(BodyError::TooLarge),
        _ => read_limited(body, max, app.config.header_timeout, &mut hold).await,
    };
    let body = match body {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("body is larger than --max-body ({max} bytes); nothing was stored"),
            );
        }
        Err(BodyError::Broken(e)) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                format!("the request body could not be read ({e}); nothing was stored"),
            );
        }
        Err(BodyError::Stalled(pause)) => {
            return error_response(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body stalled for {pause:?} (--header-timeout); nothing was stored"
                ),
            );
        }
        Err(BodyError::Busy(cap)) => return busy(cap),
    };
    let received_at = chrono::Utc::now();
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let headers = conn
        .heads
        .take(parts.method.as_str(), target, &parts.uri.to_string())
        .unwrap_or_else(|| from_header_map(&parts.headers));
    // Only this hookpit's own replays carry its marker; a sender's header is just a header.
    let source = if app.marker.on(&headers, REPLAY_HEADER) {
        Source::Replay
    } else {
        Source::Direct
    };
    let arrival = Arrival {
        received_at,
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers,
        body,
        remote_addr: Some(conn.remote.to_string()),
        source,
    };
    let ingested = match ingest(&app, arrival).await {
        Ok(i) => i,
        Err(e) => {
            tracing::error!("could not store a webhook: {e}");
            let mut resp = error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("hookpit could not store this webhook ({e}); please retry"),
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return resp;
        }
    };
    let id = ingested.summary.id;
    let mut resp = answer(&app, &ingested).await;
    resp.headers_mut()
        .insert(EVENT_ID_HEADER, HeaderValue::from(id));
    resp
}

/// The answer for a stored webhook: the route's chaos first, then the app's own answer when
/// proxying, else `--respond-status` (and delivery to the app in the background).
pub async fn answer(app: &App, ingested: &Ingested) -> Response<Body> {
    let s = &ingested.summary;
    let route = app
        .config
        .routes
        .iter()
        .filter(|r| route_matches(&r.path, &s.path))
        .max_by_key(|r| r.path.len());
    if let Some(delay) = route.and_then(|r| r.delay) {
        tokio::time::sleep(delay).await;
    }
    if route.is_some_and(|r| r.fail_rate > 0.0 && rand::random::<f64>() < r.fail_rate) {
        // Stored, but failed on purpose so the sender retries: not forwarded.
        return json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &serde_json::json!({ "id": s.id, "error": "failed on purpose (route fail_rate)" }),
        );
    }
    let target =
        target_for(app, &s.path, &s.query).filter(|_| !ingested.was_forwarded(&app.marker));
    match (target, app.config.forward_mode) {
        (Some(url), ForwardMode::Proxy) => proxy(app, ingested, url).await,
        (target, _) => {
            if target.is_some() {
                forward_in_background(app, ingested);
            }
            json_response(
                app.config.respond_status,
                &serde_json::json!({ "id": s.id }),
            )
        }
    }
}

/// Proxy mode: the sender gets the app's exact status, headers and body; 502 with a reason when
/// the app cannot be reached.
async fn proxy(app: &App, ingested: &Ingested, url: String) -> Response<Body> {
    let s = &ingested.summary;
    let out = Outgoing {
        method: s.method.clone(),
        url,
        headers: outgoing_headers(&ingested.headers, &app.marker),
        body: ingested.body.clone(),
    };
    let d = forward::proxy(app, s.id, out, app.config.max_body as usize).await;
    match d.status {
        Some(status) => {
            let mut resp = Response::new(Full::new(d.body));
            *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            for (name, value) in &d.headers {
                let lower = name.to_ascii_lowercase();
                if matches!(
                    lower.as_str(),
                    "connection" | "keep-alive" | "transfer-encoding" | "content-length"
                ) {
                    continue;
                }
                if let (Ok(n), Ok(v)) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_bytes(value),
                ) {
                    resp.headers_mut().append(n, v);
                }
            }
            resp
        }
        None => json_response(
            StatusCode::BAD_GATEWAY,
            &serde_json::json!({
                "id": s.id,
                "error": format!("the app did not answer: {}", d.error.unwrap_or_default()),
            }),
        ),
    }
}

/// 503 for a body that would take the bytes held by all connections past `cap`.
pub fn busy(cap: u64) -> Response<Body> {
    let mut resp = error_response(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "too many request bodies in flight (--max-in-flight, {cap} bytes together); nothing was stored, please retry"
        ),
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    resp
}

/// Reads the body up to `max` bytes, each byte kept counted in `hold`. Past `max`, reads on
/// (discarding, up to `OVERSIZE_DRAIN`) so the 413 reaches the sender, and reports `TooLarge`;
/// when `hold` cannot grow (all connections together hold `--max-in-flight`), drops what it
/// has, drains the same way and reports `Busy`. A sender silent for longer than `pause`
/// mid-body is given up (`Stalled`), so a slow body cannot hold a connection forever.
pub async fn read_limited(
    mut body: Incoming,
    max: u64,
    pause: std::time::Duration,
    hold: &mut Hold,
) -> Result<Bytes, BodyError> {
    // A declared length is taken at once: a sender over the bound hears so before sending.
    let declared = body.size_hint().exact().filter(|n| *n <= max);
    let mut busy = declared.is_some_and(|n| !hold.cover(n));
    let mut buf = BytesMut::with_capacity(if busy {
        0
    } else {
        declared.unwrap_or(0) as usize
    });
    let mut seen: u64 = 0;
    loop {
        let next = tokio::time::timeout(pause, body.frame())
            .await
            .map_err(|_| BodyError::Stalled(pause))?;
        let Some(frame) = next else {
            break;
        };
        let frame = frame.map_err(|e| BodyError::Broken(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing hookpit stores
        };
        seen += data.len() as u64;
        if seen > max + OVERSIZE_DRAIN {
            return Err(if busy {
                BodyError::Busy(hold.pool_cap())
            } else {
                BodyError::TooLarge
            });
        }
        if seen <= max && !busy {
            if hold.cover(seen) {
                buf.extend_from_slice(&data);
            } else {
                busy = true;
                buf = BytesMut::new();
                hold.release();
            }
        }
    }
    if busy {
        return Err(BodyError::Busy(hold.pool_cap()));
    }
    if seen > max {
        return Err(BodyError::TooLarge);
    }
    Ok(buf.freeze())
}

/// Headers as hyper parsed them: lower-case names, duplicates grouped. Used when the wire
/// view is not available (HTTP/2, or the tap stepped aside).
pub fn from_header_map(map: &HeaderMap) -> Headers {
    map.iter()
        .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
        .collect()
}
