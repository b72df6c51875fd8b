//! Flags of `hookpit send`, `hookpit secret` and `hookpit sign` (clap); the commands themselves
//! are in `cli_tools`. Keys also come from `HOOKPIT_SECRET`, as for `hookpit serve`.

use std::path::PathBuf;

use clap::Args;

use super::{RunStatus, Template};
use crate::schedule::RetrySchedule;

/// Flags of `hookpit send`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// Event to send; cannot be combined with --file, which sends a file's bytes instead.
    #[arg(value_enum, default_value = "run_complete", conflicts_with = "file")]
    pub template: Template,
    /// Where to POST it (http:// or https://).
    #[arg(long, env = "HOOKPIT_TO")]
    pub to: String,
    /// Send as this provider sends (`shopify`, `slack`, `twilio`… as `GET /api/providers`
    /// lists them): its realistic sample body (or --file's), its headers, its signature made
    /// with --secret (a Discord or SendGrid private key for those two).
    #[arg(long, value_name = "NAME", value_parser = parse_provider, conflicts_with = "fixture")]
    pub provider: Option<String>,
    /// Key to sign with (`whsec_…`, `whsk_…`); repeat it to sign with several, as during a
    /// secret rotation.
    #[arg(
        long = "secret",
        env = "HOOKPIT_SECRET",
        hide_env_values = true,
        value_delimiter = ',',
        required = true
    )]
    pub secrets: Vec<String>,
    /// `run.status` of a run_complete event [default: success].
    #[arg(long, value_enum, conflicts_with = "file")]
    pub status: Option<RunStatus>,
    /// Include a failed post-run check (run_complete).
    #[arg(long, conflicts_with = "file")]
    pub checks_fail: bool,
    /// Send this file's bytes as the body instead of a template (`-` reads stdin).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Send this captured webhook again (a `hookpit export` JSONL line, an event as
    /// `GET /api/events/{id}` gives it, or a one-entry file), its method, headers and body as
    /// they were, re-signed with --secret.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["file", "status", "checks_fail", "id", "headers"])]
    pub fixture: Option<PathBuf>,
    /// Extra header `Name: value`; replaces a default header of the same name. Repeatable.
    #[arg(long = "header", short = 'H', value_name = "NAME:VALUE")]
    pub headers: Vec<String>,
    /// Fixed `svix-id` (default: a fresh `msg_…` per message; fix it to test duplicate handling).
    #[arg(long, value_name = "MSG_ID")]
    pub id: Option<String>,
    /// Fixed `svix-timestamp` in unix seconds (default: the time of each try).
    #[arg(long, value_name = "UNIX_SECONDS", allow_negative_numbers = true)]
    pub timestamp: Option<i64>,
    /// Retry failed tries on this schedule: `svix` (0s,5s,5m,30m,2h,5h,10h,10h), `fast`
    /// (0s,1s,2s,5s,10s,30s) or a list like `0s,2s,1m` [default: one try].
    #[arg(long, value_name = "SCHEDULE", value_parser = RetrySchedule::parse)]
    pub retry_schedule: Option<RetrySchedule>,
    /// Send this many messages, each with fresh ids (in --order, --concurrency at once).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// Order, seed, duplicates and concurrency of the --repeat messages.
    #[command(flatten)]
    pub chaos: crate::chaos::ChaosArgs,
    /// Print one JSON report per message (one per line) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also trust the certificates in this PEM file for an https:// target (e.g. a local app's
    /// self-signed one), as `hookpit serve --forward-cacert` does.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Accept any certificate of an https:// target (still encrypted, not authenticated).
    #[arg(long)]
    pub insecure: bool,
}

/// A provider name hookpit knows.
fn parse_provider(name: &str) -> Result<String, String> {
    crate::verify::registry::find(name)
        .map(|p| p.name.to_string())
        .ok_or_else(|| {
            format!(
                "no provider {name:?}; known: {}",
                crate::verify::registry::names()
            )
        })
}

/// Flags of `hookpit secret`.
#[derive(Debug, Clone, Args)]
pub struct SecretArgs {
    /// Print an ed25519 pair instead: the `whsk_` signing key, then the `whpk_` public key.
    #[arg(long)]
    pub ed25519: bool,
    /// Print a key of the form this provider issues instead (for Discord and SendGrid a pair:
    /// the private key `hookpit send --provider` signs with, then the public key to verify).
    #[arg(long, value_name = "NAME", value_parser = parse_provider, conflicts_with = "ed25519")]
    pub provider: Option<String>,
}

/// Flags of `hookpit sign`: the body is read from stdin (or --file).
#[derive(Debug, Clone, Args)]
pub struct SignArgs {
    /// Key to sign with (`whsec_…`, `whsk_…`); repeatable.
    #[arg(
        long = "secret",
        env = "HOOKPIT_SECRET",
        hide_env_values = true,
        value_delimiter = ',',
        required = true
    )]
    pub secrets: Vec<String>,
    /// Fixed `svix-id` [default: a fresh `msg_…`].
    #[arg(long, value_name = "MSG_ID")]
    pub id: Option<String>,
    /// Fixed `svix-timestamp` in unix seconds [default: now].
    #[arg(long, value_name = "UNIX_SECONDS", allow_negative_numbers = true)]
    pub timestamp: Option<i64>,
    /// Read the body from this file instead of stdin.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Print a complete curl command that POSTs the body to this URL instead of the headers.
    #[arg(long, value_name = "URL")]
    pub curl: Option<String>,
}
