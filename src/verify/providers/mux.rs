//! Mux: `Mux-Signature: t=<unix s>,v1=<hex>`, HMAC-SHA256 of `{t}.{body}` keyed with the
//! webhook's signing secret; `@mux/mux-node` rejects timestamps over 5 minutes old.
//! Docs: <https://www.mux.com/docs/core/verify-webhook-signatures>.

use super::calendly::{read_t_v1, write_t_v1};
use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Unreadable, has,
};

const SIGNATURE: &str = "Mux-Signature";

/// Mux.
pub const PROVIDER: Provider = Provider {
    name: "mux",
    title: "Mux",
    headers: &[SIGNATURE],
    algorithm: Scheme::HmacSha256,
    tolerance_s: Some(300),
    rejects_future: false,
    docs: "https://www.mux.com/docs/core/verify-webhook-signatures",
    secret: "the webhook's signing secret",
    signs: "{t}.{body}",
    encoding: Encoding::Hex,
    detect: |req| has(req, SIGNATURE),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"type":"video.asset.ready","object":{"type":"asset","id":"0201p02fGKPE7MrbC269XRD7LpcHhrmbu0002"},"id":"3a56ac3d-33da-4366-855b-f592d898409d","environment":{"name":"Demo","id":"j0863n"},"data":{"status":"ready","playback_ids":[{"policy":"public","id":"YcRdcZtiFvKvjW00bkMxBVQP02LhTKVZrn"}],"duration":23.8},"created_at":"2026-01-15T10:00:00.000000Z"}"#,
        headers: &[],
    },
};

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    read_t_v1(req, SIGNATURE)
}

fn write(out: &mut Outgoing, sign: Signer<'_>, now: i64) {
    write_t_v1(out, sign, now, SIGNATURE);
}
