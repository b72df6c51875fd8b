//! Typeform: `Typeform-Signature: sha256=<base64>`, HMAC-SHA256 of the raw body keyed with
//! the webhook's secret. No timestamp.
//! Docs: <https://www.typeform.com/developers/webhooks/secure-your-webhooks/>.

use crate::verify::Scheme;
use crate::verify::provider::{Check, Encoding, Provider, Sample, has};

/// Typeform.
pub const PROVIDER: Provider = Provider {
    name: "typeform",
    title: "Typeform",
    headers: &["Typeform-Signature"],
    algorithm: Scheme::HmacSha256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://www.typeform.com/developers/webhooks/secure-your-webhooks/",
    secret: "the webhook's secret",
    signs: "the raw body",
    encoding: Encoding::Base64,
    detect: |req| has(req, "Typeform-Signature"),
    check: Check::BodyHeader {
        header: "Typeform-Signature",
        prefix: "sha256=",
    },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"event_id":"01HKX5J8Y2Q6W9R3T7N4M1P0ZS","event_type":"form_response","form_response":{"form_id":"lT4Z3j","token":"a3a12ec67a1365927098a606107fac15","submitted_at":"2026-01-15T10:00:00Z","answers":[{"type":"text","text":"Lorem ipsum","field":{"id":"SMEUb7VJz92Q","type":"short_text"}}]}}"#,
        headers: &[],
    },
};
