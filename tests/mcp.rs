//! The MCP server with the official MCP Python SDK as its client (tests/interop/mcp_client.py),
//! over stdio (`hookpit mcp`) and over Streamable HTTP (`/mcp` on the UI port): every tool, a
//! 25 MiB body cut (the guard and the absent hookpit: tests/mcp_guard.rs). Skipped loudly without `python3 -c "import mcp"`, except under `CI=true`, where it fails.

mod common;

use common::mcp::{Seen, client, python_mcp_available, refs, stdio};
use common::stub::Stub;
use common::*;
use serde_json::{Value, json};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const TOOLS: [&str; 8] = [
    "get_event",
    "get_status",
    "list_events",
    "replay_event",
    "run_doctor",
    "send_test_event",
    "verify_event",
    "wait_for_event",
];

/// Every tool through one transport, against a hookpit with a key and a stub app.
async fn every_tool(transport: &[&str], app: &Stub) -> Seen {
    let calls = json!([
        ["get_status", {}],
        ["send_test_event", {"template": "run_complete", "status": "task_failed"}],
        ["list_events", {"query": "type:run_complete"}],
        ["get_event", {"id": 1}],
        ["get_event", {"id": 1, "include": "full"}],
        ["wait_for_event", {"query": "type:run_complete", "after": 0, "timeout_s": 5}],
        ["verify_event", {"id": 1}],
        ["replay_event", {"id": 1, "target": app.url("/hooks")}],
        ["send_test_event", {"template": "ping", "to": app.url("/hooks")}],
        ["run_doctor", {"to": app.url("/hooks"), "only": ["compact", "wrong_secret"]}],
        ["wait_for_event", {"query": "type:never_sent", "timeout_s": 1}],
        ["get_event", {"id": 999}],
        ["replay_event", {"id": 1, "target": app.url("/hooks"), "mode": "verbatim"}],
        ["replay_event", {"id": 1, "target": app.url("/edited"), "body": "{\"edited\":true}", "new_id": true}],
        ["list_events", {"limit": 1, "query": "no such words anywhere"}],
    ]);
    let seen = client(transport, &calls).await;
    assert!(
        seen.out.get("error").is_none(),
        "client failed: {}",
        seen.out
    );
    // Nothing but protocol on the server's stdout: the client parsed every line.
    assert!(
        !seen.stderr.contains("Failed to parse"),
        "the server wrote something else on stdout: {}",
        seen.stderr
    );
    let mut names: Vec<&str> = seen.out["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    names.sort_unstable();
    assert_eq!(names, TOOLS, "exactly these tools, none that deletes");
    for tool in seen.out["tools"].as_array().expect("tools") {
        assert!(
            tool["description"].as_str().expect("description").len() > 80,
            "{tool}"
        );
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
    }
    assert_eq!(seen.out["tools"].as_array().expect("tools").len(), 8);

    let status = seen.result(0);
    assert_eq!(status["isError"], false, "{status}");
    assert_eq!(status["structured"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        status["text"].as_str().expect("text").contains("is up"),
        "{status}"
    );

    let sent = seen.result(1);
    assert_eq!(
        sent["structured"]["event"]["run"]["status"], "task_failed",
        "{sent}"
    );
    assert_eq!(
        sent["structured"]["event"]["verification"]["status"],
        "valid"
    );

    let listed = seen.result(2);
    assert_eq!(
        listed["structured"]["events"]
            .as_array()
            .expect("events")
            .len(),
        1
    );
    assert!(
        listed["text"]
            .as_str()
            .expect("text")
            .contains("run_complete (run task_failed) · signature valid"),
        "{listed}"
    );

    let summary = &seen.result(3)["structured"];
    // The same Summary the list gives.
    assert_eq!(summary, &listed["structured"]["events"][0]);
    assert!(
        summary.get("body").is_none() && summary.get("headers").is_none(),
        "{summary}"
    );

    let full = &seen.result(4)["structured"];
    assert_eq!(full["truncated"], false);
    let body: Value =
        serde_json::from_str(full["body"]["data"].as_str().expect("body")).expect("json");
    assert_eq!(body["run"]["status"], "task_failed");
    assert!(full["headers"].as_array().expect("headers").len() >= 3);
    assert_eq!(full["verification"]["signature_ok"], true);
    assert!(
        seen.result(4)["text"]
            .as_str()
            .expect("text")
            .contains("svix-signature")
    );

    assert_eq!(
        seen.result(5)["structured"]["event"]["id"],
        1,
        "{}",
        seen.result(5)
    );

    let verdict = seen.result(6);
    assert_eq!(verdict["structured"]["status"], "valid", "{verdict}");
    assert!(
        verdict["text"]
            .as_str()
            .expect("text")
            .starts_with("event #1: valid")
    );

    let replayed = seen.result(7);
    assert_eq!(replayed["isError"], false, "{replayed}");
    assert_eq!(
        replayed["structured"]["status"], 500,
        "the app's own answer: {replayed}"
    );
    assert_eq!(
        replayed["structured"]["response_body"]["data"],
        "app says 500"
    );
    assert!(
        replayed["structured"]["response_headers"]
            .as_array()
            .expect("headers")
            .iter()
            .any(|h| h[0]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case("x-app")))
    );
    assert!(
        replayed["text"]
            .as_str()
            .expect("text")
            .contains("the app answered 500")
    );

    let direct = seen.result(8);
    assert_eq!(direct["structured"]["tries"][0]["status"], 500, "{direct}");
    assert_eq!(
        direct["structured"]["tries"][0]["response_body"],
        "app says 500"
    );

    let doctor = seen.result(9);
    assert_eq!(doctor["isError"], false, "{doctor}");
    assert_eq!(doctor["structured"]["state"], "done", "{doctor}");
    let scenarios = doctor["structured"]["scenarios"]
        .as_array()
        .expect("scenarios");
    assert_eq!(scenarios.len(), 2, "{doctor}");
    assert!(
        scenarios.iter().all(|s| s.get("exchanges").is_none()),
        "compact: {doctor}"
    );
    assert!(
        doctor["text"]
            .as_str()
            .expect("text")
            .starts_with("doctor on ")
    );

    let timed_out = seen.result(10);
    assert_eq!(timed_out["isError"], true);
    assert!(
        timed_out["text"]
            .as_str()
            .expect("text")
            .starts_with("Timed out after 1 s")
    );

    let missing = seen.result(11);
    assert_eq!(missing["isError"], true);
    assert!(
        missing["text"]
            .as_str()
            .expect("text")
            .contains("list_events shows the ids")
    );
    seen
}

#[tokio::test]
async fn every_tool_over_stdio() {
    if !python_mcp_available("every_tool_over_stdio") {
        return;
    }
    let app = Stub::start(Some(SECRET), &[500]).await;
    let t = spawn_app(&["--secret", SECRET]).await;
    every_tool(&refs(&stdio(&t.ui.to_string())), &app).await;
    // The app got the replay and the direct send, each signed so that it verifies, then the
    // doctor's two scenarios.
    let hits = app.hits();
    assert!(
        hits[0].verdict.status == hookpit::verify::Status::Valid,
        "{:?}",
        hits[0].verdict
    );
    t.stop().await;
}

#[tokio::test]
async fn every_tool_over_streamable_http() {
    if !python_mcp_available("every_tool_over_streamable_http") {
        return;
    }
    let app = Stub::start(Some(SECRET), &[500]).await;
    let t = spawn_app(&["--secret", SECRET]).await;
    let url = format!("{}/mcp", t.ui_origin());
    every_tool(&["http", &url], &app).await;
    t.stop().await;
}

#[tokio::test]
async fn a_25_mib_body_comes_back_cut() {
    if !python_mcp_available("a_25_mib_body_comes_back_cut") {
        return;
    }
    let t = spawn_app(&[]).await;
    let body = vec![b'x'; 25 * 1024 * 1024];
    let id = capture_post(&t, "/big", &[("content-type", "text/plain")], &body).await;
    let url = format!("{}/mcp", t.ui_origin());
    let calls = json!([
        ["get_event", {"id": id, "include": "full"}],
        ["get_event", {"id": id, "include": "full", "max_body_bytes": 100}],
        ["get_event", {"id": id, "include": "full", "max_body_bytes": 1_000_000_000u64}],
    ]);
    let seen = client(&["http", &url], &calls).await;
    let first = seen.result(0);
    assert_eq!(first["structured"]["truncated"], true, "{}", seen.out);
    assert_eq!(first["structured"]["size"], 25 * 1024 * 1024);
    assert_eq!(
        first["structured"]["body"]["data"]
            .as_str()
            .expect("data")
            .len(),
        64 * 1024
    );
    let raw = format!("{}/api/events/{id}/raw", t.ui_origin());
    assert_eq!(first["structured"]["raw_url"], raw.as_str());
    assert!(
        first["structured"]["note"]
            .as_str()
            .expect("note")
            .contains(&raw)
    );
    // The text an agent reads first quotes a little of the body, not 64 KiB of it.
    assert!(
        first["text"].as_str().expect("text").len() < 4096,
        "{}",
        first["text"]
    );
    assert_eq!(
        seen.result(1)["structured"]["body"]["data"]
            .as_str()
            .expect("data")
            .len(),
        100
    );
    // Whatever is asked, never more than 1 MiB.
    let most = seen.result(2)["structured"]["body"]["data"]
        .as_str()
        .expect("data")
        .len();
    assert_eq!(most, 1024 * 1024);
    t.stop().await;
}

#[tokio::test]
async fn an_empty_hookpit_has_no_event_to_get() {
    if !python_mcp_available("an_empty_hookpit_has_no_event_to_get") {
        return;
    }
    let t = spawn_app(&[]).await;
    let url = format!("{}/mcp", t.ui_origin());
    let calls = json!([
        ["get_event", {"id": 1}],
        ["get_event", {"id": 1, "include": "full"}],
        ["get_event", {"id": i64::MAX}],
        ["list_events", {}],
    ]);
    let seen = client(&["http", &url], &calls).await;
    for i in 0..3 {
        let result = seen.result(i);
        assert_eq!(result["isError"], true, "{}", seen.out);
        let text = result["text"].as_str().expect("text");
        assert!(
            text.contains("list_events shows the ids that are stored"),
            "{text}"
        );
    }
    assert_eq!(seen.result(3)["structured"]["events"], json!([]));
    t.stop().await;
}
