//! The providers checked against what they publish rather than an SDK (the SDK oracles are in
//! tests/providers_sdk.rs). First the worked examples the providers print in their docs (Slack's,
//! Twilio's two, GitHub's): hookpit finds them `valid` and a changed byte `invalid`. Then the
//! data files under `tests/vectors/providers/`, one per provider whose official SDK cannot sign
//! or verify, each naming where its values come from: a published vector (PagerDuty's, the Basic
//! scheme's for Postmark) is `valid`, one changed byte of body or signature is `invalid` with
//! the reason, and hookpit's signer writes the published signature again. Where the docs publish
//! only a recipe, the file restates it and a test checks hookpit against that restatement both
//! ways, computed here with `ring` (hookpit signs with the `hmac` crate): a second check, not
//! proof. `index.json` says which kind of proof each provider has.

use std::path::PathBuf;

use base64::Engine as _;
use hookpit::headers::Headers;
use hookpit::verify::{Key, Outgoing, Reason, Request, Status, Verdict, registry, verify_request};
use serde_json::Value;

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

/// The folder of provider data files.
fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/providers")
}

/// One data file, parsed.
fn load(name: &str) -> Value {
    let path = folder().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// The providers listed in `index.json` with the given proofs.
fn listed(proofs: &[&str]) -> Vec<String> {
    let index = load("index");
    let rows = index["providers"].as_array().expect("providers");
    rows.iter()
        .filter(|r| proofs.contains(&r["proof"].as_str().expect("proof")))
        .map(|r| r["provider"].as_str().expect("provider").to_string())
        .collect()
}

/// A JSON object of strings as header pairs.
fn pairs(v: &Value) -> Vec<(String, String)> {
    (v.as_object().into_iter().flatten())
        .map(|(n, v)| (n.clone(), v.as_str().expect("a string").to_string()))
        .collect()
}

/// hookpit's verdict on a POST to `/` with these headers and body, keyed with `secret`.
fn judge(headers: &[(String, String)], body: &[u8], secret: &str, now: i64) -> Verdict {
    let headers: Vec<(String, Vec<u8>)> = (headers.iter())
        .map(|(n, v)| (n.clone(), v.as_bytes().to_vec()))
        .collect();
    let req = Request {
        method: "POST",
        path: "/",
        query: None,
        headers: &headers,
        body,
        base: None,
    };
    let key = Key::parse(Some("docs"), secret).expect("key");
    verify_request(&req, &[key], now, None)
}

/// `s` with the first character that has a different neighbour of its kind changed by one.
fn one_byte_changed(s: &str, after: usize) -> String {
    let mut b = s.as_bytes().to_vec();
    let at = (after..b.len())
        .find(|&i| b[i].is_ascii_alphanumeric())
        .expect("a letter or digit to change");
    b[at] = match b[at] {
        b'0' => b'1',
        b'9' => b'8',
        b'z' | b'Z' => b[at] - 1,
        c => c + 1,
    };
    String::from_utf8(b).expect("ASCII change")
}

#[test]
fn every_provider_says_how_it_is_proven_and_sdk_claims_have_an_oracle() {
    let index = load("index");
    let rows = index["providers"].as_array().expect("providers");
    let mut named: Vec<&str> = rows
        .iter()
        .map(|r| r["provider"].as_str().expect("provider"))
        .collect();
    named.sort_unstable();
    let mut registered: Vec<&str> = registry::ALL.iter().map(|p| p.name).collect();
    registered.sort_unstable();
    assert_eq!(named, registered, "index.json lists every provider once");
    let oracles = include_str!("providers_sdk.rs");
    let readme = include_str!("../README.md");
    for r in rows {
        let name = r["provider"].as_str().expect("provider");
        // README's "proven by" column, the last of the provider's row, says the same.
        let row = (readme.lines())
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("README has no row for {name}"));
        let cell = row
            .trim_end_matches('|')
            .rsplit('|')
            .next()
            .expect("a cell");
        let said = match r["proof"].as_str().expect("proof") {
            "sdk" => "SDK:",
            "docs prose" => "none: docs prose",
            proof => proof,
        };
        assert!(cell.trim().starts_with(said), "{name}: README says {cell}");
        match r["proof"].as_str().expect("proof") {
            "sdk" if name == "standard" => {
                assert!(include_str!("interop_svix.rs").contains("Webhook(secret).verify"))
            }
            "sdk" => assert!(
                oracles.contains(&format!("(\"{name}\", Lang::")),
                "{name}: claimed SDK proof without an oracle in providers_sdk.rs"
            ),
            proof => {
                let doc = load(name);
                assert_eq!(doc["provider"], name);
                assert_eq!(doc["proof"], proof, "{name}: index and file disagree");
                let source = doc["source"].as_str().expect("source");
                assert!(source.starts_with("https://"), "{name}: {source}");
                let vector = doc.get("secret").is_some();
                assert_eq!(vector, proof.ends_with("vector"), "{name}: {proof}");
                assert_eq!(!vector, doc.get("recipe").is_some(), "{name}");
            }
        }
    }
}

#[test]
fn each_published_vector_is_valid_and_one_changed_byte_is_not() {
    let names = listed(&["docs vector", "spec vector"]);
    assert!(names.len() >= 2, "{names:?}");
    for name in names {
        let doc = load(&name);
        let p = registry::find(&name).expect("registered");
        let secret = format!("{name}:{}", doc["secret"].as_str().expect("secret"));
        let body = doc["body"].as_str().expect("body");
        let headers = pairs(&doc["headers"]);
        let now = doc["receive_at"].as_i64().expect("receive_at");
        let v = judge(&headers, body.as_bytes(), &secret, now);
        assert_eq!(
            (v.status, v.provider.as_deref()),
            (Status::Valid, Some(name.as_str())),
            "{name}: {}",
            v.message
        );
        assert_eq!(v.matched_key.as_deref(), Some("docs"));

        // One byte of the signature: the published value, then past its scheme's prefix.
        let header = doc["signature_header"].as_str().expect("signature_header");
        let changed: Vec<(String, String)> = (headers.iter())
            .map(|(n, v)| match n == header {
                true => (
                    n.clone(),
                    one_byte_changed(v, v.find([' ', '=']).unwrap_or(0) + 1),
                ),
                false => (n.clone(), v.clone()),
            })
            .collect();
        let v = judge(&changed, body.as_bytes(), &secret, now);
        assert_eq!(
            (v.status, v.reason),
            (Status::Invalid, Some(Reason::SignatureMismatch)),
            "{name}: {}",
            v.message
        );

        // One byte of the body: caught where the signature covers it, and said to be harmless
        // where the provider signs nothing (Postmark's credentials cover no body).
        let v = judge(&headers, one_byte_changed(body, 0).as_bytes(), &secret, now);
        if p.covers_body() {
            assert_eq!(
                (v.status, v.reason),
                (Status::Invalid, Some(Reason::SignatureMismatch)),
                "{name}: {}",
                v.message
            );
        } else {
            assert_eq!(v.status, Status::Valid, "{name}: {}", v.message);
        }

        // Any other signature the file says was published as invalid.
        for (n, bad) in pairs(&doc["also_published_invalid"]) {
            let other: Vec<(String, String)> = (headers.iter())
                .map(|(h, v)| (h.clone(), if *h == n { bad.clone() } else { v.clone() }))
                .collect();
            let v = judge(&other, body.as_bytes(), &secret, now);
            assert_eq!(v.reason, Some(Reason::SignatureMismatch), "{name}: {n}");
        }
    }
}

#[test]
fn hookpits_signer_writes_each_published_signature_again() {
    for name in listed(&["docs vector", "spec vector"]) {
        let doc = load(&name);
        let p = registry::find(&name).expect("registered");
        let body = doc["body"].as_str().expect("body");
        let mut out = Outgoing {
            method: "POST".into(),
            url: "https://hooks.example.com/".into(),
            headers: Headers::default(),
            body: body.as_bytes().to_vec(),
        };
        let key = Key::parse(None, doc["secret"].as_str().expect("secret")).expect("key");
        let now = doc["receive_at"].as_i64().expect("receive_at");
        p.sign(&mut out, &[key], now).expect("signs");
        let header = doc["signature_header"].as_str().expect("signature_header");
        assert_eq!(
            out.headers.get_str(header),
            doc["headers"][header].as_str(),
            "{name}: {header}"
        );
        assert_eq!(
            out.body,
            body.as_bytes(),
            "{name}: the body is sent as it is"
        );
    }
}

/// The restated recipe's headers for `body`, computed here with `ring`.
fn by_recipe(recipe: &Value, secret: &str, body: &str, ts: i64, id: &str) -> Vec<(String, String)> {
    let ts3339 = chrono::DateTime::from_timestamp(ts, 123_456_789)
        .expect("a time")
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let fill = |t: &str, sig: &str| {
        t.replace("{body}", body)
            .replace("{ts3339}", &ts3339)
            .replace("{ts}", &ts.to_string())
            .replace("{id}", id)
            .replace("{secret}", secret)
            .replace("{sig}", sig)
    };
    let signed = fill(recipe["signs"].as_str().expect("signs"), "");
    let algorithm = match recipe["mac"].as_str().expect("mac") {
        "sha256" => Some(ring::hmac::HMAC_SHA256),
        "sha1" => Some(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
        "token" => None,
        other => panic!("no such MAC in a recipe: {other}"),
    };
    let sig = algorithm.map(|a| {
        let tag = ring::hmac::sign(
            &ring::hmac::Key::new(a, secret.as_bytes()),
            signed.as_bytes(),
        );
        match recipe["encoding"].as_str().expect("encoding") {
            "hex" => hex::encode(tag.as_ref()),
            "base64" => base64::engine::general_purpose::STANDARD.encode(tag.as_ref()),
            other => panic!("no such encoding in a recipe: {other}"),
        }
    });
    pairs(&recipe["headers"])
        .into_iter()
        .map(|(n, t)| (n, fill(&t, sig.as_deref().unwrap_or(""))))
        .collect()
}

#[test]
fn each_restated_docs_recipe_agrees_with_hookpit_both_ways() {
    const TS: i64 = 1_768_471_200;
    const ID: &str = "a3c1e7f0-5b2d-4c8e-9f60-1d2e3f4a5b6c";
    let names = listed(&["docs snippet", "docs prose", "none"]);
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        let doc = load(&name);
        let p = registry::find(&name).expect("registered");
        // Chosen here, not published: the files hold no vector for these providers.
        let secret = format!("{name}-chosen-secret-0123");
        let body = p.sample.body;
        let mut headers = pairs(&doc["headers"]);
        headers.push(("Content-Type".into(), p.sample.content_type.into()));
        let signed = by_recipe(&doc["recipe"], &secret, body, TS, ID);
        headers.extend(signed.iter().cloned());
        let v = judge(&headers, body.as_bytes(), &secret, TS + 1);
        assert_eq!(
            (v.status, v.provider.as_deref()),
            (Status::Valid, Some(name.as_str())),
            "{name}: {}",
            v.message
        );
        if p.covers_body() {
            let v = judge(
                &headers,
                one_byte_changed(body, 0).as_bytes(),
                &secret,
                TS + 1,
            );
            assert_eq!(v.reason, Some(Reason::SignatureMismatch), "{name}");
        }

        // hookpit's signer at the same time writes the same headers, except the values it
        // draws afresh for each send (Twitch's message id and timestamp, and so its signature).
        let mut out = Outgoing {
            method: "POST".into(),
            url: "https://hooks.example.com/".into(),
            headers: Headers::default(),
            body: body.as_bytes().to_vec(),
        };
        p.sign(&mut out, &[Key::parse(None, &secret).expect("key")], TS)
            .expect("signs");
        if name != "twitch" {
            for (n, v) in &signed {
                assert_eq!(out.headers.get_str(n), Some(v.as_str()), "{name}: {n}");
            }
        } else {
            let ours: Vec<(String, String)> = (out.headers.iter())
                .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
                .collect();
            let id = out
                .headers
                .get_str("Twitch-Eventsub-Message-Id")
                .expect("id");
            let again = by_recipe(&doc["recipe"], &secret, body, TS, id);
            let sig = "Twitch-Eventsub-Message-Signature";
            let stamp = out
                .headers
                .get_str("Twitch-Eventsub-Message-Timestamp")
                .expect("ts");
            // Recomputed over hookpit's own id and timestamp, the docs' recipe gives its value.
            let mac = ring::hmac::sign(
                &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes()),
                format!("{id}{stamp}{body}").as_bytes(),
            );
            let want = format!("sha256={}", hex::encode(mac.as_ref()));
            assert_eq!(out.headers.get_str(sig), Some(want.as_str()), "{ours:?}");
            assert!(again.iter().any(|(n, _)| n == sig));
        }
    }
}

#[test]
fn intercoms_published_example_is_read_and_refused_without_its_secret() {
    let doc = load("intercom");
    let example = &doc["unverifiable_example"];
    let headers = pairs(&example["headers"]);
    let body = example["body"].as_str().expect("body");
    let v = judge(&headers, body.as_bytes(), "intercom:not-the-docs-secret", 0);
    assert_eq!(v.provider.as_deref(), Some("intercom"), "{}", v.message);
    // The header is well formed (sha1= and 40 hex digits); only the key is unknown.
    assert_eq!(
        (v.status, v.reason),
        (Status::Invalid, Some(Reason::SignatureMismatch)),
        "{}",
        v.message
    );
}
