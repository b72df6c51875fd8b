//! The verdict: what hookpit concluded about one webhook's signature and timestamp.
//! Shared by every scheme, stored with each event, shown in the API and the UI.

use serde::{Deserialize, Serialize};

/// Overall outcome of verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Signature matches a configured key and the timestamp is within tolerance.
    Valid,
    /// Signed, but the signature or the timestamp does not pass.
    Invalid,
    /// No signature header of any known scheme.
    Unsigned,
    /// Signed, but no key is configured for its route.
    Unverified,
}

impl Status {
    /// The wire name, as used in the API and in filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Unsigned => "unsigned",
            Status::Unverified => "unverified",
        }
    }
}

/// Why a verdict is not `valid` (the first problem found, signature problems first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No entry of the signature header matched any key.
    SignatureMismatch,
    /// The timestamp is more than the tolerance in the past.
    TimestampTooOld,
    /// The timestamp is more than the tolerance in the future.
    TimestampTooNew,
    /// The timestamp header is not a strict integer.
    BadTimestamp,
    /// A header the scheme needs (id, timestamp or signature) is absent.
    MissingHeader,
    /// The signature header has no entry of a form the scheme knows.
    MalformedSignature,
}

impl Reason {
    /// The wire name, as used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::SignatureMismatch => "signature_mismatch",
            Reason::TimestampTooOld => "timestamp_too_old",
            Reason::TimestampTooNew => "timestamp_too_new",
            Reason::BadTimestamp => "bad_timestamp",
            Reason::MissingHeader => "missing_header",
            Reason::MalformedSignature => "malformed_signature",
        }
    }
}

/// How a signature was judged: the algorithm, or a shared token or basic-auth credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// HMAC-SHA256 (verdicts stored before providers named the scheme after its sender:
    /// `standard-webhooks`, `stripe`, `github` — all HMAC-SHA256 — read as this).
    #[serde(
        rename = "hmac-sha256",
        alias = "standard-webhooks",
        alias = "stripe",
        alias = "github"
    )]
    HmacSha256,
    /// HMAC-SHA1.
    #[serde(rename = "hmac-sha1")]
    HmacSha1,
    /// ed25519 signature with the sender's public key.
    Ed25519,
    /// ECDSA on P-256 with SHA-256, with the sender's public key.
    EcdsaP256,
    /// A shared token sent as is, compared with the configured one.
    Token,
    /// HTTP basic auth credentials, compared with the configured ones.
    Basic,
}

impl Scheme {
    /// The wire name, e.g. `hmac-sha256`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::HmacSha256 => "hmac-sha256",
            Scheme::HmacSha1 => "hmac-sha1",
            Scheme::Ed25519 => "ed25519",
            Scheme::EcdsaP256 => "ecdsa-p256",
            Scheme::Token => "token",
            Scheme::Basic => "basic",
        }
    }
}

/// The verification verdict of one webhook, exactly as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Stored")]
pub struct Verdict {
    /// Overall outcome.
    pub status: Status,
    /// Why it is not valid; `None` when valid, unsigned or unverified.
    pub reason: Option<Reason>,
    /// The provider detected from the headers or pinned by the route (`standard`, `stripe`,
    /// `shopify`…, as `GET /api/providers` names them); `None` when unsigned.
    pub provider: Option<String>,
    /// How the signature was judged; `None` when unsigned.
    pub scheme: Option<Scheme>,
    /// The message id (`svix-id` / `webhook-id`), when the scheme has one.
    pub msg_id: Option<String>,
    /// The timestamp header parsed as unix seconds, when it parsed.
    pub timestamp: Option<i64>,
    /// Receive time minus timestamp, in seconds (positive: the webhook is that old).
    pub skew_s: Option<i64>,
    /// Whether some signature entry matched some key; `None` when no key could be tried.
    pub signature_ok: Option<bool>,
    /// Whether the timestamp is within tolerance; `None` when the scheme or header has none.
    pub timestamp_ok: Option<bool>,
    /// The label of the key that matched (never the secret).
    pub matched_key: Option<String>,
    /// One plain sentence for the UI.
    pub message: String,
}

/// A verdict as stored, which may predate `provider`: then the old `scheme` named the sender.
#[derive(Deserialize)]
struct Stored {
    status: Status,
    reason: Option<Reason>,
    #[serde(default)]
    provider: Option<String>,
    scheme: Option<serde_json::Value>,
    msg_id: Option<String>,
    timestamp: Option<i64>,
    skew_s: Option<i64>,
    signature_ok: Option<bool>,
    timestamp_ok: Option<bool>,
    matched_key: Option<String>,
    message: String,
}

impl From<Stored> for Verdict {
    fn from(s: Stored) -> Verdict {
        let legacy = s
            .scheme
            .as_ref()
            .and_then(|v| v.as_str())
            .and_then(|old| match old {
                "standard-webhooks" => Some("standard"),
                "stripe" | "github" => Some(old),
                _ => None,
            });
        Verdict {
            status: s.status,
            reason: s.reason,
            provider: s.provider.or(legacy.map(str::to_string)),
            scheme: s.scheme.and_then(|v| serde_json::from_value(v).ok()),
            msg_id: s.msg_id,
            timestamp: s.timestamp,
            skew_s: s.skew_s,
            signature_ok: s.signature_ok,
            timestamp_ok: s.timestamp_ok,
            matched_key: s.matched_key,
            message: s.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_stored_before_providers_read_with_their_provider() {
        let old = r#"{"status":"valid","reason":null,"scheme":"standard-webhooks","msg_id":"m",
            "timestamp":1,"skew_s":0,"signature_ok":true,"timestamp_ok":true,
            "matched_key":"k","message":"ok"}"#;
        let v: Verdict = serde_json::from_str(old).expect("old verdict reads");
        assert_eq!(v.provider.as_deref(), Some("standard"));
        assert_eq!(v.scheme, Some(Scheme::HmacSha256));
        let json = serde_json::to_value(&v).expect("serializes");
        assert_eq!(json["scheme"], "hmac-sha256");
        assert_eq!(json["provider"], "standard");
        let back: Verdict = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, v);
    }
}
