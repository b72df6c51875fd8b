//! `hookpit doctor` against small apps that each make one mistake, and a correct one: the
//! correct app passes every scenario, each faulty app fails exactly the scenarios its mistake
//! explains, with the right diagnosis. Also `POST /api/doctor`, its frames and stored runs.

mod common;
mod doctor_apps;

use std::collections::BTreeSet;
use std::time::Duration;

use doctor_apps::{Mistake, SECRET, start};
use futures_util::StreamExt;
use hookpit::client::HttpClient;
use hookpit::doctor::{self, Code, DoctorReport, Options, Outcome};
use hookpit::verify::Key;
use serde_json::json;

/// Runs `options` against `url`.
async fn doctor_at(url: &str, options: &Options) -> DoctorReport {
    let target = hookpit::send::parse_target(url).expect("target");
    let keys = [Key::parse(None, SECRET).expect("key")];
    let client = HttpClient::default();
    let run = doctor::run(&client, &target, &keys, options, |_| {});
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("doctor ends in time")
}

/// The full battery against an app that makes `mistake`.
async fn doctor(mistake: Mistake) -> DoctorReport {
    let app = start(mistake).await;
    doctor_at(&app.url(), &Options::default()).await
}

fn with(report: &DoctorReport, outcome: Outcome) -> BTreeSet<&'static str> {
    let named = report.scenarios.iter().filter(|s| s.outcome == outcome);
    named.map(|s| s.name).collect()
}

fn codes(report: &DoctorReport) -> Vec<Code> {
    report.diagnoses.iter().map(|d| d.code).collect()
}

/// Asserts that exactly `failed` failed, all explained by one diagnosis `code`.
fn fails_only(report: &DoctorReport, failed: &[&str], code: Code) {
    let lines: Vec<String> = report.scenarios.iter().map(|s| s.line()).collect();
    let lines = lines.join("\n");
    assert_eq!(
        with(report, Outcome::Fail),
        failed.iter().copied().collect(),
        "{lines}"
    );
    assert_eq!(with(report, Outcome::Warn), BTreeSet::new(), "{lines}");
    assert_eq!(codes(report), [code], "{:#?}", report.diagnoses);
    assert_eq!(report.diagnoses[0].scenarios, failed);
    assert_eq!(report.diagnoses[0].severity, Outcome::Fail);
    assert!(!report.ok);
}

#[tokio::test]
async fn the_correct_app_passes_every_scenario() {
    let report = doctor(Mistake::None).await;
    let lines: Vec<String> = report.scenarios.iter().map(|s| s.line()).collect();
    assert_eq!(report.scenarios.len(), doctor::BATTERY.len());
    assert_eq!(
        with(&report, Outcome::Info),
        BTreeSet::from(["webhook_headers"])
    );
    assert_eq!(report.counts.pass, doctor::BATTERY.len() - 1, "{lines:#?}");
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
    assert_eq!(dup.detail, r#"the repeat answered 200: {"duplicate":true}"#);
    let ids: Vec<String> = dup.exchanges.iter().map(|e| header(e, "svix-id")).collect();
    assert_eq!(ids[0], ids[1]);
    let large = report
        .scenarios
        .iter()
        .find(|s| s.name == "large_body")
        .expect("large");
    assert_eq!(large.exchanges[0].request_size, 1024 * 1024);
    let first = &report.scenarios[0].exchanges[0];
    assert!(header(first, "user-agent").starts_with("Svix-Webhooks/"));
    assert_eq!(header(first, "content-type"), "application/json");
    let info = report.scenarios.last().expect("last");
    assert_eq!(
        (info.name, info.detail.as_str()),
        ("webhook_headers", "accepted (200)")
    );
}

fn header(e: &doctor::Exchange, name: &str) -> String {
    let found = e.delivery.request_headers.iter().find(|(n, _)| n == name);
    found.map(|(_, v)| v.clone()).unwrap_or_default()
}

#[tokio::test]
async fn the_correct_app_takes_the_retried_run_as_new_work() {
    let report = doctor(Mistake::None).await;
    let r = report
        .scenarios
        .iter()
        .find(|s| s.name == "retried_run")
        .expect("retried_run");
    assert_eq!(r.outcome, Outcome::Pass, "{}", r.line());
    assert_eq!(
        r.detail,
        r#"the retried run answered 200: {"received":true}, a repeat 200: {"duplicate":true}"#
    );
    let ids: Vec<String> = r.exchanges.iter().map(|e| header(e, "svix-id")).collect();
    assert_eq!((&ids[0], &ids[1], &ids[2]), (&ids[1], &ids[2], &ids[0]));
    let suffix = ids[3]
        .strip_prefix(&format!("{}_", ids[0]))
        .expect("the retried run's id is <run_id>_<ms>");
    assert_eq!(suffix.len(), 13, "{}", ids[3]);
    let run_of = |i: usize| -> serde_json::Value {
        serde_json::from_str(&r.exchanges[i].request_body).expect("JSON body")
    };
    assert_eq!(run_of(0)["run"]["id"], ids[0].as_str());
    assert_eq!(run_of(3)["run"]["id"], ids[0].as_str());
    assert_eq!(run_of(3)["run"]["status"], "success");
}

#[tokio::test]
async fn an_app_keyed_on_run_id_or_the_message_id_prefix_drops_the_retried_run() {
    for mistake in [Mistake::KeysOnRunId, Mistake::KeysOnMsgIdPrefix] {
        let report = doctor(mistake).await;
        fails_only(&report, &["retried_run"], Code::RetriedRunDropped);
        let r = report
            .scenarios
            .iter()
            .find(|s| s.name == "retried_run")
            .expect("retried_run");
        assert!(
            r.detail.starts_with(
                r#"the retried run got the answer of a repeat, 200: {"duplicate":true}"#
            ),
            "{mistake:?}: {}",
            r.detail
        );
        assert!(
            report.diagnoses[0]
                .cause
                .contains("the way it answers a repeated delivery"),
            "{}",
            report.diagnoses[0].cause
        );
    }
}

#[tokio::test]
async fn an_app_whose_answers_say_nothing_is_reported_not_passed() {
    // It drops the retried run too, but answers everything alike: doctor cannot see it.
    let report = doctor(Mistake::KeysOnRunIdQuietly).await;
    let r = report
        .scenarios
        .iter()
        .find(|s| s.name == "retried_run")
        .expect("retried_run");
    assert_eq!(r.outcome, Outcome::Info, "{}", r.line());
    assert!(
        r.detail
            .contains(r#"it answers a repeat exactly as new work (200: {"ok":true})"#),
        "{}",
        r.detail
    );
    assert!(report.ok && report.diagnoses.is_empty());
}

#[tokio::test]
async fn verifying_a_reserialized_body_fails_pretty_and_unicode() {
    let report = doctor(Mistake::Reserializes).await;
    fails_only(&report, &["pretty", "unicode"], Code::RawBody);
    assert!(report.diagnoses[0].fix.contains("raw request body"));
}

#[tokio::test]
async fn skipping_the_timestamp_check_fails_the_replays() {
    let report = doctor(Mistake::NoTimestampCheck).await;
    fails_only(
        &report,
        &["old_timestamp", "future_timestamp"],
        Code::NoTimestampCheck,
    );
    let cause = &report.diagnoses[0].cause;
    assert!(
        cause.contains("10 minutes old and 10 minutes in the future"),
        "{cause}"
    );
}

#[tokio::test]
async fn skipping_verification_fails_every_forgery_and_replay() {
    let report = doctor(Mistake::NoVerification).await;
    let forged = [
        "tampered_body",
        "wrong_secret",
        "missing_signature",
        "malformed_signature",
        "old_timestamp",
        "future_timestamp",
    ];
    fails_only(&report, &forged, Code::NoVerification);
}

#[tokio::test]
async fn answering_500_for_task_failed_fails_those_runs() {
    let report = doctor(Mistake::FailsTaskFailed).await;
    // `retried_run` opens with a task_failed run too.
    fails_only(
        &report,
        &["status_task_failed", "check_failed", "retried_run"],
        Code::StatusNotAcknowledged,
    );
    assert!(report.diagnoses[0].cause.starts_with("It answered 500 to"));
}

#[tokio::test]
async fn a_100_kb_body_limit_fails_the_large_body() {
    let report = doctor(Mistake::BodyLimit100Kb).await;
    fails_only(&report, &["large_body"], Code::BodyLimit);
    assert!(report.diagnoses[0].cause.starts_with("It answered 413"));
}

#[tokio::test]
async fn a_slow_app_warns_on_what_it_accepts_and_fails_nothing() {
    // The app works for 300 ms before answering; a 100 ms threshold keeps the test fast.
    let app = start(Mistake::Sleeps(Duration::from_millis(300))).await;
    let mut options = Options::default();
    options.warn_after = Duration::from_millis(100);
    let report = doctor_at(&app.url(), &options).await;
    let accepted: BTreeSet<&str> = doctor::BATTERY
        .iter()
        .filter(|s| s.expect != doctor::Expect::Reject)
        .map(|s| s.name)
        .collect();
    assert_eq!(with(&report, Outcome::Warn), accepted);
    assert_eq!(with(&report, Outcome::Fail), BTreeSet::new());
    assert_eq!(codes(&report), [Code::Slow]);
    assert_eq!(report.diagnoses[0].severity, Outcome::Warn);
    assert!(report.ok, "warnings alone do not fail the run");
    // The real thresholds stay Svix's.
    assert_eq!(
        (Options::default().warn_after, Options::default().timeout),
        (Duration::from_secs(2), Duration::from_secs(15))
    );
}

#[tokio::test]
async fn no_answer_in_time_and_redirects_fail() {
    let slow = start(Mistake::Sleeps(Duration::from_secs(5))).await;
    let mut options = Options::new(&["compact".into()]).expect("options");
    options.timeout = Duration::from_millis(300);
    let report = doctor_at(&slow.url(), &options).await;
    assert_eq!(codes(&report), [Code::Timeout]);
    assert_eq!(report.scenarios[0].detail, "no answer within 300 ms");
    let redirecting = start(Mistake::Redirects).await;
    let only = Options::new(&["compact".into(), "tampered_body".into()]).expect("options");
    let report = doctor_at(&redirecting.url(), &only).await;
    assert_eq!(with(&report, Outcome::Fail).len(), 2);
    assert_eq!(codes(&report), [Code::Redirect]);
    assert!(
        report.diagnoses[0]
            .cause
            .contains("308 to http://127.0.0.1/webhooks/")
    );
}

#[tokio::test]
async fn the_command_prints_lines_and_diagnoses_and_exits_non_zero() {
    let app = start(Mistake::NoTimestampCheck).await;
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_hookpit"))
        .args(["doctor", "--to", &app.url(), "--secret", SECRET])
        .args(["--only", "compact,old_timestamp"])
        .env_remove("HOOKPIT_SECRET")
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("ends")
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[2].starts_with("PASS  compact") && lines[2].contains(" 200 "),
        "{text}"
    );
    assert!(lines[3].starts_with("FAIL  old_timestamp") && lines[3].contains("accepted with 200"));
    assert!(
        text.contains("FAIL  The app does not check the timestamp"),
        "{text}"
    );
    assert!(
        text.contains("fix: Refuse svix-timestamps more than 5 minutes"),
        "{text}"
    );
    let json = tokio::process::Command::new(env!("CARGO_BIN_EXE_hookpit"))
        .args([
            "doctor",
            "--json",
            "--to",
            &app.url(),
            "--secret",
            SECRET,
            "--only",
            "compact",
        ])
        .output();
    let json = tokio::time::timeout(Duration::from_secs(60), json)
        .await
        .expect("ends")
        .expect("runs");
    assert!(json.status.success());
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON report");
    assert_eq!(
        (
            report["ok"].clone(),
            report["scenarios"][0]["outcome"].clone()
        ),
        (json!(true), json!("pass"))
    );
}

#[tokio::test]
async fn the_api_runs_stores_and_streams_a_doctor_run() {
    let app = start(Mistake::None).await;
    let t = common::spawn_app(&["--secret", SECRET]).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/api/live", t.ui))
        .await
        .expect("WebSocket connects");
    let only = ["compact", "duplicate", "large_body"];
    let resp =
        common::post_json(&t, "/api/doctor", &json!({ "to": app.url(), "only": only })).await;
    assert_eq!(resp.status, 202, "{}", String::from_utf8_lossy(&resp.body));
    let run = resp.json();
    assert_eq!(
        (run["state"].clone(), run["total"].clone()),
        (json!("running"), json!(3))
    );
    let id = run["id"].as_i64().expect("id");
    let mut phases = Vec::new();
    let finished = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(Ok(msg)) = ws.next().await {
            let Ok(text) = msg.to_text() else { continue };
            let frame: serde_json::Value = serde_json::from_str(text).expect("JSON frame");
            if frame["type"] == "doctor.progress" && frame["data"]["run_id"] == id {
                phases.push(frame["data"]["phase"].as_str().unwrap_or("").to_string());
                if frame["data"]["phase"] == "finished" {
                    return frame["data"].clone();
                }
            }
        }
        panic!("the stream ended");
    })
    .await
    .expect("a finished frame");
    assert_eq!(
        phases,
        [
            "started", "running", "result", "running", "result", "running", "result", "finished"
        ]
    );
    assert_eq!(
        (finished["ok"].clone(), finished["counts"]["pass"].clone()),
        (json!(true), json!(3))
    );
    let detail = common::get_json(&t, &format!("/api/doctor/runs/{id}")).await;
    assert_eq!(
        (detail["state"].clone(), detail["done"].clone()),
        (json!("done"), json!(3))
    );
    assert_eq!(detail["planned"], json!(only));
    let dup = &detail["scenarios"][1];
    assert_eq!(dup["exchanges"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        dup["exchanges"][1]["response_body"],
        r#"{"duplicate":true}"#
    );
    let large = &detail["scenarios"][2]["exchanges"][0];
    assert_eq!(
        (large["attempt"].clone(), large["request_truncated"].clone()),
        (json!(4), json!(true))
    );
    let body = common::ui_request(
        &t,
        "GET",
        &format!("/api/doctor/runs/{id}/requests/4"),
        &[],
        b"",
    )
    .await;
    assert_eq!((body.status, body.body.len()), (200, 1024 * 1024));
    let list = common::get_json(&t, "/api/doctor/runs").await;
    assert_eq!(list["runs"][0]["id"], id);
    assert_eq!(list["runs"][0]["ok"], true);
    t.stop().await;
}

#[tokio::test]
async fn the_api_refuses_what_cannot_run() {
    let t = common::spawn_app(&[]).await;
    let to = "http://127.0.0.1:9/webhooks";
    let resp = common::post_json(&t, "/api/doctor", &json!({ "to": to })).await;
    assert_eq!(resp.status, 400);
    let reason = resp.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        reason.contains("no key configured for / can sign"),
        "{reason}"
    );
    let wrong = json!({ "to": to, "secret": SECRET, "only": ["nope"] });
    let resp = common::post_json(&t, "/api/doctor", &wrong).await;
    assert!(
        resp.json()["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("no scenario \"nope\"")
    );
    let resp = common::post_json(
        &t,
        "/api/doctor",
        &json!({ "to": "ftp://x", "secret": SECRET }),
    )
    .await;
    assert_eq!(resp.status, 400);
    let missing = common::ui_request(&t, "GET", "/api/doctor/runs/99", &[], b"").await;
    assert_eq!(missing.status, 404);
    t.stop().await;
}
