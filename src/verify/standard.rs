//! Standard Webhooks / Svix: `svix-*` (or `webhook-*`) id, timestamp and signature headers;
//! `v1` (HMAC-SHA256) and `v1a` (ed25519) signatures over `{id}.{timestamp}.{body}`.
//! Verification here; signing (for `hookpit send`, replay and `hookpit sign`) in `standard/sign.rs`.

mod provider;
mod sign;

pub use provider::PROVIDER;
pub use sign::{new_ed25519_pair, new_msg_id, new_secret, sign, signed_content};

use base64::Engine as _;
use ed25519_dalek::Signature;

use super::keys::LENIENT_BASE64;
use super::{Key, Reason, Scheme, TimestampCheck, Verdict, header, hmac_sha256, mismatch_message};

/// The id header, then its fallback.
const ID: [&str; 2] = ["svix-id", "webhook-id"];
/// The timestamp header, then its fallback.
const TIMESTAMP: [&str; 2] = ["svix-timestamp", "webhook-timestamp"];
/// The signature header, then its fallback.
const SIGNATURE: [&str; 2] = ["svix-signature", "webhook-signature"];

/// One well-formed entry of the signature header.
enum Entry {
    /// `v1,<base64 of 32 bytes>`: HMAC-SHA256.
    V1([u8; 32]),
    /// `v1a,<base64 of 64 bytes>`: ed25519.
    V1a(Signature),
}

/// Whether any Standard Webhooks header is present.
pub(crate) fn detect(headers: &[(String, Vec<u8>)]) -> bool {
    [ID, TIMESTAMP, SIGNATURE]
        .iter()
        .flatten()
        .any(|name| header(headers, name).is_some())
}

/// Verifies a Standard Webhooks signature received at `now`.
pub fn verify(headers: &[(String, Vec<u8>)], body: &[u8], keys: &[Key], now: i64) -> Verdict {
    let id = find(headers, ID);
    let timestamp = find(headers, TIMESTAMP);
    let signature = find(headers, SIGNATURE);
    let ts = timestamp.map(|(name, raw)| TimestampCheck::new(format!("{name} header"), raw, now));
    let msg_id = id.map(|(_, raw)| String::from_utf8_lossy(raw).into_owned());
    let base = Verdict::signed(&PROVIDER, msg_id, ts.as_ref());
    // A missing header fails any verifier, so it is said even when no key is configured.
    let (Some((_, id)), Some((ts_name, ts_raw)), Some((sig_name, sig))) =
        (id, timestamp, signature)
    else {
        return base.fail(
            Reason::MissingHeader,
            missing_message(headers, [id, timestamp, signature]),
        );
    };
    let usable: Vec<&Key> = keys
        .iter()
        .filter(|k| k.hmac_bytes().is_some() || k.verifying_key().is_some())
        .collect();
    if usable.is_empty() {
        return base.unverified(keys, "a whsec_ or whpk_ key");
    }
    let entries = parse_entries(sig);
    if entries.is_empty() {
        return base.fail(
            Reason::MalformedSignature,
            format!(
                "The {sig_name} header has no entry of the form \"v1,<base64>\" or \"v1a,<base64>\"."
            ),
        );
    }
    let content = content(id, ts_raw, body);
    let matched = usable
        .iter()
        .copied()
        .find(|key| key_matches(key, &entries, &content));
    let verifier = match ts_name.starts_with("svix") {
        true => "Svix",
        false => "Standard Webhooks",
    };
    let mut verdict = base.conclude(
        ts.as_ref(),
        matched,
        mismatch(&usable, &entries, sig_name),
        verifier,
    );
    if entries.iter().all(|e| matches!(e, Entry::V1a(_))) {
        verdict.scheme = Some(Scheme::Ed25519);
    }
    verdict
}

/// The first header of `names` present, with the name it was found under.
fn find<'h>(
    headers: &'h [(String, Vec<u8>)],
    names: [&'static str; 2],
) -> Option<(&'static str, &'h [u8])> {
    names
        .into_iter()
        .find_map(|name| header(headers, name).map(|value| (name, value)))
}

/// Names the missing headers, in the family (`svix-` or `webhook-`) the webhook uses.
fn missing_message(headers: &[(String, Vec<u8>)], found: [Option<(&str, &[u8])>; 3]) -> String {
    let svix = [ID, TIMESTAMP, SIGNATURE]
        .iter()
        .any(|names| header(headers, names[0]).is_some());
    let missing: Vec<&str> = [ID, TIMESTAMP, SIGNATURE]
        .iter()
        .zip(found)
        .filter(|(_, f)| f.is_none())
        .map(|(names, _)| if svix { names[0] } else { names[1] })
        .collect();
    match missing.as_slice() {
        [one] => format!("The {one} header is missing, so the signature cannot be checked."),
        [init @ .., last] => format!(
            "The {} and {last} headers are missing, so the signature cannot be checked.",
            init.join(", ")
        ),
        [] => "No header is missing.".to_string(),
    }
}

/// The well-formed entries of a signature header; anything else (unknown version, bad base64,
/// wrong length, non-UTF-8 bytes) is skipped.
fn parse_entries(value: &[u8]) -> Vec<Entry> {
    value
        .split(u8::is_ascii_whitespace)
        .filter_map(|entry| {
            let comma = entry.iter().position(|b| *b == b',')?;
            let bytes = LENIENT_BASE64.decode(&entry[comma + 1..]).ok()?;
            match &entry[..comma] {
                b"v1" => bytes.try_into().ok().map(Entry::V1),
                b"v1a" => Signature::from_slice(&bytes).ok().map(Entry::V1a),
                _ => None,
            }
        })
        .collect()
}

/// Whether some entry is a valid signature of `content` by `key`.
fn key_matches(key: &Key, entries: &[Entry], content: &[u8]) -> bool {
    let tag = key
        .hmac_bytes()
        .map(|secret| hmac_sha256(secret, &[content]));
    let public = key.verifying_key();
    entries.iter().any(|entry| match (entry, &tag, &public) {
        (Entry::V1(sig), Some(tag), _) => super::ct_eq(tag, sig),
        (Entry::V1a(sig), _, Some(public)) => public.verify_strict(content, sig).is_ok(),
        _ => false,
    })
}

/// The sentence when nothing matched; says so when no key is of the kind the entries need.
fn mismatch(usable: &[&Key], entries: &[Entry], sig_name: &str) -> String {
    let only_v1 = entries.iter().all(|e| matches!(e, Entry::V1(_)));
    let only_v1a = entries.iter().all(|e| matches!(e, Entry::V1a(_)));
    if only_v1 && usable.iter().all(|k| k.hmac_bytes().is_none()) {
        format!(
            "The {sig_name} header has only v1 (HMAC) entries, but no configured key is a whsec_ secret."
        )
    } else if only_v1a && usable.iter().all(|k| k.verifying_key().is_none()) {
        format!(
            "The {sig_name} header has only v1a (ed25519) entries, but no configured key is a whpk_ or whsk_ key."
        )
    } else {
        mismatch_message(usable, "the body, id or timestamp changed")
    }
}

/// `{id}.{timestamp}.{body}` from raw header bytes.
fn content(msg_id: &[u8], timestamp: &[u8], body: &[u8]) -> Vec<u8> {
    [msg_id, b".", timestamp, b".", body].concat()
}

#[cfg(test)]
mod tests {
    use super::super::Reason::{self, *};
    use super::super::Status::{self, *};
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const WRONG: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    const OTHER_SIG: &str = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";

    fn key(label: Option<&str>, secret: &str) -> Key {
        Key::parse(label, secret).expect("test key parses")
    }

    fn headers(pairs: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
        let owned = |(n, v): &(&str, &[u8])| (n.to_string(), v.to_vec());
        pairs.iter().map(owned).collect()
    }

    fn svix(id: &str, ts: &str, sig: &[u8]) -> Vec<(String, Vec<u8>)> {
        let (id, ts) = (id.as_bytes(), ts.as_bytes());
        headers(&[
            ("Svix-Id", id),
            ("Svix-Timestamp", ts),
            ("Svix-Signature", sig),
        ])
    }

    fn check(sig: impl AsRef<[u8]>, keys: &[Key], now: i64) -> Verdict {
        verify(&svix(ID, &TS.to_string(), sig.as_ref()), BODY, keys, now)
    }

    /// Status, reason, signature_ok and timestamp_ok, to assert in one line.
    fn facts(v: &Verdict) -> (Status, Option<Reason>, Option<bool>, Option<bool>) {
        (v.status, v.reason, v.signature_ok, v.timestamp_ok)
    }

    #[test]
    fn valid_signature_says_which_key_and_how_old() {
        let v = check(SIG, &[key(None, SECRET)], TS + 2);
        assert_eq!(facts(&v), (Valid, None, Some(true), Some(true)));
        assert_eq!(
            (v.msg_id.as_deref(), v.timestamp, v.skew_s),
            (Some(ID), Some(TS), Some(2))
        );
        assert_eq!(v.matched_key.as_deref(), Some("whsec_…LaSw"));
        let wanted = "Signature matches key \"whsec_…LaSw\"; timestamp 2 s old.";
        assert_eq!(v.message, wanted);
    }

    #[test]
    fn each_missing_header_is_named() {
        let keys = [key(None, SECRET)];
        let names = ["svix-id", "svix-timestamp", "svix-signature"];
        for (i, name) in names.iter().enumerate() {
            let mut partial = svix(ID, &TS.to_string(), SIG.as_bytes());
            partial.remove(i);
            let v = verify(&partial, BODY, &keys, TS);
            assert_eq!((v.status, v.reason), (Invalid, Some(MissingHeader)));
            let wanted =
                format!("The {name} header is missing, so the signature cannot be checked.");
            assert_eq!(v.message, wanted);
        }
        let only_sig = headers(&[("webhook-signature", SIG.as_bytes())]);
        let v = verify(&only_sig, BODY, &keys, TS);
        let wanted = "The webhook-id and webhook-timestamp headers are missing";
        assert!(v.message.starts_with(wanted), "{}", v.message);
    }

    #[test]
    fn malformed_and_truncated_signatures() {
        let truncated = &SIG[..SIG.len() - 4];
        let bad = [
            "garbage",
            "v1,",
            "v1,g0hM9",
            truncated,
            "v2,abcd v1a,AAAA",
            "",
            "\u{fffd}",
        ];
        for sig in bad {
            let v = check(sig, &[key(None, SECRET)], TS);
            assert_eq!(
                facts(&v),
                (Invalid, Some(MalformedSignature), None, Some(true))
            );
            let wanted = "The svix-signature header has no entry of the form";
            assert!(v.message.starts_with(wanted), "{sig:?}: {}", v.message);
        }
    }

    #[test]
    fn wrong_secret_and_rotation() {
        let v = check(SIG, &[key(None, WRONG)], TS);
        assert_eq!(
            facts(&v),
            (Invalid, Some(SignatureMismatch), Some(false), Some(true))
        );
        let wanted = "Signature does not match the configured key \"whsec_…b7oD\": the body, id or timestamp changed, or the key is wrong.";
        assert_eq!(v.message, wanted);
        let keys = [key(Some("old"), WRONG), key(Some("new"), SECRET)];
        let v = check(SIG, &keys, TS);
        assert_eq!((v.status, v.matched_key.as_deref()), (Valid, Some("new")));
        let v = check(OTHER_SIG, &keys, TS);
        let wanted = "Signature does not match any of the 2 configured keys (\"old\", \"new\")";
        assert!(v.message.starts_with(wanted), "{}", v.message);
        let public = key(None, "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=");
        let v = check(SIG, &[public], TS);
        assert_eq!(v.reason, Some(SignatureMismatch));
        assert!(
            v.message.contains("only v1 (HMAC) entries"),
            "{}",
            v.message
        );
    }

    #[test]
    fn tolerance_is_inclusive_300() {
        let keys = [key(Some("prod"), SECRET)];
        for (now, status, reason) in [
            (TS + 300, Valid, None),
            (TS - 300, Valid, None),
            (TS + 301, Invalid, Some(TimestampTooOld)),
            (TS - 301, Invalid, Some(TimestampTooNew)),
        ] {
            let v = check(SIG, &keys, now);
            let ts_ok = Some(reason.is_none());
            assert_eq!(
                facts(&v),
                (status, reason, Some(true), ts_ok),
                "now = ts{:+}",
                now - TS
            );
            assert_eq!(v.skew_s, Some(now - TS));
        }
        let v = check(SIG, &keys, TS + 720);
        let wanted = "Signature matches key \"prod\", but the timestamp is 12 min old: a Svix verifier would reject it (limit 5 min).";
        assert_eq!(v.message, wanted);
        let v = check(SIG, &keys, TS - 301);
        assert!(v.message.contains("301 s in the future"), "{}", v.message);
    }

    #[test]
    fn bad_timestamp_is_reported_before_the_signature() {
        let sent = svix(ID, "+1614265330", SIG.as_bytes());
        let v = verify(&sent, BODY, &[key(None, SECRET)], TS);
        assert_eq!(facts(&v), (Invalid, Some(BadTimestamp), Some(false), None));
        assert_eq!(v.timestamp, None);
        let wanted =
            "The svix-timestamp header \"+1614265330\" is not a whole number of unix seconds.";
        assert_eq!(v.message, wanted);
    }

    #[test]
    fn several_signatures_and_non_utf8_values() {
        let keys = [key(None, SECRET)];
        let several = format!("v1a,AAAA v2,{} \u{fffd},x  {SIG}\t{OTHER_SIG}", &SIG[3..]);
        assert_eq!(check(several, &keys, TS).status, Valid);
        let mut raw = b"v1,\xff\xfe ".to_vec();
        raw.extend(SIG.as_bytes());
        assert_eq!(check(raw, &keys, TS).status, Valid);
        assert_eq!(
            check(b"\xff\xfe", &keys, TS).reason,
            Some(MalformedSignature)
        );
        let sig = SIG.as_bytes();
        let odd = [
            ("svix-id", &b"m\xff"[..]),
            ("svix-timestamp", b"\xff"),
            ("svix-signature", sig),
        ];
        let v = verify(&headers(&odd), BODY, &keys, TS);
        assert_eq!(
            (v.reason, v.msg_id.as_deref()),
            (Some(BadTimestamp), Some("m\u{fffd}"))
        );
    }

    #[test]
    fn svix_and_webhook_headers_fall_back_separately() {
        let ts = TS.to_string();
        let mut mixed = headers(&[
            ("svix-id", ID.as_bytes()),
            ("WEBHOOK-TIMESTAMP", ts.as_bytes()),
            ("webhook-signature", SIG.as_bytes()),
        ]);
        let v = verify(&mixed, BODY, &[key(Some("k"), SECRET)], TS + 400);
        assert_eq!(
            facts(&v),
            (Invalid, Some(TimestampTooOld), Some(true), Some(false))
        );
        assert!(
            v.message.contains("a Standard Webhooks verifier"),
            "{}",
            v.message
        );
        mixed.push(("svix-signature".to_string(), b"v1,AAAA".to_vec()));
        let v = verify(&mixed, BODY, &[key(None, SECRET)], TS);
        assert_eq!(v.reason, Some(MalformedSignature));
    }

    #[test]
    fn unverified_keeps_id_and_timestamp() {
        for keys in [vec![], vec![key(None, "It's a Secret to Everybody")]] {
            let v = check(SIG, &keys, TS + 42);
            assert_eq!(facts(&v), (Unverified, None, None, Some(true)));
            assert_eq!(
                (v.msg_id.as_deref(), v.timestamp, v.skew_s),
                (Some(ID), Some(TS), Some(42))
            );
            let wanted = "Signed with Standard Webhooks, but ";
            assert!(v.message.starts_with(wanted), "{}", v.message);
        }
    }
}
