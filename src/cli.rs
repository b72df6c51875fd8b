//! The command line as a whole: `hookpit` with no subcommand serves, and each subcommand's flags
//! belong to the module that runs it. This sits above everything it names, so no module below
//! needs to know the others' flags.

use clap::{Parser, Subcommand};

use crate::config::ServeArgs;

/// `hookpit`: a webhook tunnel-and-inspector.
#[derive(Parser)]
#[command(
    name = "hookpit",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to run; the inspector when absent.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags of the default `serve` command.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Run the inspector: capture webhooks, verify, store, stream to the UI (the default).
    Serve(ServeArgs),
    /// Send a signed test event (or any body) as Svix would, retrying on a schedule if asked.
    Send(crate::send::args::SendArgs),
    /// Print a fresh signing secret (`whsec_…`), or an ed25519 pair with --ed25519.
    Secret(crate::send::args::SecretArgs),
    /// Print the `svix-*` signature headers for a body read from stdin (or a curl command).
    Sign(crate::send::args::SignArgs),
    /// Run the public side of the tunnel: store webhooks sent to channels' public URLs and hand
    /// them to their agents.
    Relay(crate::relay::args::RelayArgs),
    /// Ask a running hookpit to replay a stored event (re-signed unless --verbatim).
    Replay(crate::cli_replay::ReplayArgs),
    /// Test a webhook endpoint the way Svix will treat it, and say what it gets wrong.
    Doctor(crate::doctor::cli::DoctorArgs),
}
