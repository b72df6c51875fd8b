//! `hookpit doctor` against a small Python app (tests/interop/doctor_app.py) that verifies with
//! the official `svix` package's `Webhook.verify`, as Cyberdesk's docs show: it passes every
//! scenario. Skipped loudly without `python3 -c "import svix"`, except under `CI=true`.

mod common;

use std::process::Stdio;
use std::time::Duration;

use hookpit::client::HttpClient;
use hookpit::doctor::{self, Options, Outcome};
use hookpit::verify::Key;
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/doctor_app.py");
const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// Starts the Python app on a free port; returns it (killed when dropped) and its URL once it
/// accepts connections.
async fn python_app() -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("python3")
        .args([SCRIPT, &port.to_string(), SECRET])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 starts");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the Python app never listened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, format!("http://127.0.0.1:{port}/webhooks/cyberdesk"))
}

#[tokio::test]
async fn an_app_verifying_with_official_svix_passes_every_scenario() {
    if !common::python_svix_available() {
        return;
    }
    let (mut child, url) = python_app().await;
    let target = hookpit::send::parse_target(&url).expect("target");
    let keys = [Key::parse(None, SECRET).expect("key")];
    let client = HttpClient::default();
    let options = Options::default();
    let run = doctor::run(&client, &target, &keys, &options, |_| {});
    let report = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("doctor ends in time");
    let lines: Vec<String> = report.scenarios.iter().map(|s| s.line()).collect();
    for s in &report.scenarios {
        let wanted = match s.expect {
            doctor::Expect::Report => Outcome::Info,
            _ => Outcome::Pass,
        };
        assert_eq!(s.outcome, wanted, "{lines:#?}");
    }
    assert_eq!(report.scenarios.len(), doctor::BATTERY.len());
    assert!(
        report.ok && report.diagnoses.is_empty(),
        "{:#?}",
        report.diagnoses
    );
    let dup = report
        .scenarios
        .iter()
        .find(|s| s.name == "duplicate")
        .expect("duplicate");
    assert_eq!(
        dup.detail,
        r#"the repeat answered 200: {"duplicate": true}"#
    );
    let _ = child.kill().await;
}
