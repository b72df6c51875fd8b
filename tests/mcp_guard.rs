//! `/mcp` under the UI port's rules (a cross-origin request refused on every method, the token
//! required when one is set, for both transports, a request over the size limit) and what an
//! agent hears when no hookpit runs.
//! The Python halves are skipped loudly without `python3 -c "import mcp"` (failing under CI).

mod common;

use common::mcp::{client, python_mcp_available, refs, stdio};
use common::*;
use serde_json::json;

#[tokio::test]
async fn a_cross_origin_mcp_request_is_refused() {
    let t = spawn_app(&[]).await;
    let init = br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
    let accept = "Accept: application/json, text/event-stream";
    let json_type = "Content-Type: application/json";
    for method in ["POST", "GET"] {
        let evil = ["Origin: http://evil.example", accept, json_type];
        let resp = ui_request(&t, method, "/mcp", &evil, init).await;
        assert_eq!(resp.status, 403, "{method} from another origin");
        // A page served on another port of the same machine is another origin too.
        let other = ["Origin: http://127.0.0.1:3000", accept, json_type];
        assert_eq!(
            ui_request(&t, method, "/mcp", &other, init).await.status,
            403
        );
    }
    let origin = t.ui_origin();
    let own_origin = format!("Origin: {origin}");
    let own = [own_origin.as_str(), accept, json_type];
    let resp = ui_request(&t, "POST", "/mcp", &own, init).await;
    assert_eq!(
        resp.status,
        200,
        "the UI's own origin: {}",
        text(&resp.body)
    );
    assert_eq!(resp.json()["result"]["serverInfo"]["name"], "hookpit");
    if python_mcp_available("a_cross_origin_mcp_request_is_refused (python half)") {
        let url = format!("{origin}/mcp");
        let seen = client(&["http", &url, "Origin:http://evil.example"], &json!([])).await;
        assert!(seen.out["error"].is_string(), "{}", seen.out);
        assert_eq!(seen.out["http_statuses"], json!([403]), "{}", seen.out);
    }
    t.stop().await;
}

#[tokio::test]
async fn mcp_needs_the_token_when_one_is_set() {
    let t = spawn_app(&["--ui-token", "s3cret-token"]).await;
    let init = br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
    let headers = [
        "Accept: application/json, text/event-stream",
        "Content-Type: application/json",
    ];
    assert_eq!(
        ui_request(&t, "POST", "/mcp", &headers, init).await.status,
        401
    );
    if !python_mcp_available("mcp_needs_the_token_when_one_is_set") {
        return t.stop().await;
    }
    let url = format!("{}/mcp", t.ui_origin());
    let calls = json!([["get_status", {}]]);
    let refused = client(&["http", &url], &calls).await;
    assert!(refused.out["error"].is_string(), "{}", refused.out);
    assert_eq!(
        refused.out["http_statuses"],
        json!([401]),
        "{}",
        refused.out
    );
    // With the token, /mcp's tools reach the API too (they carry the same token).
    let admitted = client(&["http", &url, "Authorization:Bearer s3cret-token"], &calls).await;
    assert_eq!(admitted.result(0)["isError"], false, "{}", admitted.out);
    // Over stdio the token is `hookpit mcp`'s to give; without it each tool says how.
    let ui = t.ui.to_string();
    let without = client(&refs(&stdio(&ui)), &calls).await;
    assert_eq!(without.result(0)["isError"], true);
    assert!(
        without.result(0)["text"]
            .as_str()
            .expect("text")
            .contains("--ui-token")
    );
    let mut with = stdio(&ui);
    with.extend(["--ui-token".into(), "s3cret-token".into()]);
    let with = client(&refs(&with), &calls).await;
    assert_eq!(with.result(0)["isError"], false, "{}", with.out);
    t.stop().await;
}

#[tokio::test]
async fn without_a_hookpit_each_tool_says_how_to_start_one() {
    if !python_mcp_available("without_a_hookpit_each_tool_says_how_to_start_one") {
        return;
    }
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let ui = format!("127.0.0.1:{port}");
    let calls = json!([["get_status", {}], ["list_events", {}]]);
    let seen = client(&refs(&stdio(&ui)), &calls).await;
    assert!(!seen.stderr.contains("Failed to parse"), "{}", seen.stderr);
    for i in 0..2 {
        let result = seen.result(i);
        assert_eq!(result["isError"], true, "{result}");
        let text = result["text"].as_str().expect("text");
        assert!(
            text.starts_with(&format!("no hookpit at {ui} — start it with `hookpit`")),
            "{text}"
        );
    }
    // The server says so at start too, on stderr (the client passes it through).
    assert!(
        seen.stderr.contains(&format!("no hookpit at {ui}")),
        "{}",
        seen.stderr
    );
}

#[tokio::test]
async fn an_mcp_request_over_its_limit_is_refused() {
    let t = spawn_app(&[]).await;
    let headers = [
        "Accept: application/json, text/event-stream",
        "Content-Type: application/json",
    ];
    let big = vec![b' '; hookpit::mcp::MAX_MCP_REQUEST + 1];
    let resp = ui_request(&t, "POST", "/mcp", &headers, &big).await;
    assert_eq!(resp.status, 413, "{}", text(&resp.body));
    // hookpit still answers.
    assert_eq!(
        get_json(&t, "/api/status").await["version"],
        env!("CARGO_PKG_VERSION")
    );
    t.stop().await;
}
