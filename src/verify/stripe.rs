//! Stripe: `Stripe-Signature: t=…,v1=<hex>,…`, HMAC-SHA256 over `{t}.{body}` keyed with the whole
//! secret string as ASCII (`whsec_` included, not base64-decoded). Only `v1` entries count.

use super::provider::{Check, Encoding, Outgoing, Provider, Sample, has};
use super::{
    Key, Reason, Scheme, TimestampCheck, Verdict, ct_eq, header, hmac_sha256, mismatch_message,
};

/// The header Stripe signs with.
pub const HEADER: &str = "Stripe-Signature";

/// Stripe.
pub const PROVIDER: Provider = Provider {
    name: "stripe",
    title: "Stripe",
    headers: &[HEADER],
    algorithm: Scheme::HmacSha256,
    tolerance_s: Some(super::TOLERANCE_S),
    rejects_future: true,
    docs: "https://docs.stripe.com/webhooks#verify-manually",
    secret: "the endpoint's whsec_ secret",
    signs: "{t}.{body}",
    encoding: Encoding::Hex,
    detect: |req| has(req, HEADER),
    check: Check::Own {
        verify: |req, keys, now| verify(req.headers, req.body, keys, now),
        usable: |key| key.ascii_secret().is_some(),
        sign: |out: &mut Outgoing, keys, now| match sign(now, &out.body, keys) {
            Some(value) => {
                out.headers.set(HEADER, value);
                true
            }
            None => false,
        },
    },
    sample: Sample {
        content_type: "application/json; charset=utf-8",
        body: r#"{"id":"evt_1QxYzA2eZvKYlo2C","object":"event","api_version":"2024-06-20","created":1768471200,"type":"payment_intent.succeeded","livemode":false,"data":{"object":{"id":"pi_3QxYzA2eZvKYlo2C","object":"payment_intent","amount":2000,"currency":"usd","status":"succeeded"}}}"#,
        headers: &[],
    },
};

/// The parts of a `Stripe-Signature` value hookpit uses.
struct Parsed<'h> {
    /// The first `t=` value, raw.
    t: Option<&'h [u8]>,
    /// Every `v1=` value that is 64 hex digits.
    v1: Vec<[u8; 32]>,
}

/// Verifies a Stripe signature received at `now`.
pub fn verify(headers: &[(String, Vec<u8>)], body: &[u8], keys: &[Key], now: i64) -> Verdict {
    let value = header(headers, HEADER);
    let parsed = parse(value.unwrap_or_default());
    let ts = parsed
        .t
        .map(|raw| TimestampCheck::new(format!("{HEADER} t= value"), raw, now));
    let base = Verdict::signed(&PROVIDER, None, ts.as_ref());
    let usable: Vec<&Key> = keys.iter().filter(|k| k.ascii_secret().is_some()).collect();
    if usable.is_empty() {
        return base.unverified(keys, "the endpoint's whsec_ secret");
    }
    let problem = match (value, parsed.t, parsed.v1.is_empty()) {
        (None, ..) => Some((Reason::MissingHeader, "header is missing")),
        (_, None, _) => Some((Reason::MalformedSignature, "header has no t= timestamp")),
        (_, _, true) => Some((
            Reason::MalformedSignature,
            "header has no v1= entry of 64 hex digits",
        )),
        _ => None,
    };
    if let Some((reason, what)) = problem {
        return base.fail(
            reason,
            format!("The {HEADER} {what}, so the signature cannot be checked."),
        );
    }
    let t = parsed.t.unwrap_or_default();
    let matched = usable.iter().copied().find(|key| {
        let secret = key.ascii_secret().unwrap_or_default();
        let tag = hmac_sha256(secret, &[t, b".", body]);
        parsed.v1.iter().any(|sig| ct_eq(&tag, sig))
    });
    let mismatch = mismatch_message(&usable, "the body or timestamp changed");
    base.conclude(ts.as_ref(), matched, mismatch, "Stripe")
}

/// Splits `t=…,v1=…,v0=…` leniently: spaces around items are ignored, unknown or malformed items
/// are skipped, and non-UTF-8 bytes simply fail to match.
fn parse(value: &[u8]) -> Parsed<'_> {
    let mut parsed = Parsed {
        t: None,
        v1: Vec::new(),
    };
    for item in value.split(|b| *b == b',').map(<[u8]>::trim_ascii) {
        let Some(eq) = item.iter().position(|b| *b == b'=') else {
            continue;
        };
        match (&item[..eq], &item[eq + 1..]) {
            (b"t", t) if parsed.t.is_none() => parsed.t = Some(t),
            (b"v1", hex_sig) => {
                let mut sig = [0u8; 32];
                if hex::decode_to_slice(hex_sig, &mut sig).is_ok() {
                    parsed.v1.push(sig);
                }
            }
            _ => {}
        }
    }
    parsed
}

/// The `Stripe-Signature` value for `body` at `timestamp`, one `v1=` per key that can sign
/// (`whsec_` and plain secrets); `None` when no key can.
pub fn sign(timestamp: i64, body: &[u8], keys: &[Key]) -> Option<String> {
    let t = timestamp.to_string();
    let entries: Vec<String> = keys
        .iter()
        .filter_map(Key::ascii_secret)
        .map(|secret| {
            format!(
                ",v1={}",
                hex::encode(hmac_sha256(secret, &[t.as_bytes(), b".", body]))
            )
        })
        .collect();
    (!entries.is_empty()).then(|| format!("t={t}{}", entries.concat()))
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const V1: &str = "2e37df5d4a028c51a7f3133d64ae1e300d2c2c900f1b1d49d4369ad2530f8964";

    fn key(label: &str, secret: &str) -> Key {
        Key::parse(Some(label), secret).expect("test key parses")
    }

    fn check(value: &[u8], keys: &[Key], now: i64) -> Verdict {
        let headers = vec![("stripe-signature".to_string(), value.to_vec())];
        verify(&headers, BODY, keys, now)
    }

    fn good() -> Vec<u8> {
        format!("t={TS},v1={V1}").into_bytes()
    }

    #[test]
    fn valid_signature_names_the_key() {
        let v = check(&good(), &[key("stripe", SECRET)], TS + 2);
        assert_eq!(v.status, Status::Valid, "{}", v.message);
        assert_eq!(v.provider.as_deref(), Some("stripe"));
        assert_eq!((v.msg_id, v.timestamp, v.skew_s), (None, Some(TS), Some(2)));
        assert_eq!(v.matched_key.as_deref(), Some("stripe"));
        assert_eq!(
            v.message,
            "Signature matches key \"stripe\"; timestamp 2 s old."
        );
    }

    #[test]
    fn missing_and_malformed_headers() {
        let keys = [key("k", SECRET)];
        let v = verify(&[], BODY, &keys, TS);
        assert_eq!(v.reason, Some(Reason::MissingHeader));
        assert!(
            v.message.contains("Stripe-Signature header is missing"),
            "{}",
            v.message
        );
        let cases: [Vec<u8>; 5] = [
            b"garbage".to_vec(),
            format!("v1={V1}").into_bytes(),
            format!("t={TS},v0={V1}").into_bytes(),
            format!("t={TS},v1={}", &V1[..63]).into_bytes(),
            b"t=1614265330,v1=\xff\xfe".to_vec(),
        ];
        for value in cases {
            let v = check(&value, &keys, TS);
            assert_eq!(v.status, Status::Invalid);
            assert_eq!(v.reason, Some(Reason::MalformedSignature), "{value:?}");
        }
        let v = check(format!("t=soon,v1={V1}").as_bytes(), &keys, TS);
        assert_eq!((v.reason, v.timestamp), (Some(Reason::BadTimestamp), None));
        assert_eq!(
            v.message,
            "The Stripe-Signature t= value \"soon\" is not a whole number of unix seconds."
        );
    }

    #[test]
    fn wrong_secret_does_not_match() {
        let wrong = key("wrong", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
        let v = check(&good(), &[wrong], TS);
        assert_eq!(v.reason, Some(Reason::SignatureMismatch));
        assert_eq!(v.signature_ok, Some(false));
        assert!(
            v.message.contains("the configured key \"wrong\""),
            "{}",
            v.message
        );
    }

    #[test]
    fn tolerance_is_inclusive_300() {
        let keys = [key("k", SECRET)];
        for (now, reason) in [
            (TS + 300, None),
            (TS - 300, None),
            (TS + 301, Some(Reason::TimestampTooOld)),
            (TS - 301, Some(Reason::TimestampTooNew)),
        ] {
            let v = check(&good(), &keys, now);
            assert_eq!(v.reason, reason, "now = ts{:+}", now - TS);
            assert_eq!(v.signature_ok, Some(true));
            assert_eq!(v.timestamp_ok, Some(reason.is_none()));
            assert_eq!(v.skew_s, Some(now - TS));
        }
        let v = check(&good(), &keys, TS + 720);
        assert_eq!(
            v.message,
            "Signature matches key \"k\", but the timestamp is 12 min old: a Stripe verifier would reject it (limit 5 min)."
        );
    }

    #[test]
    fn several_signatures_rotation_and_v0_decoy() {
        let value = format!("t={TS},v1={},v0={V1},v1={V1}", "0".repeat(64));
        let keys = [
            key("old", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
            key("new", SECRET),
        ];
        let v = check(value.as_bytes(), &keys, TS);
        assert_eq!(v.status, Status::Valid, "{}", v.message);
        assert_eq!(v.matched_key.as_deref(), Some("new"));
        let decoy_only = format!("t={TS},v1={},v0={V1}", "0".repeat(64));
        let v = check(decoy_only.as_bytes(), &keys, TS);
        assert_eq!(v.reason, Some(Reason::SignatureMismatch));
        assert!(
            v.message.contains("any of the 2 configured keys"),
            "{}",
            v.message
        );
    }

    #[test]
    fn non_utf8_items_are_skipped() {
        let mut value = b"t=1614265330,v1=\xff\xfe\xfd, ".to_vec();
        value.extend(format!("v1={V1}").as_bytes());
        let v = check(&value, &[key("k", SECRET)], TS);
        assert_eq!(v.status, Status::Valid, "{}", v.message);
    }

    #[test]
    fn unverified_without_a_usable_key() {
        let public = key("ed", "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=");
        for keys in [vec![], vec![public]] {
            let v = check(&good(), &keys, TS + 5);
            assert_eq!(v.status, Status::Unverified);
            assert_eq!((v.reason, v.signature_ok), (None, None));
            assert_eq!(
                (v.timestamp, v.skew_s, v.timestamp_ok),
                (Some(TS), Some(5), Some(true))
            );
            assert!(
                v.message.starts_with("Signed with Stripe, but "),
                "{}",
                v.message
            );
        }
    }

    #[test]
    fn sign_round_trips() {
        let keys = [key("a", SECRET), key("b", "plain-secret")];
        let value = sign(TS, BODY, &keys).expect("both keys sign");
        assert!(value.starts_with(&format!("t={TS},v1={V1},v1=")), "{value}");
        let v = check(value.as_bytes(), &keys[1..], TS);
        assert_eq!(v.status, Status::Valid, "{}", v.message);
        let public = key("ed", "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=");
        assert_eq!(sign(TS, BODY, &[public]), None);
    }
}
