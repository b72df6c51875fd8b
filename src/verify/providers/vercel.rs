//! Vercel: `x-vercel-signature`, hex HMAC-SHA1 of the raw body keyed with the
//! integration's client secret (or the account webhook's secret). No timestamp.
//! Docs: <https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks>.

use crate::verify::Scheme;
use crate::verify::provider::{Check, Encoding, Provider, Sample, has};

/// Vercel.
pub const PROVIDER: Provider = Provider {
    name: "vercel",
    title: "Vercel",
    headers: &["x-vercel-signature"],
    algorithm: Scheme::HmacSha1,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks",
    secret: "the integration's client secret",
    signs: "the raw body",
    encoding: Encoding::Hex,
    detect: |req| has(req, "x-vercel-signature"),
    check: Check::BodyHeader {
        header: "x-vercel-signature",
        prefix: "",
    },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"id":"uev_FxeCbnkXYmzwcmLT5LBGALmK","type":"deployment.succeeded","createdAt":1768471200000,"region":"iad1","payload":{"deployment":{"id":"dpl_89qyp1cskzkLrVicDaZoDbjyHuDJ","url":"my-app-abc123.vercel.app","name":"my-app"},"project":{"id":"prj_12HKQaOmR5t5Uy6vdcQsNIiZgHGB"},"target":"production"}}"#,
        headers: &[],
    },
};
