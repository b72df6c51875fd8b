//! The public URL in a real browser: with a stand-in cloudflared, the top bar shows the tunnel's
//! URL; when the program is killed the canary turns the bar red with the sentence that says what
//! is lost since when, and when hookpit has restarted it the bar says the URL changed and that
//! webhooks reach hookpit again.

use super::*;
use common::standin::{kill9, path_with, stand_ins, start, status};

#[tokio::test]
async fn the_top_bar_shows_the_tunnel_url_and_turns_red_when_webhooks_stop_arriving() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = stand_ins(dir.path());
    let proc = start(
        dir.path(),
        path_with(&bin),
        &["--tunnel", "cloudflared", "--canary-interval", "200ms"],
    )
    .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let (url, pid) = loop {
        let s = status(&proc).await;
        if s["tunnel"]["state"] == "up" && s["canary"]["ok"] == true {
            break (
                s["tunnel"]["public_url"].as_str().expect("url").to_string(),
                s["tunnel"]["pid"].as_u64().expect("pid"),
            );
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no tunnel: {s:#}\n{}",
            proc.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    b.record_violations().await;
    b.goto(&format!("http://{}", proc.ui.expect("ui"))).await;
    b.wait_for("the live stream", LIVE).await;
    b.wait_for(
        "the tunnel's URL in the top bar",
        &format!(
            "document.querySelector('#tunnel .url')?.textContent === {}",
            js(&url)
        ),
    )
    .await;
    b.wait_css("the canary's green chip", "#tunnel .canary-ok")
        .await;
    assert!(b.text("#tunnel .relay-state").await.contains("up"));

    kill9(pid);
    b.wait_css(
        "the top bar red",
        "header.top.canary-failing #canary.canary-bad",
    )
    .await;
    let said = b.text("#canary").await;
    assert!(
        said.contains(&format!(
            "webhooks sent to {url} are not reaching this hookpit since "
        )),
        "{said}"
    );

    b.wait_for(
        "the bar green again, with the URL's change",
        "document.querySelector('#canary.canary-good') && !document.querySelector('header.top.canary-failing') && document.querySelector('#tunnel .url-changed')",
    )
    .await;
    let said = b.text("#canary").await;
    assert!(said.contains("reach this hookpit again"), "{said}");
    let new_url = b.text("#tunnel .url").await;
    assert_ne!(new_url, url, "a quick tunnel comes back with a new URL");
    assert_eq!(b.violations().await, Vec::<String>::new());
    b.close().await;
}
