//! A `--provider` run's findings speak the provider's words: its sender, its signature header,
//! its secret and docs, never Svix's headers, secret form or library.

use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;

use crate::client::Delivery;
use crate::doctor::Options;
use crate::doctor::advice::Code;
use crate::doctor::report::{DoctorReport, Exchange, ScenarioResult};
use crate::send::TryReport;
use crate::verify::registry;

/// A provider run whose scenarios got these statuses (by name; one per delivery).
fn run(options: &Options, answer: impl Fn(&str) -> Vec<u16>) -> DoctorReport {
    let results = (options.scenarios().iter())
        .map(|s| {
            let exchanges = (answer(s.name).into_iter().enumerate())
                .map(|(i, status)| {
                    let delivery = Delivery {
                        status: Some(status),
                        duration: Duration::from_millis(3),
                        ..Delivery::default()
                    };
                    let t = TryReport::new(i + 1, Utc::now(), 0, vec![], delivery, None);
                    Exchange::new(t, Bytes::from_static(b"{}"))
                })
                .collect();
            ScenarioResult::judge(s, exchanges, options)
        })
        .collect();
    DoctorReport::new("http://app/".into(), Utc::now(), results, options)
}

#[test]
fn a_provider_runs_findings_name_its_headers_not_svixs() {
    for p in registry::ALL.iter().filter(|p| p.name != "standard") {
        let options = Options::for_provider(p, &[]).expect("options");
        // Forgeries refused, but a missing signature, stale timestamps and nothing else let
        // through, and the repeat refused.
        let lax = run(&options, |name| match name {
            "tampered_body" | "wrong_secret" => vec![400],
            "duplicate" => vec![200, 409],
            _ => vec![200],
        });
        // Nothing correctly signed accepted, and forgeries accepted.
        let broken = run(&options, |name| match name {
            "compact" => vec![401],
            "duplicate" => vec![401, 401],
            _ => vec![200],
        });
        let mut seen = Vec::new();
        for d in lax.diagnoses.iter().chain(&broken.diagnoses) {
            let words = format!("{} {}", d.cause, d.fix);
            for svix in [
                "svix",
                "Svix",
                "stripping whsec_",
                "run_complete",
                "Cyberdesk",
            ] {
                assert!(
                    !words.contains(svix),
                    "{}: {:?} says {svix}: {words}",
                    p.name,
                    d.code
                );
            }
            match d.code {
                Code::UnsignedAccepted => assert!(words.contains(p.headers[0]), "{words}"),
                Code::RejectsValid | Code::NoVerification => {
                    assert!(
                        words.contains(p.docs) && words.contains(p.secret),
                        "{words}"
                    )
                }
                _ => {}
            }
            seen.push(d.code);
        }
        assert!(
            seen.contains(&Code::DuplicateRejected),
            "{}: {seen:?}",
            p.name
        );
        assert!(seen.contains(&Code::RejectsValid), "{}: {seen:?}", p.name);
        assert!(seen.contains(&Code::NoVerification), "{}: {seen:?}", p.name);
        let header_sent = !p.headers[0].starts_with('(');
        assert_eq!(
            seen.contains(&Code::UnsignedAccepted),
            header_sent,
            "{}",
            p.name
        );
        let stamped = p.tolerance_s.is_some();
        assert_eq!(
            seen.contains(&Code::NoTimestampCheck),
            stamped,
            "{}",
            p.name
        );
    }
}

#[test]
fn the_svix_battery_keeps_svixs_words() {
    let options = Options::default();
    let report = run(&options, |name| match name {
        "duplicate" => vec![200, 409],
        "missing_signature" => vec![200],
        n if n.contains("timestamp") || n.contains("signature") || n.contains("secret") => {
            vec![400]
        }
        "tampered_body" => vec![400],
        _ => vec![200],
    });
    let words: Vec<String> = (report.diagnoses.iter())
        .map(|d| format!("{} {}", d.cause, d.fix))
        .collect();
    assert!(
        words.iter().any(|w| w.contains("the same svix-id")),
        "{words:#?}"
    );
    assert!(
        words
            .iter()
            .any(|w| w.contains("well-formed svix-signature")),
        "{words:#?}"
    );
}

#[test]
fn a_provider_runs_lines_and_closing_words_name_the_provider() {
    let p = registry::find("shopify").expect("shopify");
    let options = Options::for_provider(p, &[]).expect("options");
    let refused = ["tampered_body", "wrong_secret", "missing_signature"];
    let clean = run(&options, |name| match name {
        "duplicate" => vec![200, 200],
        n if refused.contains(&n) => vec![400],
        _ => vec![200],
    });
    assert!(
        clean.ok && clean.diagnoses.is_empty(),
        "{:?}",
        clean.diagnoses
    );
    let tail = crate::doctor::cli::tail(&clean);
    assert!(tail.contains("the way Shopify sends them"), "{tail}");
    assert!(!tail.contains("Svix"), "{tail}");

    let redirected = run(&options, |name| match name {
        "compact" => vec![302],
        "duplicate" => vec![200, 200],
        n if refused.contains(&n) => vec![400],
        _ => vec![200],
    });
    let lines: Vec<String> = redirected.scenarios.iter().map(|s| s.line()).collect();
    assert!(
        lines[0].contains("a redirect, which a webhook sender does not follow"),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| !l.contains("Svix")), "{lines:?}");
}
