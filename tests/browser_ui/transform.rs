//! The Transform tab in the browser: it opens with the route's transformation already run on a
//! Cyberdesk webhook (the result beside the original), the keyboard edits (Tab indents) and runs
//! (Ctrl+Enter) the code, an error names its line and marks it in the gutter, and a cancel is
//! said plainly — all under the page's Trusted Types policy.

use super::*;

/// The route's file: drop the large message history.
const ROUTE_CODE: &str = "function handler(webhook) {\n  delete webhook.payload.run.run_message_history;\n  return webhook;\n}\n";

/// WebDriver's keys: Tab, Enter, Control, and the release of held modifiers.
const TAB: &str = "\u{e004}";
const CTRL_ENTER: &str = "\u{e009}\u{e007}\u{e000}";

/// The editor's element.
async fn editor(b: &Browser) -> fantoccini::elements::Element {
    b.client
        .find(Locator::Css(".tf-code"))
        .await
        .expect("the editor")
}

/// Replaces the editor's code by typing `keys` into it.
async fn type_code(b: &Browser, keys: &str) {
    let code = editor(b).await;
    code.clear().await.expect("clear the editor");
    code.send_keys(keys).await.expect("type code");
}

#[tokio::test]
async fn the_transform_tab_runs_the_routes_file_then_typed_code_and_marks_an_errors_line() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("handler.js"), ROUTE_CODE).expect("write handler");
    let config = dir.path().join("hookpit.toml");
    std::fs::write(
        &config,
        format!("[[route]]\npath = \"/cyberdesk\"\nsecrets = [\"{SECRET}\"]\ntransformation = \"handler.js\"\n"),
    )
    .expect("write routes");
    let t = spawn_app(&["--config", &config.to_string_lossy()]).await;
    let body = fixture("cyberdesk/run_complete.success.json");
    let headers = svix_headers(
        SECRET,
        "msg_transform_ui",
        chrono::Utc::now().timestamp(),
        &body,
    );
    let id = capture_id(&t, "/cyberdesk", &as_refs(&headers), &body).await;

    b.record_violations().await;
    b.goto(&t.ui_origin()).await;
    b.wait_for("the live stream", LIVE).await;
    b.wait_for("the row", &row(id)).await;
    b.open_row(id).await;
    b.click(".tabs [data-tab=\"transform\"]").await;

    // Opens on the route's file, already run: the result beside the original.
    b.wait_css("the result", ".tf-side[data-side=\"transformed\"]")
        .await;
    assert_eq!(
        b.eval("document.querySelector('.tf-code').value").await,
        json!(ROUTE_CODE)
    );
    assert!(b.text(".tf-source").await.contains("handler.js"));
    let original = b.text(".tf-side[data-side=\"original\"] .tf-payload").await;
    let transformed = b
        .text(".tf-side[data-side=\"transformed\"] .tf-payload")
        .await;
    assert!(original.contains("run_message_history"), "{original}");
    assert!(
        !transformed.contains("run_message_history"),
        "{transformed}"
    );
    assert!(
        transformed.contains("\"status\": \"success\""),
        "{transformed}"
    );

    // Typed code: Tab indents with spaces; Ctrl+Enter runs it; the TypeError is on line 3.
    type_code(
        &b,
        &format!("function handler(w) {{\n{TAB}w.method = 'PUT';\n{TAB}w.payload.run.missing.x = 1;\n{TAB}return w;\n}}"),
    )
    .await;
    let typed = b.eval("document.querySelector('.tf-code').value").await;
    assert!(
        typed
            .as_str()
            .is_some_and(|v| v.contains("\n  w.method = 'PUT';")),
        "Tab inserts two spaces: {typed}"
    );
    editor(&b)
        .await
        .send_keys(CTRL_ENTER)
        .await
        .expect("Ctrl+Enter");
    b.wait_css("the error", "[data-test=\"transform-error\"]")
        .await;
    let error = b.text("[data-test=\"transform-error\"]").await;
    assert!(error.contains("line 3: TypeError"), "{error}");
    assert_eq!(b.text(".tf-gutter .tf-error-line").await, "3");
    assert_eq!(
        b.eval("document.activeElement === document.querySelector('.tf-code')")
            .await,
        json!(true),
        "the keyboard stays in the editor"
    );

    // Fixed to cancel: said plainly, the method change marked, nothing else to do.
    type_code(
        &b,
        &format!("function handler(w) {{\n{TAB}w.method = 'PUT';\n{TAB}w.cancel = w.eventType === 'run_complete';\n{TAB}return w;\n}}"),
    )
    .await;
    editor(&b)
        .await
        .send_keys(CTRL_ENTER)
        .await
        .expect("Ctrl+Enter");
    b.wait_css("the cancel", "[data-test=\"transform-cancel\"]")
        .await;
    assert!(
        b.text("[data-test=\"transform-cancel\"]")
            .await
            .contains("would not be sent")
    );
    assert_eq!(
        b.text(".tf-side[data-side=\"transformed\"] .tf-changed")
            .await,
        "PUT"
    );
    assert_eq!(
        b.eval("!!document.querySelector('.tf-gutter .tf-error-line')")
            .await,
        json!(false)
    );

    // A live update of the open event rebuilds the tab: the typed code (a draft per event)
    // stays and runs again.
    b.eval("document.querySelector('.tf-code').dataset.old = '1'")
        .await;
    let again = post_json(&t, &format!("/api/events/{id}/verify"), &json!({})).await;
    assert_eq!(again.status, 200);
    b.wait_css("the rebuilt tab", ".tf-code:not([data-old])")
        .await;
    b.wait_css("the cancel again", "[data-test=\"transform-cancel\"]")
        .await;
    let kept = b.eval("document.querySelector('.tf-code').value").await;
    assert!(
        kept.as_str().is_some_and(|v| v.contains("w.cancel")),
        "{kept}"
    );

    assert_eq!(b.violations().await, Vec::<String>::new());
    b.close().await;
    t.stop().await;
}
