//! Twilio: `X-Twilio-Signature: <base64>`, HMAC-SHA1 of the full URL Twilio requested followed
//! by every form parameter, sorted by name, as `{name}{value}`, keyed with the account's auth
//! token. A JSON body is covered instead by the URL's `bodySHA256` parameter (hex SHA-256 of the
//! body). With `X-Twilio-Webhooks-Signature-Settings: …algorithm=HMAC_SHA256` the HMAC is
//! SHA-256. The URL is the one the sender used: through hookpit's relay the public one; else it
//! is rebuilt from the `Host` headers, with and without the port, as Twilio's validator tries.
//! No timestamp.
//! Docs: <https://www.twilio.com/docs/usage/webhooks/webhooks-security#validating-signatures-from-twilio>.

use sha2::{Digest, Sha256};

use super::{form, is_form, need, pairs, urls};
use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Unreadable, has,
};

const SIGNATURE: &str = "X-Twilio-Signature";
const SETTINGS: &str = "X-Twilio-Webhooks-Signature-Settings";

/// Twilio.
pub const PROVIDER: Provider = Provider {
    name: "twilio",
    title: "Twilio",
    headers: &[SIGNATURE],
    algorithm: Scheme::HmacSha1,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://www.twilio.com/docs/usage/webhooks/webhooks-security#validating-signatures-from-twilio",
    secret: "the account's auth token",
    signs: "the full URL followed by the sorted form parameters",
    encoding: Encoding::Base64,
    detect: |req| has(req, SIGNATURE),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/x-www-form-urlencoded",
        body: "ToCountry=US&ToState=CA&SmsMessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&NumMedia=0&SmsSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&SmsStatus=received&Body=Hello+from+hookpit&To=%2B15557654321&NumSegments=1&MessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&AccountSid=ACe497b6aa2e8fcf5fe8a8b3e2b0a8d123&From=%2B15551234567&ApiVersion=2010-04-01",
        headers: &[(
            "I-Twilio-Idempotency-Token",
            "a2c5d0b4-6e3f-4a1b-9c8d-7e6f5a4b3c2d",
        )],
    },
};

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    let value = need(req, SIGNATURE)?;
    let sig = Encoding::Base64
        .decode(value)
        .ok_or_else(|| Unreadable::Malformed(format!("The {SIGNATURE} header is not base64.")))?;
    let sha256 = req.header(SETTINGS).is_some_and(|v| {
        pairs(v, b',')
            .iter()
            .any(|(k, v)| *k == b"algorithm" && v.eq_ignore_ascii_case(b"HMAC_SHA256"))
    });
    let query: Vec<(String, String)> = form(req.query.unwrap_or_default().as_bytes());
    let body_hash = query
        .iter()
        .find(|(k, _)| k == "bodySHA256")
        .map(|(_, v)| v);
    let suffix = match body_hash {
        // A JSON body: only the URL is signed, and its bodySHA256 must be the body's hash.
        Some(hash) if hash.eq_ignore_ascii_case(&hex::encode(Sha256::digest(req.body))) => {
            Some(String::new())
        }
        Some(_) => None,
        None if is_form(req.header("content-type")) => Some(sorted_params(req.body)),
        None => Some(String::new()),
    };
    Ok(Claim {
        signatures: vec![sig],
        contents: match suffix {
            Some(suffix) => (urls(req).into_iter())
                .map(|url| format!("{url}{suffix}").into_bytes())
                .collect(),
            None => Vec::new(),
        },
        written: value.to_vec(),
        algorithm: sha256.then_some(Scheme::HmacSha256),
        ..Claim::default()
    })
}

/// `{name}{value}` for each distinct form parameter, sorted by name then value.
fn sorted_params(body: &[u8]) -> String {
    let mut params = form(body);
    params.sort();
    params.dedup();
    params.into_iter().map(|(k, v)| k + &v).collect()
}

fn write(out: &mut Outgoing, sign: Signer<'_>, _now: i64) {
    let params = match is_form(out.headers.get("content-type")) {
        true => sorted_params(&out.body),
        false => String::new(),
    };
    let sig = sign(format!("{}{params}", out.url).as_bytes());
    out.headers.set(SIGNATURE, Encoding::Base64.encode(&sig));
}
