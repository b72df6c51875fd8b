//! The engine wrapper: Svix's shapes in and out, the limits, the absent I/O, line numbers.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{check, run};
use crate::transform::{Input, TIME_LIMIT};

fn input() -> Input {
    Input {
        method: "POST".into(),
        url: "http://localhost:3000/webhooks".into(),
        payload: json!({"event_type": "run_complete", "run": {"id": "r1", "run_message_history": [1, 2, 3]}}),
        event_type: Some("run_complete".into()),
    }
}

fn error_of(code: &str) -> crate::transform::TransformError {
    run(code, "t.js", &input()).expect_err("an error")
}

#[test]
fn the_handler_reshapes_the_payload_and_sees_svixs_fields() {
    let code = "function handler(webhook) {\n  delete webhook.payload.run.run_message_history;\n  webhook.payload.seen = [webhook.eventType, webhook.method, webhook.url];\n  webhook.method = 'PUT';\n  webhook.url = webhook.url + '/x';\n  return webhook;\n}\n";
    let out = run(code, "t.js", &input()).expect("runs");
    assert_eq!(out.method, "PUT");
    assert_eq!(out.url, "http://localhost:3000/webhooks/x");
    assert!(!out.cancel);
    assert_eq!(
        out.payload,
        json!({"event_type": "run_complete", "run": {"id": "r1"},
               "seen": ["run_complete", "POST", "http://localhost:3000/webhooks"]})
    );
}

#[test]
fn cancel_true_is_returned_as_such() {
    let out = run(
        "function handler(w) { w.cancel = w.payload.run.id === 'r1'; return w; }",
        "t.js",
        &input(),
    )
    .expect("runs");
    assert!(out.cancel);
    let err = error_of("function handler(w) { w.cancel = 'yes'; return w; }");
    assert!(
        err.message.contains("cancel must be true or false"),
        "{err}"
    );
}

#[test]
fn an_endless_loop_is_stopped_at_the_time_limit() {
    let began = Instant::now();
    let err = error_of("function handler(w) {\n  while (true) {}\n}");
    let took = began.elapsed();
    assert!(err.message.starts_with("stopped after 1 s"), "{err}");
    assert!(
        took >= TIME_LIMIT && took < TIME_LIMIT + Duration::from_millis(500),
        "{took:?}"
    );
    assert_eq!(err.line, None, "QuickJS does not know the loop's line");
    // A loop that catches every error is stopped all the same: the interrupt is uncatchable.
    let err = error_of("function handler(w) { for (;;) { try { for (;;) {} } catch (e) {} } }");
    assert!(err.message.starts_with("stopped after"), "{err}");
    // Top-level code is under the limit too.
    let err =
        check("while (true) {}\nfunction handler(w) { return w; }", "t.js").expect_err("stopped");
    assert!(err.message.starts_with("stopped after"), "{err}");
}

#[test]
fn a_memory_bomb_is_stopped() {
    let err = error_of(
        "function handler(w) {\n  const all = [];\n  for (;;) all.push('x'.repeat(1 << 24) + all.length);\n}",
    );
    // The memory limit stopped it, not the time limit (whose message differs).
    assert!(err.message.starts_with("out of memory"), "{err}");
    let err = error_of("function handler(w) { return handler(w); }");
    assert!(
        err.message.contains("Maximum call stack size exceeded"),
        "{err}"
    );
}

#[test]
fn there_is_no_require_fetch_file_or_network() {
    let probe = "function handler(w) {\n  w.payload = {\n    require: typeof require, fetch: typeof fetch, process: typeof process,\n    std: typeof std, os: typeof os, XMLHttpRequest: typeof XMLHttpRequest,\n    WebSocket: typeof WebSocket, Deno: typeof Deno, Bun: typeof Bun, setTimeout: typeof setTimeout,\n    importScripts: typeof importScripts,\n  };\n  return w;\n}";
    let out = run(probe, "t.js", &input()).expect("runs");
    for (name, kind) in out.payload.as_object().expect("object") {
        assert_eq!(kind, "undefined", "{name} is there");
    }
    let err = error_of("function handler(w) {\n  return require('fs');\n}");
    assert_eq!(err.line, Some(2), "{err:?}");
    assert!(err.message.contains("ReferenceError"), "{err}");
    assert!(err.message.contains("require"), "{err}");
}

#[test]
fn a_fresh_context_per_run_leaks_nothing() {
    let code = "var count = (typeof count === 'number' ? count : 0) + 1;\nglobalThis.left = (globalThis.left || 0) + 1;\nfunction handler(w) { w.payload = [count, left]; return w; }";
    for _ in 0..3 {
        let out = run(code, "t.js", &input()).expect("runs");
        assert_eq!(out.payload, json!([1, 1]));
    }
}

#[test]
fn errors_name_their_line() {
    let err = error_of("function handler(w) {\n  const x = 1;\n  return w +* 2;\n}");
    assert!(err.message.starts_with("SyntaxError"), "{err}");
    assert_eq!(err.line, Some(3), "{err:?}");
    let err = error_of(
        "// drop the history\nfunction handler(w) {\n  w.payload.run.nothing.deeper = 1;\n  return w;\n}",
    );
    assert!(err.message.starts_with("TypeError"), "{err}");
    assert_eq!(err.line, Some(3), "{err:?}");
    let err = error_of("function handler(w) {\n\n\n  throw new Error('not this one');\n}");
    assert_eq!(err.message, "Error: not this one");
    assert_eq!(err.line, Some(4));
    assert_eq!(err.to_string(), "Error: not this one (line 4)");
    let err = error_of("function handler(w) { throw 'a string'; }");
    assert!(err.message.contains("a string"), "{err}");
}

#[test]
fn a_missing_handler_or_a_bad_result_is_explained() {
    let err = error_of("function handle(w) { return w; }");
    assert!(err.message.contains("no function named handler"), "{err}");
    let err = error_of("var handler = 3;");
    assert!(err.message.contains("no function named handler"), "{err}");
    let err = error_of("function handler(w) { w.payload = 1; }");
    assert!(err.message.contains("it returned undefined"), "{err}");
    let err = error_of("function handler(w) { return 'POST'; }");
    assert!(err.message.contains("it returned string"), "{err}");
    let err = error_of("function handler(w) { w.payload = { n: 10n }; return w; }");
    assert!(
        err.message
            .starts_with("the handler's result is not JSON-serializable"),
        "{err}"
    );
    let err =
        error_of("function handler(w) { const a = {}; a.self = a; w.payload = a; return w; }");
    assert!(err.message.contains("not JSON-serializable"), "{err}");
    let err = error_of("function handler(w) { w.payload = undefined; return w; }");
    assert!(err.message.contains("no payload"), "{err}");
    let err = error_of("function handler(w) { w.method = 'GET'; return w; }");
    assert!(err.message.contains("\"POST\" or \"PUT\""), "{err}");
    let err = error_of("function handler(w) { w.url = 5; return w; }");
    assert!(err.message.contains("url must be"), "{err}");
}

#[test]
fn check_accepts_a_handler_and_refuses_a_syntax_error_with_its_line() {
    check("function handler(webhook) { return webhook; }", "t.js").expect("fine");
    let err = check(
        "function handler(webhook) {\n  return webhook\n}}\n",
        "t.js",
    )
    .expect_err("bad");
    assert_eq!(err.line, Some(3), "{err:?}");
}
