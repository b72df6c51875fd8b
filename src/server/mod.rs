//! The accept loop both listeners share: hyper-util's auto builder (HTTP/1 and HTTP/2), one
//! task and tracing span per connection, accept errors logged and backed off, and a bounded
//! drain on shutdown. What each request does is decided in `routes.rs`.

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
mod api_doctor;
mod api_replay;
mod api_send;
pub mod assets;
pub mod capture;
mod guard;
mod head_tap;
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
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tracing::Instrument;

use crate::app::App;
pub use head_tap::{HeadQueue, RawHead};

/// Response body of every hookpit answer.
pub type Body = Full<Bytes>;

/// How long shutdown waits for open connections to finish.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(5);
/// How long a client may take to send a request's headers (the default of `--header-timeout`);
/// a connection that sends nothing at all is closed after it too.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Most header lines in one HTTP/1 request; more get 431.
pub const MAX_REQUEST_HEADERS: usize = 100;
/// Largest HTTP/1 request head (request line and headers) in bytes; larger get 431 (or 414
/// for the URL alone). Matches what the head tap will buffer.
pub const MAX_REQUEST_HEAD: usize = 64 * 1024;
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
/// serves HTTPS; `header_timeout` bounds the TLS handshake, the first bytes and each request head.
pub async fn accept_loop(
    listener: TcpListener,
    tap: bool,
    tls: Option<tokio_rustls::TlsAcceptor>,
    header_timeout: Duration,
    stopped: impl Future<Output = ()>,
    handler: Handler,
) {
    tokio::pin!(stopped);
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_headers(MAX_REQUEST_HEADERS)
        .max_buf_size(MAX_REQUEST_HEAD);
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
        let handler = Arc::clone(&handler);
        let (builder, watcher, tls) = (builder.clone(), graceful.watcher(), tls.clone());
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
                let stream = preface::Prefixed::new(first, stream);
                let (io, heads) = head_tap::HeadTap::new(stream, tap);
                let conn = Conn { remote, heads };
                let service = service_fn(move |req: Request<Incoming>| {
                    let fut = handler(req, conn.clone());
                    async move { Ok::<_, Infallible>(fut.await) }
                });
                let connection = builder
                    .serve_connection_with_upgrades(TokioIo::new(io), service)
                    .into_owned();
                if let Err(e) = watcher.watch(connection).await {
                    tracing::debug!("connection ended with an error: {e}");
                }
            }
            .instrument(span),
        );
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN_DEADLINE) => {
            tracing::warn!(?local, "connections still open after {DRAIN_DEADLINE:?}; closing them");
        }
    }
}

/// A JSON answer.
pub fn json_response(status: http::StatusCode, value: &impl serde::Serialize) -> Response<Body> {
    let body = serde_json::to_vec(value).expect("API values serialize");
    let mut resp = Response::new(Full::new(Bytes::from(body)));
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
