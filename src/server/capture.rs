//! The capture listener's only handler: read the whole body (within `--max-body`), hand the
//! request to the pipeline, and answer only once it is on disk.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, Response};

use super::{Body, Conn, error_response, json_response};
use crate::app::App;
use crate::ingest::{Arrival, ingest};
use crate::store::model::{Headers, Source};

/// How much of an oversized body is read and thrown away so the sender sees the 413 instead of
/// a reset connection.
const OVERSIZE_DRAIN: u64 = 8 * 1024 * 1024;

/// The name of the header carrying the stored event's id.
pub const EVENT_ID_HEADER: &str = "hookpit-event-id";

enum BodyError {
    TooLarge,
    Broken(String),
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
    let body = match declared {
        Some(len) if len > max + OVERSIZE_DRAIN => Err(BodyError::TooLarge),
        _ => read_limited(body, max).await,
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
    };
    let received_at = chrono::Utc::now();
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let headers = conn
        .heads
        .take(parts.method.as_str(), target, &parts.uri.to_string())
        .unwrap_or_else(|| from_header_map(&parts.headers));
    let arrival = Arrival {
        received_at,
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers,
        body,
        remote_addr: Some(conn.remote.to_string()),
        source: Source::Direct,
    };
    match ingest(&app, arrival).await {
        Ok(summary) => {
            let mut resp = json_response(
                app.config.respond_status,
                &serde_json::json!({ "id": summary.id }),
            );
            resp.headers_mut()
                .insert(EVENT_ID_HEADER, HeaderValue::from(summary.id));
            resp
        }
        Err(e) => {
            tracing::error!("could not store a webhook: {e}");
            let mut resp = error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("hookpit could not store this webhook ({e}); please retry"),
            );
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            resp
        }
    }
}

/// Reads the body up to `max` bytes. Past it, reads on (discarding, up to `OVERSIZE_DRAIN`) so
/// the 413 reaches the sender, and reports `TooLarge`.
async fn read_limited(mut body: Incoming, max: u64) -> Result<Bytes, BodyError> {
    let mut buf = BytesMut::new();
    let mut seen: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Broken(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers carry nothing hookpit stores
        };
        seen += data.len() as u64;
        if seen > max + OVERSIZE_DRAIN {
            return Err(BodyError::TooLarge);
        }
        if seen <= max {
            buf.extend_from_slice(&data);
        }
    }
    if seen > max {
        return Err(BodyError::TooLarge);
    }
    Ok(buf.freeze())
}

/// Headers as hyper parsed them: lower-case names, duplicates grouped. Used when the wire
/// view is not available (HTTP/2, or the tap stepped aside).
fn from_header_map(map: &HeaderMap) -> Headers {
    map.iter()
        .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
        .collect()
}
