//! Schemathesis pointed at `GET /api/openapi.json` of a throwaway in-memory hookpit: every
//! generated request, valid or not, must get an answer the document allows (a 4xx with a JSON
//! reason for bad input), never a 5xx and never a hang. Routes that send requests out (send,
//! doctor, replay) or hold a WebSocket are left out. Skipped, loudly, without `st`.

mod common;

use common::*;

/// Examples per operation: enough to cover each parameter's edges, bounded to under a minute.
const EXAMPLES: &str = "30";

fn schemathesis() -> Option<&'static str> {
    ["st", "schemathesis"].into_iter().find(|cmd| {
        std::process::Command::new(cmd)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[tokio::test]
async fn schemathesis_finds_nothing() {
    let Some(st) = schemathesis() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("schemathesis is not installed; CI must `pip install schemathesis` first");
        }
        skipped(
            "schemathesis_finds_nothing",
            "schemathesis not installed (python3 -m pip install schemathesis)",
        );
        return;
    };
    let t = spawn_app(&[]).await;
    capture_post(&t, "/hooks", &[], br#"{"type":"run_complete"}"#).await;
    let ui = t.ui_origin();
    let mut args = vec![
        "run".to_string(),
        format!("{ui}/api/openapi.json"),
        "--url".into(),
        ui.clone(),
        "-n".into(),
        EXAMPLES.into(),
        "--request-timeout".into(),
        "10".into(),
        "--generation-deterministic".into(),
        // Stateful chains guess links between operations; the phases that fuzz each
        // operation's inputs are what this test is for.
        "--phases".into(),
        "examples,coverage,fuzzing".into(),
    ];
    // These send requests to URLs in their input or upgrade to a WebSocket; the wait route holds
    // every request until its timeout by design (tests/wait.rs covers its bad input).
    let excluded = [
        "/api/live",
        "/api/send",
        "/api/doctor",
        "/api/events/{id}/replay",
        "/api/replay",
        "/api/events/wait",
    ];
    for path in excluded {
        args.extend(["--exclude-path".to_string(), path.to_string()]);
    }
    let cache = tempfile::tempdir().expect("tempdir");
    let run = tokio::time::timeout(
        std::time::Duration::from_secs(180),
        tokio::process::Command::new(st)
            .args(&args)
            // Its cache of findings goes to a throwaway directory, not the checkout.
            .current_dir(cache.path())
            .env("NO_COLOR", "1")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("schemathesis ends within 3 minutes")
    .expect("schemathesis runs");
    let out = text(&run.stdout);
    assert!(
        run.status.success(),
        "schemathesis found problems:\n{out}\n{}",
        text(&run.stderr)
    );
    t.stop().await;
}
