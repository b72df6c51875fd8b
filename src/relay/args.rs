//! Flags of `hookpit relay`, the public side of the tunnel; each also reads `HOOKPIT_RELAY_<NAME>`.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use crate::duration::parse_duration;

/// `hookpit relay`.
#[derive(Clone, Args)]
pub struct RelayArgs {
    /// Address to listen on for webhooks and agents.
    #[arg(long, env = "HOOKPIT_RELAY_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,
    /// The URL senders use to reach this relay, e.g. https://hooks.example.com.
    #[arg(long, env = "HOOKPIT_RELAY_PUBLIC_URL")]
    pub public_url: String,
    /// SQLite file for queued requests [default: $XDG_DATA_HOME/hookpit/relay.db].
    #[arg(long, env = "HOOKPIT_RELAY_DB")]
    pub db: Option<String>,
    /// Token that may create channels; repeatable. At least one is required.
    #[arg(
        long = "token",
        env = "HOOKPIT_RELAY_TOKEN",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub tokens: Vec<String>,
    /// How long a sender waits for the agent's answer before getting --offline-status.
    #[arg(long, env = "HOOKPIT_RELAY_WAIT", default_value = "10s", value_parser = parse_duration)]
    pub wait: Duration,
    /// Status a sender gets when the agent is offline or slow (the request is kept).
    #[arg(long, env = "HOOKPIT_RELAY_OFFLINE_STATUS", default_value_t = 202)]
    pub offline_status: u16,
    /// Acknowledged requests are deleted after this long.
    #[arg(long, env = "HOOKPIT_RELAY_RETENTION", default_value = "7d", value_parser = parse_duration)]
    pub retention: Duration,
    /// Largest body accepted.
    #[arg(long, env = "HOOKPIT_RELAY_MAX_BODY", default_value_t = 26_214_400)]
    pub max_body: u64,
    /// Most bytes of request bodies all connections may hold at once; past it senders get 503
    /// with Retry-After (at least --max-body).
    #[arg(
        long,
        env = "HOOKPIT_RELAY_MAX_IN_FLIGHT",
        default_value_t = 268_435_456
    )]
    pub max_in_flight: u64,
    /// Most bytes of unacknowledged requests one channel may hold; past it senders get 507.
    #[arg(long, env = "HOOKPIT_RELAY_MAX_QUEUED", default_value_t = 268_435_456)]
    pub max_queued: u64,
    /// PEM certificate chain to serve HTTPS with (else put the relay behind a TLS proxy).
    #[arg(long, env = "HOOKPIT_RELAY_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "HOOKPIT_RELAY_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// How long a client may take to send a request's headers (or its first bytes); slower
    /// connections are closed.
    #[arg(long, env = "HOOKPIT_RELAY_HEADER_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub header_timeout: Duration,
    /// Most channels one token may create.
    #[arg(long, env = "HOOKPIT_RELAY_MAX_CHANNELS", default_value_t = 100)]
    pub max_channels: u64,
    /// Serve Prometheus metrics at http://ADDR/metrics (keep ADDR private, e.g. 127.0.0.1:9187).
    #[arg(long, env = "HOOKPIT_RELAY_METRICS", value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
}

impl RelayArgs {
    /// Checks the values; the error says which flag is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.tokens.iter().all(|t| t.trim().is_empty()) {
            return Err("give at least one --token: it decides who may create channels".into());
        }
        if self.max_body > super::protocol::MAX_RELAYED_BODY {
            return Err(format!(
                "--max-body {} is more than a relay frame can carry to the agent: at most {} bytes \
                 (frames are {} MiB and bodies travel in base64)",
                self.max_body,
                super::protocol::MAX_RELAYED_BODY,
                super::protocol::MAX_FRAME / (1024 * 1024)
            ));
        }
        if self.max_in_flight < self.max_body {
            return Err(format!(
                "--max-in-flight ({}) must be at least --max-body ({}), or no body that large could arrive",
                self.max_in_flight, self.max_body
            ));
        }
        if !(200..=599).contains(&self.offline_status) {
            return Err("--offline-status must be between 200 and 599".into());
        }
        let url: http::Uri = self
            .public_url
            .parse()
            .map_err(|e| format!("--public-url {:?}: {e}", self.public_url))?;
        if !matches!(url.scheme_str(), Some("http" | "https")) || url.authority().is_none() {
            return Err(format!(
                "--public-url {:?} must be an http(s) URL",
                self.public_url
            ));
        }
        Ok(())
    }

    /// The database path, defaulting next to the inspector's.
    pub fn db_path(&self) -> String {
        self.db
            .clone()
            .unwrap_or_else(|| crate::store::default_db_path().replace("hookpit.db", "relay.db"))
    }
}
