//! Coinbase Commerce: `X-CC-Webhook-Signature`, hex HMAC-SHA256 of the raw body keyed with the
//! shared secret from the Commerce settings. No timestamp.
//! Docs: <https://docs.cdp.coinbase.com/commerce/docs/webhooks-security>.

use crate::verify::Scheme;
use crate::verify::provider::{Check, Encoding, Provider, Sample, has};

/// Coinbase Commerce.
pub const PROVIDER: Provider = Provider {
    name: "coinbase",
    title: "Coinbase Commerce",
    headers: &["X-CC-Webhook-Signature"],
    algorithm: Scheme::HmacSha256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://docs.cdp.coinbase.com/commerce/docs/webhooks-security",
    secret: "the shared secret from the Commerce settings",
    signs: "the raw body",
    encoding: Encoding::Hex,
    detect: |req| has(req, "X-CC-Webhook-Signature"),
    check: Check::BodyHeader {
        header: "X-CC-Webhook-Signature",
        prefix: "",
    },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"id":1,"scheduled_for":"2026-01-15T10:00:00Z","event":{"id":"24934862-d980-46cb-9402-43c81b0cdba6","resource":"event","type":"charge:confirmed","api_version":"2018-03-22","created_at":"2026-01-15T10:00:00Z","data":{"code":"66BEOV2A","name":"The Sovereign Individual","pricing_type":"fixed_price"}}}"#,
        headers: &[],
    },
};
