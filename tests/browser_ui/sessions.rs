//! A Cyberdesk session in the browser: a run that names a session has a Session tab with the
//! timeline (each run once, its status, duration, the gap since the previous run, its failed
//! checks), the chain's early stop and the session not released; pasting the expected chain
//! lists the runs that never reported, and a bad paste says why.

use super::*;
use crate::common::chain::{Step, run_complete};

const SESSION: &str = "5f1d7c3a-8e2b-4a6f-9c0d-1b3e5a7c9f20";
const R1: &str = "11111111-0000-4000-8000-000000000001";
const R2: &str = "11111111-0000-4000-8000-000000000002";
const R3: &str = "11111111-0000-4000-8000-000000000003";
const R4: &str = "11111111-0000-4000-8000-000000000004";

/// Posts one step of the chain with message id `msg_id`; returns the stored id.
async fn deliver(t: &TestApp, run_id: &str, status: &str, minute: u32, msg_id: &str) -> i64 {
    let step = Step {
        run_id,
        status,
        release: false,
        minute,
    };
    capture_id(
        t,
        "/cyberdesk",
        &[("content-type", "application/json"), ("svix-id", msg_id)],
        &run_complete(SESSION, &step),
    )
    .await
}

/// The text of the timeline's row of run `run_id`.
fn run_row(run_id: &str) -> String {
    format!(
        "(document.querySelector('.session-runs tr[data-run=\"{run_id}\"]') || {{}}).textContent || ''"
    )
}

#[tokio::test]
async fn the_session_tab_shows_the_timeline_the_stop_and_the_runs_that_never_reported() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let t = spawn_app(&[]).await;
    let first = deliver(&t, R1, "success", 40, R1).await;
    // A Svix retry of the same message: the timeline still shows the run once.
    let again = deliver(&t, R1, "success", 40, R1).await;
    let failed = deliver(&t, R2, "task_failed", 41, R2).await;
    let lone = capture_id(
        &t,
        "/cyberdesk",
        &[],
        &fixture("cyberdesk/run_complete.success.json"),
    )
    .await;
    b.record_violations().await;
    b.goto(&t.ui_origin()).await;
    b.wait_for("the live stream", LIVE).await;
    b.wait_for("the rows", &row(lone)).await;

    // A run without a session has no Session tab.
    b.open_row(lone).await;
    b.wait_for("the Run tab", &on_tab("run")).await;
    assert_eq!(
        b.eval("!!document.querySelector('.tabs [data-tab=\"session\"]')")
            .await,
        json!(false)
    );

    // Its svix-id without a signature opens it on Verification; the Session tab is beside it.
    b.open_row(failed).await;
    b.wait_for("the Verification tab", &on_tab("verification"))
        .await;
    b.click(".tabs [data-tab=\"session\"]").await;
    b.wait_for(
        "both runs",
        "document.querySelectorAll('.session-runs tbody tr').length === 2",
    )
    .await;
    let order = b
        .eval("[...document.querySelectorAll('.session-runs tbody tr')].map(r => r.dataset.run)")
        .await;
    assert_eq!(order, json!([R1, R2]), "once each, in the order they ran");
    let stopped = b.text("[data-test=stopped]").await;
    assert!(
        stopped.contains("Chain stopped early at step 2 (task_failed)"),
        "{stopped}"
    );
    let released = b.text("[data-test=released]").await;
    assert!(released.contains("Session not released"), "{released}");
    let r2 = b.eval(&run_row(R2)).await;
    let r2 = r2.as_str().expect("text");
    assert!(
        r2.contains("task_failed") && r2.contains("chain stopped here"),
        "{r2}"
    );
    assert!(
        r2.contains("Confirmation PDF saved — Expected 1 matching attachment, found 0"),
        "{r2}"
    );
    assert!(r2.contains("this event"), "{r2}");
    // 18:41:00.000 to 18:41:30.250, 29.75 s after the first run ended.
    assert!(r2.contains("30 s"), "{r2}");
    let cells = b
        .eval(&format!(
            "[...document.querySelector('.session-runs tr[data-run=\"{R2}\"]').cells].map(c => c.textContent)"
        ))
        .await;
    assert_eq!(cells[0], json!("2"), "{cells}");
    assert_eq!(cells[4], json!("30 s"), "duration: {cells}");
    assert_eq!(cells[5], json!("30 s"), "gap: {cells}");
    let r1 = b.eval(&run_row(R1)).await;
    assert!(!r1.as_str().expect("text").contains("chain stopped here"));

    // A bad paste says why and keeps nothing.
    b.eval(&format!(
        "document.querySelector('.session-expected').value = {}, 1",
        js(&format!("{R1}\n{R1}"))
    ))
    .await;
    b.click(".save-expected").await;
    b.wait_for(
        "the reason",
        "(() => { const e = document.querySelector('.session-tab [role=alert]'); return e && !e.hidden && e.textContent.includes('given twice'); })()",
    )
    .await;
    assert_eq!(
        b.eval("!!document.querySelector('[data-test=missing]')")
            .await,
        json!(false)
    );

    // The chain as client.runs.chain(...) returned it, pasted as a JSON array.
    b.eval(&format!(
        "document.querySelector('.session-expected').value = {}, 1",
        js(&json!([R1, R2, R3, R4]).to_string())
    ))
    .await;
    b.click(".save-expected").await;
    b.wait_css("the missing runs", "[data-test=missing] li")
        .await;
    let missing = b
        .eval("[...document.querySelectorAll('[data-test=missing] li')].map(l => l.textContent)")
        .await;
    assert_eq!(
        missing,
        json!([format!("step 3 {R3}copy"), format!("step 4 {R4}copy")])
    );
    let head = b.text(".session-tab .run-head").await;
    assert!(head.contains("2 runs reported of 4 expected"), "{head}");
    let stored = get_json(&t, &format!("/api/sessions/{SESSION}")).await;
    assert_eq!(stored["expected"], json!([R1, R2, R3, R4]));

    // A run of the session arriving live redraws the tab: R3 is no longer missing.
    b.eval("document.activeElement && document.activeElement.blur(), 1")
        .await;
    // (Cyberdesk may report the runs after a stop as cancelled.)
    deliver(&t, R3, "cancelled", 42, R3).await;
    b.wait_for(
        "the live run",
        "document.querySelectorAll('.session-runs tbody tr').length === 3",
    )
    .await;
    b.wait_for(
        "one run missing",
        "document.querySelectorAll('[data-test=missing] li').length === 1",
    )
    .await;
    let missing = b.text("[data-test=missing] li").await;
    assert!(missing.contains(R4), "{missing}");

    // A run of the timeline opens its (newest) webhook.
    b.click(&format!(".session-runs tr[data-run=\"{R1}\"] .link-button"))
        .await;
    b.wait_for(
        "the first run's event",
        &format!("document.querySelector('.d-title').textContent.includes('#{again}')"),
    )
    .await;
    assert!(first < again);
    assert_eq!(b.violations().await, Vec::<String>::new());
    b.close().await;
    t.stop().await;
}
