//! One file per provider: its data, and for the ones whose layout is their own, where its
//! signature, timestamp and signed content are (`read`) and how to write them (`write`). The
//! helpers here are what several of them share: splitting `k=v` lists, the URLs a sender may
//! have signed, form parameters.

pub mod bitbucket;
pub mod calendly;
pub mod coinbase;
pub mod discord;
pub mod gitlab;
pub mod hubspot;
pub mod intercom;
pub mod lemonsqueezy;
pub mod linear;
pub mod mailgun;
pub mod mux;
pub mod paddle;
pub mod pagerduty;
pub mod postmark;
pub mod razorpay;
pub mod sendgrid;
pub mod sentry;
pub mod shopify;
pub mod slack;
pub mod square;
pub mod twilio;
pub mod twitch;
pub mod typeform;
mod v0;
pub mod vercel;
pub mod woocommerce;
pub mod zoom;

use super::provider::{Request, Unreadable};

/// The items of a `k=v` list split on `sep` (spaces around items ignored), as pairs; items
/// without `=` are skipped.
pub(crate) fn pairs(value: &[u8], sep: u8) -> Vec<(&[u8], &[u8])> {
    value
        .split(|b| *b == sep)
        .map(<[u8]>::trim_ascii)
        .filter_map(|item| {
            let eq = item.iter().position(|b| *b == b'=')?;
            Some((&item[..eq], &item[eq + 1..]))
        })
        .collect()
}

/// The value of header `name`, or the claim cannot be read.
pub(crate) fn need<'a>(req: &Request<'a>, name: &str) -> Result<&'a [u8], Unreadable> {
    req.header(name)
        .ok_or_else(|| Unreadable::Missing(format!("{name} header")))
}

/// The URLs the sender may have addressed, most likely first: through the relay the public URL
/// it was given; otherwise `X-Forwarded-Proto`/`X-Forwarded-Host` or `Host`, each scheme when
/// none says which, with and without the default port (as Twilio's own validator tries).
pub(crate) fn urls(req: &Request<'_>) -> Vec<String> {
    let target = req.target();
    if let Some(base) = req.base {
        return vec![format!("{}{target}", base.trim_end_matches('/'))];
    }
    let text = |name: &str| {
        req.header(name)
            .and_then(|v| std::str::from_utf8(v).ok())
            .map(|v| v.split(',').next().unwrap_or(v).trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let Some(host) = text("X-Forwarded-Host").or_else(|| text("Host")) else {
        return Vec::new();
    };
    let schemes = match text("X-Forwarded-Proto") {
        Some(proto) => vec![proto.to_ascii_lowercase()],
        None => vec!["https".to_string(), "http".to_string()],
    };
    let mut out = Vec::new();
    for scheme in &schemes {
        let default = if scheme == "https" { "443" } else { "80" };
        let bare = match host.rsplit_once(':') {
            Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                h.to_string()
            }
            _ => host.clone(),
        };
        for h in [host.clone(), bare.clone(), format!("{bare}:{default}")] {
            let url = format!("{scheme}://{h}{target}");
            if !out.contains(&url) {
                out.push(url);
            }
        }
    }
    out
}

/// A random version-4 UUID in its usual text form, as the ids in providers' and Cyberdesk's
/// webhooks are.
pub fn new_uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Form parameters of a `application/x-www-form-urlencoded` body, decoded.
pub(crate) fn form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Whether the request's content type is a URL-encoded form.
pub(crate) fn is_form(content_type: Option<&[u8]>) -> bool {
    content_type.is_some_and(|ct| {
        String::from_utf8_lossy(ct)
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(headers: &'a [(String, Vec<u8>)], base: Option<&'a str>) -> Request<'a> {
        Request {
            path: "/twilio/sms",
            query: Some("a=1"),
            base,
            ..Request::post(headers, b"")
        }
    }

    #[test]
    fn urls_follow_the_forwarded_headers_or_try_both_schemes_and_ports() {
        let h = |pairs: &[(&str, &str)]| -> Vec<(String, Vec<u8>)> {
            pairs
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect()
        };
        let plain = h(&[("Host", "example.com")]);
        assert_eq!(
            urls(&req(&plain, None)),
            [
                "https://example.com/twilio/sms?a=1",
                "https://example.com:443/twilio/sms?a=1",
                "http://example.com/twilio/sms?a=1",
                "http://example.com:80/twilio/sms?a=1",
            ]
        );
        let proxied = h(&[
            ("Host", "127.0.0.1:8080"),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "abc.ngrok.app"),
        ]);
        assert_eq!(
            urls(&req(&proxied, None))[0],
            "https://abc.ngrok.app/twilio/sms?a=1"
        );
        let ported = h(&[("Host", "127.0.0.1:8080"), ("X-Forwarded-Proto", "http")]);
        assert_eq!(
            urls(&req(&ported, None)),
            [
                "http://127.0.0.1:8080/twilio/sms?a=1",
                "http://127.0.0.1/twilio/sms?a=1",
                "http://127.0.0.1:80/twilio/sms?a=1",
            ]
        );
        let relayed = urls(&req(&plain, Some("https://relay.example/c/abc/")));
        assert_eq!(relayed, ["https://relay.example/c/abc/twilio/sms?a=1"]);
    }
}
