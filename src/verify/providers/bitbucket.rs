//! Bitbucket: `X-Hub-Signature: sha256=<hex>`, HMAC-SHA256 of the raw body keyed with the
//! webhook's secret; told from Intercom by Bitbucket's `X-Event-Key`. No timestamp.
//! Docs: <https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/#Secure-webhooks>.

use crate::verify::Scheme;
use crate::verify::provider::{Check, Encoding, Provider, Sample, has};

/// Bitbucket.
pub const PROVIDER: Provider = Provider {
    name: "bitbucket",
    title: "Bitbucket",
    headers: &["X-Hub-Signature", "X-Event-Key"],
    algorithm: Scheme::HmacSha256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/#Secure-webhooks",
    secret: "the webhook's secret",
    signs: "the raw body",
    encoding: Encoding::Hex,
    detect: |req| has(req, "X-Hub-Signature") && has(req, "X-Event-Key"),
    check: Check::BodyHeader {
        header: "X-Hub-Signature",
        prefix: "sha256=",
    },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"repository":{"type":"repository","full_name":"team/repo","uuid":"{a0c1d5f3-2b4e-4d6f-8a9b-0c1d2e3f4a5b}"},"actor":{"display_name":"Jane Doe","type":"user"},"push":{"changes":[{"new":{"type":"branch","name":"main","target":{"hash":"709d658dc5b6d6afcd46049c2f332ee3f515a67d"}}}]}}"#,
        headers: &[
            ("X-Event-Key", "repo:push"),
            ("X-Request-UUID", "e1b8b8a4-b8b2-4f0c-a1b3-1c2d3e4f5a6b"),
            ("X-Hook-UUID", "cb1f0a4c-9c3e-4a36-8a0d-9f2e3c4d5e6f"),
        ],
    },
};
