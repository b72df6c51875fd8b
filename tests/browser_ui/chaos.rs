//! The bulk replay dialog in a real browser: its sequence options (order, seed, duplicates,
//! concurrency) reach the server, and the run's log shows every message in send order, the
//! duplicates marked, with the app's answer and the seed to repeat it.

use super::*;

/// The event ids of the dialog's log rows, in order, each with "dup" when marked a duplicate.
const LOG_ROWS: &str = "[...document.querySelectorAll('.rl-log .rl-step')].map(r => r.children[1].textContent + (r.classList.contains('dup') ? ' dup' : ''))";

#[tokio::test]
async fn the_replay_many_dialog_takes_the_options_and_shows_the_runs_log() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let stub = Stub::start(Some(SECRET), &[]).await;
    let t = spawn_app(&["--secret", SECRET, "--forward", &stub.url("/hooks")]).await;
    let now = chrono::Utc::now().timestamp();
    let mut ids = Vec::new();
    for i in 0..6 {
        let body = format!("{{\"n\":{i}}}");
        let headers = svix_headers(SECRET, &format!("msg_dialog{i}"), now, body.as_bytes());
        ids.push(capture_id(&t, "/e", &as_refs(&headers), body.as_bytes()).await);
    }
    b.record_violations().await;
    b.goto(&t.ui_origin()).await;
    b.wait_for("the live stream", LIVE).await;
    b.click("#recover-button").await;
    b.wait_css("the dialog", "dialog[open] form.recover").await;
    b.eval(
        "(() => { const f = document.querySelector('form.recover');
           f.querySelector('[name=order]').value = 'shuffle';
           f.querySelector('[name=seed]').value = '5';
           f.querySelector('[name=duplicates]').value = '0.5';
           f.querySelector('[name=concurrency]').value = '2';
           return 1; })()",
    )
    .await;
    b.click("form.recover button[type=submit]").await;
    b.wait_for(
        "the run to end",
        "(document.querySelector('.rl-summary') || {}).textContent && document.querySelector('.rl-summary').textContent.includes('· done')",
    )
    .await;
    let summary = b.text(".rl-summary").await;
    assert!(
        summary.contains("9 of 9 sent")
            && summary.contains("order shuffle, seed 5, duplicates 0.5, concurrency 2"),
        "{summary}"
    );
    let rows: Vec<String> = serde_json::from_value(b.eval(LOG_ROWS).await).expect("rows");
    assert_eq!(rows.len(), 9, "{rows:?}");
    assert_eq!(
        rows.iter().filter(|r| r.ends_with(" dup")).count(),
        3,
        "{rows:?}"
    );
    let answers = b
        .eval("[...document.querySelectorAll('.rl-log .rl-step td:last-child')].map(c => c.textContent)")
        .await;
    assert!(
        answers
            .as_array()
            .expect("answers")
            .iter()
            .all(|a| a == "→ 200"),
        "re-signed replays all pass the app's verification: {answers}"
    );

    // The log is the server's plan for that seed, so asking again repeats the run.
    let dry = post_json(
        &t,
        "/api/replay",
        &json!({"since": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
                "order": "shuffle", "seed": 5, "duplicates": 0.5, "dry_run": true}),
    )
    .await
    .json();
    let planned: Vec<String> = dry["plan"]
        .as_array()
        .expect("plan")
        .iter()
        .map(|s| {
            format!(
                "#{}{}",
                s["event_id"],
                if s["duplicate"] == true { " dup" } else { "" }
            )
        })
        .collect();
    assert_eq!(rows, planned);
    assert_eq!(stub.hits().len(), 6 + 9, "six forwards, nine replays");
    assert_eq!(b.violations().await, Vec::<String>::new());
    b.close().await;
    t.stop().await;
}
