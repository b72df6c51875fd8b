//! Lemon Squeezy: `X-Signature`, hex HMAC-SHA256 of the raw body keyed with the webhook's
//! signing secret; told apart by `X-Event-Name`. No timestamp.
//! Docs: <https://docs.lemonsqueezy.com/help/webhooks/signing-requests>.

use crate::verify::Scheme;
use crate::verify::provider::{Check, Encoding, Provider, Sample, has};

/// Lemon Squeezy.
pub const PROVIDER: Provider = Provider {
    name: "lemonsqueezy",
    title: "Lemon Squeezy",
    headers: &["X-Signature", "X-Event-Name"],
    algorithm: Scheme::HmacSha256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://docs.lemonsqueezy.com/help/webhooks/signing-requests",
    secret: "the webhook's signing secret",
    signs: "the raw body",
    encoding: Encoding::Hex,
    detect: |req| has(req, "X-Signature") && has(req, "X-Event-Name"),
    check: Check::BodyHeader {
        header: "X-Signature",
        prefix: "",
    },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"meta":{"event_name":"order_created","custom_data":{"user_id":"123"}},"data":{"type":"orders","id":"1","attributes":{"store_id":1,"identifier":"104e18a2-d755-4d4b-80c4-a6c1dcbe1c10","status":"paid","total":999,"currency":"USD","user_email":"darlene@example.com"}}}"#,
        headers: &[("X-Event-Name", "order_created")],
    },
};
