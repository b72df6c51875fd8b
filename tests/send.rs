//! The sender: `hookpit send`/`sign`/`secret` (the real binary), `send::send` with retries
//! against a stub, and `POST /api/send`; everything sent must verify as `valid` in hookpit.

mod common;

use bytes::Bytes;
use common::stub::Stub;
use common::{get_json, post_json, spawn_app};
use common::{run_hookpit as hookpit, signing, text};
use hookpit::client::HttpClient;
use hookpit::schedule::RetrySchedule;
use hookpit::send::{self, Event, Message, RunStatus, Template};
use hookpit::verify::{Key, Status, verify};
use serde_json::{Value, json};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// The stored event `id` as the API shows it.
async fn event(t: &common::TestApp, id: i64) -> Value {
    get_json(t, &format!("/api/events/{id}")).await
}

#[tokio::test]
async fn send_to_the_capture_port_verifies_as_valid() {
    let t = spawn_app(&["--secret", SECRET]).await;
    let event_spec = Event::new(Template::RunComplete, Some(RunStatus::TaskFailed), true)
        .expect("valid options");
    let message = Message::new(event_spec.body(chrono::Utc::now()), &signing(SECRET))
        .expect("message builds");
    let target = send::parse_target(&format!("http://{}/cyberdesk", t.capture)).expect("url");
    let report = send::send(
        &HttpClient::default(),
        &target,
        &message,
        &RetrySchedule::once(),
        |_| {},
    )
    .await;
    assert!(report.ok, "{report:?}");
    let only = &report.tries[0];
    assert_eq!((only.status, report.tries.len()), (Some(200), 1));
    let id =
        serde_json::from_str::<Value>(&only.response_body).expect("capture answers JSON")["id"]
            .as_i64()
            .expect("id");
    let stored = event(&t, id).await;
    assert_eq!(stored["verification"]["status"], "valid", "{stored}");
    assert_eq!(stored["msg_id"], message.msg_id.as_str());
    assert_eq!(
        (&stored["run"]["status"], &stored["event_type"]),
        (&json!("task_failed"), &json!("run_complete"))
    );
    t.stop().await;
}

#[tokio::test]
async fn the_send_command_round_trips_and_repeats() {
    let t = spawn_app(&["--secret", SECRET]).await;
    let to = format!("http://{}/cyberdesk", t.capture);
    let args = [
        "send",
        "run_complete",
        "--status",
        "task_failed",
        "--checks-fail",
        "--to",
        &to,
        "--secret",
        SECRET,
        "--repeat",
        "3",
        "--json",
    ];
    let out = hookpit(&args, b"").await;
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let reports: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON report per line"))
        .collect();
    assert_eq!(reports.len(), 3);
    let mut ids = Vec::new();
    for r in &reports {
        assert_eq!(
            (&r["ok"], &r["tries"][0]["status"]),
            (&json!(true), &json!(200))
        );
        let body: Value =
            serde_json::from_str(r["tries"][0]["response_body"].as_str().expect("body"))
                .expect("capture answer");
        let stored = event(&t, body["id"].as_i64().expect("id")).await;
        assert_eq!(stored["verification"]["status"], "valid", "{stored}");
        assert_eq!(stored["run"]["status"], "task_failed");
        let headers = stored["headers"].to_string();
        assert!(headers.contains("Svix-Webhooks/"), "{headers}");
        ids.push(r["msg_id"].as_str().expect("msg_id").to_string());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each message has its own svix-id");

    let text_out = hookpit(&["send", "ping", "--to", &to, "--secret", SECRET], b"").await;
    let printed = text(&text_out.stdout);
    assert!(text_out.status.success(), "{}", text(&text_out.stderr));
    assert!(printed.contains("try 1/1: 200 OK in"), "{printed}");
    assert!(
        printed.contains("{\"id\":") && printed.contains("delivered"),
        "{printed}"
    );
    t.stop().await;
}

#[tokio::test]
async fn api_send_goes_through_the_capture_pipeline() {
    let t = spawn_app(&["--secret", SECRET]).await;
    let req = json!({"template": "run_complete", "status": "error", "path": "/cyberdesk?x=1"});
    let resp = post_json(&t, "/api/send", &req).await;
    assert_eq!(resp.status, 200, "{}", text(&resp.body));
    let answer = resp.json();
    let ev = &answer["event"];
    assert_eq!(
        (&ev["source"], &ev["path"], &ev["query"]),
        (&json!("send"), &json!("/cyberdesk"), &json!("x=1"))
    );
    assert_eq!(ev["verification"]["status"], "valid", "{answer}");
    assert_eq!(ev["run"]["status"], "error");
    let listed = get_json(&t, "/api/events?source=send").await;
    assert_eq!(listed["events"][0]["id"], answer["id"]);

    // A raw body signed with another secret than the configured one is stored as invalid.
    let req = json!({"body": "{\"x\":1}", "secret": OTHER, "headers": [["X-Trace", "7"]]});
    let answer = post_json(&t, "/api/send", &req).await.json();
    assert_eq!(answer["event"]["verification"]["status"], "invalid");
    let stored = event(&t, answer["id"].as_i64().expect("id")).await;
    assert!(
        stored["headers"].to_string().contains("X-Trace"),
        "{stored}"
    );

    for (bad, says) in [
        (
            json!({"template": "ping", "status": "error"}),
            "run_complete only",
        ),
        (json!({"template": "ping", "body": "{}"}), "not both"),
        (json!({"to": "ftp://example.com/"}), "https://"),
        (json!({"secret": "whsec_"}), "\"secret\""),
        (json!({"colour": "red"}), "unknown field"),
    ] {
        let resp = post_json(&t, "/api/send", &bad).await;
        assert_eq!(resp.status, 400, "{bad}");
        let message = resp.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(message.contains(says), "{bad}: {message}");
    }
    t.stop().await;

    let unkeyed = spawn_app(&[]).await;
    let resp = post_json(&unkeyed, "/api/send", &json!({})).await;
    assert_eq!(resp.status, 400);
    assert!(
        text(&resp.body).contains("no key configured for / can sign"),
        "{}",
        text(&resp.body)
    );
    let stub = Stub::start(None, &[202]).await;
    let req = json!({"template": "downed_machines", "secret": SECRET, "to": format!("{}/hooks", stub.url(""))});
    let report = post_json(&unkeyed, "/api/send", &req).await.json();
    assert_eq!(
        (&report["ok"], &report["tries"][0]["status"]),
        (&json!(true), &json!(202))
    );
    let got = stub.hits();
    assert_eq!((got.len(), got[0].path()), (1, "/hooks"));
    assert!(String::from_utf8_lossy(&got[0].body).contains("\"downed_machines\""));
    unkeyed.stop().await;
}

#[tokio::test]
async fn retries_follow_the_schedule_and_stop_at_the_first_2xx() {
    let stub = Stub::start(None, &[500, 302, 200, 200]).await;
    let message = Message::new(Bytes::from_static(b"{\"a\":1}"), &signing(SECRET)).expect("builds");
    let schedule = RetrySchedule::parse("0s,20ms,20ms,20ms,20ms").expect("schedule");
    let target = send::parse_target(&stub.url("")).expect("url");
    let mut seen = Vec::new();
    let report = send::send(&HttpClient::default(), &target, &message, &schedule, |t| {
        seen.push((t.status, t.next_retry_in_ms))
    })
    .await;
    let wanted = vec![
        (Some(500), Some(20)),
        (Some(302), Some(20)),
        (Some(200), None),
    ];
    assert_eq!(seen, wanted, "3xx is a failure too, as for Svix");
    assert!(report.ok && report.failure().is_none());
    let got = stub.hits();
    assert_eq!(got.len(), 3);
    let key = Key::parse(None, SECRET).expect("key");
    for r in &got {
        assert_eq!(
            r.header("svix-id").as_deref(),
            Some(message.msg_id.as_str()),
            "same id on every try"
        );
        let ts: i64 = r
            .header("svix-timestamp")
            .expect("ts")
            .parse()
            .expect("integer");
        let v = verify(&r.headers, &r.body, std::slice::from_ref(&key), ts);
        assert_eq!(v.status, Status::Valid, "{}", v.message);
    }

    let failing = Stub::start(None, &[503]).await;
    let target = send::parse_target(&failing.url("")).expect("url");
    let schedule = RetrySchedule::parse("0s,10ms").expect("schedule");
    let report = send::send(&HttpClient::default(), &target, &message, &schedule, |_| {}).await;
    assert_eq!(
        (report.ok, report.tries.len(), failing.hits().len()),
        (false, 2, 2)
    );
    let why = report.failure().expect("a failure");
    assert!(why.ends_with("the last of 2 tries answered 503"), "{why}");
}

#[tokio::test]
async fn the_binary_fails_when_the_last_try_fails() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let to = format!("http://{closed}/");
    let args = [
        "send",
        "ping",
        "--to",
        &to,
        "--secret",
        SECRET,
        "--retry-schedule",
        "0s,10ms",
    ];
    let out = hookpit(&args, b"").await;
    assert!(!out.status.success());
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stdout.contains("try 1/2: could not connect") && stdout.contains("next try in 10ms"),
        "{stdout}"
    );
    assert!(stdout.contains("try 2/2: could not connect"), "{stdout}");
    assert!(
        stderr.contains("not delivered") && stderr.contains("the last of 2 tries"),
        "{stderr}"
    );

    let out = hookpit(&["send", "--to", &to, "--secret", SECRET, "--json"], b"").await;
    assert!(!out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report on stdout");
    assert_eq!(
        (&report["ok"], &report["tries"][0]["status"]),
        (&json!(false), &Value::Null)
    );

    let stub = Stub::start(None, &[200]).await;
    let out = hookpit(
        &[
            "send",
            "ping",
            "--to",
            &stub.url(""),
            "--secret",
            SECRET,
            "--status",
            "error",
        ],
        b"",
    )
    .await;
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--status applies to the run_complete template only"));
    assert!(stub.hits().is_empty());
}
