//! Zoom: `x-zm-signature: v0=<hex>`, HMAC-SHA256 of `v0:{timestamp}:{body}` keyed with the
//! app's secret token; `x-zm-request-timestamp` in unix seconds. Zoom's docs set no limit on
//! its age, so hookpit reports the skew without judging it.
//! Docs: <https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events>.

use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Unreadable, has,
};

const SIGNATURE: &str = "x-zm-signature";
const TIMESTAMP: &str = "x-zm-request-timestamp";

/// Zoom.
pub const PROVIDER: Provider = Provider {
    name: "zoom",
    title: "Zoom",
    headers: &[SIGNATURE, TIMESTAMP],
    algorithm: Scheme::HmacSha256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events",
    secret: "the app's secret token",
    signs: "v0:{timestamp}:{body}",
    encoding: Encoding::Hex,
    detect: |req| has(req, SIGNATURE),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"event":"meeting.started","event_ts":1768471200000,"payload":{"account_id":"AAAAAABBBB","object":{"id":"1234567890","uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"x1yCzABCDEfg23HiJKl4mN","topic":"My Meeting","type":2,"start_time":"2026-01-15T10:00:00Z","timezone":"America/Los_Angeles","duration":60}}}"#,
        headers: &[],
    },
};

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    super::v0::read(req, SIGNATURE, TIMESTAMP)
}

fn write(out: &mut Outgoing, sign: Signer<'_>, now: i64) {
    super::v0::write(out, sign, now, SIGNATURE, TIMESTAMP);
}
