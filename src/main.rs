//! The `hookpit` binary: parse the command line, set up logging, bind, run until Ctrl-C.

use anyhow::Context;
use hookpit::app::{App, Listeners};
use hookpit::cli::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse_from_args(std::env::args_os());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "hookpit=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(colour_logs())
        .init();
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Send(args) => hookpit::cli_tools::send(args).await,
        Command::Secret(args) => hookpit::cli_tools::secret(args),
        Command::Sign(args) => hookpit::cli_tools::sign(args),
        Command::Relay(args) => relay(args).await,
        Command::Replay(args) => hookpit::cli_replay::replay(args).await,
        Command::Doctor(args) => hookpit::doctor::cli::doctor(args).await,
        Command::Export(args) => hookpit::cli_archive::export(args).await,
        Command::Import(args) => hookpit::cli_archive::import(args).await,
        Command::Wait(args) => match hookpit::cli_wait::wait(args).await? {
            hookpit::cli_wait::Waited::Got => Ok(()),
            hookpit::cli_wait::Waited::TimedOut => {
                eprintln!("hookpit wait: timed out");
                std::process::exit(2)
            }
        },
        Command::Status(args) => hookpit::cli_wait::status(args).await,
        Command::Events(args) => hookpit::cli_read::events(args).await,
        Command::Show(args) => hookpit::cli_read::show(args).await,
        Command::Mcp(args) => hookpit::mcp::stdio(args).await,
        Command::Completions(args) => Ok(hookpit::cli::completions(&args)?),
    }
}

/// Colour codes only for a person at a terminal, and never when `NO_COLOR` is set
/// (no-color.org): in a file or a pipe they are noise.
fn colour_logs() -> bool {
    use std::io::IsTerminal as _;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

async fn serve(args: hookpit::config::ServeArgs) -> anyhow::Result<()> {
    let config = args.validate().context("invalid configuration")?;
    let listeners = Listeners::bind(&config).await?;
    let app = App::new(config, &listeners).await?;
    hookpit::out::note(hookpit::banner::banner(&app));
    app.run(listeners, shutdown_signal()).await
}

async fn relay(args: hookpit::relay::args::RelayArgs) -> anyhow::Result<()> {
    args.validate().map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    hookpit::out::note(format_args!(
        "hookpit relay {}\n  listening  http://{}\n  public     {}/c/<channel>/…\n  database   {}",
        env!("CARGO_PKG_VERSION"),
        listener.local_addr()?,
        args.public_url.trim_end_matches('/'),
        args.db_path()
    ));
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
