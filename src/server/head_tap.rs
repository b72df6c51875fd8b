//! Reads request heads off the wire as they pass into hyper, because hyper's `HeaderMap`
//! lower-cases names and regroups duplicates. The tap follows HTTP/1 framing (Content-Length,
//! chunked) only far enough to find the next head; it stores no body bytes. When anything looks
//! unusual (HTTP/2, upgrades, huge heads) it turns itself off and capture falls back to hyper's
//! view of the headers.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, ReadBuf};

use crate::store::model::Headers;

/// Largest request head the tap will buffer; past it, capture uses hyper's headers.
const MAX_HEAD: usize = 64 * 1024;
/// Most headers the tap parses in one head (hyper refuses more than `MAX_REQUEST_HEADERS`).
const MAX_HEADERS: usize = 128;
/// Longest chunk-size or trailer line the tap follows.
const MAX_LINE: usize = 4096;

/// One request head as it was on the wire.
#[derive(Debug, Clone)]
pub struct RawHead {
    /// Method as sent.
    pub method: String,
    /// Request target as sent (path and query, or absolute form).
    pub target: String,
    /// Headers in wire order and case.
    pub headers: Headers,
}

/// Heads seen on one connection, oldest first, waiting for their requests to be handled.
#[derive(Clone, Default)]
pub struct HeadQueue(Arc<Mutex<VecDeque<RawHead>>>);

impl HeadQueue {
    /// The wire headers of the request now being handled, if the tap has them. A head that
    /// does not belong to this request means the tap lost step: all are dropped.
    pub fn take(&self, method: &str, target: &str, absolute: &str) -> Option<Headers> {
        let mut queue = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let head = queue.pop_front()?;
        if head.method == method && (head.target == target || head.target == absolute) {
            Some(head.headers)
        } else {
            queue.clear();
            None
        }
    }

    fn push(&self, head: RawHead) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(head);
    }
}

/// Where the scanner is in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Head,
    Fixed(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkDataEnd,
    Trailer,
    Off,
}

struct Scanner {
    phase: Phase,
    buf: Vec<u8>,
}

impl Scanner {
    fn feed(&mut self, data: &[u8], queue: &HeadQueue) {
        let mut i = 0;
        while i < data.len() {
            match self.phase {
                Phase::Off => return,
                Phase::Head => {
                    let before = self.buf.len();
                    self.buf.extend_from_slice(&data[i..]);
                    match parse_head(&self.buf) {
                        Ok(Some((len, head, next))) => {
                            queue.push(head);
                            i += len.saturating_sub(before);
                            self.buf.clear();
                            self.phase = next;
                        }
                        Ok(None) if self.buf.len() <= MAX_HEAD => return,
                        _ => {
                            self.off();
                            return;
                        }
                    }
                }
                Phase::Fixed(left) | Phase::ChunkData(left) => {
                    let take = left.min((data.len() - i) as u64);
                    i += take as usize;
                    let left = left - take;
                    self.phase = match (self.phase, left) {
                        (Phase::Fixed(_), 0) => Phase::Head,
                        (Phase::Fixed(_), n) => Phase::Fixed(n),
                        (_, 0) => Phase::ChunkDataEnd,
                        (_, n) => Phase::ChunkData(n),
                    };
                }
                Phase::ChunkSize | Phase::ChunkDataEnd | Phase::Trailer => {
                    let Some(nl) = data[i..].iter().position(|&b| b == b'\n') else {
                        self.buf.extend_from_slice(&data[i..]);
                        if self.buf.len() > MAX_LINE {
                            self.off();
                        }
                        return;
                    };
                    self.buf.extend_from_slice(&data[i..i + nl]);
                    i += nl + 1;
                    let line = std::mem::take(&mut self.buf);
                    let line = line.strip_suffix(b"\r").unwrap_or(&line);
                    self.phase = match self.phase {
                        Phase::ChunkDataEnd => Phase::ChunkSize,
                        Phase::Trailer if line.is_empty() => Phase::Head,
                        Phase::Trailer => Phase::Trailer,
                        _ => match chunk_size(line) {
                            Some(0) => Phase::Trailer,
                            Some(n) => Phase::ChunkData(n),
                            None => Phase::Off,
                        },
                    };
                }
            }
        }
    }

    fn off(&mut self) {
        self.phase = Phase::Off;
        self.buf = Vec::new();
    }
}

/// `Ok(Some((head length, head, phase after it)))` once a whole head is buffered.
fn parse_head(buf: &[u8]) -> Result<Option<(usize, RawHead, Phase)>, ()> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut slots);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(()),
    };
    let (Some(method), Some(target)) = (req.method, req.path) else {
        return Err(());
    };
    let headers: Headers = req
        .headers
        .iter()
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect();
    let has = |name: &str| headers.contains(name);
    let value =
        |name: &str| (headers.get(name)).map(|v| String::from_utf8_lossy(v).to_ascii_lowercase());
    // HTTP/2 prior knowledge, upgrades and tunnels leave HTTP/1 framing: stop following.
    let next = if method == "PRI" || method == "CONNECT" || has("upgrade") {
        Phase::Off
    } else if let Some(te) = value("transfer-encoding") {
        if te.trim_end().ends_with("chunked") {
            Phase::ChunkSize
        } else {
            Phase::Off
        }
    } else {
        match value("content-length").map(|v| v.trim().parse::<u64>()) {
            None | Some(Ok(0)) => Phase::Head,
            Some(Ok(n)) => Phase::Fixed(n),
            Some(Err(_)) => Phase::Off,
        }
    };
    let head = RawHead {
        method: method.to_string(),
        target: target.to_string(),
        headers,
    };
    Ok(Some((len, head, next)))
}

fn chunk_size(line: &[u8]) -> Option<u64> {
    let end = line
        .iter()
        .position(|&b| b == b';' || b == b' ' || b == b'\t')
        .unwrap_or(line.len());
    let text = std::str::from_utf8(&line[..end]).ok()?;
    u64::from_str_radix(text, 16).ok()
}

/// A stream that shows every byte it reads to the scanner, then passes it on untouched.
pub struct HeadTap<S> {
    inner: S,
    scanner: Scanner,
    queue: HeadQueue,
}

impl<S> HeadTap<S> {
    /// Wraps `inner`; a tap that is not `enabled` only passes bytes through.
    pub fn new(inner: S, enabled: bool) -> (HeadTap<S>, HeadQueue) {
        let queue = HeadQueue::default();
        let phase = if enabled { Phase::Head } else { Phase::Off };
        let tap = HeadTap {
            inner,
            scanner: Scanner {
                phase,
                buf: Vec::new(),
            },
            queue: queue.clone(),
        };
        (tap, queue)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HeadTap<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if this.scanner.phase != Phase::Off {
            this.scanner.feed(&buf.filled()[before..], &this.queue);
        }
        Poll::Ready(Ok(()))
    }
}

crate::server::write_through!(HeadTap);

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(pieces: &[&[u8]]) -> (Vec<RawHead>, Phase) {
        let queue = HeadQueue::default();
        let mut scanner = Scanner {
            phase: Phase::Head,
            buf: Vec::new(),
        };
        for p in pieces {
            scanner.feed(p, &queue);
        }
        let heads = queue.0.lock().expect("not poisoned").drain(..).collect();
        (heads, scanner.phase)
    }

    #[test]
    fn keeps_case_order_duplicates_and_raw_bytes() {
        let (heads, phase) =
            scan(&[b"POST /a%20b?x=1 HTTP/1.1\r\nX-One: 1\r\nhost: h\r\nX-One: \xe9\r\n\r\n"]);
        assert_eq!(phase, Phase::Head);
        let h = &heads[0];
        assert_eq!(
            (h.method.as_str(), h.target.as_str()),
            ("POST", "/a%20b?x=1")
        );
        let names: Vec<&str> = h.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["X-One", "host", "X-One"]);
        assert_eq!(h.headers[2].1, vec![0xe9]);
    }

    #[test]
    fn follows_content_length_and_chunked_bodies_across_reads() {
        let (heads, phase) = scan(&[
            b"POST /1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel",
            b"loPOST /2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r",
            b"\n0\r\nX-Trailer: t\r\n\r\nGET /3 HTTP/1.1\r\n",
            b"A: b\r\n\r\n",
        ]);
        let targets: Vec<&str> = heads.iter().map(|h| h.target.as_str()).collect();
        assert_eq!(targets, ["/1", "/2", "/3"]);
        assert_eq!(phase, Phase::Head);
    }

    #[test]
    fn turns_off_for_http2_and_garbage() {
        assert_eq!(scan(&[b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"]).1, Phase::Off);
        assert_eq!(scan(&[b"\x00\x01 nonsense\r\n\r\n"]).1, Phase::Off);
        assert_eq!(
            scan(&[b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"]).1,
            Phase::Off
        );
    }

    #[test]
    fn a_mismatched_head_is_dropped_not_misattributed() {
        let queue = HeadQueue::default();
        queue.push(RawHead {
            method: "GET".into(),
            target: "/other".into(),
            headers: Headers::from(vec![]),
        });
        assert!(queue.take("POST", "/x", "http://h/x").is_none());
        assert!(queue.0.lock().expect("not poisoned").is_empty());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// One well-formed HTTP/1.1 request: its head, and the bytes on the wire.
        fn request() -> impl Strategy<Value = (RawHead, Vec<u8>)> {
            let header = ("[A-Za-z][A-Za-z0-9-]{0,12}", "[ -~]{0,30}").prop_filter(
                "not a framing header",
                |(n, _)| {
                    !["content-length", "transfer-encoding", "upgrade"]
                        .contains(&n.to_ascii_lowercase().as_str())
                },
            );
            (
                prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH"]),
                "/[a-zA-Z0-9%/._~-]{0,30}(\\?[a-z0-9=&]{0,20})?",
                prop::collection::vec(header, 0..6),
                prop::collection::vec(any::<u8>(), 0..300),
                // Chunked with these chunk sizes (cycled), or Content-Length when empty.
                prop::collection::vec(1usize..50, 0..4),
                any::<bool>(),
            )
                .prop_map(|(method, target, headers, body, chunks, trailer)| {
                    let mut wire = format!("{method} {target} HTTP/1.1\r\n").into_bytes();
                    let mut all: Headers = headers
                        .into_iter()
                        .map(|(n, v)| (n, v.trim().as_bytes().to_vec()))
                        .collect();
                    if chunks.is_empty() {
                        all.push(("Content-Length".into(), body.len().to_string().into_bytes()));
                    } else {
                        all.push(("Transfer-Encoding".into(), b"chunked".to_vec()));
                    }
                    for (n, v) in &all {
                        wire.extend_from_slice(n.as_bytes());
                        wire.extend_from_slice(b": ");
                        wire.extend_from_slice(v);
                        wire.extend_from_slice(b"\r\n");
                    }
                    wire.extend_from_slice(b"\r\n");
                    if chunks.is_empty() {
                        wire.extend_from_slice(&body);
                    } else {
                        let mut rest = body.as_slice();
                        for size in chunks.iter().cycle() {
                            if rest.is_empty() {
                                break;
                            }
                            let (chunk, after) = rest.split_at((*size).min(rest.len()));
                            wire.extend_from_slice(
                                format!("{:X};ext=\"a;b\"\r\n", chunk.len()).as_bytes(),
                            );
                            wire.extend_from_slice(chunk);
                            wire.extend_from_slice(b"\r\n");
                            rest = after;
                        }
                        wire.extend_from_slice(b"0\r\n");
                        if trailer {
                            wire.extend_from_slice(b"X-Trailer: yes\r\n");
                        }
                        wire.extend_from_slice(b"\r\n");
                    }
                    let head = RawHead {
                        method: method.to_string(),
                        target,
                        headers: all,
                    };
                    (head, wire)
                })
        }

        /// Splits `wire` at the given points (taken modulo its length).
        fn split(wire: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
            let mut at: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
            at.sort_unstable();
            at.push(wire.len());
            let mut pieces = Vec::new();
            let mut from = 0;
            for to in at {
                pieces.push(wire[from..to].to_vec());
                from = to;
            }
            pieces
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

            /// Arbitrary bytes in arbitrary pieces: the tap never panics and never buffers more
            /// than its limits.
            #[test]
            fn arbitrary_bytes_never_panic(
                pieces in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..20),
                prefix in prop::sample::select(vec![&b""[..], b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n"]),
            ) {
                let mut all: Vec<&[u8]> = vec![prefix];
                all.extend(pieces.iter().map(Vec::as_slice));
                let queue = HeadQueue::default();
                let mut scanner = Scanner { phase: Phase::Head, buf: Vec::new() };
                for p in all {
                    scanner.feed(p, &queue);
                    prop_assert!(scanner.buf.len() <= MAX_HEAD + 200);
                }
            }

            /// Pipelined well-formed requests (Content-Length or chunked with extensions and
            /// trailers), cut anywhere: the tap sees exactly their heads, in order, with names,
            /// case and values as sent, and ends ready for the next head.
            #[test]
            fn pipelined_requests_cut_anywhere_give_their_exact_heads(
                requests in prop::collection::vec(request(), 1..5),
                cuts in prop::collection::vec(any::<usize>(), 0..12),
            ) {
                let wire: Vec<u8> = requests.iter().flat_map(|(_, w)| w.clone()).collect();
                let pieces = split(&wire, &cuts);
                let refs: Vec<&[u8]> = pieces.iter().map(Vec::as_slice).collect();
                let (heads, phase) = scan(&refs);
                prop_assert_eq!(phase, Phase::Head);
                prop_assert_eq!(heads.len(), requests.len());
                for (got, (want, _)) in heads.iter().zip(&requests) {
                    prop_assert_eq!(&got.method, &want.method);
                    prop_assert_eq!(&got.target, &want.target);
                    prop_assert_eq!(&got.headers, &want.headers);
                }
            }
        }
    }
}
