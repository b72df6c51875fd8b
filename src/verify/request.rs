//! What a provider reads and writes: the webhook as verification sees it ([`Request`]), what it
//! claims ([`Claim`]: signatures, signed content, timestamp), why a claim cannot be read, how a
//! signature is written ([`Encoding`]), and a request about to be signed ([`Outgoing`]).

use super::Scheme;
use super::crypto;
use crate::headers::Headers;

/// One webhook as verification sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The path as it arrived.
    pub path: &'a str,
    /// The raw query, without `?`, when there was one.
    pub query: Option<&'a str>,
    /// Headers as they arrived.
    pub headers: &'a [(String, Vec<u8>)],
    /// The raw body.
    pub body: &'a [u8],
    /// The public URL prefix the sender addressed, when hookpit knows it (through the relay:
    /// the channel's public URL); else the URL is rebuilt from the `Host` headers.
    pub base: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// A `POST /` with these headers and body (the schemes that sign neither path nor query).
    pub fn post(headers: &'a [(String, Vec<u8>)], body: &'a [u8]) -> Request<'a> {
        Request {
            method: "POST",
            path: "/",
            query: None,
            headers,
            body,
            base: None,
        }
    }

    /// The first value of header `name` (case-insensitive), as raw bytes.
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        super::header(self.headers, name)
    }

    /// The path and query as the sender addressed them (`/hooks?a=1`).
    pub fn target(&self) -> String {
        match self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.to_string(),
        }
    }
}

/// How a provider writes its signature bytes into a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Lower-case hex.
    Hex,
    /// Standard base64 with padding.
    Base64,
    /// As is (tokens and credentials).
    Raw,
}

impl Encoding {
    /// The word used in messages.
    pub fn word(self) -> &'static str {
        match self {
            Encoding::Hex => "hex",
            Encoding::Base64 => "base64",
            Encoding::Raw => "as is",
        }
    }

    /// Encodes signature bytes.
    pub fn encode(self, bytes: &[u8]) -> String {
        match self {
            Encoding::Hex => hex::encode(bytes),
            Encoding::Base64 => crypto::base64(bytes),
            Encoding::Raw => String::from_utf8_lossy(bytes).into_owned(),
        }
    }

    /// Decodes a header value; `None` when it is not of this encoding.
    pub fn decode(self, text: &[u8]) -> Option<Vec<u8>> {
        let text = text.trim_ascii();
        match self {
            Encoding::Hex => hex::decode(text).ok(),
            Encoding::Base64 => crypto::unbase64(text),
            Encoding::Raw => Some(text.to_vec()),
        }
        .filter(|b| !b.is_empty())
    }
}

/// A timestamp a provider sends, before it is judged.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// Where it was found, for messages ("X-Slack-Request-Timestamp header").
    pub what: String,
    /// The value as sent.
    pub raw: Vec<u8>,
    /// The value in unix seconds, when it parses in the provider's format.
    pub seconds: Option<i64>,
    /// The form a good value has, for the message when it has not.
    pub form: &'static str,
}

impl Stamp {
    /// A timestamp in strict integer unix seconds.
    pub fn unix(what: impl Into<String>, raw: &[u8]) -> Stamp {
        Stamp {
            what: what.into(),
            raw: raw.to_vec(),
            seconds: super::judge::parse_strict_i64(raw),
            form: "a whole number of unix seconds",
        }
    }

    /// A timestamp in strict integer unix milliseconds.
    pub fn unix_ms(what: impl Into<String>, raw: &[u8]) -> Stamp {
        Stamp {
            seconds: super::judge::parse_strict_i64(raw).map(|ms| ms.div_euclid(1000)),
            form: "a whole number of unix milliseconds",
            ..Stamp::unix(what, raw)
        }
    }
}

/// What a webhook claims: its signatures and what they should be a signature of.
#[derive(Debug, Clone, Default)]
pub struct Claim {
    /// The signatures sent, decoded; any one matching passes.
    pub signatures: Vec<Vec<u8>>,
    /// The content the provider signed; several when it cannot be known exactly (the public
    /// URL a sender used), and any one matching passes.
    pub contents: Vec<Vec<u8>>,
    /// The timestamp, when the provider sends one.
    pub timestamp: Option<Stamp>,
    /// The message id, when the provider sends one.
    pub msg_id: Option<String>,
    /// The signature as written (after any prefix), for the hint when it is in another
    /// encoding than the provider's.
    pub written: Vec<u8>,
    /// The algorithm, when the webhook says it uses another than the provider's usual one
    /// (Twilio's `X-Twilio-Webhooks-Signature-Settings`).
    pub algorithm: Option<Scheme>,
}

/// Why a webhook's claim cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// A header (or body field) the provider always sends is absent.
    Missing(String),
    /// The signature is present but not of the provider's form; the text says what form.
    Malformed(String),
}

/// A request about to be sent, which a provider signs in place.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The method.
    pub method: String,
    /// The full URL it goes to (some providers sign it).
    pub url: String,
    /// Headers to send.
    pub headers: Headers,
    /// The body to send (Mailgun signs inside it).
    pub body: Vec<u8>,
}
