//! Storage across restarts: what was captured is there after hookpit starts again.

mod common;

use common::*;

#[tokio::test]
async fn events_and_keys_survive_a_restart_on_the_same_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("nested/dir/hookpit.db");
    let db = db.to_str().expect("utf-8 path");

    let t = spawn_app(&["--db", db]).await;
    let body = fixture("cyberdesk/run_complete.task_failed.json");
    let id = capture_post(&t, "/cyberdesk", &[("svix-id", "msg_persist")], &body).await;
    let r = post_json(
        &t,
        "/api/keys",
        &serde_json::json!({ "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "label": "kept" }),
    )
    .await;
    assert_eq!(r.status, 201);
    t.stop().await;

    let t = spawn_app(&["--db", db]).await;
    let e = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(e["path"], "/cyberdesk");
    assert_eq!(e["msg_id"], "msg_persist");
    assert_eq!(
        e["body"]["data"].as_str().expect("utf8 body").as_bytes(),
        body.as_slice()
    );
    assert_eq!(get_json(&t, "/api/keys").await["keys"][0]["label"], "kept");
    assert_eq!(get_json(&t, "/api/status").await["events"], 1);
    // New ids continue after the old ones, and duplicates are found across the restart.
    let again = capture_post(&t, "/cyberdesk", &[("svix-id", "msg_persist")], &body).await;
    assert!(again > id);
    assert_eq!(
        get_json(&t, &format!("/api/events/{again}")).await["duplicate_of"],
        id
    );
    t.stop().await;
}

#[tokio::test]
async fn retention_prunes_the_oldest_past_max_events() {
    let t = spawn_app(&["--max-events", "3"]).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(capture_post(&t, &format!("/n{i}"), &[], b"{}").await);
    }
    let page = get_json(&t, "/api/events").await;
    let kept: Vec<i64> = page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(kept, vec![ids[4], ids[3], ids[2]]);
    let gone = ui_request(&t, "GET", &format!("/api/events/{}", ids[0]), &[], b"").await;
    assert_eq!(gone.status, 404);
    t.stop().await;
}
