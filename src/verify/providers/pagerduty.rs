//! PagerDuty (v3 webhooks): `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of the
//! raw body keyed with the subscription's secret, one entry per active secret. No timestamp.
//! Docs: <https://developer.pagerduty.com/docs/webhooks-overview#webhook-signatures>.

use super::{need, pairs};
use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Unreadable, has,
};

const SIGNATURE: &str = "X-PagerDuty-Signature";

/// PagerDuty.
pub const PROVIDER: Provider = Provider {
    name: "pagerduty",
    title: "PagerDuty",
    headers: &[SIGNATURE],
    algorithm: Scheme::HmacSha256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://developer.pagerduty.com/docs/webhooks-overview#webhook-signatures",
    secret: "the webhook subscription's secret",
    signs: "the raw body",
    encoding: Encoding::Hex,
    detect: |req| has(req, SIGNATURE),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"event":{"id":"5ac64822-4adc-4fda-ade0-410becf0de4f","event_type":"incident.priority_updated","resource_type":"incident","occurred_at":"2026-01-15T10:00:00.000Z","agent":{"id":"PLH1HKV","type":"user_reference"},"data":{"id":"PGR0VU2","type":"incident","title":"A little bump in the road","status":"triggered","urgency":"high"}}}"#,
        headers: &[("X-Webhook-Id", "bcc1a5d1-2e16-4ea9-a2b5-6a3e4d6b8a12")],
    },
};

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    let value = need(req, SIGNATURE)?;
    let sigs: Vec<Vec<u8>> = (pairs(value, b',').into_iter())
        .filter(|(k, _)| *k == b"v1")
        .filter_map(|(_, v)| Encoding::Hex.decode(v))
        .collect();
    if sigs.is_empty() {
        return Err(Unreadable::Malformed(format!(
            "The {SIGNATURE} header has no \"v1=<hex>\" entry."
        )));
    }
    Ok(Claim {
        signatures: sigs,
        contents: vec![req.body.to_vec()],
        ..Claim::default()
    })
}

fn write(out: &mut Outgoing, sign: Signer<'_>, _now: i64) {
    let sig = sign(&out.body);
    out.headers
        .set(SIGNATURE, format!("v1={}", hex::encode(sig)));
}
