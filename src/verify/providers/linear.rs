//! Linear: `Linear-Signature: <hex>`, HMAC-SHA256 of the raw body keyed with the webhook's
//! signing secret; the time is the body's `webhookTimestamp` (unix milliseconds), which
//! `@linear/sdk` rejects when over a minute either way.
//! Docs: <https://linear.app/developers/webhooks#securing-webhooks>.

use super::need;
use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Stamp, Unreadable, has,
};

const SIGNATURE: &str = "Linear-Signature";

/// Linear.
pub const PROVIDER: Provider = Provider {
    name: "linear",
    title: "Linear",
    headers: &[SIGNATURE, "Linear-Delivery", "Linear-Event"],
    algorithm: Scheme::HmacSha256,
    tolerance_s: Some(60),
    rejects_future: true,
    docs: "https://linear.app/developers/webhooks#securing-webhooks",
    secret: "the webhook's signing secret (lin_wh_…)",
    signs: "the raw body",
    encoding: Encoding::Hex,
    detect: |req| has(req, SIGNATURE),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json; charset=utf-8",
        body: r#"{"action":"create","type":"Issue","data":{"id":"2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9","title":"Fix the login redirect","identifier":"ENG-42","priority":2,"state":{"name":"Todo"}},"url":"https://linear.app/acme/issue/ENG-42","createdAt":"2026-01-15T10:00:00.000Z","organizationId":"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d","webhookTimestamp":1768471200000,"webhookId":"000042e3-d123-4980-b49f-8e140eef9329"}"#,
        headers: &[
            ("Linear-Delivery", "234d1a4e-b617-4388-90fe-adc3633d6b72"),
            ("Linear-Event", "Issue"),
        ],
    },
};

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    let value = need(req, SIGNATURE)?;
    let sig = Encoding::Hex
        .decode(value)
        .ok_or_else(|| Unreadable::Malformed(format!("The {SIGNATURE} header is not hex.")))?;
    let stamp = serde_json::from_slice::<serde_json::Value>(req.body)
        .ok()
        .and_then(|v| v.get("webhookTimestamp").cloned())
        .map(|ts| Stamp::unix_ms("body's webhookTimestamp", ts.to_string().as_bytes()));
    Ok(Claim {
        signatures: vec![sig],
        contents: vec![req.body.to_vec()],
        timestamp: Some(
            stamp
                .ok_or_else(|| Unreadable::Missing("body's webhookTimestamp field".to_string()))?,
        ),
        written: value.to_vec(),
        ..Claim::default()
    })
}

/// Sets the body's `webhookTimestamp` to `now`, then signs the body.
fn write(out: &mut Outgoing, sign: Signer<'_>, now: i64) {
    if let Ok(serde_json::Value::Object(mut body)) = serde_json::from_slice(&out.body) {
        body.insert("webhookTimestamp".into(), (now * 1000).into());
        out.body = serde_json::to_vec(&body).unwrap_or_default();
    }
    let sig = sign(&out.body);
    out.headers.set(SIGNATURE, hex::encode(sig));
}
