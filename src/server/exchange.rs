//! What both webhook listeners (the capture port and `hookpit relay`'s public side) do around
//! the pipeline: take a request's body within the size and pause limits and its headers as they
//! were on the wire, and frame a plain [`Reply`] as a hyper response.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header, request};
use http_body_util::BodyExt;
use hyper::body::Body as _;
use hyper::body::Incoming;
use hyper::{Request, Response};

use super::{Body, Conn, error_response};
use crate::in_flight::Hold;
use crate::ingest::Reply;
use crate::store::model::Headers;

/// How much of an oversized body is read and thrown away so the sender sees the 413 instead of
/// a reset connection.
const OVERSIZE_DRAIN: u64 = 8 * 1024 * 1024;

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

/// A request read whole: hyper's parts, the headers as they were on the wire, and the body (the
/// caller stamps the time it arrived, by its own clock).
pub struct Received {
    /// Method, URI and hyper's view of the headers.
    pub parts: request::Parts,
    /// Headers exactly as they arrived (hyper's view when the wire view is not available).
    pub headers: Headers,
    /// The whole body.
    pub body: Bytes,
}

/// Reads a webhook's body within `max` bytes (`limit` names the flag in the 413), pauses of at
/// most `pause`, and what `hold` may still take of `--max-in-flight` (the caller keeps `hold`
/// while the body is in memory); `Err` is the answer to send, saying that nothing was stored.
pub async fn receive(
    req: Request<Incoming>,
    conn: &Conn,
    max: u64,
    pause: std::time::Duration,
    limit: &str,
    hold: &mut Hold,
) -> Result<Received, Response<Body>> {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body = match declared {
        Some(len) if len > max + OVERSIZE_DRAIN => Err(BodyError::TooLarge),
        _ => read_limited(body, max, pause, hold).await,
    };
    let body = body.map_err(|e| match e {
        BodyError::TooLarge => error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body is larger than {limit} ({max} bytes); nothing was stored"),
        ),
        BodyError::Broken(e) => error_response(
            StatusCode::BAD_REQUEST,
            format!("the request body could not be read ({e}); nothing was stored"),
        ),
        BodyError::Stalled(pause) => error_response(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body stalled for {pause:?} (--header-timeout); nothing was stored"
            ),
        ),
        BodyError::Busy(cap) => {
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
    })?;
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let headers = conn
        .heads
        .take(parts.method.as_str(), target, &parts.uri.to_string())
        .unwrap_or_else(|| from_header_map(&parts.headers));
    Ok(Received {
        parts,
        headers,
        body,
    })
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

/// Frames a reply: hyper sets the length from the body, so framing and hop-by-hop headers in
/// the reply (whoever wrote them) are dropped, and a header hyper cannot carry is skipped.
pub fn respond(reply: Reply) -> Response<Body> {
    let mut resp = Response::new(Body::from(reply.body));
    *resp.status_mut() = reply.status;
    for (name, value) in crate::headers::end_to_end(&reply.headers) {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&value),
        ) {
            resp.headers_mut().append(n, v);
        }
    }
    resp
}
