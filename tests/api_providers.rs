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

#[tokio::test]
async fn the_send_api_sends_as_a_provider_into_the_capture_pipeline() {
    // Shopify signs the body, Twilio the URL it posts to, Mailgun a token inside the body.
    let secrets = [
        ("shopify", "shpss_4f2a9d8c7b6e5f4a3b2c1d0e"),
        ("twilio", "c0ffee00c0ffee00c0ffee00c0ffee00"),
        ("mailgun", "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"),
    ];
    let flags: Vec<String> = (secrets.iter())
        .flat_map(|(n, s)| ["--secret".to_string(), format!("{n}:{s}")])
        .collect();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let t = spawn_app(&flags).await;
    for (name, _) in secrets {
        let path = format!("/hooks/{name}?from=ui");
        let sent = post_json(
            &t,
            "/api/send",
            &serde_json::json!({"provider": name, "path": path}),
        )
        .await;
        assert_eq!(
            sent.status,
            200,
            "{name}: {}",
            String::from_utf8_lossy(&sent.body)
        );
        let id = sent.json()["id"].as_i64().expect("id");
        let v = get_json(&t, &format!("/api/events/{id}")).await;
        assert_eq!(v["verification"]["provider"], name, "{v}");
        assert_eq!(v["verification"]["status"], "valid", "{name}: {v}");
    }
    // A secret given with the request signs too, shown unverified when no key here knows it.
    let p = registry::find("slack").expect("slack");
    let sent = post_json(
        &t,
        "/api/send",
        &serde_json::json!({"provider": "slack", "secret": "8f742231b10e8888abcd99yyyzzz85a5",
            "body": "token=x&text=hi"}),
    )
    .await;
    assert_eq!(sent.status, 200, "{}", String::from_utf8_lossy(&sent.body));
    let v = get_json(&t, &format!("/api/events/{}", sent.json()["id"])).await;
    assert_eq!(v["verification"]["provider"], "slack");
    assert_eq!(v["verification"]["status"], "unverified", "{v}");
    assert_ne!(p.sample.body, "token=x&text=hi");

    for (bad, why) in [
        (
            serde_json::json!({"provider": "shopifi"}),
            "no provider \"shopifi\"",
        ),
        (
            serde_json::json!({"provider": "shopify", "template": "run_complete"}),
            "are Cyberdesk's",
        ),
        (
            serde_json::json!({"provider": "discord", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}),
            "",
        ),
        (
            serde_json::json!({"provider": "typeform", "path": "/forms"}),
            "no key configured for /forms can sign as Typeform: give \"secret\" (the webhook's secret)",
        ),
    ] {
        let r = post_json(&t, "/api/send", &bad).await;
        assert_eq!(r.status, 400, "{bad}");
        let error = r.json()["error"].as_str().expect("error").to_string();
        assert!(error.contains(why), "{error}");
    }
    t.stop().await;
}

#[tokio::test]
async fn the_doctor_api_runs_a_providers_battery() {
    let p = registry::find("slack").expect("slack");
    let (sign, verify) = hookpit::verify::new_key_for(p);
    let app = common::stub::Stub::start(Some(&format!("slack:{verify}")), &[]).await;
    let t = spawn_app(&[]).await;
    let planned = hookpit::doctor::Options::for_provider(p, &[]).expect("options");
    let total = planned.scenarios().len();
    let started = post_json(
        &t,
        "/api/doctor",
        &serde_json::json!({"to": app.url("/hooks"), "secret": sign, "provider": "slack"}),
    )
    .await;
    assert_eq!(
        started.status,
        202,
        "{}",
        String::from_utf8_lossy(&started.body)
    );
    let run = started.json();
    assert_eq!(run["total"], total, "{run}");
    let id = run["id"].as_i64().expect("id");
    let mut done = serde_json::Value::Null;
    for _ in 0..300 {
        done = get_json(&t, &format!("/api/doctor/runs/{id}")).await;
        if done["state"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(done["ok"], true, "{done}");
    assert_eq!(done["counts"]["pass"], total, "{done}");
    // Every delivery the app saw was Slack's.
    assert!(!app.hits().is_empty());
    for h in app.hits() {
        let unsigned = h.verdict.status == hookpit::verify::Status::Unsigned;
        assert!(unsigned || h.verdict.provider.as_deref() == Some("slack"));
    }

    for (bad, why) in [
        (
            serde_json::json!({"to": app.url("/"), "provider": "slak", "secret": sign}),
            "no provider \"slak\"",
        ),
        (
            serde_json::json!({"to": app.url("/"), "provider": "slack"}),
            "can sign as Slack",
        ),
    ] {
        let r = post_json(&t, "/api/doctor", &bad).await;
        assert_eq!(r.status, 400, "{bad}");
        let error = r.json()["error"].as_str().expect("error").to_string();
        assert!(error.contains(why), "{error}");
    }
    t.stop().await;
}
