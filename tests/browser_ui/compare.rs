//! Comparing two events in the browser: mark one with `m`, press `d` on another, and the dialog
//! lists `/run/status` as changed with both values; "Compare with…" offers the marked event.

use super::*;

/// Sends a `run_complete` template through `POST /api/send`; returns the stored id.
async fn send_run(t: &TestApp, status: &str) -> i64 {
    let resp = post_json(
        t,
        "/api/send",
        &json!({"template": "run_complete", "status": status, "secret": SECRET, "path": "/cyberdesk"}),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    resp.json()["id"].as_i64().expect("id")
}

/// The row of the open comparison for body path or header name `key`.
fn cmp_row(key: &str) -> String {
    format!(
        "document.querySelector('dialog[open] .cmp tr[data-path=' + JSON.stringify({}) + ']')",
        js(key)
    )
}

#[tokio::test]
async fn marking_one_run_and_pressing_d_on_another_shows_run_status_changed() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let t = spawn_app(&[]).await;
    let ok = send_run(&t, "success").await;
    let failed = send_run(&t, "task_failed").await;
    b.record_violations().await;
    b.goto(&t.ui_origin()).await;
    b.wait_for("the rows", &row(failed)).await;

    b.open_row(ok).await;
    let body = b.client.find(Locator::Css("body")).await.expect("body");
    body.send_keys("m").await.expect("type m");
    b.open_row(failed).await;
    body.send_keys("d").await.expect("type d");
    b.wait_for("the comparison", &cmp_row("/run/status")).await;
    let text = b
        .eval(&format!("{}.textContent", cmp_row("/run/status")))
        .await;
    let text = text.as_str().expect("text");
    assert!(text.contains("changed"), "{text}");
    assert!(
        text.contains("\"success\"") && text.contains("\"task_failed\""),
        "{text}"
    );
    let heads = b
        .eval("[...document.querySelectorAll('dialog[open] .cmp th')].map(h => h.textContent).join('|')")
        .await;
    assert!(
        heads
            .as_str()
            .expect("headings")
            .contains(&format!("A #{ok}|B #{failed}")),
        "{heads}"
    );
    // Headers are compared too: each send carries its own message id.
    b.wait_for("svix-id differs", &cmp_row("svix-id")).await;
    b.client
        .active_element()
        .await
        .expect("focus")
        .send_keys("\u{e00c}")
        .await
        .expect("Escape");
    b.wait_for(
        "the comparison closed",
        "!document.querySelector('dialog[open]')",
    )
    .await;

    // "Compare with…" in the detail view offers the marked event and shows the same.
    b.click(".d-actions .compare").await;
    b.wait_for(
        "the marked event offered",
        &format!(
            "document.querySelector('dialog[open] input') && document.querySelector('dialog[open] input').value === '{ok}'"
        ),
    )
    .await;
    b.click("dialog[open] .btn.primary").await;
    b.wait_for("the comparison again", &cmp_row("/run/status"))
        .await;
    assert_eq!(b.violations().await, Vec::<String>::new());
    b.close().await;
    t.stop().await;
}
