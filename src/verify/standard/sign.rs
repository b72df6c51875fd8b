//! Signing Standard Webhooks messages and minting ids and keys, for `hookpit send`, replay
//! and `hookpit sign`. The output verifies with the official `svix` libraries.

use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use rand::Rng as _;
use rand::distributions::Alphanumeric;

use super::content;
use crate::verify::keys::LENIENT_BASE64;
use crate::verify::{Key, hmac_sha256};

/// The signed content `{msg_id}.{timestamp}.{body}`, with the timestamp exactly as in the header.
pub fn signed_content(msg_id: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
    content(msg_id.as_bytes(), timestamp.as_bytes(), body)
}

/// The signature header value for a message: one entry per key that can sign (`v1,…` for HMAC
/// secrets, `v1a,…` for `whsk_` keys), space-separated; `None` when no key can sign.
pub fn sign(msg_id: &str, timestamp: i64, body: &[u8], keys: &[Key]) -> Option<String> {
    let content = signed_content(msg_id, &timestamp.to_string(), body);
    let entries: Vec<String> = keys
        .iter()
        .filter_map(|key| {
            if let Some(secret) = key.hmac_bytes() {
                let tag = hmac_sha256(secret, &[&content]);
                Some(format!("v1,{}", LENIENT_BASE64.encode(tag)))
            } else {
                let sig = key.signing_key()?.sign(&content);
                Some(format!("v1a,{}", LENIENT_BASE64.encode(sig.to_bytes())))
            }
        })
        .collect();
    (!entries.is_empty()).then(|| entries.join(" "))
}

/// A fresh message id: `msg_` and 27 random base62 characters.
pub fn new_msg_id() -> String {
    let suffix: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(27)
        .map(char::from)
        .collect();
    format!("msg_{suffix}")
}

/// A fresh HMAC secret: `whsec_` and base64 of 24 random bytes.
pub fn new_secret() -> String {
    format!(
        "whsec_{}",
        LENIENT_BASE64.encode(rand::random::<[u8; 24]>())
    )
}

/// A fresh ed25519 pair: (`whsk_` base64 of seed and public key, `whpk_` base64 of public key).
pub fn new_ed25519_pair() -> (String, String) {
    let signing = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    (
        format!("whsk_{}", LENIENT_BASE64.encode(signing.to_keypair_bytes())),
        format!(
            "whpk_{}",
            LENIENT_BASE64.encode(signing.verifying_key().to_bytes())
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::Status;

    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;

    fn key(label: Option<&str>, secret: &str) -> Key {
        Key::parse(label, secret).expect("test key parses")
    }

    fn svix(id: &str, ts: &str, sig: &[u8]) -> Vec<(String, Vec<u8>)> {
        let pairs = [
            ("svix-id", id.as_bytes()),
            ("svix-timestamp", ts.as_bytes()),
            ("svix-signature", sig),
        ];
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect()
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        let id = new_msg_id();
        assert!(id.starts_with("msg_") && id[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(id.len(), 31);
        assert_ne!(id, new_msg_id());
        let secret = new_secret();
        assert_eq!((secret.len(), &secret[..6]), (38, "whsec_"));
        let (whsk, whpk) = new_ed25519_pair();
        let signers = [key(None, &secret), key(None, &whsk)];
        let header = sign(&id, TS, BODY, &signers).expect("both keys sign");
        let entries: Vec<&str> = header.split(' ').collect();
        assert!(matches!(&entries[..], [a, b] if a.starts_with("v1,") && b.starts_with("v1a,")));
        let sent = svix(&id, &TS.to_string(), header.as_bytes());
        let v = super::super::verify(&sent, BODY, &[key(Some("pk"), &whpk)], TS);
        assert_eq!(
            (v.status, v.matched_key.as_deref()),
            (Status::Valid, Some("pk"))
        );
        assert_eq!(sign(&id, TS, BODY, &[key(None, &whpk)]), None);
    }

    #[test]
    fn signed_content_keeps_the_timestamp_string() {
        assert_eq!(signed_content("msg_1", "0017", b"{}"), b"msg_1.0017.{}");
    }
}
