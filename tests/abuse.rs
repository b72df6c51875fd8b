//! The capture port under abuse: header floods, huge URLs, bodies that stop halfway, slowloris,
//! piles of idle connections, chunked bodies of odd shapes and HTTP/2 prior knowledge. hookpit
//! answers a clear 4xx where it should, stores nothing partial, frees what it holds, and keeps
//! serving everyone else meanwhile.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::child::exchange;
use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Events stored so far.
async fn stored(t: &TestApp) -> u64 {
    get_json(t, "/api/status").await["events"]
        .as_u64()
        .expect("event count")
}

/// Writes `bytes` (ignoring a reset once the server has answered) and reads whatever answer
/// comes before the connection closes.
async fn blast(addr: SocketAddr, bytes: Vec<u8>) -> Option<RawResponse> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        for piece in bytes.chunks(16 * 1024) {
            if wr.write_all(piece).await.is_err() {
                return;
            }
        }
        let _ = wr.flush().await;
        // Keep the write half open: closing it could end the exchange early.
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match rd.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if complete(&buf) {
                break;
            }
        }
    })
    .await;
    writer.abort();
    assert!(read.is_ok(), "no answer within 10 s");
    try_parse_response(&buf)
}

/// Whether `buf` holds a whole `Content-Length`-framed response.
fn complete(buf: &[u8]) -> bool {
    try_parse_response(buf).is_some_and(|r| {
        let len: usize = r
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        r.body.len() >= len
    })
}

/// Whether the server closes `stream` within `within` (reading and discarding any answer).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut chunk = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn ten_thousand_headers_get_431_and_others_are_still_served() {
    let t = spawn_app(&[]).await;
    let mut head = format!("POST /flood HTTP/1.1\r\nHost: {}\r\n", t.capture);
    for i in 0..10_000 {
        head.push_str(&format!("X-Flood-{i}: {i}\r\n"));
    }
    head.push_str("Content-Length: 2\r\n\r\n{}");
    let r = blast(t.capture, head.into_bytes())
        .await
        .expect("an answer, not a reset");
    assert_eq!(r.status, 431, "too many headers");
    // One header of 1 MiB: too large as well.
    let big = format!(
        "POST /flood HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nContent-Length: 0\r\n\r\n",
        "a".repeat(1 << 20)
    );
    let r = blast(t.capture, big.into_bytes()).await.expect("an answer");
    assert_eq!(r.status, 431, "header section too large");
    assert_eq!(stored(&t).await, 0, "nothing stored");
    capture_post(&t, "/after", &[], b"{}").await;
    assert_eq!(stored(&t).await, 1);
    // The limits are exact: MAX_REQUEST_HEADERS lines pass, one more does not.
    let max = hookpit::server::MAX_REQUEST_HEADERS;
    let lines = |n: usize| {
        let mut head = "POST /edge HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n".to_string();
        for i in 0..n - 2 {
            head.push_str(&format!("X-{i}: v\r\n"));
        }
        head.push_str("\r\n{}");
        head.into_bytes()
    };
    let r = blast(t.capture, lines(max)).await.expect("an answer");
    assert_eq!(r.status, 200, "{max} header lines are fine");
    let r = blast(t.capture, lines(max + 1)).await.expect("an answer");
    assert_eq!(r.status, 431, "{} header lines are too many", max + 1);
    let head_limit = hookpit::server::MAX_REQUEST_HEAD;
    let big = |size: usize| {
        let fixed = "POST /edge HTTP/1.1\r\nHost: x\r\nX-Big: \r\nContent-Length: 0\r\n\r\n".len();
        format!(
            "POST /edge HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nContent-Length: 0\r\n\r\n",
            "b".repeat(size - fixed)
        )
        .into_bytes()
    };
    let r = blast(t.capture, big(head_limit / 2))
        .await
        .expect("an answer");
    assert_eq!(r.status, 200, "a head of half the limit is fine");
    let r = blast(t.capture, big(head_limit + 1))
        .await
        .expect("an answer");
    assert_eq!(r.status, 431, "a head over MAX_REQUEST_HEAD is refused");
    assert_eq!(stored(&t).await, 3);
    t.stop().await;
}

#[tokio::test]
async fn a_very_long_url_gets_a_clear_4xx_and_a_long_one_is_kept_exactly() {
    let t = spawn_app(&[]).await;
    let huge = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "u".repeat(1 << 20));
    let r = blast(t.capture, huge.into_bytes())
        .await
        .expect("an answer");
    assert_eq!(r.status, 431, "a 1 MiB URL is a head over MAX_REQUEST_HEAD");
    // 16 KiB of path and query is unusual but legal: stored exactly.
    let path = format!("/{}", "p".repeat(8 * 1024));
    let query = "q=".to_string() + &"x".repeat(8 * 1024);
    let id = capture_post(&t, &format!("{path}?{query}"), &[], b"{}").await;
    let e = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(e["path"], path.as_str());
    assert_eq!(e["query"], query.as_str());
    assert_eq!(stored(&t).await, 1);
    t.stop().await;
}

#[tokio::test]
async fn a_body_that_stops_halfway_stores_nothing() {
    let t = spawn_app(&[]).await;
    // The sender half-closes after 500 of 1000 bytes: a clear 400, nothing stored.
    let mut s = TcpStream::connect(t.capture).await.expect("connect");
    s.write_all(b"POST /half HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        .await
        .expect("head");
    s.write_all(&[b'a'; 500]).await.expect("half a body");
    s.shutdown().await.expect("half-close");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("nothing was stored"), "{answer}");
    // The sender vanishes mid-body.
    let mut s = TcpStream::connect(t.capture).await.expect("connect");
    s.write_all(b"POST /gone HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
        .await
        .expect("part");
    drop(s);
    // Chunked, cut before the last chunk.
    let mut s = TcpStream::connect(t.capture).await.expect("connect");
    s.write_all(
        b"POST /cut HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    )
    .await
    .expect("part");
    s.shutdown().await.expect("half-close");
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut Vec::new())).await;
    capture_post(&t, "/whole", &[], b"{}").await;
    assert_eq!(stored(&t).await, 1, "only the whole request is stored");
    t.stop().await;
}

#[tokio::test]
async fn slowloris_is_cut_off_while_everyone_else_is_served() {
    let t = spawn_app(&["--header-timeout", "1s"]).await;
    let started = Instant::now();
    // Headers trickled, one line every 100 ms, for as long as the server lets it.
    let mut slow = TcpStream::connect(t.capture).await.expect("connect");
    slow.write_all(b"POST /slow HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("start");
    let trickle = tokio::spawn(async move {
        for i in 0..100 {
            let line = format!("X-Slow-{i}: drip\r\n");
            if slow.write_all(line.as_bytes()).await.is_err() {
                return (i, started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (100, started.elapsed())
    });
    // A connection that sends nothing, and one that sends half the HTTP/2 preface.
    let mut silent = TcpStream::connect(t.capture).await.expect("connect");
    let mut half = TcpStream::connect(t.capture).await.expect("connect");
    half.write_all(b"PRI * HTTP/2").await.expect("half preface");
    // Meanwhile everyone else is served.
    for i in 0..5 {
        capture_post(&t, &format!("/fast/{i}"), &[], b"{}").await;
    }
    assert!(started.elapsed() < Duration::from_secs(1), "served at once");
    assert!(
        closed_within(&mut silent, Duration::from_secs(5)).await,
        "a silent connection is closed after --header-timeout"
    );
    assert!(
        closed_within(&mut half, Duration::from_secs(5)).await,
        "half a preface is closed after --header-timeout"
    );
    let (lines, when) = trickle.await.expect("trickle task");
    assert!(
        lines < 60 && when < Duration::from_secs(8),
        "the trickling sender was cut off after {lines} lines, {when:?}"
    );
    // A body that stalls halfway (slow POST): 408, nothing stored.
    let mut stall = TcpStream::connect(t.capture).await.expect("connect");
    stall
        .write_all(b"POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        .await
        .expect("part of a body");
    let r = tokio::time::timeout(
        Duration::from_secs(5),
        common::child::read_response(&mut stall),
    )
    .await
    .expect("answered after --header-timeout")
    .expect("an answer");
    assert_eq!(r.status, 408, "{}", String::from_utf8_lossy(&r.body));
    // A keep-alive connection idle after its request is closed too.
    let mut idle = TcpStream::connect(t.capture).await.expect("connect");
    let r = exchange(
        &mut idle,
        b"POST /ka HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
    )
    .await
    .expect("answered");
    assert_eq!(r.status, 200);
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await);
    assert_eq!(stored(&t).await, 6, "nothing of the slow ones was stored");
    t.stop().await;
}

#[tokio::test]
async fn a_thousand_idle_connections_do_not_block_a_webhook_and_are_freed() {
    let t = spawn_app(&["--header-timeout", "2s"]).await;
    let mut idle = Vec::new();
    for _ in 0..1_000 {
        idle.push(TcpStream::connect(t.capture).await.expect("connect"));
    }
    let started = Instant::now();
    capture_post(&t, "/through", &[], b"{}").await;
    assert!(started.elapsed() < Duration::from_secs(2));
    // Every one of them is closed by the server (so its task and socket are freed).
    let closes = idle
        .iter_mut()
        .map(|s| closed_within(s, Duration::from_secs(10)));
    let all = futures_util::future::join_all(closes).await;
    assert_eq!(
        all.iter().filter(|c| **c).count(),
        1_000,
        "idle connections closed"
    );
    capture_post(&t, "/still", &[], b"{}").await;
    t.stop().await;
}

/// Sends one request on a fresh connection and returns the answer.
async fn send(t: &TestApp, request: &[u8]) -> RawResponse {
    let mut s = TcpStream::connect(t.capture).await.expect("connect");
    tokio::time::timeout(Duration::from_secs(5), exchange(&mut s, request))
        .await
        .expect("answered in time")
        .expect("an answer")
}

#[tokio::test]
async fn chunked_bodies_of_every_shape_are_stored_exactly_or_refused() {
    let t = spawn_app(&["--max-body", "1000"]).await;
    let raw_of = |id: i64| {
        let t = &t;
        async move {
            ui_request(t, "GET", &format!("/api/events/{id}/raw"), &[], b"")
                .await
                .body
        }
    };
    let id_of = |r: &RawResponse| {
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json()["id"].as_i64().expect("id")
    };
    let head =
        "POST /chunked HTTP/1.1\r\nHost: x\r\nX-Case-Kept: 1\r\nTransfer-Encoding: chunked\r\n\r\n";
    let shapes: &[(&str, &[u8])] = &[
        ("1-byte chunks", b"1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n"),
        (
            "extensions",
            b"3;name=value;q=\"a;b\"\r\nabc\r\n0;last\r\n\r\n",
        ),
        (
            "upper-case hex and leading zeros",
            b"000A\r\n0123456789\r\n00\r\n\r\n",
        ),
        (
            "trailers",
            b"2\r\nhi\r\n0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n",
        ),
        ("empty", b"0\r\n\r\n"),
        ("binary with CRLF inside", b"4\r\n\r\n\x00\xff\r\n0\r\n\r\n"),
    ];
    for (what, body) in shapes {
        let mut req = head.as_bytes().to_vec();
        req.extend_from_slice(body);
        let id = id_of(&send(&t, &req).await);
        let expected: &[u8] = match *what {
            "1-byte chunks" => b"abc",
            "extensions" => b"abc",
            "upper-case hex and leading zeros" => b"0123456789",
            "trailers" => b"hi",
            "empty" => b"",
            _ => b"\r\n\x00\xff",
        };
        assert_eq!(raw_of(id).await, expected, "{what}");
        let e = get_json(&t, &format!("/api/events/{id}")).await;
        assert!(
            e["headers"].to_string().contains("X-Case-Kept"),
            "{what}: wire headers kept: {}",
            e["headers"]
        );
    }
    let before = stored(&t).await;
    for (what, body, status) in [
        ("bad hex", &b"zz\r\nabc\r\n0\r\n\r\n"[..], 400),
        (
            "size overflow",
            b"FFFFFFFFFFFFFFFFFFFF\r\na\r\n0\r\n\r\n",
            400,
        ),
        ("size larger than --max-body", b"FFFF\r\n", 413),
        ("no CRLF after data", b"3\r\nabcXY0\r\n\r\n", 400),
    ] {
        let mut req = head.as_bytes().to_vec();
        req.extend_from_slice(body);
        let r = if status == 413 {
            // The body never comes: the declared size alone is refused once over the limit...
            let mut big = req.clone();
            big.extend_from_slice(&vec![b'x'; 0xFFFF]);
            big.extend_from_slice(b"\r\n0\r\n\r\n");
            blast(t.capture, big).await.expect("an answer")
        } else {
            blast(t.capture, req).await.expect("an answer")
        };
        assert_eq!(
            r.status,
            status,
            "{what}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    // A transfer coding that is not chunked cannot be framed: refused.
    let r = blast(
        t.capture,
        b"POST /gz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc".to_vec(),
    )
    .await
    .expect("an answer");
    assert_eq!(r.status, 400);
    assert_eq!(
        stored(&t).await,
        before,
        "nothing stored for refused bodies"
    );

    // Pipelined: a chunked request, then one with Content-Length, on one connection; the second
    // still has its wire headers (the head tap kept step through the chunks).
    let mut s = TcpStream::connect(t.capture).await.expect("connect");
    let mut two = head.as_bytes().to_vec();
    two.extend_from_slice(b"3;x=1\r\nabc\r\n0\r\nT: 1\r\n\r\n");
    two.extend_from_slice(
        b"POST /second HTTP/1.1\r\nHost: x\r\nX-Second-Case: yes\r\nContent-Length: 3\r\n\r\nxyz",
    );
    s.write_all(&two).await.expect("write");
    let (first, second) = two_responses(&mut s).await;
    let (a, b) = (id_of(&first), id_of(&second));
    assert_eq!(raw_of(a).await, b"abc");
    assert_eq!(raw_of(b).await, b"xyz");
    let e = get_json(&t, &format!("/api/events/{b}")).await;
    assert!(
        e["headers"].to_string().contains("X-Second-Case"),
        "{}",
        e["headers"]
    );
    t.stop().await;
}

/// Reads two pipelined `Content-Length`-framed responses.
async fn two_responses(s: &mut TcpStream) -> (RawResponse, RawResponse) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if complete(&buf) {
            let first = try_parse_response(&buf).expect("first");
            let len: usize = first
                .header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let rest = &buf[buf.len() - first.body.len() + len..];
            if complete(rest) {
                let mut first = first;
                first.body.truncate(len);
                return (first, try_parse_response(rest).expect("second"));
            }
        }
        assert!(Instant::now() < deadline, "two answers in time");
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk))
            .await
            .expect("in time")
            .expect("read");
        assert!(n > 0, "closed before two answers");
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test]
async fn http2_prior_knowledge_is_captured() {
    use http_body_util::{BodyExt, Full};
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let t = spawn_app(&[]).await;
    let stream = TcpStream::connect(t.capture).await.expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("h2c handshake");
    tokio::spawn(conn);
    let body: &[u8] = b"{\"type\":\"h2\",\"bin\":\"\xc3\xa9\"}";
    let req = hyper::Request::post(format!("http://{}/h2/path?x=1", t.capture))
        .header("x-h2-header", "yes")
        .body(Full::new(bytes::Bytes::from_static(body)))
        .expect("request");
    let resp = sender.send_request(req).await.expect("h2 answer");
    assert_eq!(resp.status(), 200);
    let id: i64 = resp
        .headers()
        .get("hookpit-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("event id header");
    let answer = resp.into_body().collect().await.expect("body").to_bytes();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&answer).expect("json")["id"],
        id
    );
    let e = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(e["path"], "/h2/path");
    assert_eq!(e["query"], "x=1");
    assert!(e["headers"].to_string().contains("x-h2-header"));
    let raw = ui_request(&t, "GET", &format!("/api/events/{id}/raw"), &[], b"").await;
    assert_eq!(raw.body, body);
    t.stop().await;
}

/// An HTTP/2 (prior knowledge) client on a fresh connection, and the task driving it: the task
/// ends when the server closes the connection.
async fn h2_client<B>(
    addr: SocketAddr,
) -> (
    hyper::client::conn::http2::SendRequest<B>,
    tokio::task::JoinHandle<hyper::Result<()>>,
)
where
    B: hyper::body::Body + Send + Unpin + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .expect("h2c handshake");
    (sender, tokio::spawn(conn))
}

/// A capture POST over HTTP/2 with extra headers; returns the status.
async fn h2_post(
    sender: &mut hyper::client::conn::http2::SendRequest<http_body_util::Full<bytes::Bytes>>,
    addr: SocketAddr,
    headers: &[(&str, &str)],
) -> hyper::Result<u16> {
    let mut req = hyper::Request::post(format!("http://{addr}/h2"));
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    let req = req
        .body(http_body_util::Full::new(bytes::Bytes::from_static(b"{}")))
        .expect("request");
    Ok(sender.send_request(req).await?.status().as_u16())
}

#[tokio::test]
async fn idle_or_trickling_http2_connections_are_closed_while_others_are_served() {
    use common::h2;
    use http_body_util::{Full, StreamBody};
    let t = spawn_app(&["--header-timeout", "1s"]).await;
    let started = Instant::now();
    // A client that sent one webhook and then sits idle, and one that never sends any.
    let (mut used, used_conn) = h2_client::<Full<bytes::Bytes>>(t.capture).await;
    assert_eq!(h2_post(&mut used, t.capture, &[]).await.expect("h2"), 200);
    let (_never, never_conn) = h2_client::<Full<bytes::Bytes>>(t.capture).await;
    // A raw peer that sends the preface and SETTINGS, then only reads (it acknowledges nothing).
    let mut raw = h2::connect(t.capture).await;
    // A header block trickled a byte every 100 ms, inside one HEADERS frame that never ends.
    let trickle = h2::connect(t.capture).await;
    let block = h2::request_block("x", "/trickle", &[("x-pad", &"p".repeat(4000))]);
    let whole = h2::frame(h2::HEADERS, h2::END_HEADERS, 1, &block);
    let (mut trickle_rd, mut trickle_wr) = trickle.into_split();
    let dripping = tokio::spawn(async move {
        for (i, b) in whole.iter().enumerate() {
            if trickle_wr.write_all(&[*b]).await.is_err() {
                return i;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        whole.len()
    });
    // A webhook whose body arrives in pieces over 2.4 s: busy, so never cut as idle.
    let (mut slow, _slow_conn) = h2_client(t.capture).await;
    let pieces = futures_util::stream::unfold(0u8, |i| async move {
        if i == 6 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        let frame = hyper::body::Frame::data(bytes::Bytes::from(vec![b'a' + i; 10]));
        Some((Ok::<_, std::convert::Infallible>(frame), i + 1))
    });
    let slow_req = hyper::Request::post(format!("http://{}/slow", t.capture))
        .body(StreamBody::new(Box::pin(pieces)))
        .expect("request");
    let slow_answer = tokio::spawn(async move { slow.send_request(slow_req).await });

    // Meanwhile everyone else is served, over HTTP/1 and HTTP/2.
    let others = Instant::now();
    capture_post(&t, "/h1", &[], b"{}").await;
    let (mut fresh, _fresh_conn) = h2_client(t.capture).await;
    assert_eq!(h2_post(&mut fresh, t.capture, &[]).await.expect("h2"), 200);
    assert!(others.elapsed() < Duration::from_secs(1), "served at once");

    // The idle ones are closed: the clients see their connections end, the raw peer a GOAWAY.
    for (what, conn) in [("used", used_conn), ("never used", never_conn)] {
        let ended = tokio::time::timeout(Duration::from_secs(5), conn).await;
        assert!(
            ended.is_ok(),
            "an idle HTTP/2 connection ({what}) is closed"
        );
    }
    let mut kinds = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(f) = h2::read_frame(&mut raw).await {
            kinds.push(f.kind);
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "a peer that acknowledges nothing is dropped"
    );
    assert!(kinds.contains(&h2::GOAWAY), "told why first: {kinds:?}");
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while h2::read_frame(&mut trickle_rd).await.is_some() {}
    })
    .await;
    assert!(closed.is_ok(), "a trickled header block is cut off");
    let sent = dripping.await.expect("trickle task");
    assert!(
        sent < 60,
        "the trickling peer was cut off after {sent} bytes, {:?}",
        started.elapsed()
    );
    let slow = slow_answer
        .await
        .expect("slow task")
        .expect("a busy connection is not cut");
    assert_eq!(slow.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(2400));
    assert_eq!(stored(&t).await, 4, "nothing of the trickled request");
    t.stop().await;
}

#[tokio::test]
async fn http2_header_blocks_over_the_limit_are_refused_and_others_served() {
    use common::h2;
    use http_body_util::Full;
    let t = spawn_app(&[]).await;
    // What hookpit tells every HTTP/2 client, in its first SETTINGS frame.
    let mut raw = h2::connect(t.capture).await;
    let first = tokio::time::timeout(Duration::from_secs(5), h2::read_frame(&mut raw))
        .await
        .expect("in time")
        .expect("a frame");
    assert_eq!(first.kind, h2::SETTINGS);
    let settings = h2::settings(&first.payload);
    assert!(
        settings.contains(&(h2::MAX_CONCURRENT_STREAMS, hookpit::server::MAX_H2_STREAMS)),
        "{settings:?}"
    );
    assert!(
        settings.contains(&(
            h2::MAX_HEADER_LIST_SIZE,
            hookpit::server::MAX_H2_HEADER_LIST
        )),
        "{settings:?}"
    );
    drop(raw);

    let limit = hookpit::server::MAX_H2_HEADER_LIST as usize;
    let (mut sender, _conn) = h2_client::<Full<bytes::Bytes>>(t.capture).await;
    // Half the limit is fine, as it is over HTTP/1 (hyper's own default would refuse it).
    let half = "h".repeat(limit / 2);
    let status = h2_post(&mut sender, t.capture, &[("x-half", &half)]).await;
    assert_eq!(status.expect("an answer"), 200);
    // Just over the limit: a clear 431 for that request; the connection serves on.
    let over = "o".repeat(limit);
    let status = h2_post(&mut sender, t.capture, &[("x-over", &over)]).await;
    assert_eq!(status.expect("an answer"), 431);
    let status = h2_post(&mut sender, t.capture, &[]).await;
    assert_eq!(status.expect("the same connection"), 200);
    // Far over it (1 MiB): that connection is refused outright; a fresh one is served.
    let (mut flood, flood_conn) = h2_client::<Full<bytes::Bytes>>(t.capture).await;
    let huge = "f".repeat(1 << 20);
    let refused = h2_post(&mut flood, t.capture, &[("x-huge", &huge)]).await;
    let why = format!("{refused:?}");
    assert!(
        why.contains("ENHANCE_YOUR_CALM"),
        "a GOAWAY saying why: {why}"
    );
    let ended = tokio::time::timeout(Duration::from_secs(5), flood_conn).await;
    assert!(ended.is_ok(), "the flooding connection is closed");
    let (mut fresh, _fresh_conn) = h2_client::<Full<bytes::Bytes>>(t.capture).await;
    assert_eq!(h2_post(&mut fresh, t.capture, &[]).await.expect("h2"), 200);
    assert_eq!(stored(&t).await, 3, "nothing of the refused ones");
    t.stop().await;
}

/// Uploads held open cannot take the process's memory: past `--max-in-flight` bytes of bodies
/// held by all connections together, the next sender gets 503 with `Retry-After` (declared
/// length or chunked), nothing of it is stored, and once a held upload ends the next is taken.
#[tokio::test]
async fn bodies_held_open_together_are_bounded_by_max_in_flight() {
    const BODY: usize = 100_000;
    let t = spawn_app(&["--max-body", "100000", "--max-in-flight", "300000"]).await;
    let head = format!("POST /held HTTP/1.1\r\nHost: x\r\nContent-Length: {BODY}\r\n\r\n");
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(t.capture).await.expect("connect");
        s.write_all(head.as_bytes()).await.expect("head");
        s.write_all(&vec![b'a'; BODY - 1])
            .await
            .expect("most of the body");
        held.push(s);
    }
    common::stub::eventually("three uploads to be held", || async {
        (t.app.in_flight.held() == 3 * BODY as u64).then_some(())
    })
    .await;

    let full = raw(
        t.capture,
        format!("POST /more HTTP/1.1\r\nHost: x\r\nContent-Length: {BODY}\r\n").as_bytes(),
        &vec![b'b'; BODY],
    )
    .await;
    assert_eq!(full.status, 503, "{}", String::from_utf8_lossy(&full.body));
    assert_eq!(full.header("retry-after"), Some("1"));
    assert!(String::from_utf8_lossy(&full.body).contains("--max-in-flight"));
    let chunked = raw(
        t.capture,
        b"POST /more HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n",
        b"3e8\r\n"
            .iter()
            .chain(&[b'c'; 1000])
            .chain(b"\r\n0\r\n\r\n")
            .copied()
            .collect::<Vec<u8>>()
            .as_slice(),
    )
    .await;
    assert_eq!(
        chunked.status,
        503,
        "{}",
        String::from_utf8_lossy(&chunked.body)
    );
    assert_eq!(stored(&t).await, 0, "nothing of the refused ones is stored");

    // One held upload ends: it is stored, its bytes are free, and the next sender gets in.
    let mut first = held.remove(0);
    first.write_all(b"a").await.expect("last byte");
    let answer = common::child::read_response(&mut first)
        .await
        .expect("answer");
    assert_eq!(answer.status, 200);
    let next = raw(
        t.capture,
        format!("POST /more HTTP/1.1\r\nHost: x\r\nContent-Length: {BODY}\r\n").as_bytes(),
        &vec![b'b'; BODY],
    )
    .await;
    assert_eq!(next.status, 200, "{}", String::from_utf8_lossy(&next.body));
    assert_eq!(stored(&t).await, 2);
    drop(held);
    common::stub::eventually("the dropped uploads' bytes to be freed", || async {
        (t.app.in_flight.held() == 0).then_some(())
    })
    .await;
    t.stop().await;
}
