//! `GET /api/live`: the WebSocket that streams the live hub to a browser tab. A tab that falls
//! behind gets `resync` and stays connected; a ping every 20 s keeps proxies from dropping it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::{StatusCode, header};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::create_response;
use tokio_tungstenite::tungstenite::protocol::frame::{CloseFrame, coding::CloseCode};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use super::{Body, error_response};
use crate::app::App;
use crate::live::LiveEvent;

/// How often the server pings each client.
pub const PING_INTERVAL: Duration = Duration::from_secs(20);
/// Largest message a client may send (clients only send control frames).
const MAX_CLIENT_MESSAGE: usize = 64 * 1024;

/// A server-side WebSocket over an upgraded hyper connection.
pub type ServerSocket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// Answers the live stream's upgrade and spawns the client's task.
pub fn upgrade(app: App, req: Request<Incoming>) -> Response<Body> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_CLIENT_MESSAGE))
        .max_frame_size(Some(MAX_CLIENT_MESSAGE));
    accept(req, config, "this is hookpit's live stream", move |ws| {
        client(app, ws)
    })
}

/// tungstenite's check of a WebSocket handshake (GET, HTTP/1.1, `Connection: upgrade`,
/// `Upgrade: websocket`, version 13, a well-formed key) and its 101 answer; `None` when the
/// request is not one. The UI guard asks this same function whether a request opens a
/// WebSocket, so the Origin check and the handshake cannot read `Upgrade` differently.
pub fn handshake(
    method: &http::Method,
    version: http::Version,
    headers: &http::HeaderMap,
) -> Option<http::Response<()>> {
    if !headers.contains_key(header::UPGRADE) {
        return None; // the common case, without copying the headers
    }
    let mut req = Request::new(());
    *req.method_mut() = method.clone();
    *req.version_mut() = version;
    *req.headers_mut() = headers.clone();
    create_response(&req).ok()
}

/// Completes a WebSocket handshake: answers 101 and runs `then` on the socket once hyper hands
/// the connection over; a request that is not a WebSocket upgrade gets 400 naming `what`.
pub fn accept<F, Fut>(
    req: Request<Incoming>,
    config: WebSocketConfig,
    what: &str,
    then: F,
) -> Response<Body>
where
    F: FnOnce(ServerSocket) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Some(answer) = handshake(req.method(), req.version(), req.headers()) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            format!("{what}: connect with a WebSocket (version 13)"),
        );
    };
    tokio::spawn(async move {
        match hyper::upgrade::on(req).await {
            Ok(upgraded) => {
                let ws = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                then(ws).await;
            }
            Err(e) => tracing::debug!("WebSocket upgrade failed: {e}"),
        }
    });
    let (parts, ()) = answer.into_parts();
    Response::from_parts(parts, Body::default())
}

/// Streams the hub to one client until it leaves or hookpit stops.
async fn client<S>(app: App, ws: WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut sink, mut incoming) = ws.split();
    let mut frames = app.live.subscribe();
    let stopped = app.stopped();
    tokio::pin!(stopped);
    let mut ping =
        tokio::time::interval_at(tokio::time::Instant::now() + PING_INTERVAL, PING_INTERVAL);
    loop {
        let outgoing = tokio::select! {
            frame = frames.recv() => match frame {
                Ok(text) => Message::Text(text),
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "live client lagged; sending resync");
                    Message::Text(LiveEvent::Resync.to_frame())
                }
                Err(RecvError::Closed) => break,
            },
            msg = incoming.next() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => continue, // pongs and stray messages: nothing to do
            },
            _ = ping.tick() => Message::Ping(Default::default()),
            _ = &mut stopped => {
                let bye = CloseFrame { code: CloseCode::Away, reason: "hookpit is shutting down".into() };
                let _ = sink.send(Message::Close(Some(bye))).await;
                break;
            }
        };
        if sink.feed(outgoing).await.is_err() {
            break;
        }
        // What is already queued goes out in the same write: a burst costs one syscall, not one
        // per event.
        loop {
            let queued = match frames.try_recv() {
                Ok(text) => Message::Text(text),
                Err(TryRecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "live client lagged; sending resync");
                    Message::Text(LiveEvent::Resync.to_frame())
                }
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            };
            if sink.feed(queued).await.is_err() {
                return;
            }
        }
        if sink.flush().await.is_err() {
            break;
        }
    }
}
