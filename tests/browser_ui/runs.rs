//! A retried run in the browser: the Run tab lists every webhook of the run in time order (the
//! first delivery, Svix's retry, the run retried under `<run_id>_<ms>`), labels each, shows
//! what the app answered, marks the one on view, and opens another with the keyboard or a click.

use super::*;

/// `run.id` of the Cyberdesk fixtures `run_complete.task_failed` and `run_complete.success`.
const RUN: &str = "b7e3c1a2-5d4f-4e8a-9c21-7f6a0d3e2b18";

/// The rows of the run's webhooks as `id | label | answer | current` lines (the answer without
/// its latency).
const RUN_ROWS: &str = "[...document.querySelectorAll('.run-webhook-list > li')].map(li => [li.dataset.id, li.querySelector('.chip.delivery').textContent, [...(li.querySelector('.chip.last-try') || {childNodes: []}).childNodes].filter(n => !(n instanceof Element && n.classList.contains('lt-ms'))).map(n => n.textContent).join(''), li.classList.contains('current') ? 'current' : ''].join(' | '))";

/// The condition "the open event is `id` and its run's webhooks are listed".
fn showing(id: i64) -> String {
    format!(
        "document.querySelector('.d-title') && document.querySelector('.d-title').textContent.includes('#{id}') && document.querySelectorAll('.run-webhook-list > li').length === 3"
    )
}

#[tokio::test]
async fn the_run_tab_lists_the_runs_webhooks_and_opens_each() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    // The app fails the run's first delivery, then takes everything.
    let app = Stub::start(None, &[500, 200]).await;
    let t = spawn_app(&["--secret", SECRET, "--forward", &app.url("/hooks")]).await;
    let now = chrono::Utc::now().timestamp();
    let failed = fixture("cyberdesk/run_complete.task_failed.json");
    let signed = svix_headers(SECRET, RUN, now, &failed);
    let first = capture_id(&t, "/cyberdesk", &as_refs(&signed), &failed).await;
    let again = svix_headers(SECRET, RUN, now, &failed);
    let svix_retry = capture_id(&t, "/cyberdesk", &as_refs(&again), &failed).await;
    let succeeded = fixture("cyberdesk/run_complete.success.json");
    let retried_id = format!("{RUN}_1702310400000");
    let signed = svix_headers(SECRET, &retried_id, now, &succeeded);
    let retried = capture_id(&t, "/cyberdesk", &as_refs(&signed), &succeeded).await;
    // The app's answers are recorded just after they went back.
    common::stub::eventually("every forward recorded", || async {
        let run = get_json(&t, &format!("/api/runs/{RUN}")).await;
        let webhooks = run["webhooks"].as_array().cloned().unwrap_or_default();
        webhooks
            .iter()
            .all(|w| w["forward"]["status"].is_u64())
            .then_some(())
    })
    .await;

    b.record_violations().await;
    b.goto(&format!("{}/?event={svix_retry}", t.ui_origin()))
        .await;
    b.wait_for("the live stream", LIVE).await;
    b.wait_for("the run's webhooks", &showing(svix_retry)).await;
    assert_eq!(
        b.eval("document.querySelector('.tab.on').dataset.tab")
            .await,
        json!("run")
    );
    let rows: Vec<String> = serde_json::from_value(b.eval(RUN_ROWS).await).expect("rows");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[0], format!("{first} | first delivery | →✗app500 | "));
    assert_eq!(
        rows[1],
        format!("{svix_retry} | Svix retry #1 | →✓app200 | current")
    );
    // The retried time is shown in the browser's time zone.
    let local: String = serde_json::from_value(
        b.eval("(() => { const d = new Date('2023-12-11T16:00:00.000Z'); const p = (n, w = 2) => String(n).padStart(w, '0'); return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.000`; })()").await,
    )
    .expect("a local time");
    assert_eq!(
        rows[2],
        format!("{retried} | run retried at {local} | →✓app200 | ")
    );
    let current = b.text(".run-webhook-list > li.current").await;
    assert!(
        current.contains("← viewing") && current.contains(RUN),
        "{current}"
    );
    assert_eq!(
        b.eval(
            "document.querySelector('.run-webhook-list > li.current').getAttribute('aria-current')"
        )
        .await,
        json!("true")
    );
    assert!(b.text(".run-webhooks h3").await.contains("(3)"));
    let summary = b.text(".run-webhooks .rw-summary").await;
    assert_eq!(summary, "1 Svix retry · retried once");
    let statuses: Vec<String> = serde_json::from_value(
        b.eval("[...document.querySelectorAll('.run-webhook-list > li .chip.run')].map(c => c.textContent)").await,
    )
    .expect("statuses");
    assert_eq!(statuses, ["✗task_failed", "✗task_failed", "✓success"]);

    // Keyboard: focus the retried run's row and press Enter.
    b.eval(&format!(
        "document.querySelector('.run-webhook-list > li[data-id=\"{retried}\"] button').focus(), 1"
    ))
    .await;
    b.client
        .active_element()
        .await
        .expect("the focused row")
        .send_keys("\u{e007}")
        .await
        .expect("press Enter");
    b.wait_for("the retried run opened", &showing(retried))
        .await;
    assert_eq!(
        b.eval("document.querySelector('.run-webhook-list > li.current').dataset.id")
            .await,
        json!(retried.to_string())
    );
    assert!(b.text(".run-tab .run-head").await.contains("success"));

    // A click opens the first delivery.
    b.click(&format!(
        ".run-webhook-list > li[data-id=\"{first}\"] button"
    ))
    .await;
    b.wait_for("the first delivery opened", &showing(first))
        .await;
    let rows: Vec<String> = serde_json::from_value(b.eval(RUN_ROWS).await).expect("rows");
    assert!(rows[0].ends_with("| current"), "{rows:?}");

    // Another webhook of the run arrives: the open Run tab lists it.
    let later = svix_headers(SECRET, &format!("{RUN}_1702310460000"), now, &succeeded);
    let fourth = capture_id(&t, "/cyberdesk", &as_refs(&later), &succeeded).await;
    b.wait_for(
        "the new webhook in the open Run tab",
        &format!("!!document.querySelector('.run-webhook-list > li[data-id=\"{fourth}\"]')"),
    )
    .await;

    // Under `run:` the list holds the run's webhooks, those arriving live too, and no other.
    b.goto(&format!("{}/?q=run:{RUN}", t.ui_origin())).await;
    b.wait_for("the live stream", LIVE).await;
    b.wait_for("the run's webhooks listed", &row(fourth)).await;
    let other = capture_id(
        &t,
        "/cyberdesk",
        &[],
        &fixture("cyberdesk/run_complete.cancelled_minimal.json"),
    )
    .await;
    let msg_id = format!("{RUN}_1702310520000");
    let bare = capture_id(
        &t,
        "/cyberdesk",
        &[("svix-id", msg_id.as_str())],
        br#"{"event_type":"run_complete"}"#,
    )
    .await;
    b.wait_for("the run's webhook, by its message id", &row(bare))
        .await;
    assert_eq!(
        b.eval("[...document.querySelectorAll('#rows .row')].map(r => Number(r.dataset.id)).sort((x, y) => y - x)")
            .await,
        json!([bare, fourth, retried, svix_retry, first]),
        "another run's webhook (#{other}) is not listed"
    );
    // The page's own matcher for live arrivals follows the server's rule.
    let judged = b
        .eval(&format!(
            "import('/filters.js').then(m => {{ const f = {{q: 'run:{RUN}', verification: '', type: '', path: '', run_status: ''}}; return [
                m.matchLocally({{run: {{id: '{RUN}', status: 'success'}}, msg_id: 'msg_1'}}, f),
                m.matchLocally({{run: null, msg_id: '{RUN}_1702310520000'}}, f),
                m.matchLocally({{run: null, msg_id: '{RUN}'}}, f),
                m.matchLocally({{run: {{id: 'other', status: 'success'}}, msg_id: '{RUN}'}}, f),
                m.matchLocally({{run: null, msg_id: '{RUN}_12ab'}}, f),
                m.matchLocally({{run: {{id: 'x', status: '{RUN}'}}, msg_id: null}}, f),
            ]; }})"
        ))
        .await;
    assert_eq!(judged, json!([true, true, true, false, false, false]));
    assert_eq!(b.violations().await, Vec::<String>::new());
    b.close().await;
    t.stop().await;
}
