//! A tiny webhook receiver for sender tests: answers each request with the next status of a
//! script (the last one repeats) and records what arrived, on 127.0.0.1:0.
#![allow(dead_code, missing_docs)]

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request the stub received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Headers as `hookpit::verify::verify` takes them.
    pub fn raw_headers(&self) -> Vec<(String, Vec<u8>)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.clone(), v.as_bytes().to_vec()))
            .collect()
    }
}

/// A running stub; stops when dropped.
pub struct Stub {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl Stub {
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("stub lock").clone()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a stub answering `statuses` in turn, each with body `{"try": n}`.
pub async fn spawn_stub(statuses: &[u16]) -> Stub {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind stub");
    let url = format!("http://{}", listener.local_addr().expect("stub addr"));
    let received = Arc::new(Mutex::new(Vec::new()));
    let statuses = Arc::new(statuses.to_vec());
    let log = received.clone();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (log, statuses) = (log.clone(), statuses.clone());
            let service = service_fn(move |req: Request<Incoming>| {
                let (log, statuses) = (log.clone(), statuses.clone());
                async move {
                    let path = req.uri().path().to_string();
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
                        .collect();
                    let body = req
                        .into_body()
                        .collect()
                        .await
                        .expect("stub body")
                        .to_bytes();
                    let n = {
                        let mut log = log.lock().expect("stub lock");
                        log.push(Received {
                            path,
                            headers,
                            body: body.to_vec(),
                        });
                        log.len()
                    };
                    let status = statuses[(n - 1).min(statuses.len() - 1)];
                    let mut resp =
                        Response::new(Full::new(Bytes::from(format!("{{\"try\": {n}}}"))));
                    *resp.status_mut() = http::StatusCode::from_u16(status).expect("status");
                    Ok::<_, Infallible>(resp)
                }
            });
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Stub {
        url,
        received,
        task,
    }
}
