//! Messages signed as a provider signs them (`hookpit send --provider shopify`): the provider's
//! realistic sample body (or the caller's), its usual headers, and its signature, made fresh for
//! each try by the provider's own entry in `verify::registry`.

use bytes::Bytes;
use http::Uri;

use super::{Message, SendError, Signing, USER_AGENT};
use crate::store::model::Headers;
use crate::verify::{Outgoing, Provider};

impl Message {
    /// A message `provider` signs, with its sample body unless `body` is given; refused when no
    /// key of `signing` can sign for it.
    pub fn for_provider(
        provider: &'static Provider,
        body: Option<Bytes>,
        signing: &Signing,
    ) -> Result<Message, SendError> {
        let mut message = Message::new_unsigned(
            body.unwrap_or_else(|| Bytes::from_static(provider.sample.body.as_bytes())),
            signing,
        )?;
        message.provider = Some(provider);
        let mut probe = message.outgoing(provider, "http://127.0.0.1/");
        provider
            .sign(&mut probe, &message.keys, 0)
            .map_err(|e| SendError::Provider(e.to_string()))?;
        Ok(message)
    }

    /// The request before signing: the provider's headers, then the caller's.
    fn outgoing(&self, provider: &Provider, url: &str) -> Outgoing {
        let mut headers = Headers::default();
        headers.set("user-agent", USER_AGENT);
        headers.set("content-type", provider.sample.content_type);
        for (name, value) in provider.sample.headers {
            headers.set(name, *value);
        }
        for (name, value) in &self.headers {
            headers.set(name, value.as_str());
        }
        Outgoing {
            method: self.method.to_string(),
            url: url.to_string(),
            headers,
            body: self.body.to_vec(),
        }
    }

    /// Headers and body of a try signed as `provider` at `timestamp`, for `target`.
    pub(super) fn signed_as(
        &self,
        provider: &Provider,
        target: &Uri,
        timestamp: i64,
    ) -> (Headers, Bytes) {
        let mut out = self.outgoing(provider, &target.to_string());
        // `for_provider` checked that a key signs for it.
        let _ = provider.sign(&mut out, &self.keys, timestamp);
        (out.headers, Bytes::from(out.body))
    }
}
