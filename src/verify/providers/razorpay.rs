//! Razorpay: `X-Razorpay-Signature`, hex HMAC-SHA256 of the raw body keyed with the
//! webhook's secret. No timestamp.
//! Docs: <https://razorpay.com/docs/webhooks/validate-test/>.

use crate::verify::Scheme;
use crate::verify::provider::{Check, Encoding, Provider, Sample, has};

/// Razorpay.
pub const PROVIDER: Provider = Provider {
    name: "razorpay",
    title: "Razorpay",
    headers: &["X-Razorpay-Signature", "X-Razorpay-Event-Id"],
    algorithm: Scheme::HmacSha256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://razorpay.com/docs/webhooks/validate-test/",
    secret: "the webhook's secret",
    signs: "the raw body",
    encoding: Encoding::Hex,
    detect: |req| has(req, "X-Razorpay-Signature"),
    check: Check::BodyHeader {
        header: "X-Razorpay-Signature",
        prefix: "",
    },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"entity":"event","account_id":"acc_BFQ7uQEaa7j2z7","event":"payment.captured","contains":["payment"],"payload":{"payment":{"entity":{"id":"pay_DESlfW9H8K9uqM","entity":"payment","amount":100,"currency":"INR","status":"captured","method":"upi"}}},"created_at":1768471200}"#,
        headers: &[("X-Razorpay-Event-Id", "JmXzTn1y9kZ2qs")],
    },
};
