//! What every provider declares, and the one judge for them all: a provider is data (its name,
//! the headers that identify it, its algorithm, tolerance, secret and docs) plus where its
//! signature, timestamp and signed content are ([`Check`]); the judging, the messages and the
//! signing are shared here, so no provider carries a judge of its own.

use super::crypto;
use super::judge::{TimestampCheck, mismatch_message};
use super::{Key, Reason, Scheme, Verdict};
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

/// Signs content with the chosen key: the signature bytes.
pub type Signer<'s> = &'s dyn Fn(&[u8]) -> Vec<u8>;

/// Where a provider's signature is and what it covers.
pub enum Check {
    /// The schemes hookpit had first, judged by their own files as they always were.
    Own {
        /// The verifier.
        verify: fn(&Request<'_>, &[Key], i64) -> Verdict,
        /// Whether a key can verify this scheme.
        usable: fn(&Key) -> bool,
        /// Signs `out` in place with `keys`; `false` when no key can sign.
        sign: fn(&mut Outgoing, &[Key], i64) -> bool,
    },
    /// One header holding `prefix` and the encoded signature of the raw body.
    BodyHeader {
        /// The header.
        header: &'static str,
        /// What precedes the signature (`sha256=`), or nothing.
        prefix: &'static str,
    },
    /// Read and written by the provider's own two functions.
    Custom {
        /// Finds the signatures, the signed content and the timestamp.
        read: fn(&Request<'_>) -> Result<Claim, Unreadable>,
        /// Writes the signature headers (and anything signed with them) for `now`.
        write: fn(&mut Outgoing, Signer<'_>, i64),
    },
}

/// A realistic webhook of the provider, for `hookpit send --provider`.
pub struct Sample {
    /// The content type it is sent with.
    pub content_type: &'static str,
    /// The body.
    pub body: &'static str,
    /// Headers the provider sends besides its signature (event names, ids).
    pub headers: &'static [(&'static str, &'static str)],
}

/// One webhook provider: everything hookpit knows about how it signs.
pub struct Provider {
    /// The lower-case name (`shopify`), as routes, keys and the API name it.
    pub name: &'static str,
    /// The name people use ("Shopify").
    pub title: &'static str,
    /// The headers that identify it (the first is the signature's).
    pub headers: &'static [&'static str],
    /// How it signs.
    pub algorithm: Scheme,
    /// How far a timestamp may be from the receive time (seconds, inclusive) by the provider's
    /// own verifier; `None` when it sends no timestamp or sets no limit.
    pub tolerance_s: Option<i64>,
    /// The provider's page on verifying its webhooks.
    pub docs: &'static str,
    /// What the secret is, in the provider's terms ("the app's client secret").
    pub secret: &'static str,
    /// What it signs ("the raw body").
    pub signs: &'static str,
    /// How the signature is written.
    pub encoding: Encoding,
    /// Whether a webhook's headers (or, for Mailgun, its body) say it is from this provider.
    pub detect: fn(&Request<'_>) -> bool,
    /// Where the signature is and what it covers.
    pub check: Check,
    /// A realistic webhook to send.
    pub sample: Sample,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Detection that only needs one header present.
pub fn has(req: &Request<'_>, name: &str) -> bool {
    req.header(name).is_some()
}

impl Provider {
    /// Whether `key` can verify this provider's webhooks: bound to it or to none, and of the
    /// right kind for the algorithm.
    pub fn usable(&self, key: &Key) -> bool {
        if key.provider().is_some_and(|p| p != self.name) {
            return false;
        }
        match &self.check {
            Check::Own { usable, .. } => usable(key),
            _ => crypto::can_verify(self.algorithm, key),
        }
    }

    /// Whether changing the body breaks the signature: not for a shared token or credentials,
    /// nor for Mailgun, which signs a timestamp and token carried in the body.
    pub fn covers_body(&self) -> bool {
        !matches!(self.algorithm, Scheme::Token | Scheme::Basic) && self.name != "mailgun"
    }

    /// Judges one webhook with `keys` at receive time `now`.
    pub fn verify(&self, req: &Request<'_>, keys: &[Key], now: i64) -> Verdict {
        let mut verdict = match &self.check {
            Check::Own { verify, .. } => {
                let mine: Vec<Key> = keys
                    .iter()
                    .filter(|k| k.provider().is_none_or(|p| p == self.name))
                    .cloned()
                    .collect();
                verify(req, &mine, now)
            }
            Check::BodyHeader { header, prefix } => {
                let read = body_header(req, header, prefix, self.encoding);
                self.judge(read, keys, now)
            }
            Check::Custom { read, .. } => self.judge(read(req), keys, now),
        };
        verdict.provider = Some(self.name.to_string());
        verdict
    }

    /// The shared judge: reads the claim, tries each usable key, concludes.
    fn judge(&self, read: Result<Claim, Unreadable>, keys: &[Key], now: i64) -> Verdict {
        let tolerance = self.tolerance_s;
        let (claim, unreadable) = match read {
            Ok(claim) => (claim, None),
            Err(why) => (Claim::default(), Some(why)),
        };
        let ts = claim.timestamp.as_ref().map(|s| {
            TimestampCheck::parsed(s.what.clone(), &s.raw, s.seconds, now, tolerance)
                .with_form(s.form)
        });
        let mut base = Verdict::signed(self, claim.msg_id.clone(), ts.as_ref());
        let algorithm = claim.algorithm.unwrap_or(self.algorithm);
        base.scheme = Some(algorithm);
        match unreadable {
            Some(Unreadable::Missing(what)) => {
                return base.fail(
                    Reason::MissingHeader,
                    format!(
                        "The {what} is missing, so {}'s signature cannot be checked.",
                        self.title
                    ),
                );
            }
            Some(Unreadable::Malformed(form)) => {
                return base.fail(Reason::MalformedSignature, form);
            }
            None => {}
        }
        let usable: Vec<&Key> = keys.iter().filter(|k| self.usable(k)).collect();
        if usable.is_empty() {
            return base.unverified(keys, self.secret);
        }
        let matched = usable.iter().copied().find(|key| {
            claim.contents.iter().any(|content| {
                (claim.signatures.iter()).any(|sig| crypto::check(algorithm, key, content, sig))
            })
        });
        let mismatch = self.mismatch(&usable, &claim.written);
        base.conclude(ts.as_ref(), matched, mismatch, self.title)
    }

    /// The sentence when no key matched, in the provider's own terms, with a hint when a key
    /// looks like another provider's secret.
    fn mismatch(&self, usable: &[&Key], written: &[u8]) -> String {
        let what = match self.algorithm {
            Scheme::Token | Scheme::Basic => format!(
                "{} sends {} {}",
                self.title,
                self.secret,
                self.encoding.word()
            ),
            _ => format!(
                "{} signs {} with {}, {}",
                self.title,
                self.signs,
                self.secret,
                self.encoding.word()
            ),
        };
        let mut text = mismatch_message(usable, &format!("{what}; the content changed"));
        let looks = crypto::looks_like(written, self.encoding);
        if !looks.is_empty() {
            text.insert_str(text.len() - 1, looks);
        }
        if let Some(hint) = crypto::foreign_key_hint(self, usable) {
            text.push(' ');
            text.push_str(&hint);
        }
        text
    }

    /// Signs `out` in place with the first of `keys` that can sign for this provider, at `now`.
    pub fn sign(&self, out: &mut Outgoing, keys: &[Key], now: i64) -> Result<(), SignError> {
        if let Check::Own { sign, .. } = &self.check {
            return match sign(out, keys, now) {
                true => Ok(()),
                false => Err(SignError::NoKey(self.title, self.secret)),
            };
        }
        let key = keys
            .iter()
            .filter(|k| k.provider().is_none_or(|p| p == self.name))
            .find(|k| crypto::can_sign(self.algorithm, k))
            .ok_or(SignError::NoKey(self.title, self.secret))?;
        let signer =
            |content: &[u8]| crypto::sign(self.algorithm, key, content).unwrap_or_default();
        match &self.check {
            Check::BodyHeader { header, prefix } => {
                let value = format!("{prefix}{}", self.encoding.encode(&signer(&out.body)));
                out.headers.set(header, value);
            }
            Check::Custom { write, .. } => write(out, &signer, now),
            Check::Own { .. } => {}
        }
        Ok(())
    }
}

/// Why a request could not be signed for a provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// No key given can sign for the provider.
    #[error("no key can sign for {0}: give {1}")]
    NoKey(&'static str, &'static str),
}

/// The claim of a [`Check::BodyHeader`] provider.
fn body_header(
    req: &Request<'_>,
    header: &str,
    prefix: &str,
    encoding: Encoding,
) -> Result<Claim, Unreadable> {
    let value = req
        .header(header)
        .ok_or_else(|| Unreadable::Missing(format!("{header} header")))?;
    let sig = value
        .trim_ascii()
        .strip_prefix(prefix.as_bytes())
        .and_then(|rest| encoding.decode(rest))
        .ok_or_else(|| {
            Unreadable::Malformed(format!(
                "The {header} header is not of the form \"{prefix}<{} signature>\"{}.",
                encoding.word(),
                crypto::looks_like(
                    value.strip_prefix(prefix.as_bytes()).unwrap_or(value),
                    encoding
                )
            ))
        })?;
    Ok(Claim {
        signatures: vec![sig],
        contents: vec![req.body.to_vec()],
        written: value.trim_ascii()[prefix.len()..].to_vec(),
        ..Claim::default()
    })
}
