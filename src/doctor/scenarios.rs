//! The battery `hookpit doctor` runs, as data: each scenario's body, how it is signed (or
//! mis-signed), how often it is delivered and what a correct app answers. `plan.rs` turns a
//! scenario into bytes and headers; `report.rs` judges the answers.

use serde::Serialize;

use crate::send::RunStatus;
use Expect::{Accept, Reject, Report};

/// How far `old_timestamp` and `future_timestamp` move the signed time: twice Svix's tolerance.
pub const SKEW_S: i64 = 600;

/// Deliveries of `retried_run`: the run's webhook, two Svix repeats of it (how the app answers
/// a repeat, and whether that answer is steady), then the retried run's webhook.
pub const RETRIED_RUN_DELIVERIES: usize = 4;

/// What a correct app answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Expect {
    /// A delivery Svix would make: the app must acknowledge it with a 2xx.
    #[serde(rename = "2xx")]
    Accept,
    /// A forgery or a replay: the app must refuse it with a 4xx.
    #[serde(rename = "4xx")]
    Reject,
    /// Any answer is only reported.
    #[serde(rename = "info")]
    Report,
}

/// The body a scenario sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `run_complete` in this status, with a failed post-run check or not, as compact JSON.
    Compact(RunStatus, bool),
    /// A successful `run_complete`, pretty-printed.
    Pretty,
    /// A successful `run_complete` with non-ASCII text, raw and escaped.
    Unicode,
    /// A successful `run_complete` with a message history that makes it exactly 1 MiB.
    Large,
}

/// How a scenario's deliveries differ from a correct Svix delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Twist {
    /// Not at all.
    None,
    /// One byte of the body changed after signing.
    TamperedBody,
    /// Signed with a fresh key instead of the endpoint's.
    WrongSecret,
    /// No `svix-signature` header.
    NoSignature,
    /// `svix-signature` carries the right digest hex-encoded (`v1,<hex>`), not base64.
    MalformedSignature,
    /// Signed correctly at a timestamp this many seconds from now.
    Shifted(i64),
    /// Two signatures: a fresh key's first, then the endpoint's (a key rotation).
    Rotation,
    /// `webhook-*` headers (Standard Webhooks) instead of `svix-*`.
    WebhookHeaders,
    /// A run's webhook (message id = run id), Svix's repeats of it, then the run retried: the
    /// same `run.id` under a new message id `<run_id>_<ms>` (`retried_run.rs` judges it).
    RetriedRun,
}

/// One scenario of the battery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scenario {
    /// Its name, as `--only` takes it.
    pub name: &'static str,
    /// What it sends, in a few words.
    pub title: &'static str,
    /// What a correct app answers.
    pub expect: Expect,
    /// The body.
    pub body: BodyKind,
    /// How it is signed and sent.
    pub twist: Twist,
    /// How many times the same message (same `svix-id`) is delivered, each freshly signed.
    pub deliveries: usize,
}

const fn scenario(
    name: &'static str,
    title: &'static str,
    expect: Expect,
    body: BodyKind,
    twist: Twist,
) -> Scenario {
    Scenario {
        name,
        title,
        expect,
        body,
        twist,
        deliveries: 1,
    }
}

const SUCCESS: BodyKind = BodyKind::Compact(RunStatus::Success, false);

/// Every scenario, in the order they run.
#[rustfmt::skip]
pub const BATTERY: &[Scenario] = &[
    scenario("compact", "valid compact run_complete", Accept, SUCCESS, Twist::None),
    scenario("pretty", "the same event pretty-printed", Accept, BodyKind::Pretty, Twist::None),
    scenario("unicode", "non-ASCII text (é, emoji, U+2028), raw and \\u-escaped", Accept, BodyKind::Unicode, Twist::None),
    scenario("status_success", "run.status success", Accept, SUCCESS, Twist::None),
    scenario("status_error", "run.status error", Accept, BodyKind::Compact(RunStatus::Error, false), Twist::None),
    scenario("status_task_failed", "run.status task_failed", Accept, BodyKind::Compact(RunStatus::TaskFailed, false), Twist::None),
    scenario("status_cancelled", "run.status cancelled", Accept, BodyKind::Compact(RunStatus::Cancelled, false), Twist::None),
    scenario("check_failed", "task_failed with a failed post-run check", Accept, BodyKind::Compact(RunStatus::TaskFailed, true), Twist::None),
    scenario("tampered_body", "one byte of the body changed after signing", Reject, SUCCESS, Twist::TamperedBody),
    scenario("wrong_secret", "signed with the wrong secret", Reject, SUCCESS, Twist::WrongSecret),
    scenario("missing_signature", "no svix-signature header", Reject, SUCCESS, Twist::NoSignature),
    scenario("malformed_signature", "malformed svix-signature (v1,<hex>)", Reject, SUCCESS, Twist::MalformedSignature),
    scenario("old_timestamp", "correctly signed, 10 minutes old", Reject, SUCCESS, Twist::Shifted(-SKEW_S)),
    scenario("future_timestamp", "correctly signed, 10 minutes in the future", Reject, SUCCESS, Twist::Shifted(SKEW_S)),
    scenario("rotation", "two signatures, only the second matches", Accept, SUCCESS, Twist::Rotation),
    Scenario {
        deliveries: 2,
        ..scenario("duplicate", "the same svix-id twice, freshly signed", Accept, SUCCESS, Twist::None)
    },
    Scenario {
        deliveries: RETRIED_RUN_DELIVERIES,
        ..scenario("retried_run", "a run's webhook, then the run retried (same run.id, new svix-id <run_id>_<ms>)", Accept, BodyKind::Compact(RunStatus::TaskFailed, false), Twist::RetriedRun)
    },
    scenario("large_body", "a 1 MiB body", Accept, BodyKind::Large, Twist::None),
    scenario("webhook_headers", "webhook-* headers instead of svix-*", Report, SUCCESS, Twist::WebhookHeaders),
];

/// The scenarios of `hookpit doctor --provider NAME`, each as the provider signs (its sample
/// body, its headers); a `Shifted` one moves the time by twice the provider's tolerance in that
/// direction. [`applies`] leaves out what a provider has no part for.
#[rustfmt::skip]
pub const PROVIDER_BATTERY: &[Scenario] = &[
    scenario("compact", "the provider's sample, correctly signed", Accept, SUCCESS, Twist::None),
    scenario("tampered_body", "one byte of the body changed after signing", Reject, SUCCESS, Twist::TamperedBody),
    scenario("wrong_secret", "signed with another secret", Reject, SUCCESS, Twist::WrongSecret),
    scenario("missing_signature", "the signature header left out", Reject, SUCCESS, Twist::NoSignature),
    scenario("old_timestamp", "correctly signed, twice the provider's tolerance old", Reject, SUCCESS, Twist::Shifted(-1)),
    scenario("future_timestamp", "correctly signed, twice the tolerance in the future", Reject, SUCCESS, Twist::Shifted(1)),
    Scenario {
        deliveries: 2,
        ..scenario("duplicate", "the same webhook twice, freshly signed", Accept, SUCCESS, Twist::None)
    },
];

/// Whether `scenario` of [`PROVIDER_BATTERY`] applies to `provider`: timestamps only where it
/// has a tolerance (in the future only where its verifier refuses those too), a tampered body only where the body is signed, a missing signature only
/// where it travels in a header.
pub fn applies(scenario: &Scenario, provider: &crate::verify::Provider) -> bool {
    match scenario.twist {
        Twist::Shifted(by) if by > 0 => provider.tolerance_s.is_some() && provider.rejects_future,
        Twist::Shifted(_) => provider.tolerance_s.is_some(),
        Twist::TamperedBody => provider.covers_body(),
        Twist::NoSignature => !provider.headers[0].starts_with('('),
        _ => true,
    }
}

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    BATTERY.iter().find(|s| s.name == name)
}
