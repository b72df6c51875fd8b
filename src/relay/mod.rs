//! The tunnel: `hookpit relay` on a public host stores every webhook sent to a channel's public
//! URL and hands it to that channel's agent (a hookpit inspector started with `--relay`), which
//! acknowledges each one after its own commit. Nothing is lost while the agent is away.
//! `protocol.rs` holds the frames, `server.rs`, `session.rs` and `push.rs` the relay, `agent.rs` the
//! agent.

pub mod advice;
pub mod agent;
pub mod args;
pub mod metrics;
pub mod protocol;
mod push;
pub mod server;
mod session;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::store::{Retention, Store};
use args::RelayArgs;
use server::Relay;

/// How often acknowledged requests past `--retention` are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// Runs a relay on `listener` until `shutdown` completes.
pub async fn run(
    args: RelayArgs,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    args.validate().map_err(anyhow::Error::msg)?;
    let path = args.db_path();
    let retention = Retention {
        max_events: 0,
        max_age: None,
    };
    let open = path.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(&open, retention))
        .await
        .context("store open task failed")?
        .with_context(|| format!("cannot open the relay database {path}"))?;
    let stopping = CancellationToken::new();
    let relay = Relay {
        store,
        in_flight: crate::in_flight::InFlight::new(args.max_in_flight),
        args: Arc::new(args),
        agents: Arc::default(),
        stopping: stopping.clone(),
        metrics: Arc::default(),
    };
    let pruner = tokio::spawn(prune(relay.clone()));
    let stopped = relay.stopped();
    let handler_relay = relay.clone();
    let handler: crate::server::Handler = Arc::new(move |req, conn| {
        let relay = handler_relay.clone();
        Box::pin(server::handle(relay, req, conn))
    });
    let tls = match (&relay.args.tls_cert, &relay.args.tls_key) {
        (Some(cert), Some(key)) => Some(crate::server::tls::acceptor(cert, key)?),
        (None, None) => None,
        _ => anyhow::bail!("give both --tls-cert and --tls-key, or neither"),
    };
    let serving = tokio::spawn(crate::server::accept_loop(
        listener,
        true,
        tls,
        relay.args.header_timeout,
        stopped,
        handler,
    ));
    let metrics = match relay.args.metrics {
        Some(addr) => Some(tokio::spawn(serve_metrics(relay.clone(), addr).await?)),
        None => None,
    };
    shutdown.await;
    tracing::info!("relay shutting down");
    stopping.cancel();
    pruner.abort();
    serving.await.context("relay listener task")?;
    if let Some(metrics) = metrics {
        metrics.await.context("metrics listener task")?;
    }
    Ok(())
}

/// Binds `--metrics ADDR`; the returned future serves it until the relay stops.
async fn serve_metrics(
    relay: Relay,
    addr: std::net::SocketAddr,
) -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot serve --metrics on {addr}"))?;
    tracing::info!("metrics at http://{}/metrics", listener.local_addr()?);
    let stopped = relay.stopping.clone().cancelled_owned();
    let header_timeout = relay.args.header_timeout;
    let handler: crate::server::Handler = Arc::new(move |req, _conn| {
        let relay = relay.clone();
        Box::pin(async move { metrics::handle(&relay, req.method(), req.uri().path()).await })
    });
    Ok(crate::server::accept_loop(
        listener,
        false,
        None,
        header_timeout,
        stopped,
        handler,
    ))
}

async fn prune(relay: Relay) {
    let mut tick = tokio::time::interval(PRUNE_EVERY);
    loop {
        tick.tick().await;
        let keep =
            chrono::Duration::from_std(relay.args.retention).unwrap_or(chrono::Duration::days(7));
        let before = (chrono::Utc::now() - keep).timestamp_millis();
        match relay.store.relay_prune(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("pruned {n} acknowledged requests"),
            Err(e) => tracing::error!("cannot prune the relay queue: {e}"),
        }
    }
}
