//! The capture listener's only handler: read the whole body (within `--max-body`), hand the
//! request to the pipeline, and answer only once it is on disk.

use http::{HeaderValue, StatusCode, header};
use hyper::body::Incoming;
use hyper::{Request, Response};

use super::exchange::{receive, respond};
use super::{Body, Conn, error_response};
use crate::app::App;
use crate::forward::REPLAY_HEADER;
use crate::ingest::{Arrival, answer, ingest};
use crate::store::model::Source;

/// Captures one webhook.
pub async fn handle(app: App, req: Request<Incoming>, conn: Conn) -> Response<Body> {
    let (max, pause) = (app.config.max_body, app.config.header_timeout);
    // Held until the answer is built: the body is in memory until then.
    let mut hold = app.in_flight.hold();
    let received = match receive(req, &conn, max, pause, "--max-body", &mut hold).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    // The canary's own probe is answered here: never stored, listed or forwarded.
    if let Some(reply) = crate::ingest::canary::probe(&app, &received.headers).await {
        return respond(reply);
    }
    let received_at = app.clock.now();
    // Only this hookpit's own replays carry its marker; a sender's header is just a header.
    let source = if app.marker.on(&received.headers, REPLAY_HEADER) {
        Source::Replay
    } else {
        Source::Direct
    };
    let parts = received.parts;
    let arrival = Arrival {
        received_at,
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: received.headers,
        body: received.body,
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
    respond(answer(&app, &ingested).await.reply(id))
}
