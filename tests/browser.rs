//! The browser UI in a real browser: Debian's headless Chromium driven through WebDriver
//! (chromedriver + fantoccini). Without chromium and chromedriver the tests say SKIPPED and pass,
//! except on CI (`CI=true`), where a missing browser is a failure.
//!
//! Each test starts its own chromedriver on a free port (killed on drop) and a fresh Chromium
//! profile; the tests take turns (one browser at a time) so timing stays predictable. Every wait
//! is on a DOM condition with a deadline, never a fixed sleep.

mod browser_ui;
mod common;
mod doctor_apps;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::stub::Stub;
use common::*;
use doctor_apps::Mistake;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const SECRET: &str = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";
/// How long a DOM condition may take before the test fails.
const WAIT: Duration = Duration::from_secs(15);

/// One browser at a time: several Chromiums at once make timing on a busy CI machine erratic.
static BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A chromedriver child process, killed when dropped.
/// chromedriver runs in a process group of its own, and Chromium with it, so that dropping
/// the driver ends the browser too, even when a failing test never closed its session.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group (chromedriver, Chromium and its helpers), by the group id we made.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser session plus what it needs to stay alive.
struct Browser {
    client: Client,
    session: Option<String>,
    driver: Driver,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// Ends the WebDriver session (chromedriver then quits Chromium) before the driver goes:
    /// a panicking test must not leave a browser running. Blocking, since Drop cannot await.
    fn drop(&mut self) {
        let Some(id) = &self.session else { return };
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.driver.port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let request = format!(
                "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
                self.driver.port
            );
            if std::io::Write::write_all(&mut s, request.as_bytes()).is_ok() {
                let _ = std::io::Read::read_to_end(&mut s, &mut Vec::new());
            }
        }
    }
}

/// The chromedriver executable, when chromium and chromedriver are both installed.
fn chromedriver_path() -> Option<PathBuf> {
    if !Path::new(CHROMIUM).exists() {
        return None;
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromedriver"))
        .find(|p| p.is_file())
}

/// Starts chromedriver and a headless Chromium session; `None` (after saying SKIPPED) when they
/// are not installed outside CI.
async fn browser() -> Option<Browser> {
    let Some(chromedriver) = chromedriver_path() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "chromium/chromedriver not installed, and CI=true: browser tests must run on CI"
            );
        }
        // Straight to stderr, past the test harness's capture, so it is seen.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"\n*** SKIPPED: chromium/chromedriver not installed (browser tests did not run) ***\n",
        );
        return None;
    };
    let mut child = Command::new(chromedriver)
        .arg("--port=0")
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let stdout = child.stdout.take().expect("chromedriver stdout");
    // "ChromeDriver was started successfully on port 40205."
    let port = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let port = lines.by_ref().map_while(Result::ok).find_map(|line| {
            line.split("successfully on port ")
                .nth(1)
                .and_then(|rest| rest.trim_end_matches('.').trim().parse::<u16>().ok())
        });
        // Keep draining so chromedriver never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        port
    });
    let port = tokio::time::timeout(WAIT, port)
        .await
        .expect("chromedriver says its port in time")
        .expect("port reader")
        .expect("chromedriver printed its port");
    let driver = Driver { child, port };
    let profile = tempfile::tempdir().expect("profile dir");
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-dev-shm-usage",
                "--window-size=1400,900",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let url = format!("http://127.0.0.1:{}", driver.port);
    // chromedriver may print its port a moment before it accepts sessions.
    let deadline = tokio::time::Instant::now() + WAIT;
    let client = loop {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(c) => break c,
            Err(e) if tokio::time::Instant::now() < deadline => {
                eprintln!("chromedriver not ready yet: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("could not start a Chromium session: {e}"),
        }
    };
    let session = client.session_id().await.ok().flatten();
    Some(Browser {
        client,
        session,
        driver,
        _profile: profile,
    })
}

impl Browser {
    /// Runs `return (expr)` in the page.
    async fn eval(&self, expr: &str) -> Value {
        self.client
            .execute(&format!("return ({expr});"), vec![])
            .await
            .unwrap_or_else(|e| panic!("script {expr:?} failed: {e}"))
    }

    /// Waits until the JavaScript expression is truthy; fails with the page's text otherwise.
    async fn wait_for(&self, what: &str, expr: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        let script = format!("return !!({expr});");
        loop {
            if let Ok(Value::Bool(true)) = self.client.execute(&script, vec![]).await {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                let text = self.eval("document.body.innerText").await;
                panic!(
                    "timed out waiting for {what} ({expr})\n--- page text ---\n{}",
                    text.as_str().unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until an element matches a CSS selector.
    async fn wait_css(&self, what: &str, css: &str) {
        self.wait_for(what, &format!("document.querySelector({})", js(css)))
            .await;
    }

    /// Clicks the first element matching a CSS selector (waiting for it to exist).
    async fn click(&self, css: &str) {
        let el = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"));
        el.click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// The text of the first element matching a CSS selector.
    async fn text(&self, css: &str) -> String {
        let v = self
            .eval(&format!(
                "(document.querySelector({css:?}) || {{}}).textContent || ''"
            ))
            .await;
        v.as_str().unwrap_or_default().to_string()
    }

    async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    async fn close(mut self) {
        if self.client.clone().close().await.is_ok() {
            self.session = None;
        }
    }
}

/// A JS string literal.
fn js(text: &str) -> String {
    serde_json::to_string(text).expect("string")
}

/// The condition "the live stream says live".
const LIVE: &str = "document.querySelector('#live-state').classList.contains('live')";

/// The condition "the list shows event `id`".
fn row(id: i64) -> String {
    format!("document.querySelector('#rows .row[data-id=\"{id}\"]')")
}

/// POSTs to the capture listener and returns the stored id from `Hookpit-Event-Id` (the body
/// is the app's own answer when hookpit proxies).
async fn capture_id(t: &TestApp, path: &str, headers: &[(&str, &str)], body: &[u8]) -> i64 {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
        t.capture,
        body.len()
    );
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    let resp = raw(t.capture, head.as_bytes(), body).await;
    resp.header("hookpit-event-id")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Hookpit-Event-Id (status {})", resp.status))
}

#[tokio::test]
async fn a_captured_webhook_appears_in_the_open_page_without_reload() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let t = spawn_app(&[]).await;
    b.goto(&t.ui_origin()).await;
    b.wait_for("the live stream", LIVE).await;
    b.wait_for(
        "the first-run screen",
        "!document.querySelector('#empty').hidden",
    )
    .await;
    let capture = t.capture.to_string();
    b.wait_for(
        "the capture URL on the first-run screen",
        &format!(
            "document.querySelector('#empty-capture').textContent.includes({})",
            js(&capture)
        ),
    )
    .await;
    // A marker that a reload would wipe out.
    b.eval("window.__sameDocument = 42").await;

    let id = capture_post(
        &t,
        "/orders/paid",
        &[("content-type", "application/json")],
        br#"{"type":"order.paid","amount":1200}"#,
    )
    .await;
    b.wait_for("the new event's row", &row(id)).await;
    let text = b.text(&format!("#rows .row[data-id=\"{id}\"]")).await;
    assert!(text.contains("/orders/paid"), "row text: {text}");
    assert!(text.contains("order.paid"), "row text: {text}");
    assert!(text.contains("unsigned"), "row text: {text}");
    assert_eq!(
        b.eval("window.__sameDocument").await,
        json!(42),
        "the page reloaded"
    );
    assert!(
        b.eval("document.querySelector('#empty').hidden").await == json!(true),
        "the first-run screen makes way for the list"
    );

    // A second one slides in on top, also without a reload, and the time keeps counting.
    let id2 = capture_post(&t, "/orders/refunded", &[], b"{}").await;
    b.wait_for("the second row", &row(id2)).await;
    b.wait_for(
        "relative times",
        &format!(
            "/ago|just now/.test(document.querySelector('#rows .row[data-id=\"{id}\"] .time').textContent)"
        ),
    )
    .await;
    assert_eq!(b.eval("window.__sameDocument").await, json!(42));
    b.close().await;
    t.stop().await;
}

#[tokio::test]
async fn a_signed_cyberdesk_failure_opens_on_its_run_with_the_failed_check() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let t = spawn_app(&["--secret", SECRET]).await;
    let body = fixture("cyberdesk/run_complete.task_failed.json");
    let now = chrono::Utc::now().timestamp();
    let headers = svix_headers(SECRET, "msg_browser_run_1", now, &body);
    let id = capture_post(&t, "/cyberdesk", &as_refs(&headers), &body).await;
    let sentence = get_json(&t, &format!("/api/events/{id}")).await["verification"]["message"]
        .as_str()
        .expect("verdict message")
        .to_string();
    assert!(sentence.starts_with("Signature matches key"), "{sentence}");

    b.goto(&t.ui_origin()).await;
    b.wait_for("the event's row", &row(id)).await;
    let row_text = b.text(&format!("#rows .row[data-id=\"{id}\"]")).await;
    assert!(row_text.contains("valid"), "{row_text}");
    assert!(row_text.contains("task_failed"), "{row_text}");
    b.click(&format!("#rows .row[data-id=\"{id}\"]")).await;

    b.wait_css("the verdict sentence", ".d-verdict .sentence")
        .await;
    b.wait_for(
        "the verdict sentence of the API",
        &format!(
            "document.querySelector('.d-verdict .sentence').textContent === {}",
            js(&sentence)
        ),
    )
    .await;
    b.wait_for(
        "the Run tab opened first",
        "document.querySelector('.tab.on') && document.querySelector('.tab.on').dataset.tab === 'run'",
    )
    .await;
    b.wait_css("a failed check", ".check.tone-bad").await;
    let failed = b.text(".check.tone-bad").await;
    assert!(failed.contains("Confirmation PDF saved"), "{failed}");
    assert!(
        failed.contains("Expected 1 matching attachment, found 0"),
        "{failed}"
    );
    let run = b.text(".run-tab").await;
    assert!(
        run.contains("Could not find the 'Confirm appointment' button after 3 attempts"),
        "{run}"
    );
    assert!(run.contains("patient_id"), "input values shown: {run}");
    assert!(
        run.contains("password") && !run.contains("5b8e1d3f-9a2c-4e7b-b6d0-3f1a8c5e2d94"),
        "sensitive inputs by name only: {run}"
    );
    // The URL now names the event, so a reload lands on it again.
    let url = b.client.current_url().await.expect("url");
    assert!(url.as_str().contains(&format!("event={id}")), "{url}");

    // A webhook signed 12 minutes ago that is not Cyberdesk's opens on Verification.
    let stale_body = br#"{"type":"invoice.paid"}"#;
    let stale = svix_headers(SECRET, "msg_browser_stale", now - 725, stale_body);
    let stale_id = capture_post(&t, "/billing", &as_refs(&stale), stale_body).await;
    b.wait_for("the stale event's row", &row(stale_id)).await;
    let stale_row = b.text(&format!("#rows .row[data-id=\"{stale_id}\"]")).await;
    // The summary carries skew_s: the badge says how stale, not just that it is.
    assert!(stale_row.contains("stale 12m"), "{stale_row}");
    b.click(&format!("#rows .row[data-id=\"{stale_id}\"]"))
        .await;
    b.wait_for(
        "the Verification tab opened first",
        "document.querySelector('.tab.on') && document.querySelector('.tab.on').dataset.tab === 'verification' && document.querySelector('.verify-tab')",
    )
    .await;
    let verify = b.text(".verify-tab").await;
    assert!(verify.contains("12 min old"), "{verify}");
    assert!(verify.contains("matches key"), "{verify}");
    b.close().await;
    t.stop().await;
}

/// Attacker-controlled text that would run script if it were ever parsed as HTML.
const XSS_SCRIPT: &str = "<script>window.__pwned=1</script>";
const XSS_IMG: &str = "<img src=x onerror=\"window.__pwned=1\">";
const XSS_LINK: &str = "javascript:window.__pwned=1";

#[tokio::test]
async fn webhook_content_is_shown_as_text_and_runs_nothing() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let t = spawn_app(&[]).await;
    let json_body = json!({
        "event_type": XSS_IMG,
        "note": XSS_SCRIPT,
        "img": XSS_IMG,
        "link": XSS_LINK,
        "run": { "id": XSS_SCRIPT, "status": XSS_IMG, "error": [XSS_SCRIPT],
                 "post_run_checks": [{ "name": XSS_IMG, "status": "failed", "error_message": XSS_SCRIPT }],
                 "input_values": { XSS_IMG: XSS_LINK } },
    })
    .to_string();
    let header_value = format!("{XSS_IMG}{XSS_SCRIPT}");
    let json_id = capture_post(
        &t,
        "/evil",
        &[
            ("content-type", "application/json"),
            ("X-Evil", &header_value),
        ],
        json_body.as_bytes(),
    )
    .await;
    let html = format!("{XSS_SCRIPT}{XSS_IMG}<a href=\"{XSS_LINK}\">click</a>");
    let html_id = capture_post(
        &t,
        "/evil-html",
        &[("content-type", "text/html"), ("X-Link", XSS_LINK)],
        html.as_bytes(),
    )
    .await;

    b.goto(&t.ui_origin()).await;
    // Anything the page does against its Content-Security-Policy from here on is recorded.
    b.eval("(window.__csp = [], document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI)), 1)").await;
    b.wait_for(
        "both rows",
        &format!("{} && {}", row(json_id), row(html_id)),
    )
    .await;
    let row_text = b.text(&format!("#rows .row[data-id=\"{json_id}\"]")).await;
    assert!(row_text.contains(XSS_IMG), "event type as text: {row_text}");

    // Every tab of the JSON one: run, body (tree and raw), headers.
    b.click(&format!("#rows .row[data-id=\"{json_id}\"]")).await;
    b.wait_css("the Run tab", ".run-tab").await;
    let run = b.text(".run-tab").await;
    assert!(run.contains(XSS_SCRIPT) && run.contains(XSS_IMG), "{run}");
    b.click(".tab[data-tab=\"body\"]").await;
    b.wait_css("the JSON tree", ".jtree").await;
    let tree = b.text(".jtree").await;
    assert!(
        tree.contains(XSS_SCRIPT) && tree.contains(XSS_LINK),
        "{tree}"
    );
    b.click(".seg[data-mode=\"Raw\"]").await;
    b.wait_css("the raw body", ".body-view pre.raw").await;
    assert!(b.text(".body-view pre.raw").await.contains(XSS_SCRIPT));
    b.click(".tab[data-tab=\"headers\"]").await;
    b.wait_css("the headers", ".headers-tab").await;
    assert!(b.text(".headers-tab").await.contains(&header_value));
    b.click(".tab[data-tab=\"verification\"]").await;
    b.click(".tab[data-tab=\"attempts\"]").await;

    // The HTML one.
    b.click(&format!("#rows .row[data-id=\"{html_id}\"]")).await;
    b.wait_for(
        "the HTML body as text",
        &format!(
            "document.querySelector('.body-view pre.raw') && document.querySelector('.body-view pre.raw').textContent === {}",
            js(&html)
        ),
    )
    .await;
    b.click(".tab[data-tab=\"headers\"]").await;
    b.wait_css("the headers", ".headers-tab").await;
    assert!(b.text(".headers-tab").await.contains(XSS_LINK));

    // The type filter lists the event type as an option's text, too.
    let options = b
        .eval(
            "[...document.querySelectorAll('#f-type option')].map(o => o.textContent).join('\\n')",
        )
        .await;
    assert!(
        options.as_str().unwrap_or_default().contains(XSS_IMG),
        "{options}"
    );

    assert_eq!(
        b.eval("window.__csp").await,
        json!([]),
        "the UI broke its own Content-Security-Policy"
    );
    assert_eq!(
        b.eval("typeof window.__pwned").await,
        json!("undefined"),
        "webhook content ran script"
    );
    assert_eq!(
        b.eval("document.querySelectorAll('body script, #main img, #detail img, a[href^=\"javascript:\"]').length").await,
        json!(0),
        "webhook content became elements"
    );
    b.close().await;
    t.stop().await;
}

#[tokio::test]
async fn a_replay_appears_live_in_the_attempts_tab() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let stub = Stub::start(None, &[]).await;
    let target = stub.url("/hooks");
    let t = spawn_app(&["--secret", SECRET, "--forward", &target]).await;
    let body = fixture("cyberdesk/run_complete.success.json");
    let headers = svix_headers(
        SECRET,
        "msg_browser_replay",
        chrono::Utc::now().timestamp(),
        &body,
    );
    let id = capture_id(&t, "/cyberdesk", &as_refs(&headers), &body).await;

    b.goto(&format!("{}/?event={id}", t.ui_origin())).await;
    b.wait_for("the live stream", LIVE).await;
    b.wait_for(
        "the forward in the row",
        &format!(
            "{} && document.querySelector('#rows .row[data-id=\"{id}\"] .last-try')",
            row(id)
        ),
    )
    .await;
    b.click(".tab[data-tab=\"attempts\"]").await;
    b.wait_for(
        "the forward attempt",
        "document.querySelectorAll('.attempt-list > .attempt').length === 1",
    )
    .await;
    assert!(b.text(".attempt-list > .attempt").await.contains("forward"));

    // The Replay button: re-signed to the forward target.
    b.click(".replay .split-main").await;
    b.wait_for(
        "the replay attempt",
        "document.querySelectorAll('.attempt-list > .attempt').length === 2",
    )
    .await;
    let newest = b.text(".attempt-list > .attempt").await;
    assert!(
        newest.contains("replay") && newest.contains("200") && newest.contains("resign"),
        "{newest}"
    );

    // A replay made elsewhere (the API, another tab) arrives over the live stream.
    let r = post_json(
        &t,
        &format!("/api/events/{id}/replay"),
        &json!({"mode": "verbatim"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    b.wait_for(
        "the live replay attempt",
        "document.querySelectorAll('.attempt-list > .attempt').length === 3",
    )
    .await;
    let newest = b.text(".attempt-list > .attempt").await;
    assert!(newest.contains("verbatim"), "{newest}");
    b.wait_for(
        "the tab count",
        "document.querySelector('.tab[data-tab=\"attempts\"]').textContent.includes('3')",
    )
    .await;
    let row_text = b.text(&format!("#rows .row[data-id=\"{id}\"]")).await;
    assert!(
        row_text.contains("200"),
        "last attempt in the row: {row_text}"
    );
    assert_eq!(stub.hits().len(), 3, "forward, replay, replay");
    b.close().await;
    t.stop().await;
}

#[tokio::test]
async fn the_page_recovers_after_hookpit_restarts() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("hookpit.db");
    let db = db.to_str().expect("utf-8 path");
    let t = spawn_app(&["--db", db]).await;
    let ui = t.ui;
    let before = capture_post(&t, "/before", &[], b"{\"type\":\"before.restart\"}").await;
    b.goto(&t.ui_origin()).await;
    b.wait_for("the live stream", LIVE).await;
    b.wait_for("the first event", &row(before)).await;
    b.eval("window.__sameDocument = 7").await;

    t.stop().await;
    b.wait_for(
        "the page to notice the outage",
        "['reconnecting', 'offline'].some(c => document.querySelector('#live-state').classList.contains(c))",
    )
    .await;
    let word = b.text("#live-state .word").await;
    assert!(word == "reconnecting" || word == "offline", "{word}");

    let t = spawn_app_on(ui, &["--db", db]).await;
    b.wait_for("live again", LIVE).await;
    let after = capture_post(&t, "/after", &[], b"{\"type\":\"after.restart\"}").await;
    b.wait_for("an event captured after the restart", &row(after))
        .await;
    b.wait_for("the event from before, refetched", &row(before))
        .await;
    assert_eq!(b.text("#live-state .word").await, "live");
    assert_eq!(
        b.eval("window.__sameDocument").await,
        json!(7),
        "no reload: same version"
    );
    b.close().await;
    t.stop().await;
}

#[tokio::test]
async fn keyboard_and_a_filter_that_survives_a_reload() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let t = spawn_app(&[]).await;
    let paid = capture_post(&t, "/billing", &[], br#"{"type":"invoice.paid"}"#).await;
    let failed = capture_post(&t, "/billing", &[], br#"{"type":"invoice.failed"}"#).await;
    let push = capture_post(&t, "/github", &[], br#"{"type":"push"}"#).await;
    b.goto(&t.ui_origin()).await;
    b.wait_for("the rows", &row(paid)).await;

    let body = b.client.find(Locator::Css("body")).await.expect("body");
    // j opens the newest, j again the next one.
    body.send_keys("j").await.expect("type j");
    b.wait_for(
        "the newest event opened",
        &format!("document.querySelector('.d-title') && document.querySelector('.d-title').textContent.includes('#{push}')"),
    )
    .await;
    body.send_keys("j").await.expect("type j");
    b.wait_for(
        "the next event opened",
        &format!("document.querySelector('.d-title') && document.querySelector('.d-title').textContent.includes('#{failed}')"),
    )
    .await;
    assert_eq!(
        b.eval("document.querySelector('.row.selected').dataset.id")
            .await,
        json!(failed.to_string())
    );
    // ? shows the help, Escape closes it.
    body.send_keys("?").await.expect("type ?");
    b.wait_css("the help", "dialog[open] .help").await;
    b.client
        .active_element()
        .await
        .expect("focus")
        .send_keys("\u{e00c}")
        .await
        .expect("Escape");
    b.wait_for("the help closed", "!document.querySelector('dialog[open]')")
        .await;

    // / focuses the search; the filter goes into the URL.
    body.send_keys("/").await.expect("type /");
    b.wait_for("the search focused", "document.activeElement.id === 'q'")
        .await;
    b.client
        .active_element()
        .await
        .expect("search box")
        .send_keys("type:invoice.paid\u{e007}")
        .await
        .expect("type a search");
    b.wait_for(
        "the filtered list",
        &format!("{} && !{} && !{}", row(paid), row(failed), row(push)),
    )
    .await;
    let url = b.client.current_url().await.expect("url");
    assert!(
        url.query()
            .unwrap_or_default()
            .contains("q=type%3Ainvoice.paid"),
        "{url}"
    );

    // A reload keeps the view.
    b.client.refresh().await.expect("reload");
    b.wait_for(
        "the filtered list after a reload",
        &format!("{} && !{}", row(paid), row(push)),
    )
    .await;
    assert_eq!(
        b.eval("document.getElementById('q').value").await,
        json!("type:invoice.paid")
    );
    // A live event that does not match stays out; one that matches comes in.
    let other = capture_post(&t, "/github", &[], br#"{"type":"push"}"#).await;
    let paid2 = capture_post(&t, "/billing", &[], br#"{"type":"invoice.paid"}"#).await;
    b.wait_for("the matching live event", &row(paid2)).await;
    assert_eq!(b.eval(&format!("!!{}", row(other))).await, json!(false));
    b.close().await;
    t.stop().await;
}

#[tokio::test]
async fn pasting_a_key_verifies_the_routes_events() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let t = spawn_app(&[]).await;
    let body = br#"{"type":"payment.succeeded"}"#;
    let now = chrono::Utc::now().timestamp();
    let first = svix_headers(SECRET, "msg_browser_key_1", now, body);
    let second = svix_headers(SECRET, "msg_browser_key_2", now, body);
    let id = capture_post(&t, "/partner/hooks", &as_refs(&first), body).await;
    let other = capture_post(&t, "/partner/other", &as_refs(&second), body).await;

    b.goto(&format!("{}/?event={id}", t.ui_origin())).await;
    b.wait_css(
        "the key form",
        ".verify-tab .key-form input[name=\"secret\"]",
    )
    .await;
    assert_eq!(
        b.eval("document.querySelector('.tab.on').dataset.tab")
            .await,
        json!("verification"),
        "an unverified webhook opens on Verification"
    );
    let row_text = b.text(&format!("#rows .row[data-id=\"{other}\"]")).await;
    assert!(row_text.contains("add a key"), "{row_text}");
    assert_eq!(
        b.eval("document.querySelector('.key-form input[name=\"route\"]').value")
            .await,
        json!("/partner"),
        "the route is guessed from the path"
    );
    b.client
        .find(Locator::Css(".key-form input[name=\"secret\"]"))
        .await
        .expect("secret field")
        .send_keys(SECRET)
        .await
        .expect("paste the key");
    b.click(".key-form button[type=\"submit\"]").await;
    b.wait_css("the new verdict", ".d-verdict.verdict-valid")
        .await;
    // Every stored event under the route was verified again, and the list says so live.
    b.wait_for(
        "the other event's row updated",
        &format!("document.querySelector('#rows .row[data-id=\"{other}\"] .verdict-valid')"),
    )
    .await;
    b.close().await;
    t.stop().await;
}

/// The scenario rows of the open doctor run as `name outcome` lines, in order.
const DOCTOR_ROWS: &str = "[...document.querySelectorAll('.dr-report .dr-row')].map(r => r.dataset.name + ' ' + r.dataset.outcome + ' ' + r.querySelector('.chip.outcome').textContent).join('\\n')";

/// The condition "a doctor run other than `not` has finished and is shown".
fn doctor_done(not: &str) -> String {
    format!(
        "document.querySelector('.dr-report[data-state=\"done\"]') && document.querySelector('.dr-report').dataset.run !== {}",
        js(not)
    )
}

#[tokio::test]
async fn testing_an_endpoint_shows_every_scenario_and_what_to_fix() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let good = doctor_apps::start(Mistake::None).await;
    let faulty = doctor_apps::start(Mistake::FailsTaskFailed).await;
    let t = spawn_app(&[]).await;
    b.goto(&t.ui_origin()).await;
    b.wait_for("the live stream", LIVE).await;
    b.eval("(window.__csp = [], document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI)), 1)").await;

    // The scenario picker offers exactly the battery the server runs.
    let picker = b
        .eval("[...document.querySelectorAll('.dr-form input[name=\"only\"]')].map(i => [i.value, i.dataset.title, i.dataset.expect].join(' | '))")
        .await;
    let mut picker: Vec<String> = serde_json::from_value(picker).expect("strings");
    let mut wanted: Vec<String> = hookpit::doctor::BATTERY
        .iter()
        .map(|s| {
            format!(
                "{} | {} | {}",
                s.name,
                s.title,
                json!(s.expect).as_str().unwrap_or_default()
            )
        })
        .collect();
    picker.sort();
    wanted.sort();
    assert_eq!(picker, wanted, "web/doctor-scenarios.js is out of date");
    let battery: Vec<&str> = hookpit::doctor::BATTERY.iter().map(|s| s.name).collect();

    // t opens the view with the URL field focused.
    let body = b.client.find(Locator::Css("body")).await.expect("body");
    body.send_keys("t").await.expect("type t");
    b.wait_for(
        "the Test my endpoint view",
        "document.body.classList.contains('doctor-open') && document.activeElement.id === 'doctor-to'",
    )
    .await;
    b.client
        .active_element()
        .await
        .expect("URL field")
        .send_keys(&good.url())
        .await
        .expect("type the URL");
    b.client
        .find(Locator::Css("#doctor-secret"))
        .await
        .expect("secret field")
        .send_keys(doctor_apps::SECRET)
        .await
        .expect("type the secret");
    b.click("#doctor-run").await;
    b.wait_for("the first run to finish", &doctor_done(""))
        .await;
    let first = b
        .eval("document.querySelector('.dr-report').dataset.run")
        .await;
    let first = first.as_str().expect("run id").to_string();
    let rows = b.eval(DOCTOR_ROWS).await;
    let rows = rows.as_str().unwrap_or_default();
    assert_eq!(rows.lines().count(), battery.len(), "{rows}");
    for (line, name) in rows.lines().zip(&battery) {
        let expected = if *name == "webhook_headers" {
            "info iINFO"
        } else {
            "pass ✓PASS"
        };
        assert_eq!(line, format!("{name} {expected}"), "{rows}");
    }
    assert_eq!(
        b.eval("document.querySelectorAll('.diagnosis').length")
            .await,
        json!(0)
    );
    assert!(
        b.text(".dr-verdict")
            .await
            .contains("handles deliveries the way Svix needs")
    );
    assert!(b.text(".dr-diagnoses").await.contains("No problems found"));

    // The app that answers 500 to task_failed fails exactly those scenarios (`retried_run`
    // opens with a task_failed run), and says why.
    let to = b
        .client
        .find(Locator::Css("#doctor-to"))
        .await
        .expect("URL field");
    to.clear().await.expect("clear the URL");
    to.send_keys(&faulty.url()).await.expect("type the URL");
    b.click("#doctor-run").await;
    b.wait_for("the second run to finish", &doctor_done(&first))
        .await;
    let failed = b
        .eval("[...document.querySelectorAll('.dr-row[data-outcome=\"fail\"]')].map(r => r.dataset.name + ' ' + r.querySelector('.chip.outcome').textContent + ' ' + r.querySelector('.dr-status').textContent)")
        .await;
    assert_eq!(
        failed,
        json!([
            "status_task_failed ✗FAIL 500",
            "check_failed ✗FAIL 500",
            "retried_run ✗FAIL 500"
        ])
    );
    let rows = b.eval(DOCTOR_ROWS).await;
    let rows = rows.as_str().unwrap_or_default();
    assert_eq!(
        rows.lines()
            .filter(|l| l.ends_with("PASS") || l.ends_with("INFO"))
            .count(),
        battery.len() - 3,
        "{rows}"
    );
    let title = hookpit::doctor::Code::StatusNotAcknowledged.title();
    assert_eq!(
        b.eval("[...document.querySelectorAll('.diagnosis .dg-title')].map(h => h.textContent)")
            .await,
        json!([title])
    );
    let card = b.text(".diagnosis").await;
    assert!(
        card.contains("status_task_failed")
            && card.contains("check_failed")
            && card.contains("retried_run"),
        "{card}"
    );
    assert!(card.contains("It answered 500"), "{card}");
    // A failing row opens to the app's answer.
    b.click(".dr-row[data-name=\"status_task_failed\"] .dr-line")
        .await;
    b.wait_css("the deliveries", ".dr-row.open .dx-list").await;
    let open = b.text(".dr-row.open .dx-list").await;
    assert!(open.contains("unhandled status task_failed"), "{open}");
    assert!(open.contains("svix-signature"), "{open}");

    // Both runs are listed, newest first; the first reopens from the list.
    let past = b
        .eval("[...document.querySelectorAll('.dr-past-item')].map(i => i.dataset.run)")
        .await;
    let past: Vec<String> = serde_json::from_value(past).expect("run ids");
    assert_eq!(past.len(), 2, "{past:?}");
    assert_eq!(past[1], first);
    b.click(&format!(".dr-past-item[data-run=\"{first}\"]"))
        .await;
    b.wait_for(
        "the first run again",
        &format!(
            "document.querySelector('.dr-report').dataset.run === {} && !document.querySelector('.diagnosis')",
            js(&first)
        ),
    )
    .await;
    let url = b.client.current_url().await.expect("url");
    assert_eq!(url.query(), Some(format!("doctor={first}").as_str()));

    // Esc goes back to the events.
    body.send_keys("\u{e00c}").await.expect("Escape");
    b.wait_for(
        "the events again",
        "!document.body.classList.contains('doctor-open')",
    )
    .await;
    assert_eq!(
        b.eval("window.__csp").await,
        json!([]),
        "the doctor view broke the Content-Security-Policy"
    );
    b.close().await;
    t.stop().await;
}
