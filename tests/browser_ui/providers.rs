//! Providers in the UI: each row names its webhook's provider, and on the Verification tab the
//! key form offers the detected provider, so a pasted Slack signing secret is bound to Slack and
//! turns the webhook valid.

use super::*;
use hookpit::headers::Headers;
use hookpit::verify::{Key, Outgoing, registry};

/// The provider's sample signed by `secret` for `url`: (headers, body).
fn provider_signed(name: &str, secret: &str, url: &str) -> (Vec<(String, String)>, Vec<u8>) {
    let p = registry::find(name).expect("registered");
    let mut headers = Headers::default();
    headers.set("Content-Type", p.sample.content_type);
    let mut out = Outgoing {
        method: "POST".into(),
        url: url.into(),
        headers,
        body: p.sample.body.as_bytes().to_vec(),
    };
    let key = Key::parse(None, secret).expect("key");
    p.sign(&mut out, &[key], chrono::Utc::now().timestamp())
        .expect("signs");
    let pairs = (out.headers.iter())
        .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    (pairs, out.body)
}

#[tokio::test]
async fn rows_name_the_provider_and_a_pasted_secret_is_bound_to_it() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let shop_secret = "shpss_4f2a9d8c7b6e5f4a3b2c1d0e";
    let slack_secret = "8f742231b10e8888abcd99yyyzzz85a5";
    let t = spawn_app(&["--secret", &format!("shopify:{shop_secret}")]).await;
    let url = |path: &str| format!("http://{}{path}", t.capture);
    let (h, body) = provider_signed("shopify", shop_secret, &url("/shop/orders"));
    let shop = capture_post(&t, "/shop/orders", &as_refs(&h), &body).await;
    let (h, body) = provider_signed("slack", slack_secret, &url("/slack/events"));
    let slack = capture_post(&t, "/slack/events", &as_refs(&h), &body).await;

    b.goto(&format!("{}/?event={slack}", t.ui_origin())).await;
    b.wait_css(
        "the Shopify row",
        &format!("#rows .row[data-id=\"{shop}\"] .provider"),
    )
    .await;
    assert_eq!(
        b.text(&format!("#rows .row[data-id=\"{shop}\"] .provider"))
            .await,
        "Shopify"
    );
    assert_eq!(
        b.text(&format!("#rows .row[data-id=\"{slack}\"] .provider"))
            .await,
        "Slack"
    );
    // The Slack webhook is unverified: the form offers Slack, and says what its secret is.
    b.wait_for(
        "the provider choice",
        "document.querySelector('.key-form select[name=\"provider\"]') && document.querySelector('.key-form select[name=\"provider\"]').value === 'slack'",
    )
    .await;
    assert_eq!(
        b.eval("document.querySelector('.key-form input[name=\"secret\"]').placeholder")
            .await,
        json!("the app's signing secret")
    );
    b.client
        .find(Locator::Css(".key-form input[name=\"secret\"]"))
        .await
        .expect("secret field")
        .send_keys(slack_secret)
        .await
        .expect("paste the secret");
    b.click(".key-form button[type=\"submit\"]").await;
    b.wait_css("the new verdict", ".d-verdict.verdict-valid")
        .await;
    let keys = get_json(&t, "/api/keys").await;
    let bound: Vec<&str> = (keys["keys"].as_array().expect("keys").iter())
        .filter_map(|k| k["provider"].as_str())
        .collect();
    assert_eq!(bound, ["shopify", "slack"]);
    b.close().await;
    t.stop().await;
}

#[tokio::test]
async fn the_doctor_form_tests_an_endpoint_as_a_provider_sends() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let p = registry::find("slack").expect("slack");
    let (sign, verify) = hookpit::verify::new_key_for(p);
    let app = Stub::start(Some(&format!("slack:{verify}")), &[]).await;
    let t = spawn_app(&[]).await;
    b.goto(&t.ui_origin()).await;
    b.click("#doctor-button").await;
    b.wait_css("the doctor form", "#doctor-to").await;
    b.wait_for(
        "the providers offered",
        "!!document.querySelector('#doctor-provider option[value=\"slack\"]')",
    )
    .await;
    b.eval(&format!(
        "(document.getElementById('doctor-to').value = {}, document.getElementById('doctor-secret').value = {}, \
         document.getElementById('doctor-provider').value = 'slack', \
         document.getElementById('doctor-provider').dispatchEvent(new Event('change')), 1)",
        js(&app.url("/hooks")),
        js(&sign)
    ))
    .await;
    // Svix's scenario picker steps aside, and the secret field says what Slack's secret is.
    assert_eq!(
        b.eval("document.querySelector('.dr-only').hidden").await,
        json!(true)
    );
    assert_eq!(
        b.eval("document.getElementById('doctor-secret').placeholder")
            .await,
        json!("the app's signing secret (empty: the key for / is used)")
    );
    b.click("#doctor-run").await;
    b.wait_for("the doctor run", &doctor_done("")).await;
    let runs = get_json(&t, "/api/doctor/runs").await;
    let run = &runs["runs"][0];
    let battery = hookpit::doctor::Options::for_provider(p, &[]).expect("options");
    assert_eq!(run["total"], battery.scenarios().len(), "{run}");
    assert_eq!(run["ok"], true, "{run}");
    assert!(
        app.hits()
            .iter()
            .any(|h| h.verdict.provider.as_deref() == Some("slack"))
    );
    t.stop().await;
}

#[tokio::test]
async fn the_first_run_screen_sends_a_providers_sample_as_it_signs() {
    let _turn = BROWSER.lock().await;
    let Some(b) = browser().await else { return };
    let slack_secret = "8f742231b10e8888abcd99yyyzzz85a5";
    let t = spawn_app(&["--secret", &format!("slack:{slack_secret}")]).await;
    b.goto(&t.ui_origin()).await;
    b.wait_for(
        "the providers offered",
        "!!document.querySelector('#send-provider option[value=\"slack\"]')",
    )
    .await;
    b.eval("(document.getElementById('send-provider').value = 'slack', document.getElementById('send-provider').dispatchEvent(new Event('change')), 1)").await;
    assert_eq!(
        b.text(".send-row .muted").await,
        "Slack's sample webhook, signed as Slack signs it"
    );
    b.click("#send-test").await;
    b.wait_css("the sent webhook, valid", ".d-verdict.verdict-valid")
        .await;
    let events = get_json(&t, "/api/events").await;
    let sent = &events["events"][0];
    assert_eq!(sent["path"], "/slack", "{sent}");
    let id = sent["id"].as_i64().expect("id");
    let v = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(v["verification"]["provider"], "slack", "{v}");
    assert_eq!(v["verification"]["status"], "valid", "{v}");
    t.stop().await;
}
