//! Schema drift in the browser: an event whose shape differs from its kind's gets the drift chip
//! live, its detail lists the changes, `is:drift` keeps only it, and the Schema view shows what
//! was learned.

use super::*;

fn order(amount: Value) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"type": "order.paid", "amount": amount, "customer": {"id": "cus_1"}}),
    )
    .expect("json")
}

/// The chip of row `id`.
fn chip(id: i64) -> String {
    format!("document.querySelector('#rows .row[data-id=\"{id}\"] .chip.drift')")
}

#[tokio::test]
async fn a_drifted_event_gets_the_chip_and_its_changes_in_the_detail() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let t = spawn_app(&[]).await;
    let mut regular = Vec::new();
    for n in 0..5 {
        regular.push(capture_id(&t, "/shop", &[], &order(json!(n))).await);
    }
    b.record_violations().await;
    b.goto(&t.ui_origin()).await;
    b.wait_for("the live stream", LIVE).await;
    b.wait_for("the rows", &row(regular[4])).await;

    // Arrives live; the chip follows once the learner has read it.
    let odd = capture_id(
        &t,
        "/shop",
        &[],
        br#"{"type": "order.paid", "amount": "12.00", "customer": {}}"#,
    )
    .await;
    b.wait_for("the drift chip", &chip(odd)).await;
    let title = b.eval(&format!("{}.title", chip(odd))).await;
    let title = title.as_str().expect("title");
    assert!(title.contains("/customer/id is missing"), "{title}");
    assert!(title.contains("/amount changed type"), "{title}");
    for id in &regular {
        assert_eq!(
            b.eval(&format!("!!{}", chip(*id))).await,
            json!(false),
            "#{id}"
        );
    }

    b.open_row(odd).await;
    b.wait_css("the drift note", ".d-drift li[data-path=\"/amount\"]")
        .await;
    let note = b.text(".d-drift").await;
    assert!(note.contains("was number, now string"), "{note}");

    // The learned schema, from the note.
    b.click(".d-drift .link-button").await;
    b.wait_css(
        "the learned fields",
        "dialog[open] .schema-fields tr[data-path=\"/customer/id\"]",
    )
    .await;
    let present = b
        .text("dialog[open] .schema-fields tr[data-path=\"/customer/id\"]")
        .await;
    assert!(present.contains("5 of 6"), "{present}");
    b.wait_css("the JSON Schema export", "dialog[open] .copy-schema")
        .await;
    b.client
        .active_element()
        .await
        .expect("focus")
        .send_keys("\u{e00c}")
        .await
        .expect("Escape");
    b.wait_for("the view closed", "!document.querySelector('dialog[open]')")
        .await;

    // is:drift keeps only the drifted one.
    b.goto(&format!("{}/?q=is%3Adrift", t.ui_origin())).await;
    b.wait_for("the drifted row", &row(odd)).await;
    assert_eq!(
        b.eval(&format!("!!{}", row(regular[0]))).await,
        json!(false)
    );
    assert_eq!(b.violations().await, Vec::<String>::new());
    b.close().await;
    t.stop().await;
}

#[tokio::test]
async fn a_test_event_that_differs_from_real_ones_says_so() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let t = spawn_app(&[]).await;
    // Real run_complete events on /cyberdesk have a `tenant` the template lacks.
    let real = json!({"event_type": "run_complete", "run": {"id": "r", "status": "success"}, "tenant": "acme"});
    for _ in 0..5 {
        capture_id(&t, "/cyberdesk", &[], real.to_string().as_bytes()).await;
    }
    let resp = post_json(
        &t,
        "/api/send",
        &json!({"template": "run_complete", "status": "success", "secret": SECRET, "path": "/cyberdesk"}),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let sent = resp.json()["id"].as_i64().expect("id");
    // `hookpit send` to the capture URL arrives as `direct`; its User-Agent makes it a test.
    let by_cli = capture_id(
        &t,
        "/cyberdesk",
        &[("User-Agent", hookpit::send::USER_AGENT)],
        br#"{"event_type": "run_complete", "run": {"id": "r", "status": "success"}}"#,
    )
    .await;
    b.record_violations().await;
    b.goto(&t.ui_origin()).await;
    b.wait_for("the rows", &row(by_cli)).await;
    for id in [sent, by_cli] {
        b.wait_for("the drift chip", &chip(id)).await;
        b.open_row(id).await;
        b.wait_css("the drift note", ".d-drift li[data-path=\"/tenant\"]")
            .await;
        let note = b.text(".d-drift").await;
        assert!(
            note.contains(
                "This test event differs from the real run_complete events on /cyberdesk hookpit captured"
            ),
            "#{id}: {note}"
        );
        assert!(note.contains("/tenant"), "#{id}: {note}");
    }
    assert_eq!(b.violations().await, Vec::<String>::new());
    b.close().await;
    t.stop().await;
}
