//! `hookpit replay ID`: asks a running hookpit (its UI/API address) to replay a stored event and
//! prints what the app answered. Exits non-zero when the app did not answer 2xx.

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Args;
use http_body_util::Full;

use crate::client::{DELIVERY_TIMEOUT, HttpClient};

/// Flags of `hookpit replay`.
#[derive(Clone, Args)]
pub struct ReplayArgs {
    /// The event id (as shown in the UI and `Hookpit-Event-Id`).
    pub id: i64,
    /// Send it here instead of the forward target.
    #[arg(long)]
    pub to: Option<String>,
    /// Send the original headers untouched (tests the app's replay protection).
    #[arg(long)]
    pub verbatim: bool,
    /// Give it a fresh message id (otherwise the app's duplicate handling is tested).
    #[arg(long)]
    pub new_id: bool,
    /// The running hookpit's UI: an address (as given to `serve --ui`) or its URL.
    #[arg(long, env = "HOOKPIT_UI", default_value = "127.0.0.1:8701")]
    pub ui: String,
    /// The UI token, when the UI needs one.
    #[arg(long, env = "HOOKPIT_UI_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// Runs `hookpit replay`.
pub async fn replay(args: ReplayArgs) -> anyhow::Result<()> {
    let base = crate::config::ui_base_url(&args.ui).map_err(|e| anyhow::anyhow!("--ui: {e}"))?;
    let url = format!("{base}/api/events/{}/replay", args.id);
    let body = serde_json::json!({
        "target": args.to,
        "mode": if args.verbatim { "verbatim" } else { "resign" },
        "new_id": args.new_id,
    });
    let mut req = hyper::Request::post(&url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .with_context(|| format!("{url:?} is not a valid URL"))?;
    if let Some(token) = &args.token {
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {token}")
                .parse()
                .context("the token is not a valid header value")?,
        );
    }
    let answer = HttpClient::default()
        .deliver(req, DELIVERY_TIMEOUT * 2, 1 << 20)
        .await;
    let Some(status) = answer.status else {
        bail!(
            "cannot reach hookpit at {}: {}",
            args.ui,
            answer.error.unwrap_or_default()
        );
    };
    let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    if status != 200 {
        bail!(
            "hookpit refused the replay ({status}): {}",
            json["error"].as_str().unwrap_or("no reason given")
        );
    }
    let app_status = json["status"].as_u64();
    let took = json["duration_ms"].as_i64().unwrap_or(0);
    match app_status {
        Some(s) => crate::out::line(format_args!(
            "{} {} → {s} in {took} ms",
            json["mode"].as_str().unwrap_or(""),
            json["target"].as_str().unwrap_or("")
        )),
        None => crate::out::line(format_args!(
            "{} → no answer: {}",
            json["target"].as_str().unwrap_or(""),
            json["error"].as_str().unwrap_or("")
        )),
    }
    if let Some(text) = json["response_body"]["data"]
        .as_str()
        .filter(|t| !t.is_empty())
    {
        crate::out::line(format_args!(
            "{}",
            text.chars().take(2000).collect::<String>()
        ));
    }
    match app_status {
        Some(s) if (200..300).contains(&s) => Ok(()),
        Some(s) => bail!("the app answered {s}"),
        None => bail!("the app did not answer"),
    }
}
