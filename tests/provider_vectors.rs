//! The providers checked against their docs rather than an SDK. First the worked examples the
//! providers publish (Slack's, Twilio's two, GitHub's): hookpit finds them `valid` and a changed
//! byte `invalid`. Then, for each provider that publishes no example and no SDK that signs or
//! verifies, its documented recipe written afresh in Python's standard library
//! (`tests/oracles/docs.py`, each with its docs link): what it signs is `valid` in hookpit, and
//! hookpit's own signer writes the very same headers.

use std::io::Write as _;
use std::process::{Command, Stdio};

use hookpit::headers::Headers;
use hookpit::verify::{Key, Outgoing, Reason, Request, Status, Verdict, registry, verify_request};
use serde_json::{Value, json};

fn verdict(
    headers: &[(&str, &str)],
    target: (&str, Option<&str>),
    body: &str,
    secret: &str,
    now: i64,
) -> Verdict {
    let headers: Vec<(String, Vec<u8>)> = (headers.iter())
        .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
        .collect();
    let req = Request {
        method: "POST",
        path: target.0,
        query: target.1,
        headers: &headers,
        body: body.as_bytes(),
        base: None,
    };
    let key = Key::parse(Some("docs"), secret).expect("key");
    verify_request(&req, &[key], now, None)
}

/// <https://api.slack.com/authentication/verifying-requests-from-slack>.
const SLACK_BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

#[test]
fn slacks_worked_example() {
    let headers = [
        ("X-Slack-Request-Timestamp", "1531420618"),
        (
            "X-Slack-Signature",
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        ),
    ];
    let secret = "8f742231b10e8888abcd99yyyzzz85a5";
    let v = verdict(&headers, ("/", None), SLACK_BODY, secret, 1531420618 + 60);
    assert_eq!(
        (v.status, v.provider.as_deref()),
        (Status::Valid, Some("slack")),
        "{}",
        v.message
    );
    let changed = SLACK_BODY.replace("foobar", "foobaz");
    let v = verdict(&headers, ("/", None), &changed, secret, 1531420618 + 60);
    assert_eq!(v.reason, Some(Reason::SignatureMismatch));
    let v = verdict(&headers, ("/", None), SLACK_BODY, secret, 1531420618 + 301);
    assert_eq!(v.reason, Some(Reason::TimestampTooOld));
}

/// <https://www.twilio.com/docs/usage/webhooks/webhooks-security#validating-signatures-from-twilio>:
/// the example as the docs give it now, and as they gave it before (another caller number).
#[test]
fn twilios_worked_examples() {
    for (caller, signature) in [
        ("%2B14158675310", "GvWf1cFY/Q7PnoempGyD5oXAezc="),
        ("%2B12349013030", "0/KCTR6DLpKmkAf8muzZqo1nDgQ="),
    ] {
        let body = format!(
            "CallSid=CA1234567890ABCDE&Caller={caller}&Digits=1234&From={caller}&To=%2B18005551212"
        );
        let headers = [
            ("Host", "mycompany.com"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Twilio-Signature", signature),
        ];
        let target = ("/myapp.php", Some("foo=1&bar=2"));
        // The docs' token is shorter than any real one: bound to Twilio, it is taken.
        let token = "twilio:12345";
        let v = verdict(&headers, target, &body, token, 0);
        assert_eq!(
            (v.status, v.provider.as_deref()),
            (Status::Valid, Some("twilio")),
            "{}",
            v.message
        );
        let v = verdict(&headers, target, &body.replace("1234&", "1235&"), token, 0);
        assert_eq!(v.reason, Some(Reason::SignatureMismatch), "{caller}");
        // Another path than the one Twilio requested.
        let v = verdict(&headers, ("/myapp.php", Some("foo=1")), &body, token, 0);
        assert_eq!(v.reason, Some(Reason::SignatureMismatch), "{caller}");
    }
}

/// <https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation>.
#[test]
fn githubs_worked_example() {
    let headers = [(
        "X-Hub-Signature-256",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    )];
    let v = verdict(
        &headers,
        ("/", None),
        "Hello, World!",
        "It's a Secret to Everybody",
        0,
    );
    assert_eq!(
        (v.status, v.provider.as_deref()),
        (Status::Valid, Some("github"))
    );
}

/// Runs the docs recipe of `provider`; `None` when python3 is missing (said loudly).
fn recipe(req: &Value) -> Option<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oracles/docs.py");
    let Ok(mut child) = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    else {
        eprintln!("SKIPPED: python3 is not installed");
        return None;
    };
    (child.stdin.take().expect("stdin"))
        .write_all(req.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("runs");
    assert!(out.status.success(), "{}", req["provider"]);
    Some(serde_json::from_slice(&out.stdout).expect("JSON"))
}

#[test]
fn each_documented_recipe_agrees_with_hookpit_both_ways() {
    const TS: i64 = 1_768_471_200;
    let providers = [
        "shopify",
        "zoom",
        "typeform",
        "calendly",
        "pagerduty",
        "twitch",
        "gitlab",
        "bitbucket",
        "intercom",
        "vercel",
        "sentry",
        "lemonsqueezy",
        "woocommerce",
        "mailgun",
        "postmark",
    ];
    let mut checked = 0;
    for name in providers {
        let p = registry::find(name).expect("registered");
        let secret = match name {
            "postmark" => "hooks:s3cret-pass".to_string(),
            _ => format!("{name}-docs-secret-0123"),
        };
        let ts = match name {
            "twitch" => "2026-01-15T10:00:00Z".to_string(),
            _ => TS.to_string(),
        };
        let id = "a3c1e7f0-5b2d-4c8e-9f60-1d2e3f4a5b6c";
        let input =
            json!({"provider": name, "secret": secret, "body": p.sample.body, "ts": ts, "id": id});
        let Some(signed) = recipe(&input) else { return };
        let body = signed["body"].as_str().expect("body").to_string();
        let mut headers: Vec<(String, String)> =
            vec![("Content-Type".into(), p.sample.content_type.into())];
        for (n, v) in signed["headers"].as_object().expect("headers") {
            headers.push((n.clone(), v.as_str().expect("text").to_string()));
        }
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let v = verdict(&refs, ("/", None), &body, &secret, TS + 1);
        assert_eq!(
            (v.status, v.provider.as_deref()),
            (Status::Valid, Some(name)),
            "{name}: {}",
            v.message
        );

        // hookpit's signer, at the same time, writes the same signature headers (Mailgun's token
        // and Twitch's id are random per send, so those two are compared by verdict only).
        let mut out = Outgoing {
            method: "POST".into(),
            url: "http://127.0.0.1/".into(),
            headers: Headers::default(),
            body: p.sample.body.as_bytes().to_vec(),
        };
        p.sign(&mut out, &[Key::parse(None, &secret).expect("key")], TS)
            .expect("signs");
        if !["mailgun", "twitch"].contains(&name) {
            for (n, v) in &headers {
                if let Some(ours) = out.headers.get_str(n) {
                    assert_eq!(ours, v, "{name}: {n}");
                }
            }
            assert!(out.headers.get(p.headers[0]).is_some(), "{name}");
        }
        checked += 1;
    }
    assert_eq!(checked, providers.len());
}
