//! Square: `x-square-hmacsha256-signature: <base64>`, HMAC-SHA256 of `{notification URL}{body}`
//! keyed with the subscription's signature key; the URL is the one Square was given (through
//! hookpit's relay, the public one). No timestamp.
//! Docs: <https://developer.squareup.com/docs/webhooks/step3validate>.

use super::{need, urls};
use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Unreadable, has,
};

const SIGNATURE: &str = "x-square-hmacsha256-signature";

/// Square.
pub const PROVIDER: Provider = Provider {
    name: "square",
    title: "Square",
    headers: &[SIGNATURE],
    algorithm: Scheme::HmacSha256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://developer.squareup.com/docs/webhooks/step3validate",
    secret: "the subscription's signature key",
    signs: "the notification URL followed by the raw body",
    encoding: Encoding::Base64,
    detect: |req| has(req, SIGNATURE),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"merchant_id":"6SSW7HV8K2ST5","type":"payment.updated","event_id":"13b867cf-db3d-4b1c-90b6-2f32a9d78124","created_at":"2026-01-15T10:00:00.000Z","data":{"type":"payment","id":"KkAkhdMsgzn59SM8A89WgKwekxLZY","object":{"payment":{"id":"KkAkhdMsgzn59SM8A89WgKwekxLZY","amount_money":{"amount":100,"currency":"USD"},"status":"COMPLETED"}}}}"#,
        headers: &[("Square-Environment", "Sandbox")],
    },
};

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    let value = need(req, SIGNATURE)?;
    let sig = Encoding::Base64
        .decode(value)
        .ok_or_else(|| Unreadable::Malformed(format!("The {SIGNATURE} header is not base64.")))?;
    Ok(Claim {
        signatures: vec![sig],
        contents: (urls(req).into_iter())
            .map(|url| [url.as_bytes(), req.body].concat())
            .collect(),
        written: value.to_vec(),
        ..Claim::default()
    })
}

fn write(out: &mut Outgoing, sign: Signer<'_>, _now: i64) {
    let sig = sign(&[out.url.as_bytes(), &out.body].concat());
    out.headers.set(SIGNATURE, Encoding::Base64.encode(&sig));
}
