//! `hookpit doctor --provider NAME`: for every provider the battery runs the scenarios that
//! apply to it (timestamps only where it has a tolerance, a tampered body only where the body is
//! signed), and an app verifying that provider correctly passes every one; an app holding the
//! wrong secret fails the ones a correct app accepts.

mod common;

use std::time::Duration;

use common::stub::Stub;
use hookpit::client::HttpClient;
use hookpit::doctor::{self, Options, Outcome};
use hookpit::verify::{Key, new_key_for, registry};

#[tokio::test]
async fn a_correct_app_passes_each_providers_battery() {
    let client = HttpClient::default();
    for p in registry::ALL {
        let (sign, verify) = new_key_for(p);
        let app = Stub::start(Some(&format!("{}:{verify}", p.name)), &[]).await;
        let target = hookpit::send::parse_target(&app.url("/hooks")).expect("target");
        let options = Options::for_provider(p, &[]).expect("options");
        let names: Vec<&str> = options.scenarios().iter().map(|s| s.name).collect();
        assert_eq!(
            names.contains(&"old_timestamp"),
            p.tolerance_s.is_some(),
            "{}: {names:?}",
            p.name
        );
        assert_eq!(
            names.contains(&"tampered_body"),
            p.covers_body(),
            "{}",
            p.name
        );
        let keys = [Key::parse(None, &sign).expect("key")];
        let run = doctor::run(&client, &target, &keys, &options, |_| {});
        let report = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .expect("doctor ends in time");
        let lines: Vec<String> = report.scenarios.iter().map(|s| s.line()).collect();
        assert!(report.ok, "{}:\n{}", p.name, lines.join("\n"));
        assert_eq!(report.counts.pass, names.len(), "{}: {lines:#?}", p.name);
        // Every delivery the app saw names the provider, but the one without its signature
        // header, which nothing identifies.
        for h in app.hits() {
            let unsigned = h.verdict.status == hookpit::verify::Status::Unsigned;
            assert!(
                unsigned || h.verdict.provider.as_deref() == Some(p.name),
                "{}: {:?}",
                p.name,
                h.verdict
            );
        }
    }
}

#[tokio::test]
async fn an_app_with_another_secret_refuses_what_it_should_accept() {
    let p = registry::find("slack").expect("slack");
    let (sign, _) = new_key_for(p);
    let (_, other) = new_key_for(p);
    let app = Stub::start(Some(&format!("slack:{other}")), &[]).await;
    let target = hookpit::send::parse_target(&app.url("/hooks")).expect("target");
    let options = Options::for_provider(p, &[]).expect("options");
    let keys = [Key::parse(None, &sign).expect("key")];
    let report = doctor::run(&HttpClient::default(), &target, &keys, &options, |_| {}).await;
    let failed: Vec<&str> = (report.scenarios.iter())
        .filter(|s| s.outcome == Outcome::Fail)
        .map(|s| s.name)
        .collect();
    assert_eq!(failed, ["compact", "duplicate"]);
    assert!(!report.ok);
}

#[tokio::test]
async fn the_doctor_command_takes_a_provider() {
    let p = registry::find("paddle").expect("paddle");
    let (sign, verify) = new_key_for(p);
    let app = Stub::start(Some(&format!("paddle:{verify}")), &[]).await;
    let out = common::run_hookpit(
        &[
            "doctor",
            "--provider",
            "paddle",
            "--to",
            &app.url("/hooks"),
            "--secret",
            &sign,
            "--json",
        ],
        b"",
    )
    .await;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", common::text(&out.stderr)));
    assert_eq!(report["ok"], true, "{report}");
    let names: Vec<&str> = (report["scenarios"].as_array().expect("scenarios").iter())
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(
        names,
        // Paddle's SDK takes a timestamp in the future: no future_timestamp scenario for it.
        [
            "compact",
            "tampered_body",
            "wrong_secret",
            "missing_signature",
            "old_timestamp",
            "duplicate"
        ]
    );
    let out = common::run_hookpit(
        &[
            "doctor",
            "--provider",
            "nope",
            "--to",
            &app.url("/hooks"),
            "--secret",
            &sign,
        ],
        b"",
    )
    .await;
    assert!(!out.status.success());
    assert!(common::text(&out.stderr).contains("no provider \"nope\""));
}
