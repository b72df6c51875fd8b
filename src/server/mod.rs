//! The accept loop both listeners share: hyper-util's auto builder (HTTP/1 and HTTP/2), one
//! task and tracing span per connection, accept errors logged and backed off, idle HTTP/2
//! connections closed, and a bounded drain on shutdown. What each request does is decided in
//! `routes.rs`.

/// Implements `AsyncWrite` for a wrapper that only watches reads, by passing every write to its
/// `inner` field untouched.
macro_rules! write_through {
    ($ty:ident) => {
        impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for $ty<S> {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                std::pin::Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                self.inner.is_write_vectored()
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.get_mut().inner).poll_flush(cx)
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::pin::Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
            }
        }
    };
}
pub(crate) use write_through;

mod api;
mod api_diff;
mod api_doctor;
mod api_export;
mod api_import;
mod api_replay;
mod api_runs;
mod api_schema;
mod api_send;
mod api_sessions;
mod api_transform;
mod api_wait;
pub mod assets;
mod body;
pub mod capture;
mod drive;
pub mod exchange;
mod guard;
mod head_tap;
mod mcp;
mod openapi;
mod preface;
pub mod routes;
pub mod tls;
pub mod ws;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::Instrument;

use crate::app::App;
pub use head_tap::{HeadQueue, RawHead};

pub use body::Body;

/// How long shutdown waits for open connections to finish.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(5);
/// Most header lines in one HTTP/1 request; more get 431.
pub const MAX_REQUEST_HEADERS: usize = 100;
/// Largest HTTP/1 request head (request line and headers) in bytes; larger get 431 (or 414
/// for the URL alone). Matches what the head tap will buffer.
pub const MAX_REQUEST_HEAD: usize = 64 * 1024;
/// Most requests (streams) open at once on one HTTP/2 connection; the peer must wait for more.
pub const MAX_H2_STREAMS: u32 = 100;
/// Largest HTTP/2 header list (each field counted as name + value + 32 bytes), as for HTTP/1's
/// `MAX_REQUEST_HEAD`: larger get 431, far larger close the connection.
pub const MAX_H2_HEADER_LIST: u32 = MAX_REQUEST_HEAD as u32;
/// Pause after a failed accept (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Which of the two listeners a connection arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// Webhooks: every method and path is captured.
    Capture,
    /// The browser UI, JSON API and WebSocket.
    Ui,
}

/// What a request handler knows about its connection.
#[derive(Clone)]
pub struct Conn {
    /// The peer.
    pub remote: SocketAddr,
    /// The address the peer reached (an interface address when the listener is unspecified).
    pub local: SocketAddr,
    /// Request heads exactly as they were on the wire (capture listener only).
    pub heads: HeadQueue,
}

/// A request handler: what a listener does with each request.
pub type Handler = Arc<
    dyn Fn(Request<Incoming>, Conn) -> Pin<Box<dyn Future<Output = Response<Body>> + Send>>
        + Send
        + Sync,
>;

/// Serves one of the app's listeners until the app starts stopping.
pub async fn serve(listener: TcpListener, which: Listener, app: App) {
    let stopped = app.stopped();
    let header_timeout = app.config.header_timeout;
    let handler: Handler = Arc::new(move |req, conn| {
        let app = app.clone();
        Box::pin(async move { routes::dispatch(which, app, req, conn).await })
    });
    let tap = which == Listener::Capture;
    accept_loop(listener, tap, None, header_timeout, stopped, handler).await;
}

/// Serves `listener` with `handler` until `stopped` completes, then drains for up to
/// `DRAIN_DEADLINE`. `tap` reads request heads off the wire (for byte-exact capture); `tls`
/// serves HTTPS; `header_timeout` bounds the TLS handshake, the first bytes, each request head
/// and how long an HTTP/2 connection may sit with no request in flight.
pub async fn accept_loop(
    listener: TcpListener,
    tap: bool,
    tls: Option<tokio_rustls::TlsAcceptor>,
    header_timeout: Duration,
    stopped: impl Future<Output = ()>,
    handler: Handler,
) {
    tokio::pin!(stopped);
    // Not hyper-util's `GracefulShutdown`: it takes the connection away, so nothing else could
    // close an idle one. This is the same signal it uses inside: a watch channel whose
    // receivers, one per connection, are all gone once every connection has ended.
    let (stop, _) = watch::channel(());
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_headers(MAX_REQUEST_HEADERS)
        .max_buf_size(MAX_REQUEST_HEAD);
    builder
        .http2()
        .max_concurrent_streams(MAX_H2_STREAMS)
        .max_header_list_size(MAX_H2_HEADER_LIST);
    let local = listener.local_addr().ok();
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(?local, "accept failed: {e}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            _ = &mut stopped => break,
        };
        // Small responses should leave at once, not wait for Nagle.
        let _ = stream.set_nodelay(true);
        let Ok(reached) = stream.local_addr() else {
            continue; // already gone
        };
        let handler = Arc::clone(&handler);
        let (builder, stop, tls) = (builder.clone(), stop.subscribe(), tls.clone());
        let span = tracing::debug_span!("conn", ?local, %remote);
        tokio::spawn(
            async move {
                let mut stream = match tls {
                    None => tls::Stream::Plain(stream),
                    Some(acceptor) => {
                        match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                            Ok(Ok(s)) => tls::Stream::Tls(Box::new(s)),
                            Ok(Err(e)) => return tracing::debug!("TLS handshake failed: {e}"),
                            Err(_) => return tracing::debug!("TLS handshake timed out"),
                        }
                    }
                };
                let Some(first) = preface::read_preface(&mut stream, header_timeout).await else {
                    return tracing::debug!("no request within {header_timeout:?}; closed");
                };
                // HTTP/1 idles under hyper's header timeout; HTTP/2 has none of its own.
                let idle = (first == preface::H2_PREFACE).then_some(header_timeout);
                let stream = preface::Prefixed::new(first, stream);
                let (io, heads) = head_tap::HeadTap::new(stream, tap);
                let conn = Conn {
                    remote,
                    local: reached,
                    heads,
                };
                let (busy, in_flight) = watch::channel(0usize);
                let service = service_fn(move |req: Request<Incoming>| {
                    let guard = drive::InFlight::start(&busy);
                    let fut = handler(req, conn.clone());
                    async move { Ok::<_, Infallible>(fut.await.map(|body| guard.track(body))) }
                });
                let connection = builder
                    .serve_connection_with_upgrades(TokioIo::new(io), service)
                    .into_owned();
                if let Err(e) = drive::drive(connection, stop, in_flight, idle).await {
                    tracing::debug!("connection ended with an error: {e}");
                }
            }
            .instrument(span),
        );
    }
    drop(listener);
    let _ = stop.send(());
    tokio::select! {
        _ = stop.closed() => {}
        _ = tokio::time::sleep(DRAIN_DEADLINE) => {
            tracing::warn!(?local, "connections still open after {DRAIN_DEADLINE:?}; not waiting for them any longer (they end when hookpit exits)");
        }
    }
}

/// A JSON answer.
pub fn json_response(status: http::StatusCode, value: &impl serde::Serialize) -> Response<Body> {
    let body = serde_json::to_vec(value).expect("API values serialize");
    let mut resp = Response::new(Body::from(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// A JSON error: `{"error": message}`.
pub fn error_response(status: http::StatusCode, message: impl Into<String>) -> Response<Body> {
    json_response(status, &serde_json::json!({ "error": message.into() }))
}
