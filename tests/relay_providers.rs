//! A provider that signs the URL (Twilio) through the tunnel: the signature covers the relay's
//! public URL the sender used, not the inspector's address, and hookpit judges it so.

mod common;

use common::stub::eventually;
use common::*;
use hookpit::headers::Headers;
use hookpit::verify::{Key, Outgoing, registry};

const TOKEN: &str = "c0ffee00c0ffee00c0ffee00c0ffee00";

#[tokio::test]
async fn a_twilio_webhook_through_the_relay_is_judged_at_its_public_url() {
    let relay = spawn_relay("127.0.0.1:0", ":memory:", &[]).await;
    let secret = format!("twilio:{TOKEN}");
    let t = spawn_app(&[
        "--secret",
        &secret,
        "--relay",
        &relay.url(),
        "--relay-token",
        "relay-token",
    ])
    .await;
    let public: String = eventually("the agent to connect", || async {
        let status = get_json(&t, "/api/status").await;
        let r = &status["relay"];
        (r["state"] == "connected").then(|| r["public_url"].as_str().expect("url").to_string())
    })
    .await;

    let p = registry::find("twilio").expect("twilio");
    let url = format!("{public}/twilio/sms?tenant=7");
    let mut headers = Headers::default();
    headers.set("Content-Type", p.sample.content_type);
    let mut out = Outgoing {
        method: "POST".into(),
        url: url.clone(),
        headers,
        body: p.sample.body.as_bytes().to_vec(),
    };
    p.sign(&mut out, &[Key::parse(None, TOKEN).expect("key")], 0)
        .expect("signs");
    let rest = url.strip_prefix("http://").expect("http");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n",
        out.body.len()
    );
    for (n, v) in out.headers.iter() {
        head.push_str(&format!("{n}: {}\r\n", String::from_utf8_lossy(v)));
    }
    let r = raw(host.parse().expect("ip:port"), head.as_bytes(), &out.body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_i64().expect("id");
    let e = get_json(&t, &format!("/api/events/{id}")).await;
    assert_eq!(e["source"], "relay");
    assert_eq!(
        e["path"], "/twilio/sms",
        "the channel prefix is the relay's, not the path's"
    );
    assert_eq!(e["verification"]["provider"], "twilio");
    assert_eq!(
        e["verification"]["status"], "valid",
        "{}",
        e["verification"]
    );
    t.stop().await;
    relay.stop().await;
}
