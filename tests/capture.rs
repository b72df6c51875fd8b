//! Capture: whatever arrives is stored exactly and comes back byte-exact through the API.

mod common;

use std::io::Write;

use base64::Engine;
use common::*;

/// The stored body bytes, decoded from the API's JSON.
fn body_bytes(event: &serde_json::Value) -> Vec<u8> {
    let data = event["body"]["data"].as_str().expect("body data");
    match event["body"]["encoding"].as_str() {
        Some("utf8") => data.as_bytes().to_vec(),
        Some("base64") => base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("valid base64"),
        other => panic!("unknown encoding {other:?}"),
    }
}

/// The stored value of header number `i`, as bytes.
fn header_bytes(event: &serde_json::Value, i: usize) -> Vec<u8> {
    let value = event["headers"][i][1].as_str().expect("header value");
    let binary = event["headers_non_utf8"]
        .as_array()
        .expect("headers_non_utf8")
        .iter()
        .any(|n| n.as_u64() == Some(i as u64));
    if binary {
        value.chars().map(|c| c as u32 as u8).collect()
    } else {
        value.as_bytes().to_vec()
    }
}

fn id_of(resp: &RawResponse) -> i64 {
    let id = resp.json()["id"].as_i64().expect("id in body");
    assert_eq!(
        resp.header("hookpit-event-id"),
        Some(id.to_string().as_str())
    );
    id
}

#[tokio::test]
async fn odd_requests_round_trip_byte_exact() {
    let t = spawn_app(&[]).await;

    // Binary body with every byte value.
    let binary: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let head = format!(
        "PUT /bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n",
        binary.len()
    );
    let r = raw(t.capture, head.as_bytes(), &binary).await;
    assert_eq!(r.status, 200);
    let e = get_json(&t, &format!("/api/events/{}", id_of(&r))).await;
    assert_eq!(e["method"], "PUT");
    assert_eq!(e["body"]["encoding"], "base64");
    assert_eq!(body_bytes(&e), binary);
    assert_eq!(e["size"], 1000);

    // Gzip body, stored compressed, as sent.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(br#"{"event_type":"zipped"}"#).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let head = format!(
        "POST /gz HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        gz.len()
    );
    let r = raw(t.capture, head.as_bytes(), &gz).await;
    let e = get_json(&t, &format!("/api/events/{}", id_of(&r))).await;
    assert_eq!(body_bytes(&e), gz);

    // Invalid UTF-8 header value, repeated headers, original case and order.
    let head = b"POST /h HTTP/1.1\r\nHost: x\r\nX-Repeat: one\r\nX-Latin: caf\xe9\xff\r\nx-repeat: two\r\nX-MiXeD-CaSe: yes\r\nContent-Length: 2\r\n";
    let r = raw(t.capture, head, b"{}").await;
    let e = get_json(&t, &format!("/api/events/{}", id_of(&r))).await;
    let names: Vec<&str> = e["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .map(|h| h[0].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "Host",
            "X-Repeat",
            "X-Latin",
            "x-repeat",
            "X-MiXeD-CaSe",
            "Content-Length",
            "Connection"
        ]
    );
    assert_eq!(header_bytes(&e, 2), b"caf\xe9\xff");
    assert_eq!(header_bytes(&e, 1), b"one");
    assert_eq!(header_bytes(&e, 3), b"two");

    // Zero-byte body, and methods without a body.
    for method in ["DELETE", "HEAD", "GET"] {
        let head = format!("{method} /empty HTTP/1.1\r\nHost: x\r\n");
        let r = raw(t.capture, head.as_bytes(), b"").await;
        assert_eq!(r.status, 200, "{method}");
        let id: i64 = r
            .header("hookpit-event-id")
            .expect("id header")
            .parse()
            .expect("id");
        let e = get_json(&t, &format!("/api/events/{id}")).await;
        assert_eq!(e["method"], method);
        assert_eq!(e["size"], 0);
        assert!(body_bytes(&e).is_empty());
    }

    // Percent-encoded path and raw query kept as sent.
    let r = raw(
        t.capture,
        b"POST /hooks/caf%C3%A9%20x/%2F?a=1&b=%20two&a=3 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n",
        b"",
    )
    .await;
    let e = get_json(&t, &format!("/api/events/{}", id_of(&r))).await;
    assert_eq!(e["path"], "/hooks/caf%C3%A9%20x/%2F");
    assert_eq!(e["query"], "a=1&b=%20two&a=3");

    // Chunked body.
    let r = raw(
        t.capture,
        b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n",
        b"4\r\nwiki\r\n6;ext=1\r\npedia \r\n0\r\n\r\n",
    )
    .await;
    let e = get_json(&t, &format!("/api/events/{}", id_of(&r))).await;
    assert_eq!(body_bytes(&e), b"wikipedia ");
    assert_eq!(e["headers"][1][0], "Transfer-Encoding");
    t.stop().await;
}

#[tokio::test]
async fn keep_alive_requests_each_get_their_own_headers() {
    let t = spawn_app(&[]).await;
    let mut stream = tokio::net::TcpStream::connect(t.capture)
        .await
        .expect("connect");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Two pipelined requests on one connection.
    stream
        .write_all(b"POST /one HTTP/1.1\r\nHost: x\r\nX-First: 1\r\nContent-Length: 3\r\n\r\nabcPOST /two HTTP/1.1\r\nHost: x\r\nX-Second: 2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.expect("read");
    let page = get_json(&t, "/api/events").await;
    let events = page["events"].as_array().expect("events");
    assert_eq!(events.len(), 2);
    let two = get_json(&t, &format!("/api/events/{}", events[0]["id"])).await;
    let one = get_json(&t, &format!("/api/events/{}", events[1]["id"])).await;
    assert_eq!(one["path"], "/one");
    assert_eq!(one["headers"][1][0], "X-First");
    assert_eq!(two["path"], "/two");
    assert_eq!(two["headers"][1][0], "X-Second");
    t.stop().await;
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_and_store_nothing() {
    let t = spawn_app(&["--max-body", "1024"]).await;
    let body = vec![b'a'; 1025];
    let head = format!(
        "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n",
        body.len()
    );
    let r = raw(t.capture, head.as_bytes(), &body).await;
    assert_eq!(r.status, 413);
    assert!(
        r.json()["error"]
            .as_str()
            .expect("reason")
            .contains("--max-body")
    );
    // Chunked, with no length declared up front.
    let r = raw(
        t.capture,
        b"POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n",
        format!("401\r\n{}\r\n0\r\n\r\n", "b".repeat(0x401)).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 413);
    // Exactly at the limit is fine.
    let head = "POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n";
    assert_eq!(
        raw(t.capture, head.as_bytes(), &body[..1024]).await.status,
        200
    );
    let page = get_json(&t, "/api/events").await;
    let paths: Vec<&str> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["path"].as_str().expect("path"))
        .collect();
    assert_eq!(paths, ["/ok"]);
    t.stop().await;
}

#[tokio::test]
async fn respond_status_is_what_the_sender_gets() {
    let t = spawn_app(&["--respond-status", "503"]).await;
    let r = raw(
        t.capture,
        b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n",
        b"",
    )
    .await;
    assert_eq!(r.status, 503);
    let id = id_of(&r);
    assert_eq!(get_json(&t, &format!("/api/events/{id}")).await["id"], id);
    t.stop().await;
}

#[tokio::test]
async fn cyberdesk_facts_are_extracted_and_duplicates_flagged() {
    let t = spawn_app(&[]).await;
    let body = fixture("cyberdesk/run_complete.task_failed.json");
    let first = capture_post(&t, "/cyberdesk", &[("svix-id", "msg_same")], &body).await;
    let second = capture_post(&t, "/cyberdesk", &[("svix-id", "msg_same")], &body).await;
    let e = get_json(&t, &format!("/api/events/{second}")).await;
    assert_eq!(e["event_type"], "run_complete");
    assert_eq!(e["run"]["status"], "task_failed");
    assert_eq!(e["run"]["id"], "b7e3c1a2-5d4f-4e8a-9c21-7f6a0d3e2b18");
    assert_eq!(e["msg_id"], "msg_same");
    assert_eq!(e["duplicate_of"], first);
    assert_eq!(
        get_json(&t, &format!("/api/events/{first}")).await["duplicate_of"],
        serde_json::Value::Null
    );
    t.stop().await;
}

#[tokio::test]
async fn raw_body_keeps_its_content_type_in_a_sandbox() {
    let t = spawn_app(&[]).await;
    let id = capture_post(
        &t,
        "/html",
        &[("Content-Type", "text/html")],
        b"<script>alert(1)</script>",
    )
    .await;
    let r = ui_request(&t, "GET", &format!("/api/events/{id}/raw"), &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert!(
        r.header("content-security-policy")
            .expect("csp")
            .contains("sandbox")
    );
    assert_eq!(r.body, b"<script>alert(1)</script>");
    t.stop().await;
}
