//! Signature interop with Python's official `svix` package (tests/interop/svix_interop.py):
//! bodies signed by `hookpit sign` and `hookpit send` pass `Webhook(secret).verify`, bodies
//! signed by svix during a key rotation are `valid` in hookpit, and tampered ones fail both.
//! Skipped loudly without `python3 -c "import svix"`, except under `CI=true`, where it fails.

mod common;

use common::{capture_post, get_json, spawn_app};
use hookpit::send::{Event, RunStatus, Template};
use hookpit::verify::Key;
use serde_json::{Value, json};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/svix_interop.py");
/// How many bodies each side signs (and how many tampered copies are checked).
const N: usize = 50;

/// Header `(name, value)` pairs.
type Pairs = Vec<(String, String)>;

/// Runs a program, returns its stdout; panics with its stderr on failure.
async fn run(program: &str, args: &[&str], stdin: &[u8]) -> String {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .env_remove("HOOKPIT_SECRET")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} starts: {e}"));
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin).await.expect("write stdin");
    drop(input);
    let out = child.wait_with_output().await.expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{program} {args:?} failed: {stderr}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

async fn hookpit(args: &[&str], stdin: &[u8]) -> String {
    run(env!("CARGO_BIN_EXE_hookpit"), args, stdin).await
}

/// Varied bodies: templates, non-ASCII text, odd spacing, empty, large.
fn body(i: usize) -> String {
    let statuses = [
        RunStatus::Success,
        RunStatus::Error,
        RunStatus::TaskFailed,
        RunStatus::Cancelled,
    ];
    match i % 6 {
        0 => {
            let e = Event::new(
                Template::RunComplete,
                Some(statuses[i / 6 % 4]),
                i.is_multiple_of(4),
            );
            String::from_utf8(e.expect("options").body(chrono::Utc::now()).to_vec()).expect("UTF-8")
        }
        1 => format!("{{\"text\": \"héllo wörld ✓ 漢字 🚀 #{i}\"}}"),
        2 => format!("  {{ \"spaced\" : [1, 2, {i}] }}\n"),
        3 => String::new(),
        4 => format!("{{\"big\":\"{}\"}}", "y".repeat(20_000 + i)),
        _ => format!("{{\"quote\":\"it's \\\"quoted\\\" \\\\ {i}\",\"n\":null}}"),
    }
}

/// A case for the Python side: body, headers, expected outcome.
fn case(name: String, body: &str, headers: &[(String, String)], expect: &str) -> Value {
    let headers: serde_json::Map<String, Value> =
        headers.iter().map(|(n, v)| (n.clone(), json!(v))).collect();
    json!({"name": name, "body": body, "headers": headers, "expect": expect})
}

/// A copy of a signed message broken in one of four ways, each of which must fail.
fn tamper(i: usize, body: &str, headers: &[(String, String)], other: &Key) -> (String, Pairs) {
    let mut headers = headers.to_vec();
    let get = |h: &[(String, String)], n: &str| {
        h.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .expect("svix header")
    };
    let set = |h: &mut Vec<(String, String)>, n: &str, v: String| {
        h.iter_mut()
            .filter(|(k, _)| k == n)
            .for_each(|(_, val)| *val = v.clone());
    };
    let (id, ts) = (get(&headers, "svix-id"), get(&headers, "svix-timestamp"));
    let mut body = body.to_string();
    match i % 4 {
        0 => body.push(' '),
        1 => set(&mut headers, "svix-id", format!("{id}x")),
        2 => {
            let later = ts.parse::<i64>().expect("ts") + 1;
            set(&mut headers, "svix-timestamp", later.to_string());
        }
        _ => {
            let ts = ts.parse().expect("ts");
            let wrong = hookpit::verify::standard::sign(
                &id,
                ts,
                body.as_bytes(),
                std::slice::from_ref(other),
            );
            set(&mut headers, "svix-signature", wrong.expect("signs"));
        }
    }
    (body, headers)
}

#[tokio::test]
async fn hookpit_signatures_pass_svix_verify() {
    if !common::python_svix_available() {
        return;
    }
    let secret = hookpit(&["secret"], b"").await.trim().to_string();
    let other = Key::parse(None, hookpit(&["secret"], b"").await.trim()).expect("other key");
    let mut signed: Vec<(String, String, Pairs)> = Vec::new();
    for i in 0..30 {
        let body = body(i);
        let printed = hookpit(&["sign", "--secret", &secret], body.as_bytes()).await;
        let headers = printed
            .lines()
            .map(|l| l.split_once(": ").expect("`name: value`"))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        signed.push((format!("sign-{i}"), body, headers));
    }
    let stub = common::stub::Stub::start(None, &[200]).await;
    for status in ["success", "error", "task_failed", "cancelled"] {
        let args = [
            "send",
            "--status",
            status,
            "--to",
            &stub.url(""),
            "--secret",
            &secret,
            "--repeat",
            "5",
            "--json",
        ];
        hookpit(&args, b"").await;
    }
    for (i, r) in stub.hits().into_iter().enumerate() {
        let headers = [
            "svix-id",
            "svix-timestamp",
            "svix-signature",
            "content-type",
        ]
        .map(|n| (n.to_string(), r.header(n).expect("sent header")));
        let body = String::from_utf8(r.body.to_vec()).expect("UTF-8 body");
        signed.push((format!("send-{i}"), body, headers.to_vec()));
    }
    assert_eq!(signed.len(), N);
    let mut cases: Vec<Value> = signed
        .iter()
        .map(|(n, b, h)| case(n.clone(), b, h, "valid"))
        .collect();
    for (i, (name, body, headers)) in signed.iter().enumerate() {
        let (body, headers) = tamper(i, body, headers, &other);
        cases.push(case(format!("{name}-tampered"), &body, &headers, "invalid"));
    }
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), serde_json::to_vec(&cases).expect("JSON")).expect("write cases");
    let path = file.path().to_str().expect("UTF-8 path");
    let out: Value =
        serde_json::from_str(&run("python3", &[SCRIPT, "verify", path, &secret], b"").await)
            .expect("script prints JSON");
    eprintln!(
        "interop: svix verified {} of {N} hookpit-signed bodies, rejected {} of {N} tampered",
        out["verified"], out["rejected"]
    );
    assert_eq!(out["wrong"], json!([]), "cases judged differently by svix");
    assert_eq!(
        (out["verified"].as_u64(), out["rejected"].as_u64()),
        (Some(N as u64), Some(N as u64))
    );
}

#[tokio::test]
async fn svix_signatures_are_valid_in_hookpit() {
    if !common::python_svix_available() {
        return;
    }
    let configured = hookpit(&["secret"], b"").await.trim().to_string();
    let other = hookpit(&["secret"], b"").await.trim().to_string();
    let printed = run(
        "python3",
        &[SCRIPT, "sign", &configured, &other, &N.to_string()],
        b"",
    )
    .await;
    let cases: Vec<Value> = serde_json::from_str(&printed).expect("script prints JSON");
    assert_eq!(cases.len(), 2 * N);
    let t = spawn_app(&["--secret", &configured]).await;
    let (mut valid, mut invalid, mut wrong) = (0, 0, Vec::new());
    for c in &cases {
        let headers: Vec<(&str, &str)> = c["headers"]
            .as_object()
            .expect("headers")
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str().expect("header text")))
            .collect();
        let body = c["body"].as_str().expect("body");
        let id = capture_post(&t, "/interop", &headers, body.as_bytes()).await;
        let stored = get_json(&t, &format!("/api/events/{id}")).await;
        let status = stored["verification"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        match status.as_str() {
            "valid" => valid += 1,
            "invalid" => invalid += 1,
            _ => {}
        }
        if status != c["expect"].as_str().expect("expect") {
            wrong.push(format!(
                "{}: {status} ({})",
                c["name"], stored["verification"]["message"]
            ));
        }
    }
    eprintln!(
        "interop: hookpit found {valid} of {N} svix-signed bodies valid, {invalid} of {N} tampered invalid"
    );
    assert_eq!(wrong, Vec::<String>::new());
    assert_eq!((valid, invalid), (N, N));
    t.stop().await;
}

#[tokio::test]
async fn a_resigned_replay_of_an_hour_old_webhook_passes_svix_verify() {
    if !common::python_svix_available() {
        return;
    }
    let secret = "whsec_Y3liZXJkZXNrLWluc3BlY3Rvci10ZXN0";
    let app = common::stub::Stub::start(None, &[]).await;
    let t = spawn_app(&["--secret", secret]).await;
    let body = String::from_utf8(
        Event::new(Template::RunComplete, Some(RunStatus::TaskFailed), true)
            .expect("options")
            .body(chrono::Utc::now())
            .to_vec(),
    )
    .expect("UTF-8");
    let hour_ago = chrono::Utc::now().timestamp() - 3600;
    let headers = common::svix_headers(secret, "msg_interop_replay", hour_ago, body.as_bytes());
    let id = capture_post(
        &t,
        "/cyberdesk",
        &common::as_refs(&headers),
        body.as_bytes(),
    )
    .await;
    for mode in ["resign", "verbatim"] {
        let r = common::post_json(
            &t,
            &format!("/api/events/{id}/replay"),
            &json!({ "target": app.url("/webhooks"), "mode": mode }),
        )
        .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let cases: Vec<Value> = app
        .hits()
        .iter()
        .zip(["valid", "invalid"])
        .map(|(hit, expect)| {
            let headers: serde_json::Map<String, Value> = hit
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), Value::String(String::from_utf8_lossy(v).into_owned())))
                .collect();
            json!({ "name": expect, "body": String::from_utf8_lossy(&hit.body), "headers": headers, "expect": expect })
        })
        .collect();
    assert_eq!(cases.len(), 2);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("replays.json");
    std::fs::write(&path, serde_json::to_vec(&cases).expect("json")).expect("write cases");
    let out = run(
        "python3",
        &[SCRIPT, "verify", path.to_str().expect("utf-8"), secret],
        b"",
    )
    .await;
    let result: Value = serde_json::from_str(out.trim()).expect("script prints JSON");
    assert_eq!(result["wrong"], json!([]), "svix disagreed: {result}");
    assert_eq!(
        (result["verified"].as_u64(), result["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    t.stop().await;
}
