//! The one outgoing HTTP client (pooled hyper-util client over http:// and https://) used to
//! forward, replay and send webhooks. A failure is returned as data (`Delivery::error`), never
//! as a panic or a hang.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::client_tls::TlsTrust;
use crate::store::model::Headers;

/// How long one delivery may take, as Svix allows an endpoint (15 s).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);

/// What came back from one delivery.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    /// The status, when the target answered.
    pub status: Option<u16>,
    /// Response headers in the order received.
    pub headers: Headers,
    /// The response body, cut at the caller's limit.
    pub body: Bytes,
    /// Whether the body was longer than the limit.
    pub truncated: bool,
    /// Time until the whole (kept part of the) response arrived.
    pub duration: Duration,
    /// Why there is no status: refused, timed out, bad URL, ...
    pub error: Option<String>,
}

/// A cheap-to-clone handle to the pooled client.
#[derive(Clone)]
pub struct HttpClient {
    inner: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Default for HttpClient {
    /// A client that trusts the public roots only.
    fn default() -> Self {
        HttpClient::new(&TlsTrust::default()).expect("the built-in roots always make a config")
    }
}

impl HttpClient {
    /// A client whose https:// connections trust what `trust` says.
    pub fn new(trust: &TlsTrust) -> Result<HttpClient, String> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        // The TLS layer handles https://; the TCP connector must let those URLs through.
        connector.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(trust.client_config()?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        Ok(HttpClient {
            inner: Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(30))
                .build(https),
        })
    }

    /// Sends `req` and returns the answer as soon as its head arrives (within `timeout`),
    /// its body left for the caller to read as it comes: a download larger than memory.
    pub async fn open(
        &self,
        req: Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<hyper::Response<hyper::body::Incoming>, String> {
        tokio::time::timeout(timeout, self.inner.request(req))
            .await
            .map_err(|_| format!("no answer within {} s", timeout.as_secs()))?
            .map_err(describe)
    }

    /// Sends `req`, waits at most `timeout`, keeps at most `body_limit` bytes of the answer.
    pub async fn deliver(
        &self,
        req: Request<Full<Bytes>>,
        timeout: Duration,
        body_limit: usize,
    ) -> Delivery {
        let started = Instant::now();
        if !matches!(req.uri().scheme_str(), Some("http" | "https")) {
            return Delivery {
                error: Some(format!(
                    "only http:// and https:// targets are supported, not {}",
                    req.uri()
                )),
                ..Delivery::default()
            };
        }
        let result = tokio::time::timeout(timeout, async {
            let resp = self.inner.request(req).await.map_err(describe)?;
            let (parts, mut body) = resp.into_parts();
            let mut kept = BytesMut::new();
            let mut truncated = false;
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| format!("response body broke off: {e}"))?;
                if let Ok(data) = frame.into_data() {
                    let room = body_limit.saturating_sub(kept.len());
                    truncated |= data.len() > room;
                    kept.extend_from_slice(&data[..data.len().min(room)]);
                }
            }
            let headers = parts
                .headers
                .iter()
                .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
                .collect();
            Ok::<_, String>((parts.status.as_u16(), headers, kept.freeze(), truncated))
        })
        .await;
        let duration = started.elapsed();
        match result {
            Ok(Ok((status, headers, body, truncated))) => Delivery {
                status: Some(status),
                headers,
                body,
                truncated,
                duration,
                error: None,
            },
            Ok(Err(error)) => Delivery {
                error: Some(error),
                duration,
                ..Delivery::default()
            },
            Err(_) => Delivery {
                error: Some(format!("no answer within {} s", timeout.as_secs())),
                duration,
                ..Delivery::default()
            },
        }
    }
}

/// A plain sentence for a client error, with the root cause (e.g. "connection refused").
fn describe(e: hyper_util::client::legacy::Error) -> String {
    let mut text = if e.is_connect() {
        "could not connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(&e);
    let mut last = None;
    while let Some(s) = source {
        last = Some(s.to_string());
        source = s.source();
    }
    if let Some(root) = last {
        text.push_str(": ");
        text.push_str(&root);
        if root.contains("certificate") {
            text.push_str(
                " (an app with its own certificate needs --forward-cacert FILE, or --forward-insecure)",
            );
        }
    }
    text
}
