//! Export and import: a round trip through JSONL keeps every byte (binary and gzip bodies,
//! duplicate and odd-case headers, header values that are not UTF-8); HAR has the fields HAR 1.2
//! asks for and reads back; an import is judged as at the original time, lists its bad lines and
//! refuses a file over the limit with 413. The CLI is tested through the real binary.

mod common;

use common::*;
use serde_json::Value;

const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";

/// Captures a varied set of webhooks into `t`; returns how many.
async fn capture_varied(t: &TestApp) -> usize {
    let now = chrono::Utc::now().timestamp();
    let body = br#"{"type":"run_complete","run":{"id":"r1","status":"success"}}"#;
    let signed = svix_headers(SECRET, "msg_1", now, body);
    capture_post(t, "/cyberdesk", &as_refs(&signed), body).await;
    // The same message again: a duplicate.
    capture_post(t, "/cyberdesk", &as_refs(&signed), body).await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, b"{\"zipped\":true}").expect("gzip");
    let gzipped = gz.finish().expect("gzip");
    capture_post(
        t,
        "/gz?x=1&y=%20z",
        &[
            ("Content-Encoding", "gzip"),
            ("Content-Type", "application/json"),
        ],
        &gzipped,
    )
    .await;
    capture_post(
        t,
        "/bin",
        &[("X-Dup", "one"), ("x-dup", "two"), ("X-ODD-case", "v")],
        &[0u8, 0xff, 0xfe, 0x10, 0x80],
    )
    .await;
    // A header value that is not UTF-8, sent as raw bytes.
    let mut head = format!(
        "PUT /latin HTTP/1.1\r\nHost: {}\r\nContent-Length: 2\r\nX-Latin: caf",
        t.capture
    )
    .into_bytes();
    head.extend_from_slice(&[0xe9, 0xff]);
    head.extend_from_slice(b"\r\n");
    let resp = raw(t.capture, &head, b"ok").await;
    assert_eq!(resp.status, 200, "{}", text(&resp.body));
    5
}

/// Every line of a JSONL export without what belongs to the exporting hookpit: ids (the
/// duplicate's pointer made relative to the file), the source.
fn comparable(jsonl: &[u8]) -> Vec<Value> {
    let lines: Vec<Value> = text(jsonl)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let ids: Vec<i64> = lines
        .iter()
        .map(|l| l["id"].as_i64().expect("id"))
        .collect();
    lines
        .into_iter()
        .map(|mut l| {
            let object = l.as_object_mut().expect("object");
            object.remove("id");
            object.remove("source");
            if let Some(d) = object["duplicate_of"].as_i64() {
                object["duplicate_of"] = ids.iter().position(|&i| i == d).into();
            }
            l
        })
        .collect()
}

async fn export_cli(t: &TestApp, extra: &[&str]) -> std::process::Output {
    let ui = t.ui.to_string();
    let mut args = vec!["export", "--ui", &ui];
    args.extend_from_slice(extra);
    run_hookpit(&args, b"").await
}

/// The payload of a `Transfer-Encoding: chunked` body.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size = usize::from_str_radix(&text(&body[..end]), 16).expect("hex chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 4 + size..];
    }
}

#[tokio::test]
async fn jsonl_round_trip_keeps_every_byte() {
    let a = spawn_app(&["--secret", SECRET]).await;
    let n = capture_varied(&a).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a.jsonl");
    let out = export_cli(&a, &["--out", file.to_str().expect("utf8 path")]).await;
    assert!(out.status.success(), "export: {}", text(&out.stderr));
    let first = std::fs::read(&file).expect("export written");
    assert_eq!(text(&first).lines().count(), n);

    let b = spawn_app(&["--secret", SECRET]).await;
    let ui = b.ui.to_string();
    let out = run_hookpit(&["import", file.to_str().expect("path"), "--ui", &ui], b"").await;
    assert!(out.status.success(), "import: {}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("report is JSON");
    assert_eq!(report["imported"], n);
    assert_eq!(report["failed"], 0);

    let out = export_cli(&b, &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let second = out.stdout;
    for line in text(&second).lines() {
        let v: Value = serde_json::from_str(line).expect("json");
        assert_eq!(v["source"], "import");
    }
    assert_eq!(comparable(&first), comparable(&second));
    // The bytes themselves: the binary body and the non-UTF-8 header value came back.
    let events = comparable(&second);
    let bin = events.iter().find(|e| e["path"] == "/bin").expect("bin");
    assert_eq!(bin["body"]["encoding"], "base64");
    assert_eq!(bin["headers"][2], serde_json::json!(["X-Dup", "one"]));
    assert_eq!(bin["headers"][3], serde_json::json!(["x-dup", "two"]));
    assert_eq!(bin["headers"][4], serde_json::json!(["X-ODD-case", "v"]));
    let latin = events
        .iter()
        .find(|e| e["path"] == "/latin")
        .expect("latin");
    assert!(
        !latin["headers_non_utf8"]
            .as_array()
            .expect("list")
            .is_empty()
    );
    let signed = events
        .iter()
        .find(|e| e["path"] == "/cyberdesk")
        .expect("signed");
    assert_eq!(signed["verification"]["status"], "valid");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn import_judges_as_at_the_original_time_and_keeps_what_is_stored() {
    let t = spawn_app(&["--secret", SECRET]).await;
    let kept = capture_post(&t, "/before", &[], b"already here").await;
    // Signed in 2020 and received then: valid as at that time, though far too old today.
    let at = chrono::DateTime::parse_from_rfc3339("2020-01-02T03:04:05.678Z").expect("time");
    let body = br#"{"type":"old"}"#;
    let headers = svix_headers(SECRET, "msg_old", at.timestamp(), body);
    let line = serde_json::json!({
        "received_at": "2020-01-02T03:04:05.678Z",
        "method": "POST", "path": "/old", "query": "",
        "headers": headers.iter().map(|(n, v)| [n, v]).collect::<Vec<_>>(),
        "body": {"encoding": "utf8", "data": text(body)},
    });
    let file = format!("{line}\n\nnot json\n{{\"method\":\"POST\"}}\n");
    let resp = ui_request(&t, "POST", "/api/import", &[], file.as_bytes()).await;
    assert_eq!(resp.status, 200, "{}", text(&resp.body));
    let report = resp.json();
    assert_eq!(report["imported"], 1);
    assert_eq!(report["skipped"], 1);
    assert_eq!(report["failed"], 2);
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, vec![3, 4]);

    let page = get_json(&t, "/api/events?q=source:import").await;
    let events = page["events"].as_array().expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["received_at"], "2020-01-02T03:04:05.678Z");
    assert_eq!(events[0]["verification"]["status"], "valid");
    // What was stored before is untouched.
    let before = get_json(&t, &format!("/api/events/{kept}")).await;
    assert_eq!(before["body"]["data"], "already here");
    assert_eq!(before["source"], "direct");
    t.stop().await;
}

#[tokio::test]
async fn an_import_over_the_limit_is_refused_with_413() {
    let t = spawn_app(&[]).await;
    let big = vec![b'x'; 64 * 1024 * 1024 + 1];
    let resp = ui_request(&t, "POST", "/api/import", &[], &big).await;
    assert_eq!(resp.status, 413);
    assert!(
        resp.json()["error"]
            .as_str()
            .expect("reason")
            .contains("bytes")
    );
    assert_eq!(get_json(&t, "/api/status").await["events"], 0);
    t.stop().await;
}

#[tokio::test]
async fn har_has_the_fields_of_har_1_2_and_reads_back() {
    let a = spawn_app(&["--secret", SECRET]).await;
    let n = capture_varied(&a).await;
    let out = export_cli(&a, &["--format", "har"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let har: Value = serde_json::from_slice(&out.stdout).expect("HAR is one JSON document");
    let log = &har["log"];
    assert_eq!(log["version"], "1.2");
    assert_eq!(log["creator"]["name"], "hookpit");
    assert!(log["creator"]["version"].is_string());
    let entries = log["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), n);
    for e in entries {
        for field in [
            "startedDateTime",
            "time",
            "request",
            "response",
            "cache",
            "timings",
        ] {
            assert!(!e[field].is_null(), "entry lacks {field}: {e}");
        }
        chrono::DateTime::parse_from_rfc3339(e["startedDateTime"].as_str().expect("time"))
            .expect("startedDateTime is ISO 8601");
        let r = &e["request"];
        for field in [
            "method",
            "url",
            "httpVersion",
            "cookies",
            "headers",
            "queryString",
            "headersSize",
            "bodySize",
        ] {
            assert!(!r[field].is_null(), "request lacks {field}: {r}");
        }
        assert!(r["url"].as_str().expect("url").starts_with("http://"));
        if r["bodySize"].as_u64() > Some(0) {
            assert!(r["postData"]["mimeType"].is_string() && r["postData"]["text"].is_string());
        }
        let s = &e["response"];
        for field in [
            "status",
            "statusText",
            "httpVersion",
            "cookies",
            "headers",
            "content",
            "redirectURL",
            "headersSize",
            "bodySize",
        ] {
            assert!(!s[field].is_null(), "response lacks {field}: {s}");
        }
        assert!(s["content"]["size"].is_number() && s["content"]["mimeType"].is_string());
        for field in ["send", "wait", "receive"] {
            assert!(e["timings"][field].is_number());
        }
    }
    let gz = entries
        .iter()
        .find(|e| {
            e["request"]["url"]
                .as_str()
                .is_some_and(|u| u.contains("/gz?"))
        })
        .expect("gz entry");
    assert_eq!(gz["request"]["postData"]["encoding"], "base64");
    assert_eq!(
        gz["request"]["queryString"],
        serde_json::json!([{"name": "x", "value": "1"}, {"name": "y", "value": " z"}])
    );

    let b = spawn_app(&["--secret", SECRET]).await;
    let resp = ui_request(&b, "POST", "/api/import", &[], &out.stdout).await;
    assert_eq!(resp.status, 200, "{}", text(&resp.body));
    assert_eq!(resp.json()["imported"], n);
    let page = get_json(&b, "/api/events?q=path:/gz").await;
    let id = page["events"][0]["id"].as_i64().expect("gz imported");
    let raw_body = ui_request(&b, "GET", &format!("/api/events/{id}/raw"), &[], b"").await;
    let mut gz = flate2::read::GzDecoder::new(raw_body.body.as_slice());
    let mut unzipped = String::new();
    std::io::Read::read_to_string(&mut gz, &mut unzipped).expect("still gzip");
    assert_eq!(unzipped, "{\"zipped\":true}");
    let detail = get_json(&b, &format!("/api/events/{id}")).await;
    assert_eq!(detail["query"], "x=1&y=%20z");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn export_takes_a_search_and_refuses_a_bad_format() {
    let t = spawn_app(&[]).await;
    capture_post(&t, "/one", &[], b"1").await;
    capture_post(&t, "/two", &[], b"2").await;
    let resp = ui_request(&t, "GET", "/api/export?q=path:/two", &[], b"").await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/x-ndjson"));
    let lines: Vec<Value> = text(&dechunk(&resp.body))
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["path"], "/two");
    let bad = ui_request(&t, "GET", "/api/export?format=csv", &[], b"").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]
            .as_str()
            .expect("reason")
            .contains("csv")
    );
    let out = export_cli(&t, &["--format", "csv"]).await;
    assert!(!out.status.success());
    t.stop().await;
}

#[tokio::test]
async fn an_export_larger_than_one_page_streams_every_event_in_order() {
    let t = spawn_app(&[]).await;
    for i in 0..250 {
        capture_post(&t, &format!("/n/{i}"), &[], b"x").await;
    }
    let out = export_cli(&t, &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ids: Vec<i64> = text(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["id"]
                .as_i64()
                .expect("id")
        })
        .collect();
    assert_eq!(ids.len(), 250);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
    let resp = ui_request(&t, "GET", "/api/export", &[], b"").await;
    assert_eq!(resp.header("transfer-encoding"), Some("chunked"));
    t.stop().await;
}

#[tokio::test]
async fn send_fixture_sends_an_exported_event_again_re_signed() {
    // An hour-old capture: its own signature is stale now.
    let a = spawn_app(&["--secret", SECRET]).await;
    let old = chrono::Utc::now().timestamp() - 3600;
    let body = br#"{"type":"run_complete"}"#;
    let mut headers = svix_headers(SECRET, "msg_fixture", old, body);
    headers.push(("X-Custom".into(), "kept".into()));
    let id = capture_post(&a, "/hooks/in?k=v", &as_refs(&headers), body).await;
    let detail = ui_request(&a, "GET", &format!("/api/events/{id}"), &[], b"").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("event.json");
    std::fs::write(&file, &detail.body).expect("write fixture");

    let b = spawn_app(&["--secret", SECRET]).await;
    let to = format!("http://{}/again", b.capture);
    let out = run_hookpit(
        &[
            "send",
            "--fixture",
            file.to_str().expect("path"),
            "--to",
            &to,
            "--secret",
            SECRET,
        ],
        b"",
    )
    .await;
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let page = get_json(&b, "/api/events").await;
    let sent = &page["events"][0];
    assert_eq!(sent["verification"]["status"], "valid", "re-signed now");
    assert_eq!(sent["msg_id"], "msg_fixture", "its message id kept");
    let detail = get_json(&b, &format!("/api/events/{}", sent["id"])).await;
    assert_eq!(detail["body"]["data"], text(body));
    let names: Vec<&str> = detail["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .map(|h| h[0].as_str().expect("name"))
        .collect();
    assert!(names.contains(&"x-custom"), "{names:?}");

    // A JSONL file of two events is refused: a fixture is one event.
    capture_post(&a, "/second", &[], b"2").await;
    let two = dir.path().join("two.jsonl");
    let out = export_cli(&a, &["--out", two.to_str().expect("path")]).await;
    assert!(out.status.success());
    let out = run_hookpit(
        &[
            "send",
            "--fixture",
            two.to_str().expect("path"),
            "--to",
            &to,
            "--secret",
            SECRET,
        ],
        b"",
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("2 events"),
        "{}",
        text(&out.stderr)
    );
    a.stop().await;
    b.stop().await;
}
