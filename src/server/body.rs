//! The body of every hookpit answer: whole bytes (almost everything), or a stream of chunks a
//! task produces while the client reads (an export, which may be larger than memory).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Frame, SizeHint};
use tokio::sync::mpsc;

/// Chunks a streamed body may hold queued before its producer waits for the client.
pub const STREAM_QUEUE: usize = 16;

/// Response body of every hookpit answer.
#[derive(Debug)]
pub enum Body {
    /// The whole body at once.
    Whole(Full<Bytes>),
    /// Chunks sent by a producer task; the body ends when the task drops its sender, and is
    /// cut off (no clean end, so the client knows it is incomplete) when it sends an error.
    Stream(mpsc::Receiver<std::io::Result<Bytes>>),
}

impl Body {
    /// A streamed body and the sender that feeds it (at most [`STREAM_QUEUE`] chunks ahead of
    /// the client, so a slow reader slows the producer instead of filling memory).
    pub fn channel() -> (mpsc::Sender<std::io::Result<Bytes>>, Body) {
        let (tx, rx) = mpsc::channel(STREAM_QUEUE);
        (tx, Body::Stream(rx))
    }
}

impl Default for Body {
    fn default() -> Body {
        Body::Whole(Full::default())
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body::Whole(Full::new(bytes))
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::io::Result<Frame<Bytes>>>> {
        match self.get_mut() {
            Body::Whole(full) => Pin::new(full)
                .poll_frame(cx)
                .map(|f| f.map(|f| f.map_err(|never| match never {}))),
            Body::Stream(rx) => rx
                .poll_recv(cx)
                .map(|chunk| chunk.map(|c| c.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Whole(full) => full.is_end_stream(),
            Body::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Whole(full) => full.size_hint(),
            Body::Stream(_) => SizeHint::default(),
        }
    }
}
