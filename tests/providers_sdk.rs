//! Each provider proven by its own code: the provider's official SDK (PyPI or npm, installed by
//! `.ci/run` into `.ci/py` and `.ci/sdk`) is the oracle. Where the SDK verifies, what hookpit signs
//! (`Provider::sign`, behind `hookpit send --provider`) must pass it and a tampered body (for
//! Mailgun, which signs a token it carries in the body, a tampered token) must fail it; where the SDK signs, what it signs must be `valid` in hookpit and the tampered body
//! `invalid` with `signature_mismatch`. A missing SDK skips its provider loudly (SKIPPED on
//! stderr); the test fails when every one is missing, so a broken install is not a pass.
//! The scripts are `tests/oracles/sdk.py` and `tests/oracles/sdk.cjs`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use hookpit::headers::Headers;
use hookpit::verify::{
    Key, Outgoing, Reason, Request, Status, Verdict, new_key_for, registry, verify_request,
};
use serde_json::{Value, json};

const URL: &str = "https://hooks.example.com/in/provider?src=sdk";

/// Which script speaks for a provider, and whether its SDK signs (else it only verifies).
const ORACLES: &[(&str, Lang, bool)] = &[
    ("slack", Lang::Python, true),
    ("twilio", Lang::Python, true),
    ("razorpay", Lang::Python, false),
    ("coinbase", Lang::Python, true),
    ("discord", Lang::Node, false),
    ("sendgrid", Lang::Node, false),
    ("paddle", Lang::Node, false),
    ("linear", Lang::Node, false),
    ("square", Lang::Node, false),
    ("mux", Lang::Node, false),
    ("hubspot", Lang::Node, true),
    ("github", Lang::Node, true),
    ("shopify", Lang::Node, true),
    ("zoom", Lang::Node, false),
    ("stripe", Lang::Node, true),
    ("mailgun", Lang::Python, false),
];

#[derive(Clone, Copy)]
enum Lang {
    Python,
    Node,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Runs the oracle; `None` when its SDK is not installed (said loudly).
fn oracle(lang: Lang, req: &Value) -> Option<Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = match lang {
        Lang::Python => {
            let mut c = Command::new("python3");
            c.arg(root.join("tests/oracles/sdk.py"))
                .env("PYTHONPATH", root.join(".ci/py"));
            c
        }
        Lang::Node => {
            let mut c = Command::new("node");
            c.arg(root.join("tests/oracles/sdk.cjs"))
                .env("NODE_PATH", root.join(".ci/sdk/node_modules"));
            c
        }
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 and node are installed (.ci/run)");
    child
        .stdin
        .take()
        .expect("stdin piped")
        .write_all(req.to_string().as_bytes())
        .expect("oracle reads its request");
    let out = child.wait_with_output().expect("oracle runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        eprintln!(
            "SKIPPED {}: its SDK is not installed ({stderr})",
            req["provider"]
        );
        return None;
    }
    assert!(out.status.success(), "{}: {stderr}", req["provider"]);
    Some(serde_json::from_slice(&out.stdout).expect("oracle prints JSON"))
}

/// The provider's sample request, unsigned.
fn sample(name: &str) -> Outgoing {
    let p = registry::find(name).expect("registered");
    let mut headers = Headers::default();
    headers.set("Host", "hooks.example.com");
    headers.set("Content-Type", p.sample.content_type);
    for (n, v) in p.sample.headers {
        headers.set(n, *v);
    }
    Outgoing {
        method: "POST".into(),
        url: URL.into(),
        headers,
        body: p.sample.body.as_bytes().to_vec(),
    }
}

fn as_json(out: &Outgoing, secret: &str, op: &str, provider: &str) -> Value {
    let headers: serde_json::Map<String, Value> = out
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned().into()))
        .collect();
    json!({
        "provider": provider, "op": op, "secret": secret, "method": out.method,
        "url": out.url, "headers": headers,
        "body": String::from_utf8(out.body.clone()).expect("samples are UTF-8"),
        "now": now(),
    })
}

/// hookpit's verdict on `out` with `body`, as received at `URL` (HTTPS, as forwarded).
fn judge(out: &Outgoing, body: &[u8], key: &Key) -> Verdict {
    let mut headers = out.headers.clone();
    headers.set("X-Forwarded-Proto", "https");
    let req = Request {
        method: &out.method,
        path: "/in/provider",
        query: Some("src=sdk"),
        headers: &headers,
        body,
        base: None,
    };
    verify_request(&req, std::slice::from_ref(key), now(), None)
}

/// The body with its first lower-case letter upper-cased.
fn tampered(body: &[u8]) -> Vec<u8> {
    let mut t = body.to_vec();
    let at = t.iter().position(u8::is_ascii_lowercase).expect("a letter");
    t[at] = t[at].to_ascii_uppercase();
    t
}

/// One byte changed where `provider`'s signature covers it: the body, or for Mailgun, which
/// signs the timestamp and token it carries in the body (not the body), the token's first.
fn tampered_for(provider: &str, body: &[u8]) -> Vec<u8> {
    if registry::find(provider).expect("registered").covers_body() {
        return tampered(body);
    }
    let key = b"\"token\":\"";
    let at = memchr::memmem::find(body, key).expect("a token") + key.len();
    let mut t = body.to_vec();
    t[at] = if t[at] == b'0' { b'1' } else { b'0' };
    t
}

#[test]
fn hookpits_signatures_pass_each_providers_own_verifier() {
    let mut proven = 0;
    for &(name, lang, _) in ORACLES {
        let p = registry::find(name).expect("registered");
        let (sign, verify) = new_key_for(p);
        let mut out = sample(name);
        let signer = Key::parse(None, &sign).expect("key");
        p.sign(&mut out, &[signer], now()).expect("signs");
        let Some(answer) = oracle(lang, &as_json(&out, &verify, "verify", name)) else {
            continue;
        };
        assert_eq!(
            answer["valid"], true,
            "{name}: the SDK refused hookpit's signature"
        );
        let mut bad = out.clone();
        bad.body = tampered_for(name, &out.body);
        let answer = oracle(lang, &as_json(&bad, &verify, "verify", name)).expect("installed");
        assert_eq!(
            answer["valid"], false,
            "{name}: the SDK took a tampered body"
        );
        proven += 1;
    }
    eprintln!(
        "{proven} of {} SDKs verified hookpit's signatures",
        ORACLES.len()
    );
    assert!(proven > 0, "no SDK is installed: run .ci/run");
}

#[test]
fn what_each_providers_sdk_signs_is_valid_and_tampering_is_caught() {
    let mut proven = 0;
    for &(name, lang, signs) in ORACLES.iter().filter(|o| o.2) {
        assert!(signs);
        let p = registry::find(name).expect("registered");
        let (secret, _) = new_key_for(p);
        let mut out = sample(name);
        let Some(answer) = oracle(lang, &as_json(&out, &secret, "sign", name)) else {
            continue;
        };
        let signed = answer["headers"].as_object().expect("headers");
        for (n, v) in signed {
            out.headers.set(n, v.as_str().expect("string header"));
        }
        let key = Key::parse(Some("sdk"), &secret).expect("key");
        let v = judge(&out, &out.body, &key);
        assert_eq!(v.provider.as_deref(), Some(name), "{name}: {v:?}");
        assert_eq!(v.status, Status::Valid, "{name}: {}", v.message);
        assert_eq!(v.matched_key.as_deref(), Some("sdk"));
        let v = judge(&out, &tampered(&out.body), &key);
        assert_eq!(
            (v.status, v.reason),
            (Status::Invalid, Some(Reason::SignatureMismatch)),
            "{name}: {}",
            v.message
        );
        proven += 1;
    }
    assert!(proven > 0, "no signing SDK is installed: run .ci/run");
}

#[test]
fn twilio_json_bodies_are_covered_by_the_urls_body_hash() {
    use sha2::Digest as _;
    let body = r#"{"ProfileSid":"BU1234","Status":"twilio-approved"}"#;
    let hash = hex::encode(sha2::Sha256::digest(body.as_bytes()));
    let token = "c0ffee00c0ffee00c0ffee00c0ffee00";
    let url = format!("https://hooks.example.com/in/provider?src=sdk&bodySHA256={hash}");
    let mut out = Outgoing {
        method: "POST".into(),
        url: url.clone(),
        headers: Headers::default(),
        body: body.as_bytes().to_vec(),
    };
    out.headers.set("Host", "hooks.example.com");
    out.headers.set("Content-Type", "application/json");
    let Some(answer) = oracle(Lang::Python, &as_json(&out, token, "sign", "twilio")) else {
        return;
    };
    let sig = answer["headers"]["X-Twilio-Signature"]
        .as_str()
        .expect("signed");
    out.headers.set("X-Twilio-Signature", sig);
    let key = Key::parse(Some("sdk"), token).expect("key");
    let judge_at = |body: &[u8]| {
        let mut headers = out.headers.clone();
        headers.set("X-Forwarded-Proto", "https");
        let query = format!("src=sdk&bodySHA256={hash}");
        let req = Request {
            method: "POST",
            path: "/in/provider",
            query: Some(&query),
            headers: &headers,
            body,
            base: None,
        };
        verify_request(&req, std::slice::from_ref(&key), now(), None)
    };
    let v = judge_at(body.as_bytes());
    assert_eq!(v.status, Status::Valid, "{}", v.message);
    // The URL still matches, but its bodySHA256 no longer covers the body.
    let v = judge_at(&tampered(body.as_bytes()));
    assert_eq!(v.reason, Some(Reason::SignatureMismatch), "{}", v.message);
    // And the SDK agrees on both.
    let mut bad = out.clone();
    bad.body = tampered(body.as_bytes());
    let ok = oracle(Lang::Python, &as_json(&out, token, "verify", "twilio")).expect("installed");
    let refused =
        oracle(Lang::Python, &as_json(&bad, token, "verify", "twilio")).expect("installed");
    assert_eq!(
        (ok["valid"].clone(), refused["valid"].clone()),
        (json!(true), json!(false))
    );
}
