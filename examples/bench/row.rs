//! "Event → row": hookpit's page open in headless Chromium while signed webhooks are posted one
//! at a time; a MutationObserver in the page stamps when each one's row appears in the list.
//! The latency is from the moment the sender starts the request to that stamp, both read from
//! the machine's wall clock (the page as `performance.timeOrigin + performance.now()`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::load::Shot;
use crate::ui::{browser, eval, open_live, wait_for};
use crate::{Bench, shot};

/// Events measured (the issue asks for at least 50).
const EVENTS: usize = 60;
/// The pause between two posts: each row has long since appeared, so one event never queues
/// behind the previous one's rendering.
const GAP: Duration = Duration::from_millis(80);

/// Installed in the page: every row the list adds under `#rows` is stamped once, by event id.
const PROBE: &str = r#"
window.__rows = {};
const stamp = (n) => {
  if (n.nodeType !== 1) return;
  const id = n.getAttribute('data-id');
  if (id !== null && !(id in __rows)) __rows[id] = performance.timeOrigin + performance.now();
};
new MutationObserver((list) => {
  for (const m of list) {
    if (m.type === 'attributes') stamp(m.target);
    else for (const n of m.addedNodes) stamp(n);
  }
}).observe(document.querySelector('#rows'), {
  childList: true, subtree: true, attributes: true, attributeFilter: ['data-id'],
});
return true;
"#;

fn skip(b: &mut Bench, why: &str) {
    b.row(
        "row",
        "event -> row visible in the open UI, p50 / p99",
        format!("skipped: {why}"),
        "<= 10 ms p50",
        None,
    );
}

/// Wall-clock milliseconds since the epoch, as the page reads them.
fn wall_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Posts `shot` on `sender`; the stored event's id and the time to the answer in ms.
async fn post(
    shot: &Shot,
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
) -> Result<(i64, f64), String> {
    let mut req = Request::post(shot.path.as_str())
        .header("host", shot.addr.to_string())
        .body(Full::new(shot.body.clone()))
        .expect("valid request");
    for (n, v) in &shot.headers {
        req.headers_mut().insert(
            hyper::header::HeaderName::from_bytes(n.as_bytes()).expect("header name"),
            v.parse().expect("header value"),
        );
    }
    let t = std::time::Instant::now();
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("post failed: {e}"))?;
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("answer failed: {e}"))?
        .to_bytes();
    let answered = t.elapsed().as_secs_f64() * 1000.0;
    let id = serde_json::from_slice::<Value>(&body).unwrap_or_default()["id"]
        .as_i64()
        .ok_or_else(|| format!("no event id in {}", String::from_utf8_lossy(&body)))?;
    Ok((id, answered))
}

pub async fn row(b: &mut Bench) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let (_p, capture, ui) = crate::hookpit(&[], db.to_str().unwrap()).await;
    let (driver, client) = match browser().await {
        Ok(b) => b,
        Err(why) => return skip(b, &why),
    };
    let measured = measure(b, &client, capture, ui).await;
    let _ = client.close().await;
    drop(driver);
    if let Err(why) = measured {
        skip(b, &why);
    }
}

async fn measure(
    b: &mut Bench,
    c: &fantoccini::Client,
    capture: std::net::SocketAddr,
    ui: std::net::SocketAddr,
) -> Result<(), String> {
    open_live(c, ui).await?;
    c.execute(PROBE, vec![])
        .await
        .map_err(|e| format!("cannot install the probe: {e}"))?;
    let stream = tokio::net::TcpStream::connect(capture)
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(conn);
    let shot = shot(capture, "/cyberdesk");
    // The first event turns the empty page into a list: not what a developer waits for later.
    let (warm, _) = post(&shot, &mut sender).await?;
    if !wait_for(c, &format!("__rows['{warm}'] !== undefined")).await {
        return Err("the first event's row never appeared".into());
    }
    let mut sent = Vec::with_capacity(EVENTS);
    let mut answers = Vec::with_capacity(EVENTS);
    for _ in 0..EVENTS {
        let at = wall_ms();
        let (id, answered) = post(&shot, &mut sender).await?;
        sent.push((id, at));
        answers.push(answered);
        tokio::time::sleep(GAP).await;
    }
    let last = sent.last().map_or(0, |(id, _)| *id);
    if !wait_for(c, &format!("__rows['{last}'] !== undefined")).await {
        return Err("the last event's row never appeared".into());
    }
    let stamps = eval(c, "__rows").await;
    let mut lat: Vec<f64> = Vec::with_capacity(EVENTS);
    let mut missing = 0;
    for (id, at) in &sent {
        match stamps[id.to_string()].as_f64() {
            Some(shown) => lat.push(shown - at),
            None => missing += 1,
        }
    }
    if lat.is_empty() {
        return Err("no row was stamped".into());
    }
    let (p50, p99) = (percentile(&mut lat, 0.50), percentile(&mut lat, 0.99));
    let (a50, a99) = (
        percentile(&mut answers, 0.50),
        percentile(&mut answers, 0.99),
    );
    b.row(
        "row",
        format!("event -> row visible in the open UI ({EVENTS} events, one at a time)"),
        format!("p50 {p50:.1} ms, p99 {p99:.1} ms, {missing} rows missing"),
        "<= 10 ms p50",
        Some(p50 <= 10.0 && missing == 0),
    );
    b.row(
        "row",
        "the sender's answer (2xx) for the same events",
        format!("p50 {a50:.2} ms, p99 {a99:.2} ms"),
        "",
        None,
    );
    Ok(())
}

/// The `q` quantile of `values` (sorted in place), nearest rank.
fn percentile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let i = ((values.len() as f64 * q).ceil() as usize).clamp(1, values.len()) - 1;
    values[i]
}
