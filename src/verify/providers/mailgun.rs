//! Mailgun: no signature header; the body carries `signature: {timestamp, token, signature}`
//! (JSON webhooks) or `timestamp`, `token` and `signature` fields (form posts), the signature
//! being hex HMAC-SHA256 of `{timestamp}{token}` keyed with the HTTP webhook signing key.
//! Mailgun sets no limit on the timestamp's age (it advises caching tokens instead).
//! Docs: <https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks>.

use serde_json::Value;

use super::{form, is_form};
use crate::verify::Scheme;
use crate::verify::provider::{
    Check, Claim, Encoding, Outgoing, Provider, Request, Sample, Signer, Stamp, Unreadable,
};

/// Mailgun.
pub const PROVIDER: Provider = Provider {
    name: "mailgun",
    title: "Mailgun",
    headers: &["(body) signature.signature", "(body) signature.token"],
    algorithm: Scheme::HmacSha256,
    tolerance_s: None,
    rejects_future: true,
    docs: "https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks",
    secret: "the HTTP webhook signing key",
    signs: "{timestamp}{token}",
    encoding: Encoding::Hex,
    detect: |req| fields(req).is_some(),
    check: Check::Custom { read, write },
    sample: Sample {
        content_type: "application/json",
        body: r#"{"signature":{"timestamp":"1768471200","token":"","signature":""},"event-data":{"id":"CPgfbmQMTCKtHW6uIWtuVe","timestamp":1768471200.0,"event":"delivered","recipient":"alice@example.com","message":{"headers":{"message-id":"20130503182626.18666.16540@sandbox.mailgun.org","subject":"Test delivered webhook"}}}}"#,
        headers: &[],
    },
};

/// `(timestamp, token, signature)` from the body, JSON or form.
fn fields(req: &Request<'_>) -> Option<(String, String, String)> {
    let text = |v: Option<&Value>| -> Option<String> {
        match v? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    if req.body.first() == Some(&b'{') {
        // Every unsigned JSON webhook reaches this check: parse only a body that names both.
        let names = |needle: &[u8]| memchr::memmem::find(req.body, needle).is_some();
        if !(names(b"\"signature\"") && names(b"\"token\"")) {
            return None;
        }
        let json: Value = serde_json::from_slice(req.body).ok()?;
        let sig = json.get("signature")?;
        return Some((
            text(sig.get("timestamp"))?,
            text(sig.get("token"))?,
            text(sig.get("signature"))?,
        ));
    }
    if !is_form(req.header("content-type")) {
        return None;
    }
    let params = form(req.body);
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    Some((get("timestamp")?, get("token")?, get("signature")?))
}

fn read(req: &Request<'_>) -> Result<Claim, Unreadable> {
    let (ts, token, sig) = fields(req).ok_or_else(|| {
        Unreadable::Missing("body's signature (timestamp, token, signature)".to_string())
    })?;
    let decoded = Encoding::Hex.decode(sig.as_bytes()).ok_or_else(|| {
        Unreadable::Malformed("The body's signature.signature is not hex.".to_string())
    })?;
    Ok(Claim {
        signatures: vec![decoded],
        contents: vec![format!("{ts}{token}").into_bytes()],
        timestamp: Some(Stamp::unix("body's signature.timestamp", ts.as_bytes())),
        written: sig.into_bytes(),
        ..Claim::default()
    })
}

/// Fills the JSON body's `signature` object with a fresh token, `now` and their signature.
fn write(out: &mut Outgoing, sign: Signer<'_>, now: i64) {
    let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(&out.body) else {
        return;
    };
    let ts = now.to_string();
    let token = hex::encode(rand::random::<[u8; 25]>());
    let sig = hex::encode(sign(format!("{ts}{token}").as_bytes()));
    body.insert(
        "signature".into(),
        serde_json::json!({"timestamp": ts, "token": token, "signature": sig}),
    );
    out.body = serde_json::to_vec(&body).unwrap_or_default();
}
