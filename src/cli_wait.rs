//! `hookpit wait` (hold until matching webhooks arrive, print each as a JSON line) and
//! `hookpit status` (is a hookpit answering here; wait until one does): the two commands a test
//! or a CI step uses to synchronise with a running hookpit.

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use tokio::time::Instant;

use crate::cli_api::{Api, UiArgs, encode};
use crate::duration::parse_duration;

/// The longest a single wait request holds on the server; longer waits ask again.
const MAX_REQUEST_WAIT: Duration = Duration::from_secs(300);
/// Slack on top of a wait request's own timeout before the client gives up on the answer.
const ANSWER_SLACK: Duration = Duration::from_secs(10);
/// How long one `status` try may take.
const STATUS_TRY: Duration = Duration::from_secs(2);
/// Pause between `status --wait` tries.
const STATUS_PAUSE: Duration = Duration::from_millis(100);

/// Flags of `hookpit wait`.
#[derive(Clone, Args)]
pub struct WaitArgs {
    /// What to wait for, in the search syntax of the list (`type:run_complete`, `is:invalid`,
    /// `path:/hooks`, words…). Every event matches when absent.
    pub query: Option<String>,
    /// Only events with an id above this; `0` also matches what is already stored. Default: the
    /// newest id when the wait starts (what arrives next).
    #[arg(long, value_name = "ID")]
    pub after: Option<u64>,
    /// How long to wait in all: `30s`, `2m`, or seconds.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// How many events to wait for (each later than the one before).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub count: u32,
    /// Print the whole event (headers, body, attempts) rather than its summary.
    #[arg(long)]
    pub full: bool,
    /// Where hookpit is.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// How a wait ended, when nothing went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// Every event asked for arrived.
    Got,
    /// Time ran out first.
    TimedOut,
}

/// Runs `hookpit wait`: prints each match as one JSON line.
pub async fn wait(args: WaitArgs) -> anyhow::Result<Waited> {
    let api = Api::new(&args.ui)?;
    let deadline = Instant::now() + args.timeout;
    let query = encode(args.query.as_deref().unwrap_or(""));
    let mut after = args.after;
    let mut got = 0;
    while got < args.count {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Waited::TimedOut);
        }
        let hold = left.min(MAX_REQUEST_WAIT);
        let mut path = format!("/api/events/wait?q={query}&timeout={}ms", hold.as_millis());
        if let Some(after) = after {
            path.push_str(&format!("&after={after}"));
        }
        let answer = api.get(&path, hold + ANSWER_SLACK).await??;
        match answer.status {
            200 => {}
            // This request's share ran out; the loop asks again while the whole wait has time.
            408 => continue,
            _ => bail!("hookpit refused the wait: {}", answer.reason()),
        }
        let event = answer.json()["event"].take();
        let Some(id) = event["id"].as_u64() else {
            bail!("hookpit answered the wait without an event id");
        };
        if args.full {
            let detail = api
                .get(&format!("/api/events/{id}"), Duration::from_secs(30))
                .await??;
            if detail.status != 200 {
                bail!("cannot read event {id}: {}", detail.reason());
            }
            crate::out::line(String::from_utf8_lossy(&detail.body).trim_end());
        } else {
            crate::out::line(event);
        }
        after = Some(id);
        got += 1;
    }
    Ok(Waited::Got)
}

/// Flags of `hookpit status`.
#[derive(Clone, Args)]
pub struct StatusArgs {
    /// Keep trying this long for a hookpit to answer (`10s`); one try when absent.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub wait: Option<Duration>,
    /// Print the status as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Where hookpit is.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// Runs `hookpit status`: prints the status of the hookpit at `--ui` once it answers.
pub async fn status(args: StatusArgs) -> anyhow::Result<()> {
    let api = Api::new(&args.ui)?;
    let deadline = Instant::now() + args.wait.unwrap_or_default();
    let answer = loop {
        let why = match api.get("/api/status", STATUS_TRY).await? {
            Ok(answer) if answer.status == 200 => break answer,
            Ok(answer) => format!("{} answered {}", args.ui.ui, answer.reason()),
            Err(unreachable) => unreachable.to_string(),
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            match args.wait {
                Some(wait) => bail!("no hookpit answered within {} ms: {why}", wait.as_millis()),
                None => bail!("{why}"),
            }
        }
        tokio::time::sleep(STATUS_PAUSE.min(left)).await;
    };
    let status = answer.json();
    if args.json {
        crate::out::line(&status);
        return Ok(());
    }
    let text = |key: &str| status[key].as_str().unwrap_or("?").to_string();
    crate::out::line(format_args!(
        "hookpit {} is up\n  ui        {}\n  capture   {}\n  database  {}\n  events    {}",
        text("version"),
        text("ui_url"),
        text("capture_url"),
        text("db_path"),
        status["events"].as_u64().unwrap_or(0),
    ));
    if let Some(target) = status["forward"]["target"].as_str() {
        crate::out::line(format_args!("  forward   {target}"));
    }
    if status["storage"]["ok"] == false {
        crate::out::line(format_args!(
            "  storage   failing: {}",
            status["storage"]["error"].as_str().unwrap_or("?")
        ));
    }
    Ok(())
}
