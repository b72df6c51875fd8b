//! WooCommerce: `X-WC-Webhook-Signature`, base64 HMAC-SHA256 of the raw body keyed with the
//! webhook's secret. No timestamp.
//! Docs: <https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks>.

use crate::verify::Scheme;
use crate::verify::provider::{Check, Encoding, Provider, Sample, has};

/// WooCommerce.
pub const PROVIDER: Provider = Provider {
    name: "woocommerce",
    title: "WooCommerce",
    headers: &["X-WC-Webhook-Signature", "X-WC-Webhook-Topic"],
    algorithm: Scheme::HmacSha256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks",
    secret: "the webhook's secret",
    signs: "the raw body",
    encoding: Encoding::Base64,
    detect: |req| has(req, "X-WC-Webhook-Signature"),
    check: Check::BodyHeader {
        header: "X-WC-Webhook-Signature",
        prefix: "",
    },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"id":727,"parent_id":0,"status":"processing","currency":"USD","date_created":"2026-01-15T10:00:00","total":"29.35","billing":{"first_name":"John","last_name":"Doe","email":"john.doe@example.com"},"line_items":[{"id":315,"name":"Woo Single #1","product_id":93,"quantity":2,"total":"6.00"}]}"#,
        headers: &[
            ("X-WC-Webhook-Source", "https://shop.example.com/"),
            ("X-WC-Webhook-Topic", "order.created"),
            ("X-WC-Webhook-Resource", "order"),
            ("X-WC-Webhook-Event", "created"),
            ("X-WC-Webhook-ID", "12"),
            (
                "X-WC-Webhook-Delivery-ID",
                "3fe2b8c3f14cb6a14e97b81e0b4b4f12",
            ),
        ],
    },
};
