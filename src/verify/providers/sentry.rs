//! Sentry: `Sentry-Hook-Signature`, hex HMAC-SHA256 of the raw body keyed with the
//! integration's client secret. `Sentry-Hook-Timestamp` is sent but not signed, so not judged.
//! Docs: <https://docs.sentry.io/organization/integrations/integration-platform/webhooks/#sentry-hook-signature>.

use crate::verify::Scheme;
use crate::verify::provider::{Check, Encoding, Provider, Sample, has};

/// Sentry.
pub const PROVIDER: Provider = Provider {
    name: "sentry",
    title: "Sentry",
    headers: &["Sentry-Hook-Signature", "Sentry-Hook-Resource"],
    algorithm: Scheme::HmacSha256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://docs.sentry.io/organization/integrations/integration-platform/webhooks/#sentry-hook-signature",
    secret: "the integration's client secret",
    signs: "the raw body",
    encoding: Encoding::Hex,
    detect: |req| has(req, "Sentry-Hook-Signature"),
    check: Check::BodyHeader {
        header: "Sentry-Hook-Signature",
        prefix: "",
    },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"action":"created","installation":{"uuid":"7a485448-a9e2-4c85-8a3c-4f44175783c9"},"data":{"issue":{"id":"1170820242","title":"Error: Bad thing happened","culprit":"raven.scripts.runner in main","level":"error","status":"unresolved","project":{"slug":"front-end","id":"1"}}},"actor":{"type":"application","id":"sentry","name":"Sentry"}}"#,
        headers: &[
            ("Sentry-Hook-Resource", "issue"),
            ("Sentry-Hook-Timestamp", "1768471200"),
        ],
    },
};
