//! What every provider declares, and the one judge for them all: a provider is data (its name,
//! the headers that identify it, its algorithm, tolerance, secret and docs) plus where its
//! signature, timestamp and signed content are ([`Check`]); the judging, the messages and the
//! signing are shared here, so no provider carries a judge of its own.

pub use super::request::{Claim, Encoding, Outgoing, Request, Stamp, Unreadable};

use super::crypto;
use super::judge::{TimestampCheck, mismatch_message};
use super::{Key, Reason, Scheme, Verdict};

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
    /// Whether its verifier also refuses timestamps that far in the future (Svix, Slack,
    /// Linear), or only ones that old (Paddle, HubSpot, Mux, Calendly, Twitch).
    pub rejects_future: bool,
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
                .past_only(!self.rejects_future)
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
