//! The command line as a new user meets it (issue 21, items 13 and 14): one `--ui` that takes an
//! address or a URL everywhere, serve's environment leaving other subcommands alone, help that
//! says what happens, logs without colour codes in a pipe, no panic on a closed pipe, error
//! causes printed once.

mod common;

use std::process::Stdio;

use common::{spawn_app, text};
use tokio::io::AsyncWriteExt;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Runs the binary with `args` and extra environment, closing stdin at once.
async fn hookpit(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_hookpit"));
    cmd.args(args)
        .env_remove("HOOKPIT_SECRET")
        .env_remove("HOOKPIT_UI")
        .env_remove("HOOKPIT_UI_TOKEN")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.expect("hookpit runs")
}

#[tokio::test]
async fn serve_environment_does_not_break_other_subcommands() {
    let bogus = [
        ("HOOKPIT_UI", "bogus"),
        ("HOOKPIT_LISTEN", "bogus"),
        ("HOOKPIT_MAX_AGE", "forever"),
        ("HOOKPIT_RESPOND_STATUS", "many"),
    ];
    let out = hookpit(&["secret"], &bogus).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("whsec_"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test]
async fn replay_takes_the_ui_as_an_address_or_a_url_from_one_variable() {
    let t = spawn_app(&[]).await;
    let addr = t.ui.to_string();
    let url = format!("http://{addr}/");
    for (args, env) in [
        (vec!["replay", "987", "--ui", addr.as_str()], vec![]),
        (vec!["replay", "987"], vec![("HOOKPIT_UI", addr.as_str())]),
        (vec!["replay", "987"], vec![("HOOKPIT_UI", url.as_str())]),
    ] {
        let out = hookpit(&args, &env).await;
        let err = text(&out.stderr);
        assert!(!out.status.success());
        // It reached the running hookpit, which has no such event.
        assert!(
            err.contains("no event with id 987"),
            "{args:?} {env:?}: {err}"
        );
    }
    t.stop().await;
}

#[tokio::test]
async fn send_help_says_a_template_cannot_go_with_file() {
    let help = text(&hookpit(&["send", "--help"], &[]).await.stdout);
    assert!(!help.contains("ignored with --file"), "{help}");
    assert!(help.contains("cannot be combined with --file"), "{help}");
    let out = hookpit(
        &[
            "send",
            "ping",
            "--file",
            "-",
            "--to",
            "http://127.0.0.1:9/",
            "--secret",
            SECRET,
        ],
        &[],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--file"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn a_closed_stdout_is_not_a_panic() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hookpit"))
        .args(["sign", "--secret", SECRET])
        .env_remove("HOOKPIT_SECRET")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hookpit starts");
    // The reader goes away before anything is written, as `| head -0` would.
    drop(child.stdout.take());
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(b"{\"a\":1}").await.expect("write stdin");
    drop(input);
    let out = child.wait_with_output().await.expect("hookpit ends");
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
}

#[tokio::test]
async fn an_error_cause_is_printed_once() {
    let out = hookpit(
        &["--db", ":memory:", "--config", "/nonexistent/hookpit.toml"],
        &[],
    )
    .await;
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[tokio::test]
async fn logs_to_a_pipe_carry_no_colour_codes() {
    use tokio::io::AsyncBufReadExt;
    // A relay nobody listens on makes the agent log a warning straight away.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hookpit"))
        .args([
            "--db",
            ":memory:",
            "--listen",
            "127.0.0.1:0",
            "--ui",
            "127.0.0.1:0",
        ])
        .args(["--relay", "http://127.0.0.1:9"])
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .env_remove("HOOKPIT_SECRET")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("hookpit starts");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .expect("a log line within 20 s")
        .expect("stderr readable")
        .expect("a line before stderr closed");
    assert!(line.contains("relay"), "{line}");
    assert!(!line.contains('\u{1b}'), "colour codes in a pipe: {line:?}");
}
