//! `hookpit replay ID`: asks a running hookpit (its UI/API address) to replay a stored event and
//! prints what the app answered. Exits non-zero when the app did not answer 2xx.
//! `hookpit replay --since T`: a bulk replay of everything received since T, in the order,
//! duplicates and concurrency asked for; prints the seed and each step as the app answers it.

use anyhow::bail;
use clap::Args;

use crate::cli_replay_bulk::{Api, Bulk};

/// Flags of `hookpit replay`.
#[derive(Clone, Args)]
pub struct ReplayArgs {
    /// The event id (as shown in the UI and `Hookpit-Event-Id`).
    #[arg(required_unless_present = "since", conflicts_with = "since")]
    pub id: Option<i64>,
    /// Replay every event received since this time: RFC 3339, or a duration ago (`10m`, `2h`).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// With --since: only events the forward target has not answered 2xx for.
    #[arg(long, requires = "since")]
    pub only_failed: bool,
    /// With --since: events per second.
    #[arg(long, requires = "since")]
    pub rate: Option<f64>,
    /// Order, seed, duplicates and concurrency of a --since replay.
    #[command(flatten)]
    pub chaos: crate::chaos::ChaosArgs,
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
    let api = Api {
        base,
        ui: args.ui.clone(),
        token: args.token.clone(),
    };
    let Some(id) = args.id else {
        let bulk = Bulk {
            since: args.since.as_deref().unwrap_or_default(),
            only_failed: args.only_failed,
            rate: args.rate,
            to: args.to.as_deref(),
            verbatim: args.verbatim,
            chaos: &args.chaos,
        };
        return crate::cli_replay_bulk::run(&api, &bulk).await;
    };
    let body = serde_json::json!({
        "target": args.to,
        "mode": if args.verbatim { "verbatim" } else { "resign" },
        "new_id": args.new_id,
    });
    let (status, json) = api
        .call(
            hyper::Method::POST,
            &format!("{}/api/events/{id}/replay", api.base),
            Some(body),
        )
        .await?;
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
