//! Paddle Billing: `Paddle-Signature: ts=<unix s>;h1=<hex>`, HMAC-SHA256 of `{ts}:{body}` keyed
//! with the notification destination's secret key (several `h1` while a secret rotates). Its SDK
//! (`@paddle/paddle-node-sdk`) rejects timestamps over 5 seconds old.
//! Docs: <https://developer.paddle.com/webhooks/signature-verification>.

use super::{need, pairs};
use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Stamp, Unreadable, has,
};

const SIGNATURE: &str = "Paddle-Signature";

/// Paddle Billing.
pub const PROVIDER: Provider = Provider {
    name: "paddle",
    title: "Paddle",
    headers: &[SIGNATURE],
    algorithm: Scheme::HmacSha256,
    tolerance_s: Some(5),
    rejects_future: false,
    docs: "https://developer.paddle.com/webhooks/signature-verification",
    secret: "the notification destination's secret key (pdl_ntfset_…)",
    signs: "{ts}:{body}",
    encoding: Encoding::Hex,
    detect: |req| has(req, SIGNATURE),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"event_id":"evt_01hv8x2acma2gz3he6ysenjxc6","event_type":"transaction.completed","occurred_at":"2026-01-15T10:00:00.000000Z","notification_id":"ntf_01hv8x2af0pq2h7e2eqy5g4k2n","data":{"id":"txn_01hv8wptq8987qeep44cyrewp9","status":"completed","customer_id":"ctm_01hv8wt8nffez4p2t6typn4a5j","currency_code":"USD","details":{"totals":{"total":"2400","currency_code":"USD"}}}}"#,
        headers: &[],
    },
};

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    let value = need(req, SIGNATURE)?;
    let items = pairs(value, b';');
    let ts = items.iter().find(|(k, _)| *k == b"ts").map(|(_, v)| *v);
    let sigs: Vec<Vec<u8>> = (items.iter())
        .filter(|(k, _)| *k == b"h1")
        .filter_map(|(_, v)| Encoding::Hex.decode(v))
        .collect();
    let (Some(ts), false) = (ts, sigs.is_empty()) else {
        return Err(Unreadable::Malformed(format!(
            "The {SIGNATURE} header is not \"ts=<unix seconds>;h1=<hex>\"."
        )));
    };
    Ok(Claim {
        signatures: sigs,
        contents: vec![[ts, b":", req.body].concat()],
        timestamp: Some(Stamp::unix(format!("{SIGNATURE} ts= value"), ts)),
        ..Claim::default()
    })
}

fn write(out: &mut Outgoing, sign: Signer<'_>, now: i64) {
    let ts = now.to_string();
    let sig = sign(&[ts.as_bytes(), b":", &out.body].concat());
    out.headers
        .set(SIGNATURE, format!("ts={ts};h1={}", hex::encode(sig)));
}
