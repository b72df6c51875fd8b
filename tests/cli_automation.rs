//! The commands scripts and CI use, run as the real binary against a real hookpit: `wait`,
//! `status`, `events`, `show`, `completions`, and the README's end-to-end recipe
//! (examples/recipes/e2e.sh).

mod common;

use std::process::{Output, Stdio};
use std::time::Duration;

use common::{TestApp, capture_post, spawn_app, text};

const RUN: &[u8] = br#"{"event_type":"run_complete","run":{"id":"r1","status":"success"}}"#;
const OTHER: &[u8] = br#"{"event_type":"run_started"}"#;

/// The binary under test: the one cargo built for this test, unless `HOOKPIT_TEST_BIN` names
/// another (a target directory shared by several checkouts can hold someone else's build there).
fn bin() -> String {
    std::env::var("HOOKPIT_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_hookpit").to_string())
}

fn command(args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(bin());
    cmd.args(args)
        .env_remove("HOOKPIT_UI")
        .env_remove("HOOKPIT_UI_TOKEN")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

async fn hookpit(t: &TestApp, args: &[&str]) -> Output {
    let ui = t.ui.to_string();
    let mut all = args.to_vec();
    all.extend(["--ui", ui.as_str()]);
    command(&all).output().await.expect("hookpit runs")
}

async fn post(t: &TestApp, body: &[u8]) -> i64 {
    capture_post(t, "/hooks", &[("content-type", "application/json")], body).await
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}")))
        .collect()
}

#[tokio::test]
async fn wait_prints_each_match_and_walks_forward_with_count() {
    let t = spawn_app(&[]).await;
    let first = post(&t, RUN).await;
    post(&t, OTHER).await;
    let second = post(&t, RUN).await;
    let out = hookpit(
        &t,
        &["wait", "type:run_complete", "--after", "0", "--count", "2"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ids: Vec<_> = json_lines(&out).iter().map(|e| e["id"].as_i64()).collect();
    assert_eq!(ids, [Some(first), Some(second)]);
    t.stop().await;
}

#[tokio::test]
async fn wait_holds_until_an_event_arrives() {
    let t = spawn_app(&[]).await;
    post(&t, RUN).await;
    let ui = t.ui.to_string();
    let waiting = command(&["wait", "type:run_complete", "--ui", &ui, "--timeout", "20s"])
        .spawn()
        .expect("wait starts");
    let base = t.app.live.receivers();
    for _ in 0..500 {
        if t.app.live.receivers() > base {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let id = post(&t, RUN).await;
    let out = waiting.wait_with_output().await.expect("wait ends");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(json_lines(&out)[0]["id"], id);
    t.stop().await;
}

#[tokio::test]
async fn wait_full_prints_the_whole_event() {
    let t = spawn_app(&[]).await;
    let id = post(&t, RUN).await;
    let out = hookpit(&t, &["wait", "--after", "0", "--full"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let event = &json_lines(&out)[0];
    assert_eq!(event["id"], id);
    assert_eq!(
        event["body"]["data"],
        std::str::from_utf8(RUN).expect("utf8")
    );
    assert!(event["headers"].is_array());
    t.stop().await;
}

#[tokio::test]
async fn wait_exits_2_on_timeout_and_1_when_hookpit_is_unreachable() {
    let t = spawn_app(&[]).await;
    post(&t, RUN).await;
    let out = hookpit(&t, &["wait", "--timeout", "300ms"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(text(&out.stderr).contains("timed out"));
    t.stop().await;
}

#[tokio::test]
async fn wait_exits_1_with_the_reason_when_no_hookpit_answers() {
    let out = command(&["wait", "--ui", "127.0.0.1:9", "--timeout", "2s"])
        .output()
        .await
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot reach hookpit at 127.0.0.1:9"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn status_answers_once_hookpit_is_up_and_fails_when_none_is() {
    let t = spawn_app(&[]).await;
    let out = hookpit(&t, &["status", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(json_lines(&out)[0]["ui_url"], format!("http://{}", t.ui));
    let out = hookpit(&t, &["status"]).await;
    assert!(text(&out.stdout).contains("is up"), "{}", text(&out.stdout));
    t.stop().await;

    let started = std::time::Instant::now();
    let out = command(&["status", "--wait", "700ms", "--ui", "127.0.0.1:9"])
        .output()
        .await
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "it kept trying"
    );
    assert!(
        text(&out.stderr).contains("no hookpit answered within 700 ms"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn status_wait_sees_a_hookpit_that_starts_later() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        l.local_addr().expect("addr")
    };
    let ui = port.to_string();
    let waiting = command(&["status", "--wait", "20s", "--ui", &ui])
        .spawn()
        .expect("status starts");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let t = common::spawn_app(&["--ui", &ui]).await;
    let out = waiting.wait_with_output().await.expect("status ends");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    t.stop().await;
}

#[tokio::test]
async fn events_lists_newest_first_as_json_lines() {
    let t = spawn_app(&[]).await;
    let a = post(&t, RUN).await;
    let b = post(&t, OTHER).await;
    let c = post(&t, RUN).await;
    let out = hookpit(&t, &["events", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ids: Vec<_> = json_lines(&out).iter().map(|e| e["id"].as_i64()).collect();
    assert_eq!(ids, [Some(c), Some(b), Some(a)]);
    let out = hookpit(&t, &["events", "type:run_complete", "--limit", "1"]).await;
    let ids: Vec<_> = json_lines(&out).iter().map(|e| e["id"].as_i64()).collect();
    assert_eq!(
        ids,
        [Some(c)],
        "a pipe gets JSON lines too, and the query and limit hold"
    );
    assert!(!text(&out.stdout).contains('\x1b'), "no colour in a pipe");
    t.stop().await;
}

#[tokio::test]
async fn show_prints_the_event_and_raw_writes_the_exact_bytes() {
    let t = spawn_app(&[]).await;
    let body: &[u8] = b"\x00\xffnot utf-8\r\n";
    let id = capture_post(
        &t,
        "/bin",
        &[("content-type", "application/octet-stream")],
        body,
    )
    .await;
    let id_text = id.to_string();
    let out = hookpit(&t, &["show", &id_text, "--raw"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(out.stdout, body);
    let out = hookpit(&t, &["show", &id_text, "--json"]).await;
    let event = &json_lines(&out)[0];
    assert_eq!(event["id"], id);
    assert_eq!(event["body"]["encoding"], "base64");
    let out = hookpit(&t, &["show", "999"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no event with id 999"),
        "{}",
        text(&out.stderr)
    );
    t.stop().await;
}

#[tokio::test]
async fn a_closed_pipe_ends_events_quietly() {
    let t = spawn_app(&[]).await;
    for _ in 0..30 {
        post(&t, RUN).await;
    }
    let ui = t.ui.to_string();
    let mut child = command(&["events", "--json", "--limit", "30", "--ui", &ui])
        .spawn()
        .expect("starts");
    drop(child.stdout.take());
    let out = child.wait_with_output().await.expect("ends");
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
    t.stop().await;
}

#[tokio::test]
async fn completions_are_printed_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = command(&["completions", shell])
            .output()
            .await
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(
            script.contains("hookpit") && script.contains("wait"),
            "{shell}"
        );
    }
    let out = command(&["completions", "tcsh"])
        .output()
        .await
        .expect("runs");
    assert_ne!(out.status.code(), Some(0));
}

/// The README's recipe, run as written against the built binary on free ports.
#[tokio::test]
async fn the_readme_recipe_runs() {
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        common::skipped("the_readme_recipe_runs", "python3 is not installed");
        return;
    }
    let free = || {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        l.local_addr().expect("addr").port()
    };
    let (capture, ui, app) = (free(), free(), free());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/recipes/e2e.sh");
    let out = tokio::process::Command::new("sh")
        .arg(script)
        .env("HOOKPIT", bin())
        .env("CAPTURE", format!("127.0.0.1:{capture}"))
        .env("UI", format!("127.0.0.1:{ui}"))
        .env("APP_PORT", app.to_string())
        .env_remove("HOOKPIT_UI")
        .env_remove("HOOKPIT_SECRET")
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("the recipe ends within a minute")
        .expect("sh runs");
    assert!(
        out.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("answered 200"),
        "{}",
        text(&out.stdout)
    );
}
