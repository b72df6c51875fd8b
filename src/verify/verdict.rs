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

/// Signature schemes hookpit knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// Standard Webhooks / Svix (`svix-*` or `webhook-*` headers).
    StandardWebhooks,
    /// Stripe (`Stripe-Signature`).
    Stripe,
    /// GitHub (`X-Hub-Signature-256`).
    Github,
}

/// The verification verdict of one webhook, exactly as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Overall outcome.
    pub status: Status,
    /// Why it is not valid; `None` when valid, unsigned or unverified.
    pub reason: Option<Reason>,
    /// The scheme detected from the headers; `None` when unsigned.
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
