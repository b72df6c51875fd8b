//! The JSON API: paging, filters, search, delete, status.

mod common;

use common::*;

fn ids(page: &serde_json::Value) -> Vec<i64> {
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn keyset_paging_walks_everything_once_newest_first() {
    let t = spawn_app(&[]).await;
    let mut sent = Vec::new();
    for i in 0..7 {
        sent.push(capture_post(&t, &format!("/p{i}"), &[], b"{}").await);
    }
    let mut seen = Vec::new();
    let mut url = "/api/events?limit=3".to_string();
    loop {
        let page = get_json(&t, &url).await;
        seen.extend(ids(&page));
        match page["next_before"].as_i64() {
            Some(b) => url = format!("/api/events?limit=3&before={b}"),
            None => break,
        }
    }
    sent.reverse();
    assert_eq!(seen, sent);
    let bad = ui_request(&t, "GET", "/api/events?limit=x", &[], b"").await;
    assert_eq!(bad.status, 400);
    t.stop().await;
}

#[tokio::test]
async fn search_and_filters_narrow_the_list() {
    let t = spawn_app(&[]).await;
    let failed = capture_post(
        &t,
        "/cyberdesk",
        &[],
        &fixture("cyberdesk/run_complete.task_failed.json"),
    )
    .await;
    let ok = capture_post(
        &t,
        "/cyberdesk",
        &[],
        &fixture("cyberdesk/run_complete.success.json"),
    )
    .await;
    let header_hit = capture_post(&t, "/github", &[("X-GitHub-Event", "push")], b"{}").await;
    let downed = capture_post(
        &t,
        "/cyberdesk/machines",
        &[],
        &fixture("cyberdesk/downed_machines.json"),
    )
    .await;

    let q = |s: &str| {
        let encoded: String = form_urlencoded::byte_serialize(s.as_bytes()).collect();
        format!("/api/events?q={encoded}")
    };
    assert_eq!(
        ids(&get_json(&t, &q("\"Confirm appointment\"")).await),
        vec![failed]
    );
    assert_eq!(
        ids(&get_json(&t, &q("Confirm appointment")).await),
        vec![ok, failed]
    );
    assert_eq!(
        ids(&get_json(&t, &q("x-github-event")).await),
        vec![header_hit]
    );
    assert_eq!(
        ids(&get_json(&t, &q("status:task_failed")).await),
        vec![failed]
    );
    assert_eq!(
        ids(&get_json(&t, &q("run_complete status:success")).await),
        vec![ok]
    );
    assert_eq!(
        ids(&get_json(&t, "/api/events?type=downed_machines").await),
        vec![downed]
    );
    assert_eq!(
        ids(&get_json(&t, "/api/events?path=%2Fcyberdesk%2Fm").await),
        vec![downed]
    );
    assert_eq!(ids(&get_json(&t, &q("100%")).await), Vec::<i64>::new());
    assert_eq!(
        ids(&get_json(&t, "/api/events?verification=unsigned").await).len(),
        4
    );
    t.stop().await;
}

#[tokio::test]
async fn delete_one_and_all_and_status_counts() {
    let t = spawn_app(&[]).await;
    let a = capture_post(&t, "/a", &[], b"1").await;
    let b = capture_post(&t, "/b", &[], b"2").await;
    let status = get_json(&t, "/api/status").await;
    assert_eq!(status["events"], 2);
    assert_eq!(status["capture_url"], format!("http://{}", t.capture));
    assert_eq!(status["ui_url"], format!("http://{}", t.ui));
    assert_eq!(status["db_path"], ":memory:");
    assert_eq!(status["index"]["total"], 2);
    // The text index catches up behind the writer; the status says how far it got.
    let mut indexed = status["index"]["indexed"].clone();
    for _ in 0..200 {
        if indexed == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        indexed = get_json(&t, "/api/status").await["index"]["indexed"].clone();
    }
    assert_eq!(indexed, 2, "the index covers both events");
    assert!(status["version"].as_str().is_some());
    assert_eq!(
        status["build"].as_str().map(str::len),
        Some(12),
        "a UI build id"
    );

    assert_eq!(
        ui_request(&t, "DELETE", &format!("/api/events/{a}"), &[], b"")
            .await
            .status,
        200
    );
    assert_eq!(
        ui_request(&t, "DELETE", &format!("/api/events/{a}"), &[], b"")
            .await
            .status,
        404
    );
    assert_eq!(ids(&get_json(&t, "/api/events").await), vec![b]);
    let r = ui_request(&t, "DELETE", "/api/events", &[], b"").await;
    assert_eq!(r.json()["deleted"], 1);
    assert!(ids(&get_json(&t, "/api/events").await).is_empty());
    let index = get_json(&t, "/api/status").await["index"].clone();
    assert_eq!(index, serde_json::json!({"indexed": 0, "total": 0}));
    assert_eq!(
        ui_request(&t, "GET", "/api/events/abc", &[], b"")
            .await
            .status,
        400
    );
    assert_eq!(
        ui_request(&t, "GET", "/api/nothing", &[], b"").await.status,
        404
    );
    t.stop().await;
}

#[tokio::test]
async fn the_page_and_its_modules_are_served_with_etags() {
    let t = spawn_app(&[]).await;
    let r = ui_request(&t, "GET", "/", &[], b"").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .expect("type")
            .starts_with("text/html")
    );
    assert!(
        r.header("content-security-policy")
            .expect("csp")
            .contains("default-src 'self'")
    );
    let etag = r.header("etag").expect("etag").to_string();
    let again = ui_request(&t, "GET", "/", &[&format!("If-None-Match: {etag}")], b"").await;
    assert_eq!(again.status, 304);
    let js = ui_request(&t, "GET", "/app.js", &[], b"").await;
    assert!(
        js.header("content-type")
            .expect("type")
            .starts_with("text/javascript")
    );
    t.stop().await;
}

/// A search too big for SQLite (2,000 words, or one 60,000-character word) is refused with 400
/// and a reason, not 503 "Expression tree is too large"; the largest allowed one works.
#[tokio::test]
async fn oversized_searches_get_400_with_a_reason() {
    let t = spawn_app(&[]).await;
    capture_post(&t, "/a", &[], br#"{"word":"needle"}"#).await;
    let search = |q: String| {
        let t = &t;
        async move {
            let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
            ui_request(t, "GET", &format!("/api/events?q={q}"), &[], b"").await
        }
    };
    let many = vec!["needle"; 2000].join(" ");
    let r = search(many).await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        r.json()["error"]
            .as_str()
            .expect("reason")
            .contains("words")
    );
    let r = search("x".repeat(60_000)).await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        r.json()["error"]
            .as_str()
            .expect("reason")
            .contains("too long")
    );

    // The limits in the README: 32 words, 1,000 characters a word.
    let most = vec!["needle"; 32].join(" ");
    let r = search(most).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["events"].as_array().expect("events").len(), 1);
    let long = "é".repeat(1000);
    assert_eq!(search(long).await.status, 200);
    t.stop().await;
}
