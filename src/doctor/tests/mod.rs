//! Unit tests of the doctor: options, how answers are judged, which diagnoses they lead to,
//! and the lines people read.

use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;

mod battery;
mod speech;

use super::*;
use crate::client::Delivery;

/// The answers to a scenario's deliveries: status (none for no answer) and latency in ms.
type Answers = [(Option<u16>, u64)];

/// A result of scenario `name` whose deliveries got these (status, latency in ms) answers.
fn result(name: &str, answers: &Answers, options: &Options) -> ScenarioResult {
    let scenario = scenarios::find(name).expect("scenario");
    let exchanges = answers
        .iter()
        .enumerate()
        .map(|(i, &(status, ms))| {
            let delivery = Delivery {
                status,
                error: status
                    .is_none()
                    .then(|| "request failed: connection closed".into()),
                duration: Duration::from_millis(ms),
                body: Bytes::from_static(b"{\"duplicate\": true}"),
                ..Delivery::default()
            };
            let t = TryReport::new(i + 1, Utc::now(), 0, vec![], delivery, None);
            Exchange::new(t, Bytes::from_static(b"{}"))
        })
        .collect();
    ScenarioResult::judge(scenario, exchanges, options)
}

/// A result of `retried_run` whose four deliveries were answered 200 with these bodies (the
/// run's webhook, two repeats, the retried run's).
fn retried(bodies: [&'static str; 4]) -> ScenarioResult {
    let scenario = scenarios::find("retried_run").expect("scenario");
    let exchanges = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let delivery = Delivery {
                status: Some(200),
                duration: Duration::from_millis(3),
                body: Bytes::from_static(body.as_bytes()),
                ..Delivery::default()
            };
            let t = TryReport::new(i + 1, Utc::now(), 0, vec![], delivery, None);
            Exchange::new(t, Bytes::from_static(b"{}"))
        })
        .collect();
    ScenarioResult::judge(scenario, exchanges, &Options::default())
}

/// How a correct app with distinct answers takes `retried_run`.
const NEW_WORK: [&str; 4] = [
    r#"{"received":true}"#,
    r#"{"duplicate":true}"#,
    r#"{"duplicate":true}"#,
    r#"{"received":true}"#,
];

/// Every scenario answered as a correct app would, except those in `overrides`.
fn run_with(overrides: &[(&str, &Answers)]) -> DoctorReport {
    let options = Options::default();
    let results = BATTERY
        .iter()
        .map(|s| {
            let overridden = overrides.iter().any(|o| o.0 == s.name);
            if s.name == "retried_run" && !overridden {
                return retried(NEW_WORK);
            }
            let answers: &Answers = match overrides.iter().find(|o| o.0 == s.name) {
                Some((_, answers)) => answers,
                None if s.expect == Expect::Reject => &[(Some(400), 3)],
                None if s.deliveries == 2 => &[(Some(200), 3), (Some(200), 3)],
                None => &[(Some(200), 3)],
            };
            result(s.name, answers, &options)
        })
        .collect();
    DoctorReport::new("http://app/".into(), Utc::now(), results, &options)
}

fn codes(r: &DoctorReport) -> Vec<(Code, Vec<&'static str>)> {
    let each = r.diagnoses.iter().map(|d| (d.code, d.scenarios.clone()));
    each.collect()
}

#[test]
fn options_pick_scenarios_in_battery_order_with_svix_timings() {
    let o = Options::new(&["large_body".into(), " compact".into(), String::new()]).expect("ok");
    let names: Vec<&str> = o.scenarios().iter().map(|s| s.name).collect();
    assert_eq!(names, ["compact", "large_body"]);
    assert_eq!(
        (o.timeout, o.warn_after),
        (Duration::from_secs(15), Duration::from_secs(2))
    );
    assert_eq!(
        Options::new(&[]).expect("all").scenarios().len(),
        BATTERY.len()
    );
    let err = Options::new(&["compat".into()]).expect_err("unknown");
    assert!(
        err.to_string()
            .starts_with("no scenario \"compat\"; the scenarios are: compact, pretty")
    );
    let public = Key::parse(None, "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=").expect("k");
    assert_eq!(check_keys(&[public]), Err(DoctorError::NoSigningKey));
}

#[test]
fn answers_are_judged_as_svix_treats_them() {
    let o = Options::default();
    let judged = |name: &str, status: Option<u16>, ms: u64| {
        let r = result(name, &[(status, ms)], &o);
        (r.outcome, r.detail)
    };
    use Outcome::*;
    assert_eq!(judged("compact", Some(204), 5), (Pass, String::new()));
    assert_eq!(
        judged("compact", Some(401), 5),
        (Fail, "expected 2xx, got 401".into())
    );
    let redirect = "answered 302, a redirect, which Svix does not follow".to_string();
    assert_eq!(judged("compact", Some(302), 5), (Fail, redirect));
    assert_eq!(
        judged("compact", Some(200), 2_500),
        (Warn, "took 2.5 s (over 2 s)".into())
    );
    let late = judged("compact", Some(200), 16_000);
    assert_eq!(
        late,
        (Fail, "took 16 s, and Svix gives up after 15 s".into())
    );
    assert_eq!(
        judged("compact", None, 15_000),
        (Fail, "no answer within 15 s".into())
    );
    assert_eq!(judged("wrong_secret", Some(401), 5).0, Pass);
    assert_eq!(
        judged("wrong_secret", Some(200), 5),
        (Fail, "accepted with 200; expected 4xx".into())
    );
    assert_eq!(
        judged("wrong_secret", Some(500), 5),
        (Warn, "refused with 500; expected 4xx".into())
    );
    assert_eq!(
        judged("webhook_headers", Some(401), 5),
        (Info, "refused (401)".into())
    );
    let dup = result("duplicate", &[(Some(200), 3), (Some(409), 4)], &o);
    assert_eq!((dup.outcome, dup.status), (Fail, Some(409)));
    assert_eq!(dup.detail, "delivery 2 of 2: expected 2xx, got 409");
    let line = dup.line();
    assert_eq!(
        line,
        "FAIL  duplicate            409     4 ms  the same svix-id twice, freshly signed: delivery 2 of 2: expected 2xx, got 409"
    );
}

#[test]
fn a_retried_run_is_judged_against_the_apps_own_answer_to_a_repeat() {
    let dup = r#"{"duplicate":true}"#;
    let new = retried(NEW_WORK);
    assert_eq!(new.outcome, Outcome::Pass);
    assert_eq!(
        new.detail,
        r#"the retried run answered 200: {"received":true}, a repeat 200: {"duplicate":true}"#
    );
    let dropped = retried([r#"{"received":true}"#, dup, dup, dup]);
    assert_eq!(
        (dropped.outcome, dropped.status),
        (Outcome::Fail, Some(200))
    );
    assert!(
        dropped
            .detail
            .starts_with("the retried run got the answer of a repeat, 200: {\"duplicate\":true}"),
        "{}",
        dropped.detail
    );
    let same = retried([r#"{"ok":true}"#; 4]);
    assert_eq!(same.outcome, Outcome::Info);
    assert!(
        same.detail
            .contains("it answers a repeat exactly as new work (200: {\"ok\":true})"),
        "{}",
        same.detail
    );
    let noisy = retried([r#"{"n":1}"#, r#"{"n":2}"#, r#"{"n":3}"#, r#"{"n":4}"#]);
    assert_eq!(noisy.outcome, Outcome::Info);
    assert!(
        noisy.detail.contains("answers to the same repeat differ"),
        "{}",
        noisy.detail
    );

    // Diagnosed: dropped as a repeat, or refused while the run's own webhook was taken.
    // Beside a plain delivery the app took, as in any real battery.
    let report = |r: ScenarioResult| {
        let o = Options::default();
        let plain = result("compact", &[(Some(200), 3)], &o);
        DoctorReport::new("http://app/".into(), Utc::now(), vec![plain, r], &o)
    };
    let r = report(retried([r#"{"received":true}"#, dup, dup, dup]));
    assert_eq!(codes(&r), [(Code::RetriedRunDropped, vec!["retried_run"])]);
    assert!(
        r.diagnoses[0]
            .cause
            .contains("the way it answers a repeated delivery")
    );
    assert!(
        r.diagnoses[0]
            .fix
            .starts_with("Key idempotency on the whole svix-id")
    );
    let o = Options::default();
    let refused = result(
        "retried_run",
        &[
            (Some(200), 3),
            (Some(200), 3),
            (Some(200), 3),
            (Some(409), 3),
        ],
        &o,
    );
    assert_eq!(refused.outcome, Outcome::Fail);
    let r = report(refused);
    assert_eq!(codes(&r), [(Code::RetriedRunDropped, vec!["retried_run"])]);
    assert!(
        r.diagnoses[0].cause.contains("with 409"),
        "{}",
        r.diagnoses[0].cause
    );
    let repeat_refused = result(
        "retried_run",
        &[
            (Some(200), 3),
            (Some(409), 3),
            (Some(409), 3),
            (Some(200), 3),
        ],
        &o,
    );
    let r = report(repeat_refused);
    assert_eq!(codes(&r), [(Code::DuplicateRejected, vec!["retried_run"])]);
    assert_eq!(report(retried(NEW_WORK)).diagnoses, []);
}

#[test]
fn each_mistake_gets_its_own_diagnosis() {
    let refused: &Answers = &[(Some(401), 3)];
    let accepted: &Answers = &[(Some(200), 3)];
    let r = run_with(&[("pretty", refused), ("unicode", refused)]);
    assert_eq!(codes(&r), [(Code::RawBody, vec!["pretty", "unicode"])]);
    // When even the compact delivery is refused, the secret is the likelier cause.
    let every: Vec<(&str, &Answers)> = BATTERY
        .iter()
        .filter(|s| s.expect == Expect::Accept)
        .map(|s| (s.name, refused))
        .collect();
    let r = run_with(&every);
    assert_eq!(r.diagnoses.len(), 1);
    assert_eq!(r.diagnoses[0].code, Code::RejectsValid);
    let r = run_with(&[("rotation", refused)]);
    assert_eq!(codes(&r), [(Code::Rotation, vec!["rotation"])]);
    let r = run_with(&[("duplicate", &[(Some(200), 3), (Some(409), 3)])]);
    assert_eq!(codes(&r), [(Code::DuplicateRejected, vec!["duplicate"])]);
    assert!(
        r.diagnoses[0]
            .cause
            .contains("answered 409 when the same svix-id")
    );
    let r = run_with(&[
        ("missing_signature", accepted),
        ("malformed_signature", accepted),
    ]);
    let unsigned = vec!["missing_signature", "malformed_signature"];
    assert_eq!(codes(&r), [(Code::UnsignedAccepted, unsigned)]);
    let r = run_with(&[("old_timestamp", accepted)]);
    assert_eq!(codes(&r), [(Code::NoTimestampCheck, vec!["old_timestamp"])]);
    assert!(r.diagnoses[0].cause.contains("deliveries 10 minutes old."));
    let r = run_with(&[
        ("tampered_body", &[(Some(500), 3)]),
        ("compact", &[(Some(200), 2_100)]),
    ]);
    let (warned, slow) = (vec!["tampered_body"], vec!["compact"]);
    assert_eq!(
        codes(&r),
        [(Code::RejectsWith5xx, warned), (Code::Slow, slow)]
    );
    assert!(r.ok && r.diagnoses.iter().all(|d| d.severity == Outcome::Warn));
    let r = run_with(&[
        ("status_error", &[(Some(500), 3)]),
        ("large_body", &[(None, 9)]),
    ]);
    let codes = codes(&r);
    assert_eq!(
        codes[0],
        (Code::StatusNotAcknowledged, vec!["status_error"])
    );
    assert_eq!(codes[1], (Code::BodyLimit, vec!["large_body"]));
    assert!(
        r.diagnoses[1]
            .cause
            .contains("nothing (request failed: connection closed)")
    );
    let r = run_with(&[("compact", &[(Some(500), 3)])]);
    assert_eq!(r.diagnoses[0].code, Code::ServerError);
}

#[test]
fn the_tail_names_cause_and_fix_under_each_diagnosis() {
    let refused: &Answers = &[(Some(401), 3)];
    let r = run_with(&[("pretty", refused), ("unicode", refused)]);
    let text = cli::tail(&r);
    assert!(
        text.starts_with("\n2 failed, 0 warnings, 16 passed, 1 info in "),
        "{text}"
    );
    assert!(text.contains("\nFAIL  The app verifies a re-serialized body, not the raw bytes\n"));
    assert!(
        text.contains("\n      scenarios: pretty, unicode\n"),
        "{text}"
    );
    assert!(text.contains("\n      cause: It accepted compact JSON but answered 401 to:"));
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    let ok = cli::tail(&run_with(&[]));
    assert!(
        ok.contains("The endpoint handles deliveries the way Svix needs."),
        "{ok}"
    );
}

#[tokio::test]
async fn an_unreachable_target_is_one_diagnosis() {
    let target: http::Uri = "http://127.0.0.1:9/hooks".parse().expect("uri");
    let keys = [Key::parse(None, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("key")];
    let options = Options::new(&["compact".into(), "wrong_secret".into()]).expect("options");
    let mut seen = Vec::new();
    let report = run(
        &HttpClient::default(),
        &target,
        &keys,
        &options,
        |p| match p {
            Progress::Started { index, .. } => seen.push(format!("start {index}")),
            Progress::Finished { result, .. } => seen.push(format!("end {}", result.name)),
        },
    )
    .await;
    assert_eq!(
        seen,
        ["start 0", "end compact", "start 1", "end wrong_secret"]
    );
    assert_eq!(report.diagnoses.len(), 1);
    assert_eq!(report.diagnoses[0].code, Code::Unreachable);
    assert_eq!(report.diagnoses[0].scenarios, ["compact", "wrong_secret"]);
    assert!(!report.ok);
}
