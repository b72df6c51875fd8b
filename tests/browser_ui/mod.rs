//! The UI's own promises in a real browser: every view runs under the Trusted Types policy of
//! the Content-Security-Policy, a webhook that failed verification opens on its verdict, the relay
//! state is in plain sight, and a replay with a new message id is told apart.

use super::*;

mod chaos;
mod compare;
mod drift;
mod runs;
mod sessions;
mod targets;
mod transform;
mod tunnel;

/// Other signing key than `SECRET`: a webhook signed with it fails verification.
const OTHER_SECRET: &str = "whsec_d3Jvbmcta2V5LXdyb25nLWtleQ==";

/// Records, from the first line of every document on, what the page did against its policy and
/// what it threw: CSP and Trusted Types violations, uncaught errors, unhandled rejections.
const RECORDER: &str = "window.__bad = [];
document.addEventListener('securitypolicyviolation', (e) => window.__bad.push(`csp ${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
window.addEventListener('error', (e) => window.__bad.push(`error ${e.message}`));
window.addEventListener('unhandledrejection', (e) => window.__bad.push(`rejection ${e.reason && e.reason.message || e.reason}`));";

impl Browser {
    /// Sends a Chrome DevTools command through chromedriver.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let id = self.session.as_deref().expect("a session");
        let body = json!({ "cmd": cmd, "params": params }).to_string();
        let request = format!(
            "POST /session/{id}/goog/cdp/execute HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len(),
            port = self.driver.port,
        );
        // chromedriver keeps the connection open: read the answer by its length, not to the end.
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.driver.port))
            .await
            .expect("connect to chromedriver");
        let resp = tokio::time::timeout(WAIT, child::exchange(&mut stream, request.as_bytes()))
            .await
            .unwrap_or_else(|_| panic!("{cmd}: chromedriver did not answer in time"))
            .unwrap_or_else(|e| panic!("{cmd}: {e}"));
        assert_eq!(resp.status, 200, "{cmd}: {}", text(&resp.body));
        resp.json()
    }

    /// Installs `RECORDER` in every document this session opens from now on.
    async fn record_violations(&self) {
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": RECORDER }),
        )
        .await;
    }

    /// What `RECORDER` has seen in the current document.
    async fn violations(&self) -> Vec<String> {
        serde_json::from_value(self.eval("window.__bad").await).expect("recorded strings")
    }

    /// Clicks the item of the open split-button menu whose text contains `label`.
    async fn menu_item(&self, caret: &str, label: &str) {
        self.click(caret).await;
        let pick = format!(
            "[...document.querySelectorAll('.menu .menu-item')].find(b => b.textContent.includes({}))",
            js(label)
        );
        self.wait_for(label, &pick).await;
        self.eval(&format!("({pick}).click(), 1")).await;
    }

    /// Clicks event `id`'s row and waits until the detail shows that event.
    async fn open_row(&self, id: i64) {
        self.click(&format!("#rows .row[data-id=\"{id}\"]")).await;
        self.wait_for(
            "the event opened",
            &format!(
                "document.querySelector('.d-title') && document.querySelector('.d-title').textContent.includes('#{id}')"
            ),
        )
        .await;
    }

    /// The computed text colour of a throwaway element with `class`.
    async fn colour_of(&self, class: &str) -> Value {
        self.eval(&format!(
            "(() => {{ const s = document.createElement('span'); s.className = {}; document.body.append(s); const c = getComputedStyle(s).color; s.remove(); return c; }})()",
            js(class)
        ))
        .await
    }
}

/// The condition "the open event shows tab `tab`".
fn on_tab(tab: &str) -> String {
    format!(
        "document.querySelector('.tab.on') && document.querySelector('.tab.on').dataset.tab === {}",
        js(tab)
    )
}

#[tokio::test]
async fn every_view_runs_under_trusted_types_without_a_violation() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let stub = Stub::start(None, &[]).await;
    let doctor_app = doctor_apps::start(Mistake::None).await;
    let target = stub.url("/hooks");
    let t = spawn_app(&["--forward", &target]).await;
    b.record_violations().await;
    b.goto(&t.ui_origin()).await;
    b.wait_for("the live stream", LIVE).await;

    // The first-run screen's "Send test event".
    b.click("#send-test").await;
    b.wait_css("the test event opened", ".d-verdict").await;

    // Live arrivals: unverified (no key yet), one signed with another key, a big number, binary.
    let now = chrono::Utc::now().timestamp();
    let body = fixture("cyberdesk/run_complete.task_failed.json");
    let signed = svix_headers(SECRET, "msg_tt_signed", now, &body);
    let unverified = capture_id(&t, "/cyberdesk", &as_refs(&signed), &body).await;
    let forged = svix_headers(OTHER_SECRET, "msg_tt_forged", now, &body);
    let invalid = capture_id(&t, "/cyberdesk", &as_refs(&forged), &body).await;
    let big = capture_id(
        &t,
        "/numbers",
        &[("content-type", "application/json")],
        br#"{"big": 12345678901234567890, "kept": 1.50}"#,
    )
    .await;
    let binary = capture_id(&t, "/bytes", &[], &[0xff, 0x00, 0xfe, 0x80, 0x01]).await;
    for id in [unverified, invalid, big, binary] {
        b.wait_for("the live row", &row(id)).await;
    }

    // Keys: the unverified one asks for a key; pasting it verifies the route's events.
    b.open_row(unverified).await;
    b.wait_css(
        "the key form",
        ".verify-tab .key-form input[name=\"secret\"]",
    )
    .await;
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

    // Every tab of a Cyberdesk run, every body view.
    for tab in ["run", "body", "headers", "verification", "attempts"] {
        b.click(&format!(".tab[data-tab=\"{tab}\"]")).await;
        b.wait_for(tab, &on_tab(tab)).await;
    }
    b.click(".tab[data-tab=\"body\"]").await;
    for mode in ["Tree", "Pretty", "Raw"] {
        b.click(&format!(".seg[data-mode=\"{mode}\"]")).await;
    }
    // Replays: the default, a new id, edited, and to another URL, all from the page.
    b.click(".replay .split-main").await;
    b.wait_for("the replay", &on_tab("attempts")).await;
    b.menu_item(".replay .split-caret", "new message id").await;
    b.wait_css("the new-id replay", ".attempt .new-id").await;
    b.menu_item(".replay .split-caret", "Edit body").await;
    b.wait_css("the edit dialog", "dialog[open] textarea.edit-body")
        .await;
    b.click("dialog[open] button[type=\"submit\"]").await;
    b.wait_for(
        "the edit dialog closed",
        "!document.querySelector('dialog[open]')",
    )
    .await;
    b.menu_item(".replay .split-caret", "another URL").await;
    b.wait_css("the URL dialog", "dialog[open] input[type=\"url\"]")
        .await;
    b.eval(&format!(
        "(document.querySelector('dialog[open] input[type=\"url\"]').value = {}, 1)",
        js(&stub.url("/elsewhere"))
    ))
    .await;
    b.click("dialog[open] button[type=\"submit\"]").await;
    b.wait_for(
        "the URL dialog closed",
        "!document.querySelector('dialog[open]')",
    )
    .await;
    b.wait_for(
        "five deliveries",
        "document.querySelectorAll('.attempt-list > .attempt').length === 5",
    )
    .await;
    b.click(".curl .split-main").await;

    // The invalid one opens on its verdict; the big number survives Pretty exactly.
    b.open_row(invalid).await;
    b.wait_for("the Verification tab", &on_tab("verification"))
        .await;
    b.open_row(big).await;
    b.wait_css("the JSON tree", ".jtree").await;
    b.click(".seg[data-mode=\"Pretty\"]").await;
    b.wait_for(
        "the exact numbers in Pretty",
        "document.querySelector('.body-view') && document.querySelector('.body-view').textContent.includes('\"big\": 12345678901234567890,') && document.querySelector('.body-view').textContent.includes('\"kept\": 1.50')",
    )
    .await;
    b.open_row(binary).await;
    b.wait_css("the hex view", ".seg[data-mode=\"Hex\"].on")
        .await;

    // Filters, search, help, theme.
    b.eval("(() => { const s = document.getElementById('f-verification'); s.value = 'invalid'; s.dispatchEvent(new Event('change', {bubbles: true})); return 1; })()").await;
    b.wait_for(
        "the filtered list",
        &format!("{} && !{}", row(invalid), row(big)),
    )
    .await;
    b.click("#clear-filters").await;
    b.wait_for("the whole list again", &row(big)).await;
    let body_el = b.client.find(Locator::Css("body")).await.expect("body");
    body_el.send_keys("?").await.expect("type ?");
    b.wait_css("the help", "dialog[open] .help").await;
    b.click("dialog[open] button").await;
    b.click("#theme").await;

    // Delete, in two clicks.
    b.open_row(binary).await;
    b.click(".d-actions .danger-quiet").await;
    b.click(".d-actions .danger-quiet").await;
    b.wait_for("the deleted row gone", &format!("!{}", row(binary)))
        .await;

    // The doctor view, one scenario.
    b.click("#doctor-button").await;
    b.wait_css("the doctor form", "#doctor-to").await;
    b.eval(&format!(
        "(document.getElementById('doctor-to').value = {}, document.getElementById('doctor-secret').value = {}, 1)",
        js(&doctor_app.url()),
        js(doctor_apps::SECRET)
    ))
    .await;
    b.eval("([...document.querySelectorAll('.dr-form input[name=\"only\"]')].forEach((c, i) => { c.checked = i === 0; }), 1)").await;
    b.click("#doctor-run").await;
    b.wait_for("the doctor run", &doctor_done("")).await;
    b.click(".dr-row .dr-line").await;
    b.click("#doctor-button").await;

    assert_eq!(
        b.violations().await,
        Vec::<String>::new(),
        "the UI broke its Content-Security-Policy or threw"
    );
    // The policy is really enforced, and the recorder really hears it: HTML from a string is
    // refused by the browser itself.
    assert_eq!(
        b.eval("(() => { try { document.createElement('div').innerHTML = '<b>x</b>'; return 'assigned'; } catch (e) { return e.name; } })()").await,
        json!("TypeError"),
        "Trusted Types are not enforced"
    );
    let heard = b.violations().await;
    assert!(
        heard
            .iter()
            .any(|v| v.starts_with("csp require-trusted-types-for")),
        "{heard:?}"
    );
    b.close().await;
    t.stop().await;
}

#[tokio::test]
async fn a_run_whose_signature_failed_opens_on_verification() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let t = spawn_app(&["--secret", SECRET]).await;
    let body = fixture("cyberdesk/run_complete.task_failed.json");
    let now = chrono::Utc::now().timestamp();
    let forged = svix_headers(OTHER_SECRET, "msg_browser_forged", now, &body);
    let id = capture_post(&t, "/cyberdesk", &as_refs(&forged), &body).await;
    assert_eq!(
        get_json(&t, &format!("/api/events/{id}")).await["verification"]["status"],
        "invalid"
    );
    b.goto(&format!("{}/?event={id}", t.ui_origin())).await;
    b.wait_css("the tabs", ".tab.on").await;
    b.wait_for("the Verification tab first", &on_tab("verification"))
        .await;
    assert!(
        b.eval("!!document.querySelector('.tab[data-tab=\"run\"]')")
            .await
            == json!(true),
        "the Run tab is still there, one click away"
    );
    b.close().await;
    t.stop().await;
}

#[tokio::test]
async fn the_relay_state_is_coloured_with_heartbeat_and_backlog_in_sight() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let relay_url = relay.url();
    let t = spawn_app(&["--relay", &relay_url, "--relay-token", "relay-token"]).await;
    b.goto(&t.ui_origin()).await;
    b.wait_for("the live stream", LIVE).await;
    b.wait_for(
        "the relay connected",
        "document.querySelector('#relay .relay-state.relay-connected')",
    )
    .await;
    let green = b.colour_of("chip tone-good").await;
    let red = b.colour_of("chip tone-bad").await;
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('#relay .relay-state')).color")
            .await,
        green,
        "connected is green"
    );
    // Visible text, not a tooltip: innerText leaves out what only a hover would show.
    b.wait_for(
        "heartbeat and backlog in the bar",
        "/heartbeat (just now|\\d+ s ago)/.test(document.getElementById('relay').innerText) && /backlog 0/.test(document.getElementById('relay').innerText)",
    )
    .await;

    // The relay goes away: the state changes colour and the last heartbeat stays in sight.
    relay.stop().await;
    b.wait_for(
        "the relay offline",
        "document.querySelector('#relay .relay-state.relay-offline, #relay .relay-state.relay-connecting')",
    )
    .await;
    let colour = b
        .eval("getComputedStyle(document.querySelector('#relay .relay-state')).color")
        .await;
    assert_ne!(colour, green, "a relay that is not connected is not green");
    b.close().await;
    t.stop().await;

    // A relay that refuses the agent's token: red, and why, in words.
    let Some(b) = browser().await else { return };
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let relay_url = relay.url();
    let t = spawn_app(&["--relay", &relay_url, "--relay-token", "not-the-token"]).await;
    b.goto(&t.ui_origin()).await;
    b.wait_for(
        "the relay refused",
        "document.querySelector('#relay .relay-state.relay-refused')",
    )
    .await;
    let refused = b.text("#relay .relay-state").await;
    assert!(refused.contains("refused"), "{refused}");
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('#relay .relay-state')).backgroundColor")
            .await,
        red,
        "refused is red"
    );
    let shown = b.eval("document.getElementById('relay').innerText").await;
    assert!(
        shown.as_str().unwrap_or_default().contains("token"),
        "the reason is in sight: {shown}"
    );
    b.close().await;
    t.stop().await;
    relay.stop().await;
}

#[tokio::test]
async fn a_replay_with_a_new_id_says_so_and_counts_under_it() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let stub = Stub::start(None, &[]).await;
    let target = stub.url("/hooks");
    let t = spawn_app(&["--secret", SECRET, "--forward", &target]).await;
    let body = fixture("cyberdesk/run_complete.success.json");
    let now = chrono::Utc::now().timestamp();
    let headers = svix_headers(SECRET, "msg_browser_original", now, &body);
    let id = capture_id(&t, "/cyberdesk", &as_refs(&headers), &body).await;

    b.goto(&format!("{}/?event={id}", t.ui_origin())).await;
    b.wait_for("the live stream", LIVE).await;
    b.wait_for(
        "the forward in the row",
        &format!("document.querySelector('#rows .row[data-id=\"{id}\"] .last-try')"),
    )
    .await;
    b.click(".tab[data-tab=\"attempts\"]").await;
    b.wait_for(
        "the forward's try under the original id",
        "document.querySelector('.timeline-list li.current .tries') && document.querySelector('.timeline-list li.current .tries').textContent === '1 try'",
    )
    .await;

    b.menu_item(".replay .split-caret", "new message id").await;
    b.wait_for(
        "the new-id replay",
        "document.querySelectorAll('.attempt-list > .attempt').length === 2",
    )
    .await;
    let hits = stub.hits();
    assert_eq!(hits.len(), 2, "forward, then the replay");
    let sent = hits[1]
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("svix-id"))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .expect("the replay carries svix-id");
    assert_ne!(sent, "msg_browser_original");

    let newest = b.text(".attempt-list > .attempt").await;
    assert!(newest.contains("new id"), "{newest}");
    assert!(
        newest.contains(&format!("Sent as a new message {sent}")),
        "{newest}"
    );
    // The original's forward card says nothing of the kind.
    assert_eq!(
        b.eval("document.querySelectorAll('.attempt-list > .attempt .new-id').length")
            .await,
        json!(1)
    );
    // The timeline: still one try under the original id, one under the new one.
    b.wait_for(
        "the new id in the timeline",
        &format!(
            "document.querySelector('.timeline-list li.new-id[data-msg-id={}] .tries')",
            js(&sent)
        ),
    )
    .await;
    assert_eq!(
        b.text(&format!(
            ".timeline-list li.new-id[data-msg-id={}] .tries",
            js(&sent)
        ))
        .await,
        "1 try"
    );
    assert_eq!(b.text(".timeline-list li.current .tries").await, "1 try");

    // A plain replay keeps the id, and counts under it.
    b.click(".replay .split-main").await;
    b.wait_for(
        "the plain replay counted under the original id",
        "document.querySelector('.timeline-list li.current .tries').textContent === '2 tries'",
    )
    .await;
    assert_eq!(
        b.eval("document.querySelectorAll('.attempt-list > .attempt .new-id').length")
            .await,
        json!(1)
    );
    b.close().await;
    t.stop().await;
}

mod providers;
