//! `hookpit replay --since T`: starts a bulk replay on a running hookpit with the order,
//! duplicates and concurrency asked for, prints the seed (so the same run can be asked for
//! again) and each step as the app answers it. Exits non-zero when a replay got no 2xx.

use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};

use crate::cli_replay::{ReplayArgs, call};

/// How often the job's log is read while it runs.
const POLL: Duration = Duration::from_millis(200);

/// Runs a bulk replay for `args` against the hookpit at `base`.
pub async fn run(args: &ReplayArgs, base: &str) -> anyhow::Result<()> {
    let since = since(args.since.as_deref().unwrap_or_default(), Utc::now())?;
    let chaos = args.chaos.chaos().map_err(anyhow::Error::msg)?;
    let body = serde_json::json!({
        "since": since.to_rfc3339(),
        "only_failed": args.only_failed,
        "target": args.to,
        "mode": if args.verbatim { "verbatim" } else { "resign" },
        "rate": args.rate,
        "order": chaos.order,
        "seed": chaos.seed,
        "duplicates": chaos.duplicates,
        "concurrency": chaos.concurrency,
    });
    let (status, json) = call(
        args,
        hyper::Method::POST,
        &format!("{base}/api/replay"),
        Some(body),
    )
    .await?;
    if status != 202 {
        bail!(
            "hookpit refused the replay ({status}): {}",
            json["error"].as_str().unwrap_or("no reason given")
        );
    }
    let job = json["job"]
        .as_u64()
        .context("hookpit answered no job number")?;
    crate::out::line(format_args!(
        "replay job {job}: {} messages ({} events), order {}, seed {}, duplicates {}, concurrency {}",
        json["plan"].as_array().map_or(0, Vec::len),
        json["total"],
        chaos.order.as_str(),
        chaos.seed,
        chaos.duplicates,
        chaos.concurrency
    ));
    let mut shown = std::collections::HashSet::new();
    let mut failed = 0;
    loop {
        let (status, log) = call(
            args,
            hyper::Method::GET,
            &format!("{base}/api/replay/{job}"),
            None,
        )
        .await?;
        if status != 200 {
            bail!("cannot read replay job {job} ({status})");
        }
        for step in log["steps"].as_array().into_iter().flatten() {
            let position = step["position"].as_u64().unwrap_or(0);
            if step["finished_at"].is_null() || !shown.insert(position) {
                continue;
            }
            let answer = match step["status"].as_u64() {
                Some(s) => s.to_string(),
                None => format!("✗ {}", step["error"].as_str().unwrap_or("no answer")),
            };
            if !step["status"]
                .as_u64()
                .is_some_and(|s| (200..300).contains(&s))
            {
                failed += 1;
            }
            crate::out::line(format_args!(
                "  #{position} event {}{} → {answer}",
                step["event_id"],
                if step["duplicate"] == true {
                    " (duplicate)"
                } else {
                    ""
                }
            ));
        }
        match log["state"].as_str() {
            Some("running") => tokio::time::sleep(POLL).await,
            Some("done") => break,
            other => bail!("replay job {job} ended {}", other.unwrap_or("unknown")),
        }
    }
    if failed > 0 {
        bail!("{failed} of {} replays got no 2xx", shown.len());
    }
    Ok(())
}

/// `--since`: an RFC 3339 time, or a duration before `now`.
fn since(text: &str, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let ago = crate::duration::parse_duration(text).map_err(|e| {
        anyhow::anyhow!("--since {text:?}: neither an RFC 3339 time nor a duration ({e})")
    })?;
    Ok(now - chrono::Duration::from_std(ago).context("--since is too long ago")?)
}

#[cfg(test)]
mod tests {
    use super::since;

    #[test]
    fn since_takes_a_time_or_a_duration_ago() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T12:00:00Z")
            .expect("time")
            .to_utc();
        assert_eq!(
            since("10m", now).expect("duration").to_rfc3339(),
            "2026-01-01T11:50:00+00:00"
        );
        assert_eq!(
            since("2026-01-01T10:00:00Z", now)
                .expect("time")
                .to_rfc3339(),
            "2026-01-01T10:00:00+00:00"
        );
        assert!(since("yesterday", now).is_err());
    }
}
