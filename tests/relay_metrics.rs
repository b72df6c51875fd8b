//! The relay as a service: `/healthz` on its listener and `--metrics ADDR`'s Prometheus text
//! exposition, parsed line by line (and by the official Python client's parser when it is
//! installed) after real traffic: a delivered webhook, a refusal, an agent connected.

mod common;

use std::collections::BTreeMap;

use common::child::{free_addr, try_get};
use common::stub::eventually;
use common::*;

/// One sample: the metric's name with its labels, and its value.
fn samples(page: &str) -> BTreeMap<String, f64> {
    let mut typed: Vec<String> = Vec::new();
    let mut out = BTreeMap::new();
    for line in page.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(["gauge", "counter", "histogram"].contains(&kind), "{line}");
            typed.push(name.to_string());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line:?}"));
        let name = series.split('{').next().expect("a name");
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && name.starts_with("hookpit_relay_"),
            "{line:?}"
        );
        if let Some(labels) = series.strip_prefix(name)
            && !labels.is_empty()
        {
            let inner = labels
                .strip_prefix('{')
                .and_then(|l| l.strip_suffix('}'))
                .expect("{labels}");
            for pair in inner.split(',') {
                let (k, v) = pair.split_once('=').expect("label=value");
                assert!(
                    k.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{line:?}"
                );
                assert!(v.starts_with('"') && v.ends_with('"'), "{line:?}");
            }
        }
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| typed.iter().any(|t| t == f))
            })
            .unwrap_or(name);
        assert!(
            typed.iter().any(|t| t == family),
            "{name} has no # TYPE before it"
        );
        out.insert(series.to_string(), value);
    }
    out
}

/// The official client's parser, when Python has it: `None` when it is not installed.
fn python_parses(page: &str) -> Option<Vec<String>> {
    let script = "import sys\nfrom prometheus_client.parser import text_string_to_metric_families as p\nfor f in p(sys.stdin.read()):\n    print(f.name, f.type, len(f.samples))\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), page.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python ran");
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("No module named 'prometheus_client'") {
        skipped(
            "relay_metrics python oracle",
            "prometheus_client is not installed",
        );
        return None;
    }
    assert!(
        out.status.success(),
        "prometheus_client refused the page: {err}\n{page}"
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

#[tokio::test]
async fn healthz_and_metrics_count_what_the_relay_did() {
    let metrics = free_addr();
    let relay = spawn_relay(
        "127.0.0.1:0",
        ":memory:",
        &["--metrics", &metrics.to_string()],
    )
    .await;
    let health = try_get(relay.addr, "/healthz")
        .await
        .expect("healthz answers");
    assert_eq!((health.status, text(&health.body).as_str()), (200, "ok\n"));

    let t = spawn_app(&[
        "--relay",
        &relay.url(),
        "--relay-token",
        "relay-token",
        "--canary-interval",
        "0",
    ])
    .await;
    let public = eventually("the agent to connect", || async {
        let s = get_json(&t, "/api/status").await;
        s["relay"]["public_url"].as_str().map(str::to_string)
    })
    .await;
    let path = public.strip_prefix(&relay.url()).expect("under the relay");
    let head = format!(
        "POST {path}/hook HTTP/1.1\r\nHost: {}\r\nContent-Length: 2\r\n",
        relay.addr
    );
    let resp = raw(relay.addr, head.as_bytes(), b"{}").await;
    assert_eq!(resp.status, 200, "{}", text(&resp.body));
    let head = format!(
        "POST /c/nosuchchannel/hook HTTP/1.1\r\nHost: {}\r\nContent-Length: 2\r\n",
        relay.addr
    );
    assert_eq!(raw(relay.addr, head.as_bytes(), b"{}").await.status, 404);

    let page = eventually("the delivery acknowledged", || async {
        let resp = try_get(metrics, "/metrics").await?;
        assert_eq!(resp.status, 200);
        assert!(
            resp.header("content-type")
                .is_some_and(|c| c.starts_with("text/plain; version=0.0.4"))
        );
        let page = text(&resp.body);
        (samples(&page).get("hookpit_relay_requests_delivered_total") == Some(&1.0)).then_some(page)
    })
    .await;
    let s = samples(&page);
    let at = |k: &str| *s.get(k).unwrap_or_else(|| panic!("no {k} in\n{page}"));
    assert_eq!(at("hookpit_relay_channels"), 1.0);
    assert_eq!(at("hookpit_relay_agents_connected"), 1.0);
    assert_eq!(at("hookpit_relay_requests_received_total"), 1.0);
    assert_eq!(at("hookpit_relay_requests_queued"), 0.0);
    assert_eq!(at("hookpit_relay_bytes_queued"), 0.0);
    assert_eq!(
        at("hookpit_relay_refused_total{reason=\"no_channel\"}"),
        1.0
    );
    // The histogram: cumulative buckets ending in +Inf, which equals the count.
    let buckets: Vec<f64> = page
        .lines()
        .filter(|l| l.starts_with("hookpit_relay_commit_seconds_bucket"))
        .map(|l| {
            l.rsplit_once(' ')
                .expect("value")
                .1
                .parse()
                .expect("number")
        })
        .collect();
    assert!(
        buckets.len() > 2 && buckets.windows(2).all(|w| w[0] <= w[1]),
        "{page}"
    );
    assert_eq!(
        at("hookpit_relay_commit_seconds_bucket{le=\"+Inf\"}"),
        at("hookpit_relay_commit_seconds_count")
    );
    assert!(
        at("hookpit_relay_commit_seconds_count") >= 2.0,
        "the channel and the request were committed"
    );
    assert!(at("hookpit_relay_commit_seconds_sum") > 0.0);
    if let Some(families) = python_parses(&page) {
        for want in [
            "hookpit_relay_channels gauge 1",
            "hookpit_relay_commit_seconds histogram",
            "hookpit_relay_refused counter 1",
        ] {
            assert!(
                families.iter().any(|f| f.starts_with(want)),
                "{want} not in {families:?}"
            );
        }
    }
    assert_eq!(
        try_get(metrics, "/other").await.expect("answers").status,
        404
    );

    t.stop().await;
    let s = eventually("the agent gone", || async {
        let page = text(&try_get(metrics, "/metrics").await?.body);
        let s = samples(&page);
        (s.get("hookpit_relay_agents_connected") == Some(&0.0)).then_some(s)
    })
    .await;
    assert_eq!(s["hookpit_relay_channels"], 1.0, "channels are kept");
    relay.stop().await;
}

#[tokio::test]
async fn healthz_is_503_when_the_store_cannot_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("relay.db");
    let relay = spawn_relay("127.0.0.1:0", db.to_str().expect("utf-8"), &[]).await;
    assert_eq!(
        try_get(relay.addr, "/healthz")
            .await
            .expect("answers")
            .status,
        200
    );
    // The relay's file deleted under it: every commit is refused, so is the health check.
    std::fs::remove_file(&db).expect("delete the database");
    let resp = try_get(relay.addr, "/healthz").await.expect("answers");
    assert_eq!(resp.status, 503, "{}", text(&resp.body));
    assert!(
        text(&resp.body).starts_with("the relay's store cannot write"),
        "{}",
        text(&resp.body)
    );
    relay.stop().await;
}
