//! Small webhook apps for the doctor tests, each on 127.0.0.1:0: one correct, the others each
//! making one mistake from Cyberdesk's webhook guide. They verify with hookpit's own verifier,
//! except the one that verifies a re-serialized body.
#![allow(dead_code)]

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use hookpit::verify::{Key, Status, verify};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// The secret every app is configured with.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The one thing an app gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mistake {
    /// None: verifies the raw body, acknowledges everything valid, answers repeats 200.
    None,
    /// Parses the JSON and verifies its re-serialization instead of the raw bytes.
    Reserializes,
    /// Checks the signature but not the timestamp.
    NoTimestampCheck,
    /// Verifies nothing.
    NoVerification,
    /// Answers 500 when `run.status` is `task_failed`.
    FailsTaskFailed,
    /// Refuses bodies over 100 KB with 413, like Express's default body limit.
    BodyLimit100Kb,
    /// Does its work before answering: sleeps this long after a valid delivery.
    Sleeps(Duration),
    /// Answers 308 to a URL with a trailing slash.
    Redirects,
    /// Remembers processed runs by `run.id` instead of `svix-id`: a retried run's webhook is
    /// answered as a repeat, `{"duplicate":true}`.
    KeysOnRunId,
    /// Remembers the `svix-id` with a `_<digits>` suffix cut off: the same mistake, keyed on
    /// the message id's run part.
    KeysOnMsgIdPrefix,
    /// Keys on `run.id` like `KeysOnRunId`, but answers every valid delivery the same
    /// `{"ok":true}`: what it did is not in its answers.
    KeysOnRunIdQuietly,
}

/// A running app.
pub struct App {
    pub addr: SocketAddr,
    /// Every `svix-id` (or `webhook-id`) accepted so far.
    seen: Arc<Mutex<HashSet<Vec<u8>>>>,
}

impl App {
    pub fn url(&self) -> String {
        format!("http://{}/webhooks", self.addr)
    }
}

/// Starts an app that makes `mistake`.
pub async fn start(mistake: Mistake) -> App {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind app");
    let app = App {
        addr: listener.local_addr().expect("app addr"),
        seen: Arc::default(),
    };
    let seen = Arc::clone(&app.seen);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let seen = Arc::clone(&seen);
                    async move { Ok::<_, Infallible>(handle(mistake, req, &seen).await) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    app
}

async fn handle(
    mistake: Mistake,
    req: Request<Incoming>,
    seen: &Mutex<HashSet<Vec<u8>>>,
) -> Response<Full<Bytes>> {
    if mistake == Mistake::Redirects {
        return answer(308, "", Some("http://127.0.0.1/webhooks/"));
    }
    let (parts, body) = req.into_parts();
    let limit = match mistake {
        Mistake::BodyLimit100Kb => 100 * 1024,
        _ => 16 << 20,
    };
    let Ok(body) = Limited::new(body, limit)
        .collect()
        .await
        .map(|b| b.to_bytes())
    else {
        return answer(413, r#"{"error":"request entity too large"}"#, None);
    };
    let headers: Vec<(String, Vec<u8>)> = parts
        .headers
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
        .collect();
    let keys = [Key::parse(Some("app"), SECRET).expect("app key")];
    let now = chrono::Utc::now().timestamp();
    let verified = match mistake {
        Mistake::NoVerification => true,
        Mistake::Reserializes => match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(value) => {
                let again = serde_json::to_vec(&value).expect("re-serializes");
                verify(&headers, &again, &keys, now).status == Status::Valid
            }
            Err(_) => false,
        },
        Mistake::NoTimestampCheck => verify(&headers, &body, &keys, now).signature_ok == Some(true),
        _ => verify(&headers, &body, &keys, now).status == Status::Valid,
    };
    if !verified {
        return answer(400, r#"{"error":"invalid signature"}"#, None);
    }
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if mistake == Mistake::FailsTaskFailed && event["run"]["status"] == "task_failed" {
        return answer(500, r#"{"error":"unhandled status task_failed"}"#, None);
    }
    if let Mistake::Sleeps(d) = mistake {
        tokio::time::sleep(d).await;
    }
    let id = ["svix-id", "webhook-id"]
        .iter()
        .find_map(|name| parts.headers.get(*name))
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    let run_id = || event["run"]["id"].to_string().into_bytes();
    let key = match mistake {
        Mistake::KeysOnRunId | Mistake::KeysOnRunIdQuietly => run_id(),
        Mistake::KeysOnMsgIdPrefix => without_digit_suffix(id),
        _ => id,
    };
    let repeated = !seen.lock().expect("seen").insert(key);
    match (mistake, repeated) {
        (Mistake::KeysOnRunIdQuietly, _) => answer(200, r#"{"ok":true}"#, None),
        (_, true) => answer(200, r#"{"duplicate":true}"#, None),
        (_, false) => answer(200, r#"{"received":true}"#, None),
    }
}

/// `abc_1702310400000` → `abc`; any other id as it is.
fn without_digit_suffix(id: Vec<u8>) -> Vec<u8> {
    match id.iter().rposition(|&b| b == b'_') {
        Some(at) if at + 1 < id.len() && id[at + 1..].iter().all(u8::is_ascii_digit) => {
            id[..at].to_vec()
        }
        _ => id,
    }
}

fn answer(status: u16, body: &'static str, location: Option<&str>) -> Response<Full<Bytes>> {
    let mut resp = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    if let Some(l) = location {
        resp = resp.header("location", l);
    }
    resp.body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("valid response")
}
