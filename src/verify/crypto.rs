//! The algorithms providers sign with (HMAC-SHA256, HMAC-SHA1, ed25519, ECDSA P-256, a shared
//! token, basic auth), each as: can this key verify, can it sign, check, sign. Also the hints a
//! mismatch gives when a key or a header looks like another provider's.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use hmac::{Hmac, KeyInit, Mac};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _,
    UnparsedPublicKey,
};
use sha1::Sha1;

use super::keys::LENIENT_BASE64;
use super::provider::{Encoding, Provider};
use super::{Key, Scheme, ct_eq, hmac_sha256};

/// The DER prefix of a P-256 public key in SubjectPublicKeyInfo form, before its 65-byte point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Lenient base64 (padding optional); `None` when it is not base64.
pub(crate) fn unbase64(text: &[u8]) -> Option<Vec<u8>> {
    LENIENT_BASE64.decode(text).ok()
}

/// HMAC-SHA1 of `content` under `key`.
fn hmac_sha1(key: &[u8], content: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes a key of any size");
    mac.update(content);
    mac.finalize().into_bytes().to_vec()
}

/// The key text with PEM armour and whitespace removed, base64-decoded.
fn der(key: &Key) -> Option<Vec<u8>> {
    let text: String = key
        .pasted()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<String>()
        .split_whitespace()
        .collect();
    unbase64(text.as_bytes())
}

/// A P-256 signing key from base64 (or PEM) PKCS#8.
fn ecdsa_pair(key: &Key) -> Option<EcdsaKeyPair> {
    EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        &der(key)?,
        &SystemRandom::new(),
    )
    .ok()
}

/// The uncompressed P-256 point of a public key (base64 SubjectPublicKeyInfo, as SendGrid shows
/// it) or of a PKCS#8 private key.
fn ecdsa_point(key: &Key) -> Option<Vec<u8>> {
    if let Some(pair) = ecdsa_pair(key) {
        return Some(pair.public_key().as_ref().to_vec());
    }
    let der = der(key)?;
    let point = der.strip_prefix(&P256_SPKI_PREFIX[..])?;
    (point.len() == 65 && point[0] == 4).then(|| point.to_vec())
}

/// A fresh P-256 pair: (base64 PKCS#8 private key, base64 SubjectPublicKeyInfo public key).
pub fn new_p256_pair() -> (String, String) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
        .expect("the system random source works");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
        .expect("a generated key parses");
    let spki = [&P256_SPKI_PREFIX[..], pair.public_key().as_ref()].concat();
    (base64(pkcs8.as_ref()), base64(&spki))
}

/// The ed25519 signing key: `whsk_`, or hex of 64 bytes (seed and public key, as NaCl keeps it).
fn ed_signing(key: &Key) -> Option<SigningKey> {
    if let Some(k) = key.signing_key() {
        return Some(k.clone());
    }
    let pair: [u8; 64] = hex::decode(key.pasted()).ok()?.try_into().ok()?;
    SigningKey::from_keypair_bytes(&pair).ok()
}

/// The ed25519 public key: `whpk_`/`whsk_`, hex of 32 bytes (as Discord shows it), or the
/// public half of a hex signing key.
fn ed_public(key: &Key) -> Option<VerifyingKey> {
    if let Some(k) = key.verifying_key() {
        return Some(k);
    }
    let bytes = hex::decode(key.pasted()).ok()?;
    match <[u8; 32]>::try_from(bytes.as_slice()) {
        Ok(public) => VerifyingKey::from_bytes(&public).ok(),
        Err(_) => ed_signing(key).map(|k| k.verifying_key()),
    }
}

/// A fresh ed25519 pair as Discord-style hex: (64-byte signing key, 32-byte public key).
pub fn new_ed25519_hex_pair() -> (String, String) {
    let signing = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    (
        hex::encode(signing.to_keypair_bytes()),
        hex::encode(signing.verifying_key().to_bytes()),
    )
}

/// A fresh key for `provider`: (what signs, what verifies), as the provider would issue them —
/// a `whsec_` secret for Standard Webhooks and Stripe, an ed25519 or P-256 pair, `user:password`
/// for basic auth, else 32 random letters and digits.
pub fn new_key_for(provider: &Provider) -> (String, String) {
    let random = || -> String {
        use rand::Rng as _;
        (rand::thread_rng().sample_iter(&rand::distributions::Alphanumeric))
            .take(32)
            .map(char::from)
            .collect()
    };
    match provider.algorithm {
        Scheme::Ed25519 => new_ed25519_hex_pair(),
        Scheme::EcdsaP256 => new_p256_pair(),
        Scheme::Basic => {
            let pair = format!("hookpit:{}", random());
            (pair.clone(), pair)
        }
        _ if matches!(provider.name, "standard" | "stripe") => {
            let secret = super::standard::new_secret();
            (secret.clone(), secret)
        }
        _ => {
            let secret = random();
            (secret.clone(), secret)
        }
    }
}

/// Whether `key` can verify signatures of `algorithm`.
pub(crate) fn can_verify(algorithm: Scheme, key: &Key) -> bool {
    match algorithm {
        Scheme::Ed25519 => ed_public(key).is_some(),
        Scheme::EcdsaP256 => ecdsa_point(key).is_some(),
        _ => key.ascii_secret().is_some(),
    }
}

/// Whether `key` can sign with `algorithm`.
pub(crate) fn can_sign(algorithm: Scheme, key: &Key) -> bool {
    match algorithm {
        Scheme::Ed25519 => ed_signing(key).is_some(),
        Scheme::EcdsaP256 => ecdsa_pair(key).is_some(),
        _ => key.ascii_secret().is_some(),
    }
}

/// Whether `sig` is `key`'s signature of `content` (or, for a token or credentials, is the
/// key itself), compared in constant time where a secret is involved.
pub(crate) fn check(algorithm: Scheme, key: &Key, content: &[u8], sig: &[u8]) -> bool {
    match algorithm {
        Scheme::Ed25519 => match (ed_public(key), Signature::from_slice(sig)) {
            (Some(public), Ok(sig)) => public.verify_strict(content, &sig).is_ok(),
            _ => false,
        },
        Scheme::EcdsaP256 => ecdsa_point(key).is_some_and(|point| {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point)
                .verify(content, sig)
                .is_ok()
        }),
        _ => sign(algorithm, key, content).is_some_and(|tag| ct_eq(&tag, sig)),
    }
}

/// `key`'s signature of `content`; for a token or credentials, the key itself.
pub(crate) fn sign(algorithm: Scheme, key: &Key, content: &[u8]) -> Option<Vec<u8>> {
    match algorithm {
        Scheme::HmacSha256 => Some(hmac_sha256(key.ascii_secret()?, &[content]).to_vec()),
        Scheme::HmacSha1 => Some(hmac_sha1(key.ascii_secret()?, content)),
        Scheme::Token | Scheme::Basic => key.ascii_secret().map(<[u8]>::to_vec),
        Scheme::Ed25519 => Some(ed_signing(key)?.sign(content).to_bytes().to_vec()),
        Scheme::EcdsaP256 => {
            let sig = ecdsa_pair(key)?.sign(&SystemRandom::new(), content).ok()?;
            Some(sig.as_ref().to_vec())
        }
    }
}

/// " (it looks hex)" or " (it looks base64)" when a signature header is written in another
/// encoding than the provider's; empty otherwise.
pub(crate) fn looks_like(value: &[u8], wanted: Encoding) -> &'static str {
    let text = value.trim_ascii();
    let hexy =
        !text.is_empty() && text.len().is_multiple_of(2) && text.iter().all(u8::is_ascii_hexdigit);
    match wanted {
        Encoding::Base64 if hexy => ": this header is hex, not base64",
        Encoding::Hex if !hexy && unbase64(text).is_some_and(|b| !b.is_empty()) => {
            ": this header is base64, not hex"
        }
        _ => "",
    }
}

/// A sentence when a configured key is evidently another provider's secret.
pub(crate) fn foreign_key_hint(provider: &Provider, usable: &[&Key]) -> Option<String> {
    let whsec = matches!(provider.name, "standard" | "stripe");
    usable.iter().find_map(|key| match key.kind() {
        "whsec" if !whsec => Some(format!(
            "Key \"{}\" is a whsec_ secret, the form Stripe and Svix use: is this a Stripe secret rather than {}?",
            key.label(),
            provider.secret
        )),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha1_matches_rfc_2202() {
        // RFC 2202, test case 2.
        let tag = hmac_sha1(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(tag), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }

    #[test]
    fn p256_pairs_sign_and_verify_and_refuse_tampering() {
        let (private, public) = new_p256_pair();
        let signer = Key::parse(None, &private).expect("pkcs8 parses as a plain key");
        let verifier = Key::parse(None, &public).expect("spki parses as a plain key");
        assert!(can_sign(Scheme::EcdsaP256, &signer));
        assert!(!can_sign(Scheme::EcdsaP256, &verifier));
        let sig = sign(Scheme::EcdsaP256, &signer, b"1600000000{}").expect("signs");
        assert!(check(Scheme::EcdsaP256, &verifier, b"1600000000{}", &sig));
        assert!(!check(Scheme::EcdsaP256, &verifier, b"1600000001{}", &sig));
    }

    #[test]
    fn ed25519_hex_pairs_sign_and_verify() {
        let (private, public) = new_ed25519_hex_pair();
        let signer = Key::parse(None, &private).expect("hex parses");
        let verifier = Key::parse(None, &public).expect("hex parses");
        let sig = sign(Scheme::Ed25519, &signer, b"content").expect("signs");
        assert!(check(Scheme::Ed25519, &verifier, b"content", &sig));
        assert!(!check(Scheme::Ed25519, &verifier, b"Content", &sig));
        assert!(!can_sign(Scheme::Ed25519, &verifier));
    }
}
