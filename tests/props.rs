//! Bad input never panics and always gives the documented answer: property tests for the
//! signature verifier (every scheme, arbitrary headers and bodies), the timestamp rule, the relay
//! frame decoder, the routes file and key parsers. (The head tap has its own, in
//! `src/server/head_tap.rs`, because its scanner is private.)

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use hookpit::relay::protocol::{AgentFrame, RelayFrame, RelayedRequest};
use hookpit::verify::{Key, Reason, Status, TOLERANCE_S, Verdict, verify};
use proptest::prelude::*;
use sha2::Sha256;

const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const PLAIN: &str = "github-secret";

fn keys() -> Vec<Key> {
    let (_, public) = hookpit::verify::standard::new_ed25519_pair();
    [WHSEC, PLAIN, &public]
        .iter()
        .map(|k| Key::parse(None, k).expect("test keys parse"))
        .collect()
}

/// Header names a verifier looks at, in odd cases, and some it does not.
fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "svix-id",
            "svix-timestamp",
            "svix-signature",
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
            "Stripe-Signature",
            "X-Hub-Signature-256",
            "SVIX-Signature",
            "content-type",
        ])
        .prop_map(str::to_string),
        // Every header a provider is identified by or signs with.
        prop::sample::select(
            (hookpit::verify::registry::ALL.iter())
                .flat_map(|p| p.headers.iter().copied())
                .chain([
                    "User-Agent",
                    "Host",
                    "X-Forwarded-Host",
                    "X-Forwarded-Proto"
                ])
                .collect::<Vec<_>>()
        )
        .prop_map(str::to_string),
        "[a-zA-Z-]{1,20}",
    ]
}

/// Header values: arbitrary bytes, and shapes that get past the first checks of each parser.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..80),
        "(v1|v1a|v2|),[A-Za-z0-9+/=]{0,90}( (v1|v1a),[A-Za-z0-9+/=]{0,90}){0,3}"
            .prop_map(String::into_bytes),
        "t=[-0-9a-z ]{0,22},v1=[0-9a-fA-F]{0,66}(,v0=[0-9a-f]{0,8})?".prop_map(String::into_bytes),
        "sha256=[0-9a-fA-Z]{0,66}".prop_map(String::into_bytes),
        "-?[0-9]{1,21}".prop_map(String::into_bytes),
        "(ts|t|h1|v1|v0)=[0-9a-f]{0,66}[;,]?(h1|v1)=[0-9a-f]{0,66}".prop_map(String::into_bytes),
        "Basic [A-Za-z0-9+/=]{0,40}".prop_map(String::into_bytes),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    prop::collection::vec((header_name(), header_value()), 0..8)
}

/// What the API promises about every verdict.
fn check_verdict(v: &Verdict) {
    match v.status {
        Status::Valid => {
            assert_eq!(v.reason, None);
            assert_eq!(v.signature_ok, Some(true));
            assert!(v.matched_key.is_some());
        }
        Status::Invalid => assert!(v.reason.is_some(), "invalid without a reason: {v:?}"),
        Status::Unsigned => assert!(v.scheme.is_none() && v.reason.is_none()),
        Status::Unverified => assert!(v.scheme.is_some() && v.signature_ok.is_none()),
    }
    assert!(!v.message.is_empty(), "every verdict has a sentence");
    let json = serde_json::to_value(v).expect("verdicts serialize");
    let reason = json["reason"].as_str();
    assert!(
        reason.is_none_or(|r| [
            "signature_mismatch",
            "timestamp_too_old",
            "timestamp_too_new",
            "bad_timestamp",
            "missing_header",
            "malformed_signature"
        ]
        .contains(&r)),
        "undocumented reason {reason:?}"
    );
    let text = json.to_string();
    for secret in [&WHSEC[6..], PLAIN] {
        assert!(!text.contains(secret), "a verdict shows a secret: {text}");
    }
}

/// The reason the timestamp rule gives for header `raw` received at `now`.
fn expected_timestamp(raw: &[u8], now: i64) -> Option<Reason> {
    let digits = raw.strip_prefix(b"-").unwrap_or(raw);
    let strict = !digits.is_empty() && digits.len() <= 19 && digits.iter().all(u8::is_ascii_digit);
    let Some(ts) = strict
        .then(|| std::str::from_utf8(raw).ok()?.parse::<i64>().ok())
        .flatten()
    else {
        return Some(Reason::BadTimestamp);
    };
    let skew = i128::from(now) - i128::from(ts);
    if skew > i128::from(TOLERANCE_S) {
        Some(Reason::TimestampTooOld)
    } else if skew < -i128::from(TOLERANCE_S) {
        Some(Reason::TimestampTooNew)
    } else {
        None
    }
}

/// Timestamps around `now`, at the tolerance's edges, and malformed ones.
fn timestamp(now: i64) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (-400i64..400).prop_map(move |d| now.saturating_add(d).to_string().into_bytes()),
        prop::sample::select(vec![-301i64, -300, 300, 301])
            .prop_map(move |d| (now + d).to_string().into_bytes()),
        any::<i64>().prop_map(|t| t.to_string().into_bytes()),
        prop::sample::select(vec![
            "+1700000000",
            " 1700000000",
            "1700000000 ",
            "1.7e9",
            "0x65",
            "",
            "-",
            "99999999999999999999",
            "-9223372036854775809",
            "-9223372036854775808",
            "٣٤",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..24),
    ]
}

fn hmac(key: &[u8], content: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key size");
    mac.update(content);
    mac.finalize().into_bytes().to_vec()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary headers, bodies, keys and clocks: no panic, and every verdict keeps the
    /// documented shape (a reason exactly when invalid, a sentence, no secret).
    #[test]
    fn the_verifier_never_panics(
        headers in headers(),
        body in prop::collection::vec(any::<u8>(), 0..64),
        which in prop::sample::subsequence(vec![0usize, 1, 2], 0..=3),
        now in prop_oneof![any::<i64>(), Just(1_700_000_000i64)],
        pin in prop::option::of(prop::sample::select(
            hookpit::verify::registry::ALL.iter().map(|p| p.name).collect::<Vec<_>>()
        )),
    ) {
        let all = keys();
        let keys: Vec<Key> = which.iter().map(|&i| all[i].clone()).collect();
        let v = verify(&headers, &body, &keys, now);
        check_verdict(&v);
        // Only a header some provider is identified by (or Mailgun's form) makes it signed.
        let known = |n: &str| {
            n.eq_ignore_ascii_case("content-type")
                || n.eq_ignore_ascii_case("authorization")
                || hookpit::verify::registry::ALL
                    .iter()
                    .any(|p| p.headers.iter().any(|h| h.eq_ignore_ascii_case(n)))
        };
        if !headers.iter().any(|(n, _)| known(n)) {
            prop_assert_eq!(v.status, Status::Unsigned);
        }
        // Pinned to any provider, arbitrary input still gets a verdict of the documented shape.
        let req = hookpit::verify::Request {
            method: "POST",
            path: "/p",
            query: Some("a=1"),
            headers: &headers,
            body: &body,
            base: None,
        };
        let pinned = hookpit::verify::verify_request(&req, &keys, now, pin);
        check_verdict(&pinned);
        if let Some(name) = pin {
            prop_assert_eq!(pinned.provider.as_deref(), Some(name));
        }
    }

    /// A correctly signed Standard Webhook with any timestamp text: the verdict follows the rule
    /// exactly (strict integer; |now - ts| <= 300 s inclusive).
    #[test]
    fn the_timestamp_rule_is_exact(
        now in -4_000_000_000i64..4_000_000_000,
        raw in (-4_000_000_000i64..4_000_000_000).prop_flat_map(timestamp),
        body in prop::collection::vec(any::<u8>(), 0..32),
        webhook_prefix in any::<bool>(),
    ) {
        let key = base64::engine::general_purpose::STANDARD
            .decode(&WHSEC[6..])
            .expect("base64 key");
        let mut content = b"msg_1.".to_vec();
        content.extend_from_slice(&raw);
        content.push(b'.');
        content.extend_from_slice(&body);
        let sig = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(hmac(&key, &content)));
        let p = if webhook_prefix { "webhook" } else { "svix" };
        let headers = vec![
            (format!("{p}-id"), b"msg_1".to_vec()),
            (format!("{p}-timestamp"), raw.clone()),
            (format!("{p}-signature"), sig.into_bytes()),
        ];
        let v = verify(&headers, &body, &[Key::parse(None, WHSEC).expect("key")], now);
        check_verdict(&v);
        let expected = expected_timestamp(&raw, now);
        prop_assert_eq!(v.reason, expected, "{:?} at {}: {}", String::from_utf8_lossy(&raw), now, v.message);
        prop_assert_eq!(v.status == Status::Valid, expected.is_none());
        if expected != Some(Reason::BadTimestamp) {
            prop_assert_eq!(v.signature_ok, Some(true), "signature and timestamp are judged apart");
        }
    }

    /// The same rule for Stripe's `t=`.
    #[test]
    fn stripe_timestamps_follow_the_same_rule(
        now in -4_000_000_000i64..4_000_000_000,
        raw in "[-+0-9a]{0,21}",
        body in prop::collection::vec(any::<u8>(), 0..32),
    ) {
        let mut content = raw.as_bytes().to_vec();
        content.push(b'.');
        content.extend_from_slice(&body);
        let sig = hex::encode(hmac(WHSEC.as_bytes(), &content));
        let headers = vec![("Stripe-Signature".to_string(), format!("t={raw},v1={sig}").into_bytes())];
        let v = verify(&headers, &body, &[Key::parse(None, WHSEC).expect("key")], now);
        check_verdict(&v);
        prop_assert_eq!(v.reason, expected_timestamp(raw.as_bytes(), now), "{:?}", raw);
    }

    /// Any text as a relay frame, either way: parsed or refused, never a panic.
    #[test]
    fn relay_frames_of_any_text_never_panic(text in any::<String>()) {
        let _ = serde_json::from_str::<AgentFrame>(&text);
        let _ = serde_json::from_str::<RelayFrame>(&text);
    }

    /// Frame-shaped JSON with wrong or missing fields and values of every type.
    #[test]
    fn relay_frames_of_the_right_shape_but_wrong_values_never_panic(
        kind in prop::sample::select(vec!["hello", "ack", "response", "heartbeat", "welcome", "refused", "request", "nope"]),
        fields in prop::collection::vec((
            prop::sample::select(vec!["version", "token", "channel", "key", "last_seq", "seq", "status", "headers", "body", "backlog", "reason", "public_url", "method", "path", "query", "received_at_ms", "remote_addr"]),
            prop_oneof![
                Just(serde_json::Value::Null),
                any::<i64>().prop_map(serde_json::Value::from),
                any::<f64>().prop_map(serde_json::Value::from),
                any::<String>().prop_map(serde_json::Value::from),
                Just(serde_json::json!([["a", "!!"], ["b"]])),
                Just(serde_json::json!({"x": 1})),
                Just(serde_json::json!(u64::MAX)),
            ],
        ), 0..10),
    ) {
        let mut obj = serde_json::Map::new();
        obj.insert("type".into(), kind.into());
        for (k, v) in fields {
            obj.insert(k.into(), v);
        }
        let text = serde_json::Value::Object(obj).to_string();
        let _ = serde_json::from_str::<AgentFrame>(&text);
        let _ = serde_json::from_str::<RelayFrame>(&text);
    }

    /// A relayed request survives the frame byte-exact, whatever its bytes.
    #[test]
    fn relayed_requests_round_trip_byte_exact(
        headers in prop::collection::vec(("[A-Za-z-]{1,12}", prop::collection::vec(any::<u8>(), 0..20)), 0..6),
        body in prop::collection::vec(any::<u8>(), 0..200),
        seq in any::<i64>(),
        path in any::<String>(),
    ) {
        let frame = RelayFrame::Request(RelayedRequest {
            seq,
            received_at_ms: 0,
            method: "POST".into(),
            path,
            query: String::new(),
            headers: hookpit::store::model::Headers::from(headers.clone()),
            remote_addr: None,
            body: body.clone().into(),
        });
        let text = serde_json::to_string(&frame).expect("serializes");
        let back: RelayFrame = serde_json::from_str(&text).expect("parses");
        prop_assert_eq!(&back, &frame);
        let RelayFrame::Request(r) = back else { unreachable!() };
        prop_assert_eq!(r.headers.to_vec(), headers);
        prop_assert_eq!(r.body.to_vec(), body);
    }

    /// Any text as a routes file: routes or a `ConfigError`, never a panic.
    #[test]
    fn routes_files_of_any_text_never_panic(text in any::<String>()) {
        let _ = hookpit::config::parse_routes(&text);
    }

    /// Routes files of the right shape with wild values: what is accepted is what the docs say.
    #[test]
    fn routes_files_with_wild_values_are_checked(
        path in any::<String>(),
        secret in prop_oneof![any::<String>(), Just(WHSEC.to_string()), "whpk_[A-Za-z0-9+/=]{0,50}", "whsk_[A-Za-z0-9+/=]{0,90}"],
        forward in prop_oneof![any::<String>(), Just("http://localhost:3000/x".to_string()), "[a-z]{0,6}://[a-z0-9.:\\[\\]@]{0,20}/?"],
        fail_rate in prop_oneof![any::<f64>(), 0.0f64..=1.0],
        delay in prop_oneof![any::<String>(), "[0-9]{1,22}(ms|s|m|h|d|w|)"],
    ) {
        let text = format!(
            "[[route]]\npath = {}\nsecrets = [{}]\nforward = {}\nfail_rate = {}\ndelay = {}\n",
            toml_str(&path), toml_str(&secret), toml_str(&forward), toml_f64(fail_rate), toml_str(&delay)
        );
        if let Ok(routes) = hookpit::config::parse_routes(&text) {
            prop_assert_eq!(routes.len(), 1);
            let r = &routes[0];
            prop_assert!(r.path.starts_with('/'));
            prop_assert!((0.0..=1.0).contains(&r.fail_rate));
            prop_assert!(r.forward.len() == 1 && r.forward.iter().all(|f| f.starts_with("http://") || f.starts_with("https://")));
        }
    }

    /// Any pasted key: a key or a `KeyError`; a key never shows its secret in `Debug` or its label.
    #[test]
    fn keys_of_any_text_never_panic(text in prop_oneof![any::<String>(), "(whsec_|whpk_|whsk_)[A-Za-z0-9+/=_-]{0,100}"]) {
        if let Ok(k) = Key::parse(None, &text) {
            let secret = text.trim();
            if secret.len() > 12 {
                let shown = format!("{k:?}");
                prop_assert!(!shown.contains(secret));
                prop_assert!(!k.label().contains(secret));
            }
        }
    }

    /// Durations of any text: parsed or refused with a message.
    #[test]
    fn durations_of_any_text_never_panic(text in prop_oneof![any::<String>(), "[0-9]{1,25}(ms|s|m|h|d|)"]) {
        if let Err(e) = hookpit::duration::parse_duration(&text) {
            prop_assert!(!e.is_empty());
        }
    }
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn toml_f64(f: f64) -> String {
    toml::Value::Float(f).to_string()
}
