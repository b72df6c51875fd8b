//! The sender, a local Svix: builds a test event (or takes any body), signs it with `svix-*`
//! headers and delivers it, retrying on a schedule with the same id and a fresh timestamp.
//! `hookpit send`, `POST /api/send` and the UI's "Send test event" all go through here.

pub mod args;
mod event;
mod provider;
mod report;
pub mod templates;

use bytes::Bytes;
use chrono::Utc;
use http::{HeaderName, HeaderValue, Method, Request, Uri};
use http_body_util::Full;

use crate::client::{DELIVERY_TIMEOUT, HttpClient};
use crate::schedule::RetrySchedule;
use crate::store::model::Headers;
use crate::verify::Key;
use crate::verify::standard::{new_msg_id, sign};

pub use event::{Event, Payload, RunStatus, Template};
pub use report::{SendReport, TryReport};

/// The `User-Agent` of every send, shaped like Svix's own (`Svix-Webhooks/<version>`).
pub const USER_AGENT: &str = concat!(
    "Svix-Webhooks/1.0 (hookpit/",
    env!("CARGO_PKG_VERSION"),
    ")"
);
/// How much of each response is kept, as for forward attempts.
pub const RESPONSE_LIMIT: usize = 64 * 1024;

/// Why a message cannot be built; every case is the caller's input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No key given, or only `whpk_` public keys.
    #[error(
        "no key can sign: give a whsec_ secret or a whsk_ signing key (a whpk_ key only verifies)"
    )]
    NoSigningKey,
    /// A custom header that HTTP does not allow.
    #[error("header {0:?} is not a valid `Name: value` header")]
    BadHeader(String),
    /// An empty message id or one with characters a header cannot carry.
    #[error("message id {0:?} must be non-empty visible ASCII without spaces, like msg_…")]
    BadId(String),
    /// A target that is not an `http://` or `https://` URL.
    #[error("{0}")]
    BadTarget(String),
    /// `--status` or `--checks-fail` with a template other than `run_complete`.
    #[error("{0} applies to the run_complete template only")]
    NotRunComplete(&'static str),
    /// `--provider` with no key that can sign for it.
    #[error("{0}")]
    Provider(String),
}

/// How messages are signed and dressed, beyond their bodies.
#[derive(Debug, Clone, Default)]
pub struct Signing {
    /// Every key that can sign adds one entry to `svix-signature` (rotation sends two).
    pub keys: Vec<Key>,
    /// A fixed `svix-id`; a fresh `msg_…` per message when `None`.
    pub msg_id: Option<String>,
    /// A fixed `svix-timestamp`; the time of each try when `None`.
    pub timestamp: Option<i64>,
    /// Extra headers; each replaces a default header of the same name.
    pub headers: Vec<(String, String)>,
}

/// One message, ready to sign and send any number of times.
#[derive(Debug, Clone)]
pub struct Message {
    /// `svix-id`, the same on every try.
    pub msg_id: String,
    /// The body, sent byte for byte.
    pub body: Bytes,
    /// Fixed `svix-timestamp`, if any.
    pub timestamp: Option<i64>,
    keys: Vec<Key>,
    headers: Vec<(String, String)>,
    method: Method,
    /// A fixture's headers, re-signed for each try instead of the sender's own.
    original: Option<Headers>,
    /// Signed as this provider signs (`--provider`) instead of as Svix.
    provider: Option<&'static crate::verify::Provider>,
}

impl Message {
    /// Checks the id, headers and that some key can sign.
    pub fn new(body: Bytes, signing: &Signing) -> Result<Message, SendError> {
        let message = Message::new_unsigned(body, signing)?;
        if sign(&message.msg_id, 0, b"", &signing.keys).is_none() {
            return Err(SendError::NoSigningKey);
        }
        Ok(message)
    }

    /// Checks the id and headers; whoever signs checks the keys.
    fn new_unsigned(body: Bytes, signing: &Signing) -> Result<Message, SendError> {
        let msg_id = match &signing.msg_id {
            Some(id) if id.is_empty() || !id.bytes().all(|b| b.is_ascii_graphic()) => {
                return Err(SendError::BadId(id.clone()));
            }
            Some(id) => id.clone(),
            None => new_msg_id(),
        };
        for (name, value) in &signing.headers {
            if HeaderName::from_bytes(name.as_bytes()).is_err()
                || HeaderValue::from_str(value).is_err()
            {
                return Err(SendError::BadHeader(format!("{name}: {value}")));
            }
        }
        Ok(Message {
            msg_id,
            body,
            timestamp: signing.timestamp,
            keys: signing.keys.clone(),
            headers: signing.headers.clone(),
            method: Method::POST,
            original: None,
            provider: None,
        })
    }

    /// A captured webhook sent again as it was (method, headers in order, body), its signature
    /// made fresh for each try with `signing`'s keys in the scheme it already used
    /// ([`crate::verify::resign`], as a replay does). Its message id stays.
    pub fn fixture(
        record: &crate::archive::Record,
        signing: &Signing,
    ) -> Result<Message, SendError> {
        let mut headers = crate::headers::end_to_end(&record.headers);
        headers.remove("host");
        let msg_id = (headers.get_str("svix-id"))
            .or_else(|| headers.get_str("webhook-id"))
            .map_or_else(new_msg_id, str::to_string);
        if crate::verify::resign(&headers, &record.body, &signing.keys, false, 0).is_none()
            || sign(&msg_id, 0, b"", &signing.keys).is_none()
        {
            return Err(SendError::NoSigningKey);
        }
        let method = Method::from_bytes(record.method.as_bytes())
            .map_err(|_| SendError::BadHeader(format!("method {}", record.method)))?;
        Ok(Message {
            msg_id,
            body: record.body.clone(),
            timestamp: signing.timestamp,
            keys: signing.keys.clone(),
            headers: Vec::new(),
            method,
            original: Some(headers),
            provider: None,
        })
    }

    /// The headers of a try signed at `timestamp`, in the order they are sent.
    pub fn headers(&self, timestamp: i64) -> Headers {
        if let Some(original) = &self.original {
            // `fixture` checked that the keys sign in this scheme.
            return crate::verify::resign(original, &self.body, &self.keys, false, timestamp)
                .unwrap_or_else(|| original.clone());
        }
        // `new` checked that some key signs, so there is always a signature.
        let signature = sign(&self.msg_id, timestamp, &self.body, &self.keys).unwrap_or_default();
        let defaults = [
            ("user-agent", USER_AGENT.to_string()),
            ("content-type", "application/json".to_string()),
            ("svix-id", self.msg_id.clone()),
            ("svix-timestamp", timestamp.to_string()),
            ("svix-signature", signature),
        ];
        let replaced = |name: &str| {
            self.headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        defaults
            .into_iter()
            .filter(|(name, _)| !replaced(name))
            .map(|(n, v)| (n.to_string(), v.into_bytes()))
            .chain(
                self.headers
                    .iter()
                    .map(|(n, v)| (n.clone(), v.as_bytes().to_vec())),
            )
            .collect()
    }

    /// The headers and body of a try to `target` signed at `timestamp` (a provider may sign
    /// the URL, or inside the body).
    pub fn signed(&self, target: &Uri, timestamp: i64) -> (Headers, Bytes) {
        match self.provider {
            Some(p) => self.signed_as(p, target, timestamp),
            None => (self.headers(timestamp), self.body.clone()),
        }
    }

    /// The POST of a try signed at `timestamp`.
    pub fn request(&self, target: &Uri, timestamp: i64) -> Request<Full<Bytes>> {
        let (headers, body) = self.signed(target, timestamp);
        self.build(target, headers, body)
    }

    /// The request carrying `headers` and `body` to `target`.
    fn build(&self, target: &Uri, signed: Headers, body: Bytes) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = target.clone();
        let headers = req.headers_mut();
        for (name, value) in signed {
            // Names and values were checked in `new`; nothing is skipped in practice.
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(&value),
            ) {
                headers.append(n, v);
            }
        }
        req
    }
}

/// Parses `Name: value` (or `Name:value`) as `--header` takes it.
pub fn parse_header(line: &str) -> Result<(String, String), SendError> {
    let (name, value) = line
        .split_once(':')
        .ok_or_else(|| SendError::BadHeader(line.to_string()))?;
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() || HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(SendError::BadHeader(line.to_string()));
    }
    Ok((name.to_string(), value.to_string()))
}

/// Parses a target URL: `http://` or `https://` with a host, as the client speaks both.
pub fn parse_target(url: &str) -> Result<Uri, SendError> {
    let uri: Uri = url
        .trim()
        .parse()
        .map_err(|e| SendError::BadTarget(format!("{url:?} is not a URL: {e}")))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some("http" | "https"), Some(_)) => Ok(uri),
        _ => Err(SendError::BadTarget(format!(
            "{url:?} is not an http:// or https:// URL like http://localhost:3000/webhooks"
        ))),
    }
}

/// Delivers `message` to `target`, a try per step of `schedule` until one answers 2xx. Each try
/// is signed anew with the same id and the current time (or the fixed timestamp), as Svix
/// does; `on_try` sees each try as it ends, e.g. to print progress during long waits.
pub async fn send(
    client: &HttpClient,
    target: &Uri,
    message: &Message,
    schedule: &RetrySchedule,
    mut on_try: impl FnMut(&TryReport),
) -> SendReport {
    let mut tries = Vec::new();
    let mut n = 0;
    while let Some(delay) = schedule.delay_before(n) {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let started_at = Utc::now();
        let timestamp = message.timestamp.unwrap_or(started_at.timestamp());
        let (headers, body) = message.signed(target, timestamp);
        let request_headers = report::printable(&headers);
        let req = message.build(target, headers, body);
        let delivery = client.deliver(req, DELIVERY_TIMEOUT, RESPONSE_LIMIT).await;
        let ok = delivery.status.is_some_and(|s| (200..300).contains(&s));
        n += 1;
        let next = if ok { None } else { schedule.delay_before(n) };
        let report = TryReport::new(n, started_at, timestamp, request_headers, delivery, next);
        on_try(&report);
        tries.push(report);
        if ok {
            break;
        }
    }
    SendReport {
        msg_id: message.msg_id.clone(),
        url: target.to_string(),
        ok: tries.last().is_some_and(|t| t.ok),
        tries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{Status, verify};

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const OTHER: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

    fn key(s: &str) -> Key {
        Key::parse(None, s).expect("test key parses")
    }

    fn signing(keys: &[&str]) -> Signing {
        Signing {
            keys: keys.iter().map(|k| key(k)).collect(),
            ..Signing::default()
        }
    }

    #[test]
    fn headers_verify_with_each_key_and_carry_svix_names() {
        let msg = Message::new(Bytes::from_static(b"{}"), &signing(&[SECRET, OTHER]))
            .expect("message builds");
        assert!(msg.msg_id.starts_with("msg_") && msg.msg_id.len() == 31);
        let headers = msg.headers(1_700_000_000);
        let names: Vec<&str> = headers.iter().map(|(n, _)| n.as_str()).collect();
        let wanted = [
            "user-agent",
            "content-type",
            "svix-id",
            "svix-timestamp",
            "svix-signature",
        ];
        assert_eq!(names, wanted);
        assert!(headers[0].1.starts_with(b"Svix-Webhooks/"));
        for k in [SECRET, OTHER] {
            let v = verify(&headers, b"{}", &[key(k)], 1_700_000_100);
            assert_eq!(v.status, Status::Valid, "{}", v.message);
        }
        let v = verify(&headers, b"{ }", &[key(SECRET)], 1_700_000_000);
        assert_eq!(v.status, Status::Invalid);
    }

    #[test]
    fn fixed_id_and_timestamp_reproduce_the_official_vector() {
        let mut s = signing(&[SECRET]);
        s.msg_id = Some("msg_p5jXN8AQM9LWM0D4loKWxJek".into());
        s.timestamp = Some(1614265330);
        let msg = Message::new(Bytes::from_static(br#"{"test": 2432232314}"#), &s)
            .expect("message builds");
        let headers = msg.headers(msg.timestamp.expect("fixed"));
        let sig = &headers
            .iter()
            .find(|(n, _)| n == "svix-signature")
            .expect("signed")
            .1;
        assert_eq!(sig, b"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn custom_headers_replace_defaults_and_bad_input_is_refused() {
        let mut s = signing(&[SECRET]);
        s.headers = vec![parse_header("Content-Type: text/plain").expect("parses")];
        s.headers.push(parse_header("X-Trace:abc").expect("parses"));
        let req = Message::new(Bytes::new(), &s)
            .expect("builds")
            .request(&parse_target("http://127.0.0.1:9/x").expect("url"), 5);
        assert_eq!(req.headers()["content-type"], "text/plain");
        assert_eq!(req.headers().get_all("content-type").iter().count(), 1);
        assert_eq!(
            (req.headers()["x-trace"].as_bytes(), req.method()),
            (&b"abc"[..], &Method::POST)
        );
        assert_eq!(
            parse_header("nocolon"),
            Err(SendError::BadHeader("nocolon".into()))
        );
        assert!(parse_header("bad name: x").is_err());
        let only_public = signing(&["whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="]);
        let err = Message::new(Bytes::new(), &only_public).expect_err("cannot sign");
        assert_eq!(err, SendError::NoSigningKey);
        let mut bad_id = signing(&[SECRET]);
        bad_id.msg_id = Some("msg 1".into());
        assert!(matches!(
            Message::new(Bytes::new(), &bad_id),
            Err(SendError::BadId(_))
        ));
    }

    #[test]
    fn targets_are_checked() {
        assert!(parse_target("http://localhost:3000/webhooks").is_ok());
        assert!(parse_target("https://example.com/").is_ok());
        for bad in ["https://", "localhost:3000", "ftp://x/", "http://"] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }
}
