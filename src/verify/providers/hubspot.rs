//! HubSpot (signature v3): `X-HubSpot-Signature-v3: <base64>`, HMAC-SHA256 of
//! `{method}{URL}{body}{timestamp}` keyed with the app's client secret;
//! `X-HubSpot-Request-Timestamp` in unix milliseconds, rejected when over 5 minutes old.
//! Docs: <https://developers.hubspot.com/docs/api/webhooks/validating-requests>.

use super::{need, urls};
use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Stamp, Unreadable, has,
};

const SIGNATURE: &str = "X-HubSpot-Signature-v3";
const TIMESTAMP: &str = "X-HubSpot-Request-Timestamp";

/// HubSpot.
pub const PROVIDER: Provider = Provider {
    name: "hubspot",
    title: "HubSpot",
    headers: &[SIGNATURE, TIMESTAMP],
    algorithm: Scheme::HmacSha256,
    tolerance_s: Some(300),
    rejects_future: false,
    docs: "https://developers.hubspot.com/docs/api/webhooks/validating-requests",
    secret: "the app's client secret",
    signs: "{method}{URL}{body}{timestamp}",
    encoding: Encoding::Base64,
    detect: |req| has(req, SIGNATURE),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json",
        body: r#"[{"eventId":1,"subscriptionId":4567,"portalId":62515,"appId":54321,"occurredAt":1768471200000,"subscriptionType":"contact.propertyChange","attemptNumber":0,"objectId":123,"propertyName":"firstname","propertyValue":"Jane","changeSource":"CRM"}]"#,
        headers: &[],
    },
};

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    let value = need(req, SIGNATURE)?;
    let ts = need(req, TIMESTAMP)?;
    let sig = Encoding::Base64
        .decode(value)
        .ok_or_else(|| Unreadable::Malformed(format!("The {SIGNATURE} header is not base64.")))?;
    Ok(Claim {
        signatures: vec![sig],
        contents: (urls(req).into_iter())
            .map(|url| [req.method.as_bytes(), url.as_bytes(), req.body, ts].concat())
            .collect(),
        timestamp: Some(Stamp::unix_ms(format!("{TIMESTAMP} header"), ts)),
        written: value.to_vec(),
        ..Claim::default()
    })
}

fn write(out: &mut Outgoing, sign: Signer<'_>, now: i64) {
    let ts = (now * 1000).to_string();
    let content = [
        out.method.as_bytes(),
        out.url.as_bytes(),
        &out.body,
        ts.as_bytes(),
    ]
    .concat();
    let sig = sign(&content);
    out.headers.set(TIMESTAMP, ts);
    out.headers.set(SIGNATURE, Encoding::Base64.encode(&sig));
}
