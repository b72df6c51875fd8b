//! The first bytes of a connection, read under a deadline before hyper sees them. hyper-util's
//! auto builder reads up to 24 bytes to tell HTTP/2's preface from HTTP/1 and has no deadline of
//! its own (hyper's header timeout starts only after it), so a peer that connects and sends
//! nothing, or half a preface, would hold its connection forever.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

/// The HTTP/2 connection preface (RFC 9113 §3.4).
pub(crate) const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Reads as far as the version sniffing will (the whole preface, the first byte that departs
/// from it, or end of stream) within `limit`; `None` when the peer is too slow or the read fails.
pub async fn read_preface<S: AsyncRead + Unpin>(
    stream: &mut S,
    limit: Duration,
) -> Option<Vec<u8>> {
    let mut buf = Vec::with_capacity(H2_PREFACE.len());
    let reading = async {
        let mut chunk = [0u8; H2_PREFACE.len()];
        while buf.len() < H2_PREFACE.len() {
            let want = H2_PREFACE.len() - buf.len();
            let n = stream.read(&mut chunk[..want]).await.ok()?;
            buf.extend_from_slice(&chunk[..n]);
            if n == 0 || !H2_PREFACE.starts_with(&buf) {
                break;
            }
        }
        Some(())
    };
    tokio::time::timeout(limit, reading).await.ok()??;
    Some(buf)
}

/// A stream that first replays bytes already read from it.
pub struct Prefixed<S> {
    /// Bytes to hand out before reading `inner` again.
    prefix: Vec<u8>,
    /// How many of them were handed out.
    pos: usize,
    /// The connection.
    inner: S,
}

impl<S> Prefixed<S> {
    /// Replays `prefix`, then reads on from `inner`.
    pub fn new(prefix: Vec<u8>, inner: S) -> Prefixed<S> {
        Prefixed {
            prefix,
            pos: 0,
            inner,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.pos < this.prefix.len() {
            let n = buf.remaining().min(this.prefix.len() - this.pos);
            buf.put_slice(&this.prefix[this.pos..this.pos + n]);
            this.pos += n;
            if this.pos == this.prefix.len() {
                this.prefix = Vec::new();
                this.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

crate::server::write_through!(Prefixed);

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn stops_at_the_first_byte_that_is_not_the_preface_and_replays_it() {
        let (mut client, mut server) = tokio::io::duplex(64);
        client
            .write_all(b"POST / HTTP/1.1\r\n")
            .await
            .expect("write");
        let first = read_preface(&mut server, Duration::from_secs(5))
            .await
            .expect("read");
        assert!(!first.is_empty() && b"POST / HTTP/1.1\r\n".starts_with(&first));
        let mut again = Prefixed::new(first, server);
        let mut all = vec![0u8; 17];
        again
            .read_exact(&mut all)
            .await
            .expect("replayed then read on");
        assert_eq!(all, b"POST / HTTP/1.1\r\n");
    }

    #[tokio::test]
    async fn a_silent_or_half_preface_peer_is_given_up() {
        let (_client, mut server) = tokio::io::duplex(64);
        assert!(
            read_preface(&mut server, Duration::from_millis(50))
                .await
                .is_none()
        );
        let (mut client, mut server) = tokio::io::duplex(64);
        client.write_all(b"PRI * HTTP").await.expect("write");
        assert!(
            read_preface(&mut server, Duration::from_millis(50))
                .await
                .is_none()
        );
        let (mut client, mut server) = tokio::io::duplex(64);
        client.write_all(H2_PREFACE).await.expect("write");
        assert_eq!(
            read_preface(&mut server, Duration::from_millis(50))
                .await
                .as_deref(),
            Some(H2_PREFACE)
        );
    }
}
