//! Shopify: `X-Shopify-Hmac-Sha256`, base64 HMAC-SHA256 of the raw body keyed with
//! the app's client secret. No timestamp is signed (`X-Shopify-Triggered-At` is informational).
//! Docs: <https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-2-validate-the-origin-of-your-webhook>.

use crate::verify::Scheme;
use crate::verify::provider::{Check, Encoding, Provider, Sample, has};

/// Shopify.
pub const PROVIDER: Provider = Provider {
    name: "shopify",
    title: "Shopify",
    headers: &[
        "X-Shopify-Hmac-Sha256",
        "X-Shopify-Topic",
        "X-Shopify-Webhook-Id",
    ],
    algorithm: Scheme::HmacSha256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-2-validate-the-origin-of-your-webhook",
    secret: "the app's client secret",
    signs: "the raw body",
    encoding: Encoding::Base64,
    detect: |req| has(req, "X-Shopify-Hmac-Sha256"),
    check: Check::BodyHeader {
        header: "X-Shopify-Hmac-Sha256",
        prefix: "",
    },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"id":820982911946154508,"email":"jon@example.com","created_at":"2026-01-15T10:00:00-05:00","total_price":"199.00","currency":"USD","financial_status":"paid","line_items":[{"id":866550311766439020,"title":"IPod Nano - 8GB","quantity":1,"price":"199.00"}]}"#,
        headers: &[
            ("X-Shopify-Topic", "orders/create"),
            ("X-Shopify-Shop-Domain", "example.myshopify.com"),
            ("X-Shopify-API-Version", "2025-01"),
            (
                "X-Shopify-Webhook-Id",
                "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            ),
        ],
    },
};
