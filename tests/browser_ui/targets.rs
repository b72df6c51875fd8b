//! Forwarding per target in a real browser: a route fanning out to two apps with a `match`
//! rule; the Attempts tab shows each target's outcome and tries, a skipped event says which
//! rule skipped it for each target, and "Replay here" replays to that one target.

use super::*;

/// The text of each per-target row, in order.
const TARGET_ROWS: &str =
    "[...document.querySelectorAll('.targets .target-row')].map(r => r.textContent)";

#[tokio::test]
async fn the_attempts_tab_shows_each_target_and_what_a_rule_skipped() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let app = Stub::start(None, &[]).await;
    let audit = Stub::start(None, &[500, 200]).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("hookpit.toml");
    std::fs::write(
        &config,
        format!(
            "[[route]]\npath = \"/cyberdesk\"\nforward = [{:?}, {:?}]\nmatch = \"status:task_failed\"\n",
            app.url("/hooks"),
            audit.url("/audit")
        ),
    )
    .expect("write routes");
    let t = spawn_app(&[
        "--config",
        config.to_str().expect("utf-8 path"),
        "--forward-mode",
        "ack",
        "--retry-schedule",
        "0s,100ms",
    ])
    .await;
    let failed = fixture("cyberdesk/run_complete.task_failed.json");
    let failed_id = capture_id(&t, "/cyberdesk", &[], &failed).await;
    let ok = fixture("cyberdesk/run_complete.success.json");
    let ok_id = capture_id(&t, "/cyberdesk", &[("svix-id", "msg_rules_ok")], &ok).await;

    b.record_violations().await;
    b.goto(&format!("{}/?event={failed_id}", t.ui_origin()))
        .await;
    b.wait_for("the live stream", LIVE).await;
    b.click(".tab[data-tab=\"attempts\"]").await;
    b.wait_for(
        "both targets delivered",
        "document.querySelectorAll('.targets .target-row.tone-good').length === 2",
    )
    .await;
    let rows: Vec<String> = serde_json::from_value(b.eval(TARGET_ROWS).await).expect("rows");
    assert!(
        rows[0].contains(&app.url("/hooks")) && rows[0].contains("1 try"),
        "{rows:?}"
    );
    assert!(
        rows[1].contains(&audit.url("/audit")) && rows[1].contains("2 tries"),
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| r.contains("200")), "{rows:?}");

    // "Replay here" on the second target replays to it alone.
    b.eval(
        "document.querySelectorAll('.targets .target-row')[1].querySelector('button').click(), 1",
    )
    .await;
    b.wait_for(
        "the replay card",
        "[...document.querySelectorAll('.attempt-list > .attempt')].some(a => a.textContent.includes('replay'))",
    )
    .await;
    assert_eq!(audit.hits().len(), 3, "forward, retry, replay");
    assert_eq!(app.hits().len(), 1);

    b.open_row(ok_id).await;
    b.click(".tab[data-tab=\"attempts\"]").await;
    b.wait_for(
        "two skipped targets",
        "document.querySelectorAll('.targets .target-row.tone-grey').length === 2",
    )
    .await;
    let rows: Vec<String> = serde_json::from_value(b.eval(TARGET_ROWS).await).expect("rows");
    for row in &rows {
        assert!(
            row.contains("skipped") && row.contains("match = \"status:task_failed\""),
            "{rows:?}"
        );
    }
    // The message's timeline counts what was sent: nothing.
    b.wait_for(
        "the timeline",
        "document.querySelector('.timeline-list li.current .tries')",
    )
    .await;
    let tries = b.text(".timeline-list li.current .tries").await;
    assert_eq!(tries, "0 tries");
    let card = b.text(".attempt-list > .attempt.skipped").await;
    assert!(card.contains("Not forwarded"), "{card}");
    let list_row = b.text(&format!("#rows .row[data-id=\"{ok_id}\"]")).await;
    assert!(
        !list_row.contains("pending"),
        "a skip is no delivery: {list_row}"
    );
    assert_eq!(b.violations().await, Vec::<String>::new());
    b.close().await;
    t.stop().await;
}
