//! The command line's client of a running hookpit's API (`hookpit wait`, `status`, `events`,
//! `show`): the UI address from `--ui`, `HOOKPIT_UI` or the default, the token as a bearer
//! header, JSON answers read back. It sends through the one outgoing client, `client`.

use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use clap::Args;
use http_body_util::Full;

use crate::client::HttpClient;

/// The address as `serve --ui` takes it when nothing else names one.
pub const DEFAULT_UI: &str = "127.0.0.1:8701";
/// Largest answer read back (a whole event with its body).
const MAX_ANSWER: usize = 1 << 30;

/// Where the running hookpit is: the flags every API-reading command shares.
#[derive(Clone, Args)]
pub struct UiArgs {
    /// The running hookpit's UI: an address (as given to `serve --ui`) or its URL.
    #[arg(long, env = "HOOKPIT_UI", default_value = DEFAULT_UI)]
    pub ui: String,
    /// The UI token, when the UI needs one.
    #[arg(long = "ui-token", env = "HOOKPIT_UI_TOKEN", hide_env_values = true)]
    pub ui_token: Option<String>,
}

/// What hookpit answered.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    /// The `error` of a JSON error answer, or the status when there is none.
    pub fn reason(&self) -> String {
        match self.json()["error"].as_str() {
            Some(e) => format!("{e} ({})", self.status),
            None => format!("status {}", self.status),
        }
    }
}

/// Why a request got no answer at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot reach hookpit at {ui}: {why}")]
pub struct Unreachable {
    /// The address tried.
    pub ui: String,
    /// What went wrong.
    pub why: String,
}

/// A client of one hookpit's API.
pub struct Api {
    base: String,
    ui: String,
    token: Option<String>,
    client: HttpClient,
}

impl Api {
    /// The API at `args.ui`; an address that is neither `HOST:PORT` nor a URL is an error.
    pub fn new(args: &UiArgs) -> anyhow::Result<Api> {
        Api::with_client(args, HttpClient::default())
    }

    /// The API at `args.ui`, sending through `client` (a process that already holds one).
    pub fn with_client(args: &UiArgs, client: HttpClient) -> anyhow::Result<Api> {
        let base =
            crate::config::ui_base_url(&args.ui).map_err(|e| anyhow::anyhow!("--ui: {e}"))?;
        Ok(Api {
            base,
            ui: args.ui.clone(),
            token: args.ui_token.clone(),
            client,
        })
    }

    /// The base URL requests go to (`http://127.0.0.1:8701`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The address this client was given (`--ui`), as the user wrote it.
    pub fn ui(&self) -> &str {
        &self.ui
    }

    /// `GET path` (with its query), waiting at most `timeout` for the whole answer.
    pub async fn get(
        &self,
        path: &str,
        timeout: Duration,
    ) -> anyhow::Result<Result<Answer, Unreachable>> {
        self.request(http::Method::GET, path, None, timeout).await
    }

    /// `POST path` with `body` as JSON, waiting at most `timeout` for the whole answer.
    pub async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
        timeout: Duration,
    ) -> anyhow::Result<Result<Answer, Unreachable>> {
        self.request(http::Method::POST, path, Some(body), timeout)
            .await
    }

    async fn request(
        &self,
        method: http::Method,
        path: &str,
        json: Option<&serde_json::Value>,
        timeout: Duration,
    ) -> anyhow::Result<Result<Answer, Unreachable>> {
        let url = format!("{}{path}", self.base);
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(&url)
            .header("accept", "application/json");
        if json.is_some() {
            req = req.header("content-type", "application/json");
        }
        let body = json.map_or_else(Bytes::new, |v| Bytes::from(v.to_string()));
        let mut req = req
            .body(Full::new(body))
            .with_context(|| format!("{url:?} is not a valid URL"))?;
        if let Some(token) = &self.token {
            req.headers_mut().insert(
                "authorization",
                format!("Bearer {token}")
                    .parse()
                    .context("the token is not a valid header value")?,
            );
        }
        let got = self.client.deliver(req, timeout, MAX_ANSWER).await;
        Ok(match got.status {
            Some(status) if !got.truncated => Ok(Answer {
                status,
                body: got.body,
            }),
            Some(_) => Err(self.unreachable(format!("the answer is over {MAX_ANSWER} bytes"))),
            None => Err(self.unreachable(got.error.unwrap_or_default())),
        })
    }

    fn unreachable(&self, why: String) -> Unreachable {
        Unreachable {
            ui: self.ui.clone(),
            why,
        }
    }
}

/// `text` percent-encoded for a query string.
pub fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Whether stdout is a person's terminal (tables, colour) rather than a pipe or a file.
pub fn stdout_is_terminal() -> bool {
    use std::io::IsTerminal as _;
    std::io::stdout().is_terminal()
}

/// Whether colour codes may be written: a terminal, and `NO_COLOR` unset (no-color.org).
pub fn colour() -> bool {
    stdout_is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
