//! The `hookpit` binary: parse the command line, set up logging, bind, run until Ctrl-C.

use anyhow::Context;
use clap::Parser;
use hookpit::app::{App, Listeners};
use hookpit::cli::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "hookpit=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Send(args)) => hookpit::cli_tools::send(args).await,
        Some(Command::Secret(args)) => hookpit::cli_tools::secret(args),
        Some(Command::Sign(args)) => hookpit::cli_tools::sign(args),
        Some(Command::Relay(args)) => relay(args).await,
        Some(Command::Replay(args)) => hookpit::cli_replay::replay(args).await,
        Some(Command::Doctor(args)) => hookpit::doctor::cli::doctor(args).await,
    }
}

async fn serve(args: hookpit::config::ServeArgs) -> anyhow::Result<()> {
    let config = args.validate().context("invalid configuration")?;
    let listeners = Listeners::bind(&config).await?;
    let app = App::new(config, &listeners).await?;
    println!("{}", hookpit::banner::banner(&app));
    app.run(listeners, shutdown_signal()).await
}

async fn relay(args: hookpit::relay::args::RelayArgs) -> anyhow::Result<()> {
    args.validate().map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    println!(
        "hookpit relay {}\n  listening  http://{}\n  public     {}/c/<channel>/…\n  database   {}",
        env!("CARGO_PKG_VERSION"),
        listener.local_addr()?,
        args.public_url.trim_end_matches('/'),
        args.db_path()
    );
    hookpit::relay::run(args, listener, shutdown_signal()).await
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
