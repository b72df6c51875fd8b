//! Providers through the API: `GET /api/providers`, a `NAME:` secret and `POST /api/keys
//! {"provider"}`, the verdict naming the provider on capture, `provider:` in search and as a
//! filter, a route pinning a provider, and Twilio's signed URL as the sender used it.

mod common;

use common::*;
use hookpit::headers::Headers;
use hookpit::verify::{Key, Outgoing, registry};

/// The provider's sample signed by `secret` for `url`: (headers, body).
fn signed(name: &str, secret: &str, url: &str) -> (Vec<(String, String)>, Vec<u8>) {
    let p = registry::find(name).expect("registered");
    let mut headers = Headers::default();
    headers.set("Content-Type", p.sample.content_type);
    for (n, v) in p.sample.headers {
        headers.set(n, *v);
    }
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

async fn post_signed(t: &TestApp, path: &str, name: &str, secret: &str) -> i64 {
    let url = format!("http://{}{path}", t.capture);
    let (headers, body) = signed(name, secret, &url);
    capture_post(t, path, &as_refs(&headers), &body).await
}

#[tokio::test]
async fn providers_are_listed_with_headers_algorithm_tolerance_and_docs() {
    let t = spawn_app(&[]).await;
    let list = get_json(&t, "/api/providers").await;
    let list = list.as_array().expect("an array");
    assert_eq!(list.len(), registry::ALL.len());
    assert!(list.len() >= 29);
    let shopify = list
        .iter()
        .find(|p| p["name"] == "shopify")
        .expect("shopify");
    assert_eq!(shopify["title"], "Shopify");
    assert_eq!(shopify["headers"][0], "X-Shopify-Hmac-Sha256");
    assert_eq!(shopify["algorithm"], "hmac-sha256");
    assert_eq!(shopify["tolerance_s"], serde_json::Value::Null);
    assert!(
        shopify["docs"]
            .as_str()
            .expect("docs")
            .starts_with("https://shopify.dev/")
    );
    let slack = list.iter().find(|p| p["name"] == "slack").expect("slack");
    assert_eq!(slack["tolerance_s"], 300);
    let algorithms: Vec<&str> = list
        .iter()
        .filter_map(|p| p["algorithm"].as_str())
        .collect();
    for a in ["ed25519", "ecdsa-p256", "token", "basic", "hmac-sha1"] {
        assert!(algorithms.contains(&a), "{a}");
    }
    t.stop().await;
}

#[tokio::test]
async fn bound_secrets_verify_their_provider_and_search_finds_it() {
    let shop_secret = "shpss_4f2a9d8c7b6e5f4a3b2c1d0e";
    let t = spawn_app(&["--secret", &format!("shopify:{shop_secret}")]).await;
    let shop = post_signed(&t, "/hooks/shop", "shopify", shop_secret).await;
    let slack_secret = "8f742231b10e8888abcd99yyyzzz85a5";
    let slack = post_signed(&t, "/hooks/slack", "slack", slack_secret).await;
    let unsigned = capture_post(&t, "/hooks/plain", &[], b"{}").await;

    let v = get_json(&t, &format!("/api/events/{shop}")).await;
    assert_eq!(v["verification"]["status"], "valid", "{v}");
    assert_eq!(v["verification"]["provider"], "shopify");
    assert_eq!(v["verification"]["scheme"], "hmac-sha256");
    let v = get_json(&t, &format!("/api/events/{slack}")).await;
    // The Shopify-bound secret is not tried for Slack: unverified until Slack's is added.
    assert_eq!(v["verification"]["status"], "unverified", "{v}");
    assert_eq!(v["verification"]["provider"], "slack");

    let bad = post_json(
        &t,
        "/api/keys",
        &serde_json::json!({"secret": slack_secret, "provider": "slak"}),
    )
    .await;
    assert_eq!(bad.status, 400);
    let why = bad.json()["error"].as_str().expect("error").to_string();
    assert!(why.contains("\"slak\" is not one hookpit knows"), "{why}");
    let added = post_json(
        &t,
        "/api/keys",
        &serde_json::json!({"secret": slack_secret, "provider": "slack", "label": "slack-app"}),
    )
    .await;
    assert_eq!(added.status, 201, "{}", text(&added.body));
    assert_eq!(added.json()["key"]["provider"], "slack");
    let v = get_json(&t, &format!("/api/events/{slack}")).await;
    assert_eq!(v["verification"]["status"], "valid", "{v}");
    assert_eq!(v["verification"]["matched_key"], "slack-app");

    let keys = get_json(&t, "/api/keys").await;
    let providers: Vec<&str> = keys["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["provider"].as_str())
        .collect();
    assert_eq!(providers, ["shopify", "slack"]);

    let ids = |page: serde_json::Value| -> Vec<i64> {
        (page["events"].as_array().expect("events").iter())
            .map(|e| e["id"].as_i64().expect("id"))
            .collect()
    };
    assert_eq!(
        ids(get_json(&t, "/api/events?q=provider:slack").await),
        [slack]
    );
    assert_eq!(
        ids(get_json(&t, "/api/events?q=provider:Shopify").await),
        [shop]
    );
    assert_eq!(
        ids(get_json(&t, "/api/events?provider=shopify").await),
        [shop]
    );
    let rows = get_json(&t, "/api/events").await;
    let row_providers: Vec<&serde_json::Value> = (rows["events"].as_array().expect("events"))
        .iter()
        .map(|e| &e["verification"]["provider"])
        .collect();
    assert_eq!(
        row_providers,
        [&serde_json::Value::Null, &"slack".into(), &"shopify".into()]
    );
    assert_eq!(
        ids(get_json(&t, "/api/events?q=provider:stripe").await),
        Vec::<i64>::new()
    );
    let _ = unsigned;
    t.stop().await;
}

#[tokio::test]
async fn a_route_pins_its_provider() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("hookpit.toml");
    std::fs::write(
        &config,
        "[[route]]\npath = \"/slack\"\nprovider = \"slack\"\nsecrets = [\"slack:8f742231b10e8888abcd99yyyzzz85a5\"]\n",
    )
    .expect("write config");
    let t = spawn_app(&["--config", config.to_str().expect("utf-8 path")]).await;
    // A Shopify webhook sent where Slack is expected: judged as Slack, its header missing.
    let wrong = post_signed(
        &t,
        "/slack/events",
        "shopify",
        "shpss_4f2a9d8c7b6e5f4a3b2c1d0e",
    )
    .await;
    let v = get_json(&t, &format!("/api/events/{wrong}")).await;
    assert_eq!(v["verification"]["provider"], "slack");
    assert_eq!(v["verification"]["reason"], "missing_header");
    let right = post_signed(
        &t,
        "/slack/events",
        "slack",
        "8f742231b10e8888abcd99yyyzzz85a5",
    )
    .await;
    let v = get_json(&t, &format!("/api/events/{right}")).await;
    assert_eq!(v["verification"]["status"], "valid", "{v}");
    t.stop().await;
}

#[tokio::test]
async fn twilio_is_verified_against_the_url_the_sender_used() {
    let token = "12345abcdef67890abcdef12345abcde";
    let t = spawn_app(&["--secret", &format!("twilio:{token}")]).await;
    let ok = post_signed(&t, "/twilio/sms?tenant=7", "twilio", token).await;
    let v = get_json(&t, &format!("/api/events/{ok}")).await;
    assert_eq!(v["verification"]["status"], "valid", "{v}");
    assert_eq!(v["verification"]["scheme"], "hmac-sha1");
    // Signed for another public URL (a tunnel hookpit was not told of): the signature fails.
    let (headers, body) = signed("twilio", token, "https://elsewhere.example/twilio/sms");
    let id = capture_post(&t, "/twilio/sms", &as_refs(&headers), &body).await;
    let v = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(v["verification"]["reason"], "signature_mismatch");
    // The same request through a proxy that says where it came from verifies.
    let mut forwarded = headers.clone();
    forwarded.push(("X-Forwarded-Proto".into(), "https".into()));
    forwarded.push(("X-Forwarded-Host".into(), "elsewhere.example".into()));
    let id = capture_post(&t, "/twilio/sms", &as_refs(&forwarded), &body).await;
    let v = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(v["verification"]["status"], "valid", "{v}");
    t.stop().await;
}
