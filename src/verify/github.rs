//! GitHub: `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 over the body keyed with the secret
//! as typed. There is no timestamp, so nothing limits replays.

use super::provider::{Check, Encoding, Outgoing, Provider, Sample, has};
use super::{Key, Reason, Scheme, Verdict, ct_eq, header, hmac_sha256, mismatch_message};

/// The header GitHub signs with.
pub const HEADER: &str = "X-Hub-Signature-256";

/// GitHub.
pub const PROVIDER: Provider = Provider {
    name: "github",
    title: "GitHub",
    headers: &[HEADER, "X-GitHub-Event", "X-GitHub-Delivery"],
    algorithm: Scheme::HmacSha256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries",
    secret: "the webhook's secret",
    signs: "the raw body",
    encoding: Encoding::Hex,
    detect: |req| has(req, HEADER),
    check: Check::Own {
        verify: |req, keys, _| verify(req.headers, req.body, keys),
        usable: |key| key.ascii_secret().is_some(),
        sign: |out: &mut Outgoing, keys, _| match sign(&out.body, keys) {
            Some(value) => {
                out.headers.set(HEADER, value);
                true
            }
            None => false,
        },
    },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"zen":"Design for failure.","hook_id":123456789,"hook":{"type":"Repository","id":123456789,"active":true,"events":["push"]},"repository":{"id":1296269,"full_name":"octocat/Hello-World"},"sender":{"login":"octocat","id":1}}"#,
        headers: &[
            ("X-GitHub-Event", "ping"),
            ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
            ("X-GitHub-Hook-ID", "123456789"),
        ],
    },
};

/// Verifies a GitHub signature (no clock needed: the scheme has no timestamp).
pub fn verify(headers: &[(String, Vec<u8>)], body: &[u8], keys: &[Key]) -> Verdict {
    let base = Verdict::signed(&PROVIDER, None, None);
    let usable: Vec<&Key> = keys.iter().filter(|k| k.ascii_secret().is_some()).collect();
    if usable.is_empty() {
        return base.unverified(keys, "the webhook's secret");
    }
    let Some(value) = header(headers, HEADER) else {
        return base.fail(
            Reason::MissingHeader,
            format!("The {HEADER} header is missing, so the signature cannot be checked."),
        );
    };
    let mut sig = [0u8; 32];
    let well_formed = value
        .trim_ascii()
        .strip_prefix(b"sha256=")
        .is_some_and(|hex_sig| hex::decode_to_slice(hex_sig, &mut sig).is_ok());
    if !well_formed {
        return base.fail(
            Reason::MalformedSignature,
            format!("The {HEADER} header is not of the form \"sha256=<64 hex digits>\"."),
        );
    }
    let matched = usable.iter().copied().find(|key| {
        let secret = key.ascii_secret().unwrap_or_default();
        ct_eq(&hmac_sha256(secret, &[body]), &sig)
    });
    let mismatch = mismatch_message(&usable, "the body changed");
    base.conclude(None, matched, mismatch, "GitHub")
}

/// The `X-Hub-Signature-256` value for `body`, signed with the first key that can (GitHub sends
/// one signature); `None` when no key can.
pub fn sign(body: &[u8], keys: &[Key]) -> Option<String> {
    let secret = keys.iter().find_map(Key::ascii_secret)?;
    Some(format!(
        "sha256={}",
        hex::encode(hmac_sha256(secret, &[body]))
    ))
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::*;

    const SECRET: &str = "It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIG: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    fn key(label: &str, secret: &str) -> Key {
        Key::parse(Some(label), secret).expect("test key parses")
    }

    fn check(value: &[u8], keys: &[Key]) -> Verdict {
        let headers = vec![("x-hub-signature-256".to_string(), value.to_vec())];
        verify(&headers, BODY, keys)
    }

    #[test]
    fn official_vector_is_valid_without_timestamp() {
        let v = check(SIG.as_bytes(), &[key("gh", SECRET)]);
        assert_eq!(v.status, Status::Valid, "{}", v.message);
        assert_eq!(v.provider.as_deref(), Some("github"));
        assert_eq!((v.timestamp, v.skew_s, v.timestamp_ok), (None, None, None));
        assert_eq!(v.matched_key.as_deref(), Some("gh"));
        assert_eq!(v.message, "Signature matches key \"gh\".");
        let upper = SIG.to_uppercase().replace("SHA256=", "sha256=");
        assert_eq!(
            check(upper.as_bytes(), &[key("gh", SECRET)]).status,
            Status::Valid
        );
    }

    #[test]
    fn missing_malformed_and_truncated() {
        let keys = [key("gh", SECRET)];
        let v = verify(&[], BODY, &keys);
        assert_eq!(v.reason, Some(Reason::MissingHeader));
        assert!(
            v.message.contains("X-Hub-Signature-256 header is missing"),
            "{}",
            v.message
        );
        let sha1 = "sha1=0123456789abcdef0123456789abcdef01234567";
        for value in [
            sha1,
            &SIG[7..],
            &SIG[..SIG.len() - 2],
            "sha256=",
            "sha256=\u{fffd}",
        ] {
            let v = check(value.as_bytes(), &keys);
            assert_eq!(v.status, Status::Invalid);
            assert_eq!(v.reason, Some(Reason::MalformedSignature), "{value}");
            assert_eq!(v.signature_ok, None);
        }
        let v = check(b"sha256=\xff\xfe", &keys);
        assert_eq!(v.reason, Some(Reason::MalformedSignature));
    }

    #[test]
    fn wrong_secret_and_rotation() {
        let v = check(SIG.as_bytes(), &[key("old", "It's a Secret to Everybody!")]);
        assert_eq!(v.reason, Some(Reason::SignatureMismatch));
        assert_eq!(v.signature_ok, Some(false));
        assert_eq!(
            v.message,
            "Signature does not match the configured key \"old\": the body changed, or the key is wrong."
        );
        let keys = [
            key("old", "It's a Secret to Everybody!"),
            key("new", SECRET),
        ];
        let v = check(SIG.as_bytes(), &keys);
        assert_eq!(v.status, Status::Valid);
        assert_eq!(v.matched_key.as_deref(), Some("new"));
    }

    #[test]
    fn unverified_without_a_usable_key() {
        let public = key("ed", "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=");
        let v = check(SIG.as_bytes(), &[public]);
        assert_eq!(v.status, Status::Unverified);
        assert_eq!(v.signature_ok, None);
        assert!(
            v.message.contains("none of the 1 configured keys"),
            "{}",
            v.message
        );
        let v = check(SIG.as_bytes(), &[]);
        assert_eq!(
            v.message,
            "Signed with GitHub, but no key is configured: add one to verify."
        );
    }

    #[test]
    fn sign_matches_the_official_vector() {
        let public = key("ed", "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=");
        assert_eq!(
            sign(BODY, &[public.clone(), key("gh", SECRET)]).as_deref(),
            Some(SIG)
        );
        assert_eq!(sign(BODY, &[public]), None);
    }
}
