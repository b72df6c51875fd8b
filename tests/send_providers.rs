//! `hookpit send --provider NAME` (the real binary) for every provider: the request it sends is
//! `valid` in a hookpit holding the provider's verifying key (bound with `NAME:`), named as that
//! provider, with the provider's sample body; `hookpit secret --provider` prints the keys.

mod common;

use common::*;
use hookpit::verify::registry;

#[tokio::test]
async fn every_provider_sends_a_request_hookpit_verifies_as_that_provider() {
    let mut keys = Vec::new();
    for p in registry::ALL {
        let out = run_hookpit(&["secret", "--provider", p.name], b"").await;
        assert!(out.status.success(), "{}: {}", p.name, text(&out.stderr));
        let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
        let (sign, verify) = match lines.as_slice() {
            [one] => (one.clone(), one.clone()),
            [sign, verify] => (sign.clone(), verify.clone()),
            other => panic!("{}: {other:?}", p.name),
        };
        keys.push((p, sign, verify));
    }
    let secrets: Vec<String> = (keys.iter())
        .map(|(p, _, verify)| format!("{}:{verify}", p.name))
        .collect();
    let mut flags = Vec::new();
    for s in &secrets {
        flags.extend(["--secret", s.as_str()]);
    }
    let t = spawn_app(&flags).await;
    for (p, sign, _) in &keys {
        let to = format!("http://{}/in/{}", t.capture, p.name);
        let out = run_hookpit(
            &[
                "send",
                "--provider",
                p.name,
                "--to",
                &to,
                "--secret",
                sign,
                "--json",
            ],
            b"",
        )
        .await;
        assert!(out.status.success(), "{}: {}", p.name, text(&out.stderr));
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("one JSON report");
        assert_eq!(report["ok"], true, "{}: {report}", p.name);
        let page = get_json(&t, &format!("/api/events?path=/in/{}", p.name)).await;
        let id = page["events"][0]["id"].as_i64().expect("stored");
        let e = get_json(&t, &format!("/api/events/{id}")).await;
        let v = &e["verification"];
        assert_eq!(v["provider"], p.name, "{}: {v}", p.name);
        assert_eq!(v["status"], "valid", "{}: {v}", p.name);
        assert_eq!(v["scheme"], p.algorithm.as_str(), "{}", p.name);
    }
    t.stop().await;
}

#[tokio::test]
async fn send_refuses_an_unknown_provider_or_a_key_that_cannot_sign() {
    let out = run_hookpit(
        &[
            "send",
            "--provider",
            "shopfy",
            "--to",
            "http://127.0.0.1:9/",
            "--secret",
            "abcdefghijk",
        ],
        b"",
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no provider \"shopfy\""),
        "{}",
        text(&out.stderr)
    );
    // A Discord public key verifies; it cannot sign.
    let public = "1d27a1ccd5d0b1d7de4f7d6e5a5cd6c6a4c2f0e1b0e3a2b1c0d9e8f7a6b5c4d3";
    let out = run_hookpit(
        &[
            "send",
            "--provider",
            "discord",
            "--to",
            "http://127.0.0.1:9/",
            "--secret",
            public,
        ],
        b"",
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no key can sign for Discord"),
        "{}",
        text(&out.stderr)
    );
}
