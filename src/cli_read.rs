//! `hookpit events` (the list, newest first) and `hookpit show ID` (one event, or its body bytes
//! with `--raw`), read from a running hookpit's API. JSON lines for scripts; a table and a
//! readable view only when a person is at the terminal.

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use serde_json::Value;

use crate::cli_api::{Api, UiArgs, colour, encode, stdout_is_terminal};

/// How long one API read may take.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The API's largest page.
const PAGE: u32 = 500;

/// Flags of `hookpit events`.
#[derive(Clone, Args)]
pub struct EventsArgs {
    /// A search, as in the UI's search box (`type:run_complete`, `is:invalid`, words…).
    pub query: Option<String>,
    /// How many events, newest first.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
    /// One JSON summary per line (the default when stdout is not a terminal).
    #[arg(long)]
    pub json: bool,
    /// Where hookpit is.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// Runs `hookpit events`.
pub async fn events(args: EventsArgs) -> anyhow::Result<()> {
    let api = Api::new(&args.ui)?;
    let query = encode(args.query.as_deref().unwrap_or(""));
    let mut events: Vec<Value> = Vec::new();
    let mut before: Option<i64> = None;
    while events.len() < args.limit as usize {
        let want = (args.limit as usize - events.len()).min(PAGE as usize);
        let mut path = format!("/api/events?q={query}&limit={want}");
        if let Some(before) = before {
            path.push_str(&format!("&before={before}"));
        }
        let answer = api.get(&path, READ_TIMEOUT).await??;
        if answer.status != 200 {
            bail!("hookpit refused the list: {}", answer.reason());
        }
        let mut page = answer.json();
        let Value::Array(got) = page["events"].take() else {
            bail!("hookpit answered the list without events");
        };
        events.extend(got);
        match page["next_before"].as_i64() {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    if args.json || !stdout_is_terminal() {
        for event in &events {
            crate::out::line(event);
        }
        return Ok(());
    }
    crate::out::line(format_args!(
        "{:>6}  {:<23}  {:<6}  {:<24}  {:<20}  {:<10}  {}",
        "ID", "RECEIVED", "METHOD", "PATH", "TYPE", "VERIFIED", "APP"
    ));
    for e in &events {
        crate::out::line(table_row(e, colour()));
    }
    if events.is_empty() {
        eprintln!("no events");
    }
    Ok(())
}

/// One line of the table.
fn table_row(e: &Value, colour: bool) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let verdict = text(&e["verification"]["status"]);
    let painted = paint(&format!("{verdict:<10}"), verdict_colour(&verdict), colour);
    let app = match (
        e["last_attempt"]["status"].as_u64(),
        e["last_attempt"]["error"].as_str(),
    ) {
        (Some(status), _) => status.to_string(),
        (None, Some(_)) => "error".to_string(),
        (None, None) => String::new(),
    };
    format!(
        "{:>6}  {:<23}  {:<6}  {:<24}  {:<20}  {painted}  {app}",
        e["id"].as_i64().unwrap_or(0),
        cut(&text(&e["received_at"]), 23),
        cut(&text(&e["method"]), 6),
        cut(&text(&e["path"]), 24),
        cut(&text(&e["event_type"]), 20),
    )
}

/// The ANSI colour of a verdict: green valid, red invalid, yellow otherwise.
fn verdict_colour(verdict: &str) -> &'static str {
    match verdict {
        "valid" => "32",
        "invalid" => "31",
        _ => "33",
    }
}

fn paint(text: &str, code: &str, colour: bool) -> String {
    if colour {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// `text` cut to `width` characters, with `…` where it was cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut kept: String = text.chars().take(width.saturating_sub(1)).collect();
    kept.push('…');
    kept
}

/// Flags of `hookpit show`.
#[derive(Clone, Args)]
pub struct ShowArgs {
    /// The event id.
    pub id: i64,
    /// The whole event as one JSON object (the default when stdout is not a terminal).
    #[arg(long)]
    pub json: bool,
    /// Write the body's exact bytes to stdout, nothing else.
    #[arg(long, conflicts_with = "json")]
    pub raw: bool,
    /// Where hookpit is.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// Runs `hookpit show`.
pub async fn show(args: ShowArgs) -> anyhow::Result<()> {
    let api = Api::new(&args.ui)?;
    if args.raw {
        let answer = api
            .get(&format!("/api/events/{}/raw", args.id), READ_TIMEOUT)
            .await??;
        if answer.status != 200 {
            bail!("cannot read event {}: {}", args.id, answer.reason());
        }
        crate::out::bytes(&answer.body)?;
        return Ok(());
    }
    let answer = api
        .get(&format!("/api/events/{}", args.id), READ_TIMEOUT)
        .await??;
    if answer.status != 200 {
        bail!("cannot read event {}: {}", args.id, answer.reason());
    }
    if args.json || !stdout_is_terminal() {
        crate::out::line(String::from_utf8_lossy(&answer.body).trim_end());
        return Ok(());
    }
    crate::out::line(readable(&answer.json(), colour()));
    Ok(())
}

/// The event as a person reads it: the request, the verdict, the body, each delivery try.
fn readable(e: &Value, colour: bool) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let mut out = String::new();
    let mut push = |line: String| {
        out.push_str(&line);
        out.push('\n');
    };
    push(format!(
        "event {}  {}  {} {}",
        e["id"],
        text(&e["received_at"]),
        text(&e["method"]),
        text(&e["path"])
    ));
    let verdict = text(&e["verification"]["status"]);
    let reason = e["verification"]["reason"]
        .as_str()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    push(format!(
        "verified  {}{reason}",
        paint(&verdict, verdict_colour(&verdict), colour)
    ));
    if let Some(kind) = e["event_type"].as_str() {
        push(format!("type      {kind}"));
    }
    push(String::new());
    for pair in e["headers"].as_array().into_iter().flatten() {
        push(format!("{}: {}", text(&pair[0]), text(&pair[1])));
    }
    push(String::new());
    match e["body"]["encoding"].as_str() {
        Some("utf8") => push(text(&e["body"]["data"])),
        _ => push(format!(
            "({} bytes, not UTF-8: `hookpit show {} --raw` writes them)",
            e["size"], e["id"]
        )),
    }
    for a in e["attempts"].as_array().into_iter().flatten() {
        if let Some(rule) = a["skipped"].as_str() {
            push(format!(
                "attempt {} {} skipped by {rule}",
                text(&a["kind"]),
                text(&a["target"])
            ));
            continue;
        }
        let outcome = match a["status"].as_u64() {
            Some(s) => s.to_string(),
            None => text(&a["error"]),
        };
        push(format!(
            "attempt {} {} → {outcome} in {} ms",
            text(&a["kind"]),
            text(&a["target"]),
            a["duration_ms"]
        ));
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_are_cut_with_an_ellipsis() {
        assert_eq!(cut("/webhooks/cyberdesk", 10), "/webhooks…");
        assert_eq!(cut("/short", 10), "/short");
    }

    #[test]
    fn colour_only_when_asked() {
        let e = serde_json::json!({"id": 3, "verification": {"status": "valid"}});
        assert!(table_row(&e, true).contains("\x1b[32m"));
        assert!(!table_row(&e, false).contains('\x1b'));
    }

    #[test]
    fn a_skipped_forward_reads_as_skipped_with_its_rule() {
        let e = serde_json::json!({
            "id": 4, "verification": {"status": "unsigned"}, "headers": [],
            "body": {"encoding": "utf8", "data": ""},
            "attempts": [
                {"kind": "forward", "target": "http://a/x", "status": null, "error": null,
                 "duration_ms": null, "skipped": "match = \"status:task_failed\""},
                {"kind": "forward", "target": "http://b/x", "status": 200, "error": null,
                 "duration_ms": 3, "skipped": null}
            ]
        });
        let shown = readable(&e, false);
        assert!(
            shown.contains("attempt forward http://a/x skipped by match = \"status:task_failed\""),
            "{shown}"
        );
        assert!(
            shown.contains("attempt forward http://b/x → 200 in 3 ms"),
            "{shown}"
        );
    }
}
