//! SendGrid (Event Webhook): `X-Twilio-Email-Event-Webhook-Signature: <base64 DER>`, an ECDSA
//! P-256 / SHA-256 signature of `{timestamp}{body}` by SendGrid, checked with the verification
//! key (base64 public key, as the settings page shows it); no limit on the timestamp's age.
//! Docs: <https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features>.

use super::need;
use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Stamp, Unreadable, has,
};

const SIGNATURE: &str = "X-Twilio-Email-Event-Webhook-Signature";
const TIMESTAMP: &str = "X-Twilio-Email-Event-Webhook-Timestamp";

/// SendGrid.
pub const PROVIDER: Provider = Provider {
    name: "sendgrid",
    title: "SendGrid",
    headers: &[SIGNATURE, TIMESTAMP],
    algorithm: Scheme::EcdsaP256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features",
    secret: "the Event Webhook's verification key (base64 public key, MFkw…)",
    signs: "{timestamp}{body}",
    encoding: Encoding::Base64,
    detect: |req| has(req, SIGNATURE),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json",
        body: r#"[{"email":"example@test.com","timestamp":1768471200,"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"delivered","category":"cat facts","sg_event_id":"rbtnWrG1DVDGGGFHFyun0A==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0","response":"250 OK"}]"#,
        headers: &[],
    },
};

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    let value = need(req, SIGNATURE)?;
    let ts = need(req, TIMESTAMP)?;
    let sig = Encoding::Base64.decode(value).ok_or_else(|| {
        Unreadable::Malformed(format!(
            "The {SIGNATURE} header is not base64 (a DER ECDSA signature)."
        ))
    })?;
    Ok(Claim {
        signatures: vec![sig],
        contents: vec![[ts, req.body].concat()],
        timestamp: Some(Stamp::unix(format!("{TIMESTAMP} header"), ts)),
        written: value.to_vec(),
        ..Claim::default()
    })
}

fn write(out: &mut Outgoing, sign: Signer<'_>, now: i64) {
    let ts = now.to_string();
    let sig = sign(&[ts.as_bytes(), &out.body].concat());
    out.headers.set(TIMESTAMP, ts);
    out.headers.set(SIGNATURE, Encoding::Base64.encode(&sig));
}
