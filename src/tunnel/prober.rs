//! The canary: every `--canary-interval`, a signed probe goes out to the public URL and must
//! come back in through the tunnel (or relay) to this hookpit's capture side, which answers it
//! without storing it. Each result lands in `/api/status` `canary` and a `tunnel.status`
//! frame; the moment probes start failing, and the moment they pass again, is also logged.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;

use crate::app::App;
use crate::public_url::{AppCheck, CANARY_HEADER, CANARY_PATH, now};

/// How long one probe may take, there and back (with `--canary-app`, the app's answer too,
/// which the doctor allows 15 s).
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

/// Most bytes of the public URL's answer kept to explain a failure.
const ANSWER_KEPT: usize = 512;

/// How one probe went.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// There and back, and on to the app when asked.
    Passed,
    /// It never reached this hookpit.
    Lost(String),
    /// It reached this hookpit, but the app did not answer as a sender needs.
    AppFailed(String),
}

/// Probes on the interval, and at once whenever the tunnel changes (its program died, or it
/// came up with a URL), until hookpit stops.
pub async fn run(app: App) {
    let mut tick = tokio::time::interval(app.config.canary_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stopped = app.stopped();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = app.public.tunnel_changed() => tick.reset(),
            _ = &mut stopped => return,
        }
        // No public URL yet (the tunnel starts, the relay connects): nothing to probe.
        let Some(url) = super::public_url(&app) else {
            continue;
        };
        let started = Instant::now();
        let verdict = tokio::select! {
            v = probe(&app, &url) => v,
            _ = &mut stopped => return,
        };
        record(&app, &url, verdict, started.elapsed());
    }
}

/// Sends one probe through `url` and judges what came back.
pub async fn probe(app: &App, url: &str) -> Verdict {
    let out = app.public.probes.start();
    let target = format!("{}{CANARY_PATH}", url.trim_end_matches('/'));
    let body = serde_json::json!({ "type": "hookpit.canary", "id": out.id }).to_string();
    let req = Request::builder()
        .method(Method::POST)
        .uri(&target)
        .header("content-type", "application/json")
        .header(CANARY_HEADER, &out.header)
        .body(Full::new(Bytes::from(body)));
    let Ok(req) = req else {
        app.public.probes.cancel(&out.id);
        return Verdict::Lost(format!("{target:?} is not a URL hookpit can send to"));
    };
    let answer = app.client.deliver(req, PROBE_TIMEOUT, ANSWER_KEPT).await;
    let mut receipt = out.receipt;
    let arrived = receipt.try_recv();
    app.public.probes.cancel(&out.id);
    match (arrived, answer.status) {
        (Ok(None), _) => Verdict::Passed,
        (Ok(Some(check)), _) => judge_app(check),
        (Err(_), None) => Verdict::Lost(
            answer
                .error
                .unwrap_or_else(|| "no answer from the public URL".into()),
        ),
        (Err(_), Some(status)) => {
            let said = String::from_utf8_lossy(&answer.body);
            let said: String = said.split_whitespace().collect::<Vec<_>>().join(" ");
            let said = match said.is_empty() {
                true => String::new(),
                false => format!(" ({})", said.chars().take(160).collect::<String>()),
            };
            Verdict::Lost(format!(
                "the public URL answered {status}{said}, but the probe never arrived here"
            ))
        }
    }
}

fn judge_app(check: AppCheck) -> Verdict {
    match check.ok {
        true => Verdict::Passed,
        false => Verdict::AppFailed(format!("the app at --forward: {}", check.detail)),
    }
}

/// Stores a probe's result, and says so when the state flips.
fn record(app: &App, url: &str, verdict: Verdict, took: Duration) {
    let was = app.public.get().canary;
    let failing_before = was.as_ref().and_then(|c| c.failing_since.clone());
    let moved = match was.as_ref().and_then(|c| c.url.as_deref()) {
        Some(old) if old != url => {
            format!("; the public URL changed (was {old}): give the sender the new one")
        }
        _ => String::new(),
    };
    let (ok, error, failed_at) = match &verdict {
        Verdict::Passed => (true, None, None),
        Verdict::Lost(why) => (false, Some(why.clone()), Some("tunnel")),
        Verdict::AppFailed(why) => (false, Some(why.clone()), Some("app")),
    };
    let at = now();
    let since = match (ok, &failing_before) {
        (true, _) => None,
        (false, Some(since)) => Some(since.clone()),
        (false, None) => Some(at.clone()),
    };
    let changed = was.as_ref().map(|c| (c.ok, c.failed_at)) != Some((Some(ok), failed_at));
    app.public
        .update_canary(&app.live, app.config.canary_app, |c| {
            c.url = Some(url.to_string());
            c.last_at = Some(at.clone());
            c.ok = Some(ok);
            c.latency_ms = ok.then_some(took.as_millis() as u64);
            c.error = error.clone();
            c.failed_at = failed_at;
            c.failing_since = since.clone();
        });
    if !changed {
        return;
    }
    match (&verdict, failing_before) {
        (Verdict::Passed, Some(since)) => tracing::warn!(
            "canary: webhooks sent to {url} reach this hookpit again (they failed since {since}); round trip {} ms{moved}",
            took.as_millis()
        ),
        (Verdict::Passed, None) => tracing::info!(
            "canary: webhooks sent to {url} reach this hookpit (round trip {} ms)",
            took.as_millis()
        ),
        (Verdict::Lost(why), _) => tracing::error!(
            "canary: webhooks sent to {url} are not reaching this hookpit since {}: {why}",
            since.unwrap_or_default()
        ),
        (Verdict::AppFailed(why), _) => tracing::error!(
            "canary: webhooks sent to {url} reach this hookpit but not the app since {}: {why}",
            since.unwrap_or_default()
        ),
    }
}
