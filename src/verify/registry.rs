//! Every provider hookpit knows, in the order detection tries them (the most specific headers
//! first: GitHub's `X-Hub-Signature-256` before Bitbucket's and Intercom's `X-Hub-Signature`).

use super::provider::{Provider, Request};
use super::providers::*;
use super::{github, standard, stripe};

/// Every provider, in detection order.
pub static ALL: &[&Provider] = &[
    &standard::PROVIDER,
    &stripe::PROVIDER,
    &github::PROVIDER,
    &shopify::PROVIDER,
    &slack::PROVIDER,
    &twilio::PROVIDER,
    &discord::PROVIDER,
    &sendgrid::PROVIDER,
    &paddle::PROVIDER,
    &linear::PROVIDER,
    &square::PROVIDER,
    &zoom::PROVIDER,
    &hubspot::PROVIDER,
    &mailgun::PROVIDER,
    &typeform::PROVIDER,
    &calendly::PROVIDER,
    &pagerduty::PROVIDER,
    &twitch::PROVIDER,
    &gitlab::PROVIDER,
    &bitbucket::PROVIDER,
    &intercom::PROVIDER,
    &vercel::PROVIDER,
    &sentry::PROVIDER,
    &lemonsqueezy::PROVIDER,
    &woocommerce::PROVIDER,
    &razorpay::PROVIDER,
    &coinbase::PROVIDER,
    &mux::PROVIDER,
    &postmark::PROVIDER,
];

/// The provider named `name` (lower case, as the API lists them).
pub fn find(name: &str) -> Option<&'static Provider> {
    ALL.iter().copied().find(|p| p.name == name)
}

/// The provider a webhook's headers identify, if any.
pub fn detect(req: &Request<'_>) -> Option<&'static Provider> {
    ALL.iter().copied().find(|p| (p.detect)(req))
}

/// One provider as `GET /api/providers` lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProviderInfo {
    /// Lower-case name, as routes, keys, search and the verdict use it.
    pub name: &'static str,
    /// The name people use.
    pub title: &'static str,
    /// The headers that identify it.
    pub headers: &'static [&'static str],
    /// How it signs (`hmac-sha256`, `ed25519`, `token`, `basic`…).
    pub algorithm: &'static str,
    /// Its timestamp tolerance in seconds, `None` when it sets none.
    pub tolerance_s: Option<i64>,
    /// Whether the tolerance applies to timestamps in the future too, not only to old ones.
    pub rejects_future: bool,
    /// The provider's page on verifying its webhooks.
    pub docs: &'static str,
    /// What the secret is, in the provider's terms.
    pub secret: &'static str,
}

/// Every provider, as the API lists them.
pub fn describe() -> Vec<ProviderInfo> {
    ALL.iter()
        .map(|p| ProviderInfo {
            name: p.name,
            title: p.title,
            headers: p.headers,
            algorithm: p.algorithm.as_str(),
            tolerance_s: p.tolerance_s,
            rejects_future: p.rejects_future,
            docs: p.docs,
            secret: p.secret,
        })
        .collect()
}

/// The names, comma-separated, for error messages.
pub fn names() -> String {
    ALL.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_lower_case_and_every_provider_has_docs() {
        let mut names: Vec<&str> = ALL.iter().map(|p| p.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert!(ALL.len() >= 28, "{} providers", ALL.len());
        for p in ALL {
            assert!(p.name.bytes().all(|b| b.is_ascii_lowercase()), "{}", p.name);
            assert!(p.docs.starts_with("https://"), "{}", p.name);
            assert!(!p.headers.is_empty(), "{}", p.name);
        }
    }
}
