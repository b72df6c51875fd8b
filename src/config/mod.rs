//! Command line, environment and `hookpit.toml`: parsed by clap, checked by `validate()` into a
//! `Config` the rest of the program trusts. Secrets only ever print masked.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser};

mod routes;
mod rules;
mod ui;

pub use routes::{Route, parse_routes, parse_routes_in};
use routes::{check_target, load_routes, parse_keys};
pub use rules::Match;
use rules::default_events;
pub use ui::{parse_ui_addr, ui_base_url};

pub use crate::duration::parse_duration;
use crate::schedule::RetrySchedule;
pub use crate::store::default_db_path;
use crate::verify::{Key, KeyError};

/// Flags of `hookpit serve`; each also reads `HOOKPIT_<NAME>`.
#[derive(Clone, Args)]
pub struct ServeArgs {
    /// Capture listener: every method and path is a webhook.
    #[arg(long, env = "HOOKPIT_LISTEN", default_value = "127.0.0.1:8700")]
    pub listen: SocketAddr,
    /// Browser UI, JSON API and WebSocket: an address, or the URL hookpit prints.
    #[arg(long, env = "HOOKPIT_UI", default_value = "127.0.0.1:8701", value_parser = parse_ui_addr)]
    pub ui: SocketAddr,
    /// SQLite file; `:memory:` for a throwaway run [default: $XDG_DATA_HOME/hookpit/hookpit.db].
    #[arg(long, env = "HOOKPIT_DB")]
    pub db: Option<String>,
    /// Signing key for paths without a route of their own (`whsec_…`, `whpk_…`); repeatable,
    /// or a comma-separated list. A route's keys are tried along with these.
    // Split by `parse_keys`, not clap, so a pasted `v1,…` signature is recognised whole.
    #[arg(long = "secret", env = "HOOKPIT_SECRET", hide_env_values = true)]
    pub secrets: Vec<String>,
    /// Forward each captured webhook to this URL (the captured path is appended).
    #[arg(long, env = "HOOKPIT_FORWARD")]
    pub forward: Option<String>,
    /// Forward only webhooks of these event types (comma-separated, e.g. `run_complete`); the
    /// rest are recorded as skipped. For paths without a route of their own.
    #[arg(long, env = "HOOKPIT_EVENTS", value_delimiter = ',')]
    pub events: Option<Vec<String>>,
    /// proxy: the sender gets the app's answer; ack: the sender gets hookpit's answer once
    /// stored, and hookpit delivers to the app itself, retrying on the schedule.
    #[arg(long, env = "HOOKPIT_FORWARD_MODE", value_enum, default_value_t = ForwardMode::Proxy)]
    pub forward_mode: ForwardMode,
    /// Trust the certificates in this PEM file for https:// forward targets and replays, besides
    /// the public roots (an app with a local CA, e.g. mkcert's).
    #[arg(long, env = "HOOKPIT_FORWARD_CACERT", value_name = "FILE")]
    pub forward_cacert: Option<PathBuf>,
    /// Accept any certificate from https:// forward targets and replays: only for an app on
    /// this machine with a self-signed certificate.
    #[arg(
        long,
        env = "HOOKPIT_FORWARD_INSECURE",
        conflicts_with = "forward_cacert"
    )]
    pub forward_insecure: bool,
    /// Ack-mode retries: `svix` (0s,5s,5m,30m,2h,5h,10h,10h), `fast` (0s,1s,2s,5s,10s,30s) or a
    /// list like `0s,2s,1m`.
    #[arg(long, env = "HOOKPIT_RETRY_SCHEDULE", default_value = "svix")]
    pub retry_schedule: String,
    /// Status returned to the sender when not proxying [default: 200]; refused with
    /// `--forward` in proxy mode, where the sender gets the app's answer instead.
    #[arg(long, env = "HOOKPIT_RESPOND_STATUS")]
    pub respond_status: Option<u16>,
    /// Largest body accepted; larger ones get 413 and nothing is stored.
    #[arg(long, env = "HOOKPIT_MAX_BODY", default_value_t = 26_214_400)]
    pub max_body: u64,
    /// Most bytes of request bodies all connections may hold at once; past it senders get 503
    /// with Retry-After (at least --max-body).
    #[arg(long, env = "HOOKPIT_MAX_IN_FLIGHT", default_value_t = 268_435_456)]
    pub max_in_flight: u64,
    /// Keep at most this many events; the oldest are pruned.
    #[arg(long, env = "HOOKPIT_MAX_EVENTS", default_value_t = 100_000)]
    pub max_events: u64,
    /// Prune events older than this (e.g. `30m`, `12h`, `7d`).
    #[arg(long, env = "HOOKPIT_MAX_AGE", value_parser = parse_duration)]
    pub max_age: Option<Duration>,
    /// Routes file [default: hookpit.toml when present].
    #[arg(long, env = "HOOKPIT_CONFIG")]
    pub config: Option<PathBuf>,
    /// Token the UI requires (Bearer, `?token=` or cookie); generated when the UI binds a
    /// non-loopback address and none is given.
    #[arg(long, env = "HOOKPIT_UI_TOKEN", hide_env_values = true)]
    pub ui_token: Option<String>,
    /// Connect to a hookpit relay and receive what arrives at its public URL.
    #[arg(long, env = "HOOKPIT_RELAY")]
    pub relay: Option<String>,
    /// Token the relay accepts for creating this agent's channel.
    #[arg(long, env = "HOOKPIT_RELAY_TOKEN", hide_env_values = true)]
    pub relay_token: Option<String>,
    /// Start a tunnel program to the capture port and show its public URL: `cloudflared`
    /// (quick tunnel), `ngrok`, or `ssh:USER@HOST[:PORT]` (e.g. `ssh:nokey@localhost.run`).
    #[arg(long, env = "HOOKPIT_TUNNEL", value_name = "DRIVER")]
    pub tunnel: Option<String>,
    /// How often hookpit sends itself a signed probe through its public URL (`--tunnel` or
    /// `--relay`) to prove webhooks still reach it; `0` turns it off.
    #[arg(long, env = "HOOKPIT_CANARY_INTERVAL", default_value = "60s", value_parser = parse_duration)]
    pub canary_interval: Duration,
    /// The canary's probe goes on to the app (the forward target) and its answer is judged as
    /// `hookpit doctor` judges a valid delivery: the whole path sender → hookpit → app is watched.
    #[arg(long, env = "HOOKPIT_CANARY_APP")]
    pub canary_app: bool,
    /// How long a client may take to send a request's headers (or its first bytes); slower
    /// connections are closed (slowloris).
    #[arg(long, env = "HOOKPIT_HEADER_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub header_timeout: Duration,
    /// Extra host name the UI answers to (besides its address and `localhost`); repeatable.
    #[arg(long = "allow-host", env = "HOOKPIT_ALLOW_HOST", value_delimiter = ',')]
    pub allow_hosts: Vec<String>,
}

/// How captured webhooks reach the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ForwardMode {
    /// The sender waits for the app and gets its exact answer.
    Proxy,
    /// The sender gets hookpit's answer once stored; hookpit delivers and retries.
    Ack,
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key did not parse.
    // The causes are fields of the message, not `source`s: a caller printing the error chain
    // would otherwise show the same cause twice.
    #[error("{what}: {reason}")]
    Key {
        /// Where the key came from.
        what: String,
        /// What is wrong with it.
        reason: KeyError,
    },
    /// The routes file could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The routes file is not valid TOML of the expected shape.
    #[error("{path}: {message}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("{0}")]
    Invalid(String),
}

/// The checked configuration of `hookpit serve` (its `Debug` masks secrets).
#[derive(Clone)]
pub struct Config {
    /// Capture listener address.
    pub listen: SocketAddr,
    /// UI listener address.
    pub ui: SocketAddr,
    /// SQLite path or `:memory:`.
    pub db_path: String,
    /// Keys for paths without a route of their own.
    pub keys: Vec<Key>,
    /// Routes from the config file.
    pub routes: Vec<Route>,
    /// Where webhooks without a route forward of their own go.
    pub forward: Option<String>,
    /// `--events`: the event types `forward` passes on (all when `None`).
    pub events: Option<Vec<String>>,
    /// Proxy or ack.
    pub forward_mode: ForwardMode,
    /// Ack-mode retry schedule.
    pub retry_schedule: RetrySchedule,
    /// Status returned to senders.
    pub respond_status: http::StatusCode,
    /// Largest accepted body in bytes.
    pub max_body: u64,
    /// Most body bytes all connections may hold at once.
    pub max_in_flight: u64,
    /// Retention bound by count.
    pub max_events: u64,
    /// Retention bound by age.
    pub max_age: Option<Duration>,
    /// Token the UI requires, if any.
    pub ui_token: Option<String>,
    /// Extra host names the UI answers to.
    pub allow_hosts: Vec<String>,
    /// The relay to connect to, if any.
    pub relay: Option<String>,
    /// Token for creating a channel on the relay.
    pub relay_token: Option<String>,
    /// The tunnel program to run, if any.
    pub tunnel: Option<crate::public_url::Driver>,
    /// How often the canary probes the public URL; zero: never.
    pub canary_interval: Duration,
    /// Whether the canary's probe goes on to the app.
    pub canary_app: bool,
    /// Where the routes came from, for the banner.
    pub config_file: Option<PathBuf>,
    /// Deadline for a request's headers (and a connection's first bytes).
    pub header_timeout: Duration,
    /// How https:// targets' certificates are checked (`--forward-cacert`, `--forward-insecure`).
    pub tls_trust: crate::client_tls::TlsTrust,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys print masked (their own Debug); the UI token is never printed.
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("ui", &self.ui)
            .field("db_path", &self.db_path)
            .field("keys", &self.keys)
            .field("routes", &self.routes)
            .field("respond_status", &self.respond_status)
            .field("max_body", &self.max_body)
            .field("ui_token", &self.ui_token.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

impl ServeArgs {
    /// Parses flags as if given on the command line (for tests and embedding).
    pub fn from_flags<I, S>(flags: I) -> Result<ServeArgs, clap::Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<std::ffi::OsString> + Clone,
    {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            serve: ServeArgs,
        }
        let args = std::iter::once("hookpit".into()).chain(flags.into_iter().map(Into::into));
        Wrapper::try_parse_from(args).map(|w| w.serve)
    }

    /// Checks every value and loads the routes file.
    pub fn validate(self) -> Result<Config, ConfigError> {
        let status = self.respond_status.unwrap_or(200);
        if !(200..=599).contains(&status) {
            return Err(ConfigError::Invalid(format!(
                "--respond-status must be between 200 and 599, got {status}"
            )));
        }
        if self.respond_status.is_some()
            && self.forward.is_some()
            && self.forward_mode == ForwardMode::Proxy
        {
            return Err(ConfigError::Invalid(
                "--respond-status does nothing with --forward in proxy mode (the sender gets the app's answer): add --forward-mode ack to answer senders with it while hookpit delivers to the app".into(),
            ));
        }
        let respond_status = http::StatusCode::from_u16(status)
            .map_err(|e| ConfigError::Invalid(format!("--respond-status: {e}")))?;
        if self.max_body == 0 {
            return Err(ConfigError::Invalid("--max-body must be above 0".into()));
        }
        if self.max_in_flight < self.max_body {
            return Err(ConfigError::Invalid(format!(
                "--max-in-flight ({}) must be at least --max-body ({}), or no body that large could arrive",
                self.max_in_flight, self.max_body
            )));
        }
        if self.max_events == 0 {
            return Err(ConfigError::Invalid("--max-events must be above 0".into()));
        }
        let keys = parse_keys(&self.secrets, "--secret")?;
        if let Some(url) = &self.forward {
            check_target(url, "--forward")?;
        }
        let events = default_events(self.events, self.forward.is_some())?;
        if let Some(url) = &self.relay {
            let ok = url.parse::<http::Uri>().is_ok_and(|u| {
                matches!(u.scheme_str(), Some("http" | "https")) && u.authority().is_some()
            });
            if !ok {
                return Err(ConfigError::Invalid(format!(
                    "--relay {url:?} must be the relay's http(s) URL, e.g. https://hooks.example.com"
                )));
            }
        }
        let tunnel = match &self.tunnel {
            Some(spec) => {
                Some(crate::public_url::Driver::parse(spec).map_err(ConfigError::Invalid)?)
            }
            None => None,
        };
        if tunnel.is_some() && self.relay.is_some() {
            return Err(ConfigError::Invalid(
                "--tunnel and --relay each give a public URL: choose one".into(),
            ));
        }
        if self.canary_app {
            if tunnel.is_none() && self.relay.is_none() {
                return Err(ConfigError::Invalid(
                    "--canary-app watches the path from a public URL to the app: add --tunnel or --relay".into(),
                ));
            }
            if self.canary_interval.is_zero() {
                return Err(ConfigError::Invalid(
                    "--canary-app needs the canary: --canary-interval must be above 0".into(),
                ));
            }
            if self.forward.is_none() {
                return Err(ConfigError::Invalid(
                    "--canary-app sends the probe on to the app: add --forward URL".into(),
                ));
            }
        }
        let retry_schedule = RetrySchedule::parse(&self.retry_schedule)
            .map_err(|e| ConfigError::Invalid(format!("--retry-schedule: {e}")))?;
        if self.header_timeout.is_zero() {
            return Err(ConfigError::Invalid(
                "--header-timeout must be above 0".into(),
            ));
        }
        let (routes, config_file) = load_routes(self.config.as_deref())?;
        let tls_trust = crate::client_tls::TlsTrust {
            insecure: self.forward_insecure,
            extra: match &self.forward_cacert {
                Some(path) => {
                    crate::client_tls::TlsTrust::load(path).map_err(ConfigError::Invalid)?
                }
                None => Vec::new(),
            },
        };
        let ui_token = match self.ui_token {
            Some(t) if t.trim().is_empty() => {
                return Err(ConfigError::Invalid("--ui-token must not be empty".into()));
            }
            Some(t) => Some(t),
            None if !self.ui.ip().is_loopback() => Some(crate::verify::standard::new_msg_id()),
            None => None,
        };
        Ok(Config {
            listen: self.listen,
            ui: self.ui,
            db_path: self.db.unwrap_or_else(default_db_path),
            keys,
            routes,
            forward: self.forward,
            events,
            forward_mode: self.forward_mode,
            retry_schedule,
            respond_status,
            max_body: self.max_body,
            max_in_flight: self.max_in_flight,
            max_events: self.max_events,
            max_age: self.max_age,
            ui_token,
            allow_hosts: self.allow_hosts,
            relay: self.relay,
            relay_token: self.relay_token,
            tunnel,
            canary_interval: self.canary_interval,
            canary_app: self.canary_app,
            config_file,
            header_timeout: self.header_timeout,
            tls_trust,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_design() {
        let cfg = ServeArgs::from_flags(["--db", ":memory:"])
            .expect("flags parse")
            .validate()
            .expect("valid");
        assert_eq!(cfg.listen.to_string(), "127.0.0.1:8700");
        assert_eq!(cfg.ui.to_string(), "127.0.0.1:8701");
        assert_eq!(cfg.max_body, 26_214_400);
        assert_eq!(cfg.max_events, 100_000);
        assert_eq!(cfg.respond_status, http::StatusCode::OK);
        assert!(cfg.ui_token.is_none(), "no token on loopback");
    }

    #[test]
    fn non_loopback_ui_gets_a_generated_token() {
        let cfg = ServeArgs::from_flags(["--db", ":memory:", "--ui", "0.0.0.0:0"])
            .expect("flags parse")
            .validate()
            .expect("valid");
        assert!(cfg.ui_token.as_deref().is_some_and(|t| t.len() > 20));
    }

    #[test]
    fn respond_status_that_cannot_apply_is_refused() {
        let proxy = [
            "--forward",
            "http://127.0.0.1:3000/",
            "--respond-status",
            "500",
        ];
        let err = ServeArgs::from_flags(proxy)
            .expect("flags parse")
            .validate()
            .expect_err("proxy mode never uses it");
        assert!(err.to_string().contains("--forward-mode ack"), "{err}");
        let ack = ServeArgs::from_flags(proxy.iter().chain(&["--forward-mode", "ack"]))
            .expect("flags parse")
            .validate()
            .expect("ack mode answers with it");
        assert_eq!(ack.respond_status, http::StatusCode::INTERNAL_SERVER_ERROR);
        let no_forward = ServeArgs::from_flags(["--respond-status", "503"])
            .expect("flags parse")
            .validate()
            .expect("without --forward every sender gets it");
        assert_eq!(no_forward.respond_status.as_u16(), 503);
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        let err = ServeArgs::from_flags(["--respond-status", "99"])
            .expect("flags parse")
            .validate()
            .expect_err("1xx refused");
        assert!(err.to_string().contains("--respond-status"));
        let err = ServeArgs::from_flags(["--secret", "whpk_notbase64!"])
            .expect("flags parse")
            .validate()
            .expect_err("bad key refused");
        assert!(err.to_string().contains("--secret"));
    }
}
