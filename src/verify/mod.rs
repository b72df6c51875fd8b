//! Signature verification: detects the provider from a webhook's headers (or takes the one its
//! route pins) and judges its signature and timestamp against the configured keys, as a
//! [`Verdict`]. Pure functions; the clock is passed in. Each provider is one small file of data
//! and, where its layout is its own, one read and one write function (`providers/`);
//! `provider.rs` judges and signs for them all, `crypto.rs` holds the algorithms, `judge.rs`
//! turns findings into verdicts, `registry.rs` lists them. Standard Webhooks, Stripe and GitHub
//! keep their own files and verifiers, registered the same way.

mod crypto;
mod judge;
mod keys;
mod provider;
mod request;
mod resign;
mod verdict;

pub mod github;
pub mod providers;
pub mod registry;
pub mod standard;
pub mod stripe;

pub use crypto::{new_ed25519_hex_pair, new_key_for, new_p256_pair};
pub use keys::{Key, KeyError};
pub use provider::{Encoding, Outgoing, Provider, Request, SignError};
pub use resign::{resign, resign_to};
pub use verdict::*;

use judge::{TimestampCheck, mismatch_message};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far (seconds, inclusive) a timestamp may be from the receive time, either way.
pub const TOLERANCE_S: i64 = 300;

/// Verifies one webhook posted to `/`: `headers` as received (original case, raw values), `now`
/// its receive time. The providers that sign the URL need [`verify_request`].
pub fn verify(headers: &[(String, Vec<u8>)], body: &[u8], keys: &[Key], now: i64) -> Verdict {
    verify_request(&Request::post(headers, body), keys, now, None)
}

/// Verifies one webhook with `keys` at receive time `now`, as the provider its route pins
/// (`pin`, a name from [`registry`]) or else the one its headers identify.
pub fn verify_request(req: &Request<'_>, keys: &[Key], now: i64, pin: Option<&str>) -> Verdict {
    match pin
        .and_then(registry::find)
        .or_else(|| registry::detect(req))
    {
        Some(provider) => provider.verify(req, keys, now),
        None => Verdict::unsigned(),
    }
}

impl Verdict {
    /// The verdict for a webhook with no signature header of any known scheme.
    pub fn unsigned() -> Verdict {
        Verdict {
            status: Status::Unsigned,
            reason: None,
            provider: None,
            scheme: None,
            msg_id: None,
            timestamp: None,
            skew_s: None,
            signature_ok: None,
            timestamp_ok: None,
            matched_key: None,
            message: "No signature headers: this webhook is unsigned.".to_string(),
        }
    }
}

/// The first value of header `name` (matched case-insensitively), as raw bytes.
fn header<'h>(headers: &'h [(String, Vec<u8>)], name: &str) -> Option<&'h [u8]> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// HMAC-SHA256 of the concatenation of `parts` under `key`.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any size");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Constant-time equality of a computed tag and a received one (length is not secret).
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// One entry of `tests/data/signature_vectors.json` (fields in its README).
    #[derive(Deserialize)]
    struct Vector {
        name: String,
        scheme: String,
        secret: String,
        msg_id: Option<String>,
        timestamp: Option<String>,
        payload: Option<String>,
        payload_repeat: Option<Repeat>,
        signature: String,
        expect_valid: bool,
        expect_error: Option<String>,
        now: Option<i64>,
        signing_secret: Option<String>,
    }

    #[derive(Deserialize)]
    struct Repeat {
        char: String,
        count: usize,
    }

    fn vectors() -> Vec<Vector> {
        serde_json::from_str(include_str!("../../tests/data/signature_vectors.json"))
            .expect("vectors file is valid JSON")
    }

    fn pair(name: &str, value: &str) -> (String, Vec<u8>) {
        (name.to_string(), value.as_bytes().to_vec())
    }

    /// The header sets a vector is checked with: standard ones as `svix-*` and as `webhook-*`.
    fn header_sets(v: &Vector) -> Vec<Vec<(String, Vec<u8>)>> {
        let ts = v.timestamp.clone().unwrap_or_default();
        let sig = v.signature.as_str();
        match v.scheme.as_str() {
            "github-x-hub-signature-256" => vec![vec![pair("X-Hub-Signature-256", sig)]],
            "stripe-signature-v1" => vec![vec![pair("Stripe-Signature", sig)]],
            _ => ["svix", "webhook"]
                .iter()
                .map(|family| {
                    let id = v.msg_id.as_deref().expect("standard vectors have an id");
                    vec![
                        pair(&format!("{family}-id"), id),
                        pair(&format!("{family}-timestamp"), &ts),
                        pair(&format!("{family}-signature"), sig),
                    ]
                })
                .collect(),
        }
    }

    fn payload(v: &Vector) -> String {
        match (&v.payload, &v.payload_repeat) {
            (Some(p), _) => p.clone(),
            (None, Some(r)) => r.char.repeat(r.count),
            (None, None) => panic!("{}: no payload", v.name),
        }
    }

    #[test]
    fn every_vector_gives_its_verdict() {
        let vectors = vectors();
        let mut checked = 0;
        for v in &vectors {
            let key = Key::parse(Some("vector"), &v.secret).expect(&v.name);
            let body = payload(v);
            for headers in header_sets(v) {
                let verdict = verify(
                    &headers,
                    body.as_bytes(),
                    std::slice::from_ref(&key),
                    v.now.unwrap_or(0),
                );
                let name = &v.name;
                assert_eq!(
                    verdict.status == Status::Valid,
                    v.expect_valid,
                    "{name}: {verdict:?}"
                );
                let allowed: &[Reason] = match v.expect_error.as_deref() {
                    None if v.expect_valid => &[],
                    None | Some("InvalidSignature") => {
                        &[Reason::SignatureMismatch, Reason::MalformedSignature]
                    }
                    Some("TimestampTooOld") => &[Reason::TimestampTooOld],
                    Some("FutureTimestamp") => &[Reason::TimestampTooNew],
                    Some("InvalidTimestamp") => &[Reason::BadTimestamp],
                    Some(other) => panic!("{name}: unknown expect_error {other}"),
                };
                match verdict.reason {
                    None => assert!(allowed.is_empty(), "{name}: no reason, wanted {allowed:?}"),
                    Some(r) => assert!(allowed.contains(&r), "{name}: {r:?}, wanted {allowed:?}"),
                }
                let timing = matches!(allowed, [Reason::TimestampTooOld | Reason::TimestampTooNew]);
                let sig_ok = v.expect_valid || timing;
                // A malformed header leaves no key to try, so nothing is said about the signature.
                let tried = verdict.reason != Some(Reason::MalformedSignature);
                assert_eq!(
                    verdict.signature_ok,
                    tried.then_some(sig_ok),
                    "{name}: {verdict:?}"
                );
                assert_eq!(verdict.matched_key.is_some(), sig_ok, "{name}");
                checked += 1;
            }
        }
        let standard = vectors
            .iter()
            .filter(|v| v.scheme.starts_with("standard"))
            .count();
        assert_eq!((vectors.len(), standard), (39, 35));
        assert_eq!(checked, 39 + 35, "standard vectors run twice");
    }

    #[test]
    fn sign_reproduces_the_vectors() {
        let mut reproduced = 0;
        for v in vectors()
            .iter()
            .filter(|v| v.expect_valid && v.scheme.starts_with("standard"))
        {
            let (key, prefix) = match &v.signing_secret {
                Some(sk) => (sk.as_str(), "v1a,"),
                None if v.scheme.ends_with("v1") => (v.secret.as_str(), "v1,"),
                None => continue,
            };
            let key = Key::parse(None, key).expect(&v.name);
            let id = v.msg_id.as_deref().expect("standard vectors have an id");
            let ts = v
                .timestamp
                .as_deref()
                .and_then(|t| t.parse().ok())
                .expect(&v.name);
            let signed = standard::sign(id, ts, payload(v).as_bytes(), &[key]).expect(&v.name);
            assert!(signed.starts_with(prefix), "{}: {signed}", v.name);
            assert!(
                v.signature.split(' ').any(|e| e == signed),
                "{}: {signed}",
                v.name
            );
            reproduced += 1;
        }
        assert_eq!(reproduced, 15);
    }

    #[test]
    fn dispatch_detects_the_scheme() {
        let keys = [Key::parse(Some("k"), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("key")];
        let unsigned = verify(&[pair("Content-Type", "application/json")], b"{}", &keys, 0);
        assert_eq!(unsigned, Verdict::unsigned());
        assert_eq!(
            unsigned.message,
            "No signature headers: this webhook is unsigned."
        );
        assert_eq!(verify(&[], b"", &[], 0).status, Status::Unsigned);
        for (name, provider) in [
            ("Webhook-Timestamp", "standard"),
            ("STRIPE-SIGNATURE", "stripe"),
            ("x-hub-signature-256", "github"),
        ] {
            let v = verify(&[(name.to_string(), vec![0xff, 0xfe])], b"", &keys, 0);
            assert_eq!(
                (v.provider.as_deref(), v.scheme, v.status),
                (Some(provider), Some(Scheme::HmacSha256), Status::Invalid),
                "{name}"
            );
            let v = verify(&[(name.to_string(), b"1".to_vec())], b"", &[], 0);
            if provider == "standard" {
                // A header missing fails any verifier, key or not.
                assert_eq!(v.reason, Some(Reason::MissingHeader), "{name}");
                continue;
            }
            assert_eq!(v.status, Status::Unverified, "{name}");
            assert!(
                v.message
                    .contains("no key is configured: add one to verify"),
                "{name}"
            );
        }
    }
}
