//! A stand-in for the developer's app: a small hyper server on 127.0.0.1:0 that verifies
//! Svix signatures with hookpit's own verifier (answering 401 when they fail, as a real app
//! would), answers scripted statuses, and records every delivery.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// One request the app received.
#[derive(Debug, Clone)]
pub struct Hit {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Bytes,
    /// hookpit's verdict on the delivery, judged when it arrived.
    pub verdict: hookpit::verify::Verdict,
}

impl Hit {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.path_and_query.split('?').next().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }
}

/// The running stub app.
#[derive(Clone)]
pub struct Stub {
    pub addr: SocketAddr,
    pub hits: Arc<Mutex<Vec<Hit>>>,
    /// Statuses to answer, in order; the last one repeats (200 when none). Signature failures
    /// get 401 first.
    script: Arc<Mutex<VecDeque<u16>>>,
    /// Whether to answer 401 for deliveries whose signature does not verify.
    check_signatures: bool,
    /// How long to take over the next requests, in order (then no delay): a slow app.
    stalls: Arc<Mutex<VecDeque<std::time::Duration>>>,
    /// Requests answered so far (a stalled request counts once its answer is written).
    pub answered: Arc<std::sync::atomic::AtomicUsize>,
}

impl Stub {
    /// Starts on a fresh port.
    pub async fn start(secret: Option<&str>, script: &[u16]) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind stub");
        Stub::start_on(listener, secret, script)
    }

    /// Starts on a given listener.
    pub fn start_on(listener: TcpListener, secret: Option<&str>, script: &[u16]) -> Stub {
        let keys: Vec<hookpit::verify::Key> = secret
            .map(|s| vec![hookpit::verify::Key::parse(Some("app"), s).expect("stub key")])
            .unwrap_or_default();
        let stub = Stub {
            addr: listener.local_addr().expect("stub addr"),
            hits: Arc::default(),
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            check_signatures: secret.is_some(),
            stalls: Arc::default(),
            answered: Arc::default(),
        };
        let served = stub.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let stub = served.clone();
                let keys = keys.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: Request<Incoming>| {
                        let stub = stub.clone();
                        let keys = keys.clone();
                        async move { Ok::<_, Infallible>(stub.handle(req, &keys).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        stub
    }

    async fn handle(
        &self,
        req: Request<Incoming>,
        keys: &[hookpit::verify::Key],
    ) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        let headers: Vec<(String, Vec<u8>)> = parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
            .collect();
        let stall = self.stalls.lock().expect("stalls").pop_front();
        let now = chrono::Utc::now().timestamp();
        // Judged at the URL it was addressed to, for the providers that sign it (Twilio…).
        let (path, query) = (parts.uri.path(), parts.uri.query());
        let request = hookpit::verify::Request {
            method: parts.method.as_str(),
            path,
            query,
            headers: &headers,
            body: &body,
            base: None,
        };
        let verdict = hookpit::verify::verify_request(&request, keys, now, None);
        let valid = verdict.status == hookpit::verify::Status::Valid;
        self.hits.lock().expect("hits").push(Hit {
            method: parts.method.to_string(),
            path_and_query: parts
                .uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            headers,
            body,
            verdict,
        });
        let status = if self.check_signatures && !valid {
            401
        } else {
            let mut script = self.script.lock().expect("script");
            match script.len() {
                0 => 200,
                1 => script[0],
                _ => script.pop_front().unwrap_or(200),
            }
        };
        if let Some(d) = stall {
            tokio::time::sleep(d).await;
        }
        self.answered
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Response::builder()
            .status(status)
            .header("X-App", "stub")
            .body(Full::new(Bytes::from(format!("app says {status}"))))
            .expect("valid response")
    }

    /// Makes the next requests take these times each before their answer (a slow app).
    pub fn stall_next(&self, delays: &[std::time::Duration]) {
        self.stalls.lock().expect("stalls").extend(delays);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("hits").clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Polls `check` every 20 ms until it returns `Some`, for at most 10 s.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
