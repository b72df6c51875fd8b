//! `hookpit replay --since T`: starts a bulk replay on a running hookpit with the order,
//! duplicates and concurrency asked for, prints the seed (so the same run can be asked for
//! again) and each step as the app answers it. Exits non-zero when a replay got no 2xx.

use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::Full;

use crate::chaos::ChaosArgs;
use crate::client::{DELIVERY_TIMEOUT, HttpClient};

/// How often the job's log is read while it runs.
const POLL: Duration = Duration::from_millis(200);

/// A running hookpit's API, as `hookpit replay` reaches it.
pub struct Api {
    /// Its base URL.
    pub base: String,
    /// `--ui` as given, for messages.
    pub ui: String,
    /// The UI token, when it needs one.
    pub token: Option<String>,
}

/// What `hookpit replay --since` asks for.
pub struct Bulk<'a> {
    /// `--since`: RFC 3339 or a duration ago.
    pub since: &'a str,
    /// `--only-failed`.
    pub only_failed: bool,
    /// `--rate`.
    pub rate: Option<f64>,
    /// `--to`.
    pub to: Option<&'a str>,
    /// `--verbatim`.
    pub verbatim: bool,
    /// The sequence flags.
    pub chaos: &'a ChaosArgs,
}

/// Runs a bulk replay on the hookpit behind `api`.
pub async fn run(api: &Api, args: &Bulk<'_>) -> anyhow::Result<()> {
    let base = &api.base;
    let since = since(args.since, Utc::now())?;
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
    let (status, json) = api
        .call(
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
        let (status, log) = api
            .call(
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

impl Api {
    /// Calls the running hookpit's API: its status and JSON answer.
    pub async fn call(
        &self,
        method: hyper::Method,
        url: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<(u16, serde_json::Value)> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(url)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body)))
            .with_context(|| format!("{url:?} is not a valid URL"))?;
        if let Some(token) = &self.token {
            req.headers_mut().insert(
                "authorization",
                format!("Bearer {token}")
                    .parse()
                    .context("the token is not a valid header value")?,
            );
        }
        let answer = HttpClient::default()
            .deliver(req, DELIVERY_TIMEOUT * 2, 16 << 20)
            .await;
        let Some(status) = answer.status else {
            bail!(
                "cannot reach hookpit at {}: {}",
                self.ui,
                answer.error.unwrap_or_default()
            );
        };
        Ok((
            status,
            serde_json::from_slice(&answer.body).unwrap_or_default(),
        ))
    }
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
