//! `hookpit sign` and `hookpit secret` (the real binary): the official vectors are reproduced,
//! `--curl` prints a usable command, and generated keys sign and verify.

mod common;

use bytes::Bytes;
use common::{run_hookpit as hookpit, signing, text};
use hookpit::send::Message;
use hookpit::verify::{Key, Status, verify};
use serde_json::Value;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[tokio::test]
async fn sign_reproduces_the_official_vectors() {
    let vectors: Vec<Value> =
        serde_json::from_slice(&common::fixture("signature_vectors.json")).expect("vectors");
    let mut reproduced = 0;
    for v in &vectors {
        let standard = v["scheme"]
            .as_str()
            .is_some_and(|s| s.starts_with("standard-webhooks"));
        if !standard || v["expect_valid"] != true {
            continue;
        }
        let payload = match (&v["payload"], &v["payload_repeat"]) {
            (Value::String(p), _) => p.clone(),
            (_, r) => r["char"]
                .as_str()
                .expect("char")
                .repeat(r["count"].as_u64().expect("count") as usize),
        };
        let key = v["signing_secret"]
            .as_str()
            .or(v["secret"].as_str())
            .expect("a key");
        if key.starts_with("whpk_") {
            continue;
        }
        let (id, ts) = (
            v["msg_id"].as_str().expect("id"),
            v["timestamp"].as_str().expect("ts"),
        );
        let out = hookpit(
            &["sign", "--secret", key, "--id", id, "--timestamp", ts],
            payload.as_bytes(),
        )
        .await;
        assert!(out.status.success(), "{}: {}", v["name"], text(&out.stderr));
        let printed = text(&out.stdout);
        let lines: Vec<&str> = printed.lines().collect();
        assert_eq!(
            lines[..2],
            [format!("svix-id: {id}"), format!("svix-timestamp: {ts}")]
        );
        let ours = lines[2]
            .strip_prefix("svix-signature: ")
            .expect("signature line");
        let official: Vec<&str> = v["signature"].as_str().expect("sig").split(' ').collect();
        assert!(
            official.contains(&ours),
            "{}: {ours} not in {official:?}",
            v["name"]
        );
        reproduced += 1;
    }
    assert!(reproduced >= 14, "only {reproduced} vectors signed");

    let out = hookpit(
        &[
            "sign",
            "--secret",
            SECRET,
            "--curl",
            "http://127.0.0.1:8700/x",
        ],
        b"{\"it's\":1}",
    )
    .await;
    let curl = text(&out.stdout);
    assert!(
        curl.starts_with("curl -sS -g --path-as-is -X 'POST' 'http://127.0.0.1:8700/x'"),
        "{curl}"
    );
    assert!(
        curl.contains("-H 'svix-signature: v1,")
            && curl.ends_with("--data-raw '{\"it'\\''s\":1}'\n"),
        "{curl}"
    );
}

#[tokio::test]
async fn secret_prints_keys_that_sign_and_verify() {
    let out = hookpit(&["secret"], b"").await;
    let secret = text(&out.stdout).trim().to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 38,
        "{secret}"
    );
    let out = hookpit(&["secret", "--ed25519"], b"").await;
    let printed = text(&out.stdout);
    let [whsk, whpk] = printed.lines().collect::<Vec<_>>()[..] else {
        panic!("two lines: {printed}");
    };
    assert!(whsk.starts_with("whsk_") && whpk.starts_with("whpk_"));
    for (signer, verifier) in [(secret.as_str(), secret.as_str()), (whsk, whpk)] {
        let m = Message::new(Bytes::from_static(b"{}"), &signing(signer)).expect("signs");
        let key = Key::parse(None, verifier).expect("verifier key");
        let v = verify(&m.headers(1_700_000_000), b"{}", &[key], 1_700_000_000);
        assert_eq!(v.status, Status::Valid, "{}", v.message);
    }
}
