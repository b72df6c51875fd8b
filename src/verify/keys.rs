//! Keys as users paste them (`whsec_…`, `whpk_…`, `whsk_…` or a plain secret), parsed once into
//! what each scheme needs, and shown masked everywhere except to the code that signs and verifies.

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, PAD_INDIFFERENT};
use ed25519_dalek::{SigningKey, VerifyingKey};

/// Standard base64 that tolerates missing padding and non-zero trailing bits, as senders' libraries do.
pub(crate) const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    PAD_INDIFFERENT.with_decode_allow_trailing_bits(true),
);

/// Why a pasted key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Nothing but whitespace was pasted.
    #[error("the key is empty")]
    Empty,
    /// A known prefix with nothing after it.
    #[error("{0} key has nothing after the prefix")]
    NothingAfterPrefix(&'static str),
    /// A signature (`v1,…`) pasted where the signing secret belongs.
    #[error(
        "this is a signature (it starts with \"{0},\"), not a signing secret: paste the endpoint's secret (whsec_…), as the provider's dashboard or `hookpit secret` shows it"
    )]
    Signature(String),
    /// A `whsec_` key whose rest is not base64, so it cannot sign or verify Standard Webhooks.
    #[error("whsec_ key must be base64 after the prefix, but {0}")]
    NotBase64(String),
    /// A plain secret too short to be anyone's signing secret (a typo or a placeholder).
    #[error(
        "a plain secret of {0} characters is too short to be a signing secret (at least {MIN_PLAIN} expected): paste the whole secret"
    )]
    TooShort(usize),
    /// A `whpk_` key that is not base64 of 32 bytes.
    #[error("whpk_ key must be base64 of 32 bytes")]
    PublicKeyShape,
    /// A `whpk_` key of the right size that is not a point on the curve.
    #[error("whpk_ key is not a valid ed25519 public key")]
    PublicKeyInvalid,
    /// A `whsk_` key that is not base64 of a 32-byte seed or a 64-byte keypair.
    #[error("whsk_ key must be base64 of a 32-byte seed or a 64-byte seed and public key")]
    SigningKeyShape,
    /// A 64-byte `whsk_` key whose public half does not belong to its seed.
    #[error("whsk_ key's public half does not match its seed")]
    SigningKeyMismatch,
}

/// Fewest characters a plain (prefix-less) secret may have: real ones (GitHub, Stripe, Svix)
/// are 20 or more, so anything this short is a typo or a placeholder such as "nope".
pub const MIN_PLAIN: usize = 8;

/// What a key can do, decided when it is parsed.
#[derive(Clone)]
enum Material {
    /// `whsec_` or plain: the pasted string (Stripe, GitHub) and, when it decodes, its base64
    /// bytes (Standard Webhooks `v1`).
    Hmac { decoded: Option<Vec<u8>> },
    /// `whpk_`: verifies Standard Webhooks `v1a`.
    Public(VerifyingKey),
    /// `whsk_`: signs and verifies Standard Webhooks `v1a`.
    Signing(SigningKey),
}

/// A key as the user pasted it, with a label; `Debug` shows only the masked form.
#[derive(Clone)]
pub struct Key {
    /// The label given, or the masked form.
    label: String,
    /// The exact secret, trimmed.
    pasted: String,
    /// "whsec", "whpk", "whsk" or "plain".
    kind: &'static str,
    /// What the key can sign and verify.
    material: Material,
    /// The provider it is bound to (`shopify:…`), tried for no other.
    provider: Option<&'static str>,
}

impl Key {
    /// Parses a pasted key (surrounding whitespace ignored); `label` defaults to the masked form.
    /// `NAME:…` binds it to the provider `NAME`; a bound plain secret may be shorter than
    /// [`MIN_PLAIN`], since its provider was named on purpose (GitLab tokens, docs examples).
    pub fn parse(label: Option<&str>, pasted: &str) -> Result<Key, KeyError> {
        Key::parse_with(label, pasted, MIN_PLAIN)
    }

    fn parse_with(label: Option<&str>, pasted: &str, min_plain: usize) -> Result<Key, KeyError> {
        let pasted = pasted.trim();
        let bound = pasted
            .split_once(':')
            .and_then(|(name, rest)| Some((super::registry::find(name)?, rest)));
        if let Some((provider, rest)) = bound {
            let mut key = Key::parse_with(label, rest, 1)?;
            key.provider = Some(provider.name);
            return Ok(key);
        }
        if pasted.is_empty() {
            return Err(KeyError::Empty);
        }
        if let Some(version) = signature_version(pasted) {
            return Err(KeyError::Signature(version.to_string()));
        }
        let (kind, material) = if let Some(rest) = pasted.strip_prefix("whsec_") {
            if rest.is_empty() {
                return Err(KeyError::NothingAfterPrefix("whsec_"));
            }
            let decoded = decode(rest).ok_or_else(|| KeyError::NotBase64(why_not_base64(rest)))?;
            (
                "whsec",
                Material::Hmac {
                    decoded: Some(decoded),
                },
            )
        } else if let Some(rest) = pasted.strip_prefix("whpk_") {
            let bytes: [u8; 32] = decode(rest)
                .and_then(|b| b.try_into().ok())
                .ok_or(KeyError::PublicKeyShape)?;
            let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::PublicKeyInvalid)?;
            ("whpk", Material::Public(key))
        } else if let Some(rest) = pasted.strip_prefix("whsk_") {
            let bytes = decode(rest).ok_or(KeyError::SigningKeyShape)?;
            let key = match <[u8; 64]>::try_from(bytes.as_slice()) {
                Ok(pair) => SigningKey::from_keypair_bytes(&pair)
                    .map_err(|_| KeyError::SigningKeyMismatch)?,
                Err(_) => SigningKey::from_bytes(
                    &bytes.try_into().map_err(|_| KeyError::SigningKeyShape)?,
                ),
            };
            ("whsk", Material::Signing(key))
        } else {
            let chars = pasted.chars().count();
            if chars < min_plain {
                return Err(KeyError::TooShort(chars));
            }
            (
                "plain",
                Material::Hmac {
                    decoded: decode(pasted),
                },
            )
        };
        let mut key = Key {
            label: String::new(),
            pasted: pasted.to_string(),
            kind,
            material,
            provider: None,
        };
        key.label = match label.map(str::trim) {
            Some(l) if !l.is_empty() => l.to_string(),
            _ => key.masked(),
        };
        Ok(key)
    }

    /// The label to show: the one given, or the masked form.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The prefix, `…` and the last 4 characters (`whsec_…LaSw`); 2 for secrets under 12
    /// characters, none for 4 or fewer.
    pub fn masked(&self) -> String {
        let prefix = match self.kind {
            "plain" => "",
            _ => &self.pasted[..self.kind.len() + 1],
        };
        let rest: Vec<char> = self.pasted[prefix.len()..].chars().collect();
        let shown = match rest.len() {
            0..=4 => 0,
            5..12 => 2,
            _ => 4,
        };
        let tail: String = rest[rest.len() - shown..].iter().collect();
        format!("{prefix}…{tail}")
    }

    /// The exact secret, for signing and verification only, never for display.
    pub fn pasted(&self) -> &str {
        &self.pasted
    }

    /// "whsec", "whpk", "whsk" or "plain".
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The provider the key is bound to (`--secret shopify:…`), if any.
    pub fn provider(&self) -> Option<&'static str> {
        self.provider
    }

    /// The key as `--secret` takes it back: `NAME:` and the secret when bound.
    pub fn spelled(&self) -> String {
        match self.provider {
            Some(p) => format!("{p}:{}", self.pasted),
            None => self.pasted.clone(),
        }
    }

    /// The base64-decoded HMAC key for Standard Webhooks `v1`, when there is one.
    pub(crate) fn hmac_bytes(&self) -> Option<&[u8]> {
        match &self.material {
            Material::Hmac { decoded } => decoded.as_deref(),
            _ => None,
        }
    }

    /// The whole pasted string as HMAC key bytes (Stripe, GitHub), for `whsec_` and plain keys.
    pub(crate) fn ascii_secret(&self) -> Option<&[u8]> {
        match &self.material {
            Material::Hmac { .. } => Some(self.pasted.as_bytes()),
            _ => None,
        }
    }

    /// The ed25519 public key for Standard Webhooks `v1a` (`whpk_`, or the public half of `whsk_`).
    pub(crate) fn verifying_key(&self) -> Option<VerifyingKey> {
        match &self.material {
            Material::Public(key) => Some(*key),
            Material::Signing(key) => Some(key.verifying_key()),
            Material::Hmac { .. } => None,
        }
    }

    /// The ed25519 signing key (`whsk_` only).
    pub(crate) fn signing_key(&self) -> Option<&SigningKey> {
        match &self.material {
            Material::Signing(key) => Some(key),
            _ => None,
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("label", &self.label)
            .field("kind", &self.kind)
            .field("provider", &self.provider)
            .field("secret", &self.masked())
            .finish()
    }
}

/// The version tag when `pasted` is a signature entry (`v1,…`, `v1a,…`) rather than a key, as
/// when a `svix-signature` value is pasted by mistake.
fn signature_version(pasted: &str) -> Option<&str> {
    let (tag, _) = pasted.split_once(',')?;
    let digits = tag.strip_prefix('v')?.trim_end_matches('a');
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(tag)
}

/// Why `text` is not base64, in words: the first character that cannot appear in it (a `…`
/// means a placeholder was pasted), or else a length no base64 string has.
fn why_not_base64(text: &str) -> String {
    let bad = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')));
    match bad {
        Some('…') => {
            "it contains \"…\": that is a placeholder, paste the whole secret".to_string()
        }
        Some(c) => format!("it contains {c:?}, which base64 never does"),
        None => "its length is not one base64 has: a character is missing or extra".to_string(),
    }
}

/// Lenient base64 decoding to a non-empty byte string.
fn decode(text: &str) -> Option<Vec<u8>> {
    LENIENT_BASE64.decode(text).ok().filter(|b| !b.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whsec_decodes_with_or_without_padding() {
        let key =
            Key::parse(None, "  whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n").expect("valid key");
        assert_eq!(key.kind(), "whsec");
        assert_eq!(key.pasted(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert_eq!(key.hmac_bytes().map(<[u8]>::len), Some(24));
        // 18 bytes = 24 chars; drop a char to need padding, then leave it off.
        let short = Key::parse(None, "whsec_plJ3nmyCDGBKInavdOK15js").expect("valid key");
        assert_eq!(short.hmac_bytes().map(<[u8]>::len), Some(17));
    }

    #[test]
    fn whsec_that_does_not_decode_is_refused_with_the_reason() {
        let err = Key::parse(Some("odd"), "whsec_abc!").expect_err("not base64");
        assert_eq!(
            err.to_string(),
            "whsec_ key must be base64 after the prefix, but it contains '!', which base64 never does"
        );
        let placeholder = Key::parse(None, "whsec_…").expect_err("README placeholder");
        assert!(
            placeholder.to_string().contains("placeholder"),
            "{placeholder}"
        );
        let length = Key::parse(None, "whsec_abcde").expect_err("5 base64 characters");
        assert!(length.to_string().contains("missing or extra"), "{length}");
        // Stripe's dashboard secrets are whsec_ and 32 alphanumerics: base64, so they stay.
        let stripe = Key::parse(None, "whsec_5e8f3b2a9c1d4e6f7a8b9c0d1e2f3a4b").expect("stripe");
        assert!(stripe.ascii_secret().is_some());
    }

    #[test]
    fn a_pasted_signature_or_a_tiny_plain_secret_is_refused() {
        for sig in [
            "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
            "v1a,abc",
            "v1,whsec_x",
        ] {
            let err = Key::parse(None, sig).expect_err(sig);
            assert!(matches!(err, KeyError::Signature(_)), "{sig}: {err}");
            assert!(err.to_string().contains("not a signing secret"), "{err}");
        }
        assert_eq!(Key::parse(None, "nope").err(), Some(KeyError::TooShort(4)));
        // Bound to a provider on purpose, a short secret is taken; an empty one never.
        let bound = Key::parse(None, "twilio:12345").expect("bound");
        assert_eq!(
            (bound.provider(), bound.pasted()),
            (Some("twilio"), "12345")
        );
        assert_eq!(Key::parse(None, "gitlab: ").err(), Some(KeyError::Empty));
        // A colon after a name no provider has is part of the secret.
        let plain = Key::parse(None, "nobody:abcdefgh").expect("plain");
        assert_eq!(
            (plain.provider(), plain.pasted()),
            (None, "nobody:abcdefgh")
        );
        assert!(Key::parse(None, "v2beta,secret-with-comma").is_ok());
    }

    #[test]
    fn plain_secret_serves_both_uses() {
        let key = Key::parse(None, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("valid key");
        assert_eq!(key.kind(), "plain");
        assert_eq!(key.hmac_bytes().map(<[u8]>::len), Some(24));
        assert_eq!(
            key.ascii_secret(),
            Some(&b"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"[..])
        );
        let github = Key::parse(None, "It's a Secret to Everybody").expect("valid key");
        assert_eq!(github.hmac_bytes(), None);
        assert!(github.ascii_secret().is_some());
    }

    #[test]
    fn ed25519_keys() {
        let public =
            Key::parse(None, "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=").expect("whpk");
        assert_eq!(public.kind(), "whpk");
        assert!(public.signing_key().is_none());
        assert!(public.ascii_secret().is_none());
        let pair = Key::parse(None, "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==").expect("whsk");
        assert_eq!(pair.verifying_key(), public.verifying_key());
        let seed = Key::parse(None, "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=")
            .expect("32-byte seed");
        assert!(seed.signing_key().is_some());
    }

    #[test]
    fn bad_keys_say_why() {
        assert_eq!(Key::parse(None, " \t").err(), Some(KeyError::Empty));
        assert_eq!(
            Key::parse(None, "whsec_").err(),
            Some(KeyError::NothingAfterPrefix("whsec_"))
        );
        let err = Key::parse(None, "whpk_AAAA").expect_err("too short");
        assert_eq!(err.to_string(), "whpk_ key must be base64 of 32 bytes");
        assert_eq!(
            Key::parse(None, "whsk_AAAA").err(),
            Some(KeyError::SigningKeyShape)
        );
        // A real seed followed by a public key that is not its own.
        let mut pair = vec![7u8; 32];
        pair.extend(
            SigningKey::from_bytes(&[8u8; 32])
                .verifying_key()
                .to_bytes(),
        );
        let pasted = format!("whsk_{}", LENIENT_BASE64.encode(pair));
        assert_eq!(
            Key::parse(None, &pasted).err(),
            Some(KeyError::SigningKeyMismatch)
        );
    }

    #[test]
    fn masked_and_debug_never_show_the_secret() {
        let key = Key::parse(None, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("valid key");
        assert_eq!(key.masked(), "whsec_…LaSw");
        assert_eq!(key.label(), "whsec_…LaSw");
        let debug = format!("{key:?}");
        assert!(debug.contains("whsec_…LaSw"), "{debug}");
        assert!(!debug.contains("MfKQ9r8G"), "{debug}");
        let labelled = Key::parse(Some(" prod "), "short-sec").expect("valid key");
        assert_eq!(labelled.label(), "prod");
        assert_eq!(labelled.masked(), "…ec");
        let long = Key::parse(None, "It's a Secret to Everybody").expect("valid key");
        assert_eq!(long.masked(), "…body");
        assert_eq!(
            Key::parse(None, "whsec_abcd").expect("valid").masked(),
            "whsec_…"
        );
        assert_eq!(
            Key::parse(None, "ünïcødé-key").expect("valid").masked(),
            "…ey"
        );
    }
}
