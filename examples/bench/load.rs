//! The load generator: N HTTP/1.1 keep-alive connections posting the same pre-built request for
//! a fixed time, each latency recorded, then summarised (requests/s, p50, p99, max).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;

/// What one load run measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stats {
    pub requests: u64,
    pub errors: u64,
    pub non_2xx: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The request every connection sends.
#[derive(Clone)]
pub struct Shot {
    pub addr: SocketAddr,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Shot {
    /// Sends the request once on `sender`: its latency in µs and whether the answer was a 2xx,
    /// or `Err` when the connection failed.
    async fn send(
        &self,
        sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    ) -> Result<(u32, bool), ()> {
        let mut req = Request::post(self.path.as_str())
            .header("host", self.addr.to_string())
            .body(Full::new(self.body.clone()))
            .expect("valid request");
        for (n, v) in &self.headers {
            req.headers_mut().insert(
                hyper::header::HeaderName::from_bytes(n.as_bytes()).expect("header name"),
                v.parse().expect("header value"),
            );
        }
        let t = Instant::now();
        let resp = sender.send_request(req).await.map_err(|_| ())?;
        let ok = resp.status().is_success();
        let _ = resp.into_body().collect().await;
        Ok((t.elapsed().as_micros() as u32, ok))
    }
}

impl Shot {
    /// Sends the request once on a new connection; whether the answer was a 2xx.
    pub async fn once(&self) -> bool {
        let Ok(stream) = tokio::net::TcpStream::connect(self.addr).await else {
            return false;
        };
        let Ok((mut sender, conn)) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
        else {
            return false;
        };
        tokio::spawn(conn);
        matches!(self.send(&mut sender).await, Ok((_, true)))
    }
}

/// Runs `conns` connections against `shot` for `duration`.
pub async fn run(shot: &Shot, conns: usize, duration: Duration) -> Stats {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let tasks: Vec<_> = (0..conns)
        .map(|_| {
            let shot = shot.clone();
            tokio::spawn(async move { connection(shot, deadline).await })
        })
        .collect();
    let (mut lat, mut errors, mut non_2xx) = (Vec::new(), 0, 0);
    for t in tasks {
        if let Ok((l, e, n)) = t.await {
            lat.extend(l);
            errors += e;
            non_2xx += n;
        }
    }
    summarise(lat, errors, non_2xx, started.elapsed().as_secs_f64())
}

/// One connection's loop: latencies in µs, errors, non-2xx answers.
async fn connection(shot: Shot, deadline: Instant) -> (Vec<u32>, u64, u64) {
    let (mut lat, mut errors, mut non_2xx) = (Vec::new(), 0, 0);
    'reconnect: while Instant::now() < deadline {
        let Ok(stream) = tokio::net::TcpStream::connect(shot.addr).await else {
            errors += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, conn)) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
        else {
            errors += 1;
            continue;
        };
        tokio::spawn(conn);
        while Instant::now() < deadline {
            match shot.send(&mut sender).await {
                Ok((micros, ok)) => {
                    lat.push(micros);
                    if !ok {
                        non_2xx += 1;
                    }
                }
                Err(()) => {
                    errors += 1;
                    continue 'reconnect;
                }
            }
        }
    }
    (lat, errors, non_2xx)
}

/// Sends `shot` at a steady `rate` requests/s for `duration`, over a few keep-alive connections
/// that take the next time slot in turn (request k is due at start + k/rate; a late connection
/// catches up at once, so a slow server gets the same number of requests, just later).
pub async fn run_paced(shot: &Shot, rate: u32, duration: Duration) -> Stats {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let started = tokio::time::Instant::now();
    let total = (u64::from(rate) as f64 * duration.as_secs_f64()).round() as u64;
    let next = Arc::new(AtomicU64::new(0));
    let period = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let conns = (rate as usize / 100).clamp(1, 16);
    let tasks: Vec<_> = (0..conns)
        .map(|_| {
            let (shot, next) = (shot.clone(), next.clone());
            tokio::spawn(async move {
                let (mut lat, mut errors, mut non_2xx) = (Vec::new(), 0u64, 0u64);
                let mut sender = None;
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= total {
                        break;
                    }
                    tokio::time::sleep_until(started + period * k as u32).await;
                    if sender.is_none() {
                        sender = paced_connect(shot.addr).await;
                    }
                    let Some(s) = sender.as_mut() else {
                        errors += 1;
                        continue;
                    };
                    match shot.send(s).await {
                        Ok((micros, ok)) => {
                            lat.push(micros);
                            if !ok {
                                non_2xx += 1;
                            }
                        }
                        Err(()) => {
                            errors += 1;
                            sender = None;
                        }
                    }
                }
                (lat, errors, non_2xx)
            })
        })
        .collect();
    let (mut lat, mut errors, mut non_2xx) = (Vec::new(), 0, 0);
    for t in tasks {
        if let Ok((l, e, n)) = t.await {
            lat.extend(l);
            errors += e;
            non_2xx += n;
        }
    }
    summarise(lat, errors, non_2xx, started.elapsed().as_secs_f64())
}

async fn paced_connect(
    addr: SocketAddr,
) -> Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(conn);
    Some(sender)
}

/// Requests/s and latency percentiles from raw latencies (µs).
fn summarise(mut lat: Vec<u32>, errors: u64, non_2xx: u64, elapsed: f64) -> Stats {
    lat.sort_unstable();
    let pick = |q: f64| {
        if lat.is_empty() {
            return 0.0;
        }
        let i = ((lat.len() as f64 * q).ceil() as usize).clamp(1, lat.len()) - 1;
        lat[i] as f64 / 1000.0
    };
    Stats {
        requests: lat.len() as u64,
        errors,
        non_2xx,
        rps: lat.len() as f64 / elapsed,
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        max_ms: lat.last().map_or(0.0, |&m| m as f64 / 1000.0),
    }
}
