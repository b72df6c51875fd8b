//! How one connection runs to its end: closed gracefully when the server stops or, for HTTP/2,
//! when no request has been in flight for a while (hyper times out an idle HTTP/1 connection
//! itself, but has no such timer for HTTP/2); dropped if the peer will not let it close.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use hyper_util::server::graceful::GracefulConnection;
use tokio::sync::watch;

use super::Body;

/// Runs one connection to its end. It is closed gracefully (HTTP/2: GOAWAY) when the server
/// stops, or when nothing has been in flight on it for `idle`; a connection still open after
/// another `idle` with nothing in flight (a peer that ignores the GOAWAY) is dropped. Boxed as
/// `Send` here, where rustc can prove it (at the spawn, the higher-ranked lifetimes of the watch
/// futures inside a generic async fn defeat its `Send` inference).
pub(super) fn drive<C>(
    conn: C,
    stop: watch::Receiver<()>,
    in_flight: watch::Receiver<usize>,
    idle: Option<Duration>,
) -> Pin<Box<dyn Future<Output = Result<(), C::Error>> + Send>>
where
    C: GracefulConnection + Send + 'static,
    C::Error: Send,
{
    Box::pin(async move {
        tokio::pin!(conn);
        // Pinned out here so its receiver lives until the connection ends, whichever way: the
        // drain at shutdown waits for every receiver, idle-closed connections included.
        let stop = stop_signal(stop);
        tokio::pin!(stop);
        tokio::select! {
            ended = conn.as_mut() => return ended,
            _stop = &mut stop => {
                conn.as_mut().graceful_shutdown();
                // `_stop` lives until the connection has ended: the drain waits for that.
                return conn.await;
            }
            _ = quiet_for(in_flight.clone(), idle) => {
                tracing::debug!("nothing in flight for {idle:?}; closing");
                conn.as_mut().graceful_shutdown();
            }
        }
        tokio::select! {
            ended = conn.as_mut() => ended,
            _ = quiet_for(in_flight, idle) => {
                tracing::debug!("the peer did not close after GOAWAY; dropped");
                Ok(())
            }
        }
    })
}

/// Completes when the server stops, handing back the receiver (the drain waits until every
/// one is dropped).
async fn stop_signal(mut stop: watch::Receiver<()>) -> watch::Receiver<()> {
    let _ = stop.changed().await;
    stop
}

/// Completes once no request has been in flight for `limit` (or the count is gone); never
/// without a limit.
async fn quiet_for(mut in_flight: watch::Receiver<usize>, limit: Option<Duration>) {
    let Some(limit) = limit else {
        return std::future::pending().await;
    };
    loop {
        if in_flight.wait_for(|n| *n == 0).await.is_err() {
            return;
        }
        match tokio::time::timeout(limit, in_flight.changed()).await {
            Ok(Ok(())) => {}
            Err(_) | Ok(Err(_)) => return,
        }
    }
}

/// Counts one request as in flight on its connection while it lives.
pub(super) struct InFlight(watch::Sender<usize>);

impl InFlight {
    /// Counts a request that has just arrived.
    pub(super) fn start(busy: &watch::Sender<usize>) -> InFlight {
        busy.send_modify(|n| *n += 1);
        InFlight(busy.clone())
    }

    /// Keeps the request in flight until its answer's body has been sent.
    pub(super) fn track(self, body: Body) -> Tracked {
        Tracked { body, _guard: self }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// An answer's body that keeps its request in flight until hyper has sent it all or given up.
pub(super) struct Tracked {
    /// The answer.
    body: Body,
    /// Dropped with the body.
    _guard: InFlight,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}
