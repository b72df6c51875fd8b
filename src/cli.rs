//! The command line as a whole: `hookpit` with no subcommand serves, and each subcommand's flags
//! belong to the module that runs it. This sits above everything it names, so no module below
//! needs to know the others' flags.

use clap::{Parser, Subcommand};

use crate::config::ServeArgs;

/// `hookpit`: a webhook tunnel-and-inspector. Without a subcommand it runs `serve` (see
/// `hookpit serve --help` for its flags).
#[derive(Parser)]
#[command(
    name = "hookpit",
    version,
    about,
    after_help = "With no command, hookpit runs `serve`: `hookpit --forward URL` is `hookpit serve --forward URL`.\nThe inspector's flags: `hookpit serve --help`."
)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses `args` (the program name first), running `serve` when no subcommand is named:
    /// `hookpit --secret …` is `hookpit serve --secret …`. Serve's flags and their `HOOKPIT_*`
    /// variables are read only for `serve`, so a variable meant for it cannot break another
    /// subcommand.
    pub fn parse_from_args<I, S>(args: I) -> Cli
    where
        I: IntoIterator<Item = S>,
        S: Into<std::ffi::OsString>,
    {
        let mut args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        let first = args.get(1).and_then(|a| a.to_str()).unwrap_or("");
        let names_command = matches!(first, "-h" | "--help" | "-V" | "--version" | "help")
            || (!first.is_empty() && !first.starts_with('-'));
        if !names_command {
            args.insert(1.min(args.len()), "serve".into());
        }
        Cli::parse_from(args)
    }
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
    /// Write a running hookpit's events to a file: JSONL (byte-exact) or HAR 1.2.
    Export(crate::cli_archive::ExportArgs),
    /// Store the events of a JSONL or HAR file in a running hookpit (`source: "import"`).
    Import(crate::cli_archive::ImportArgs),
    /// Wait until a matching webhook arrives at a running hookpit; print it as a JSON line.
    Wait(crate::cli_wait::WaitArgs),
    /// Say whether a hookpit answers at the UI address, waiting for one with --wait.
    Status(crate::cli_wait::StatusArgs),
    /// List a running hookpit's events, newest first.
    Events(crate::cli_read::EventsArgs),
    /// Show one stored event (its body bytes with --raw).
    Show(crate::cli_read::ShowArgs),
    /// Serve MCP on stdio for a coding agent (Claude Code, Cursor, VS Code): tools that read,
    /// verify, replay and send through a running hookpit's API.
    Mcp(crate::mcp::McpArgs),
    /// Print the shell completion script for bash, zsh, fish, powershell or elvish.
    Completions(CompletionsArgs),
}

/// Flags of `hookpit completions`.
#[derive(Clone, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Runs `hookpit completions`: the script on stdout.
pub fn completions(args: &CompletionsArgs) -> std::io::Result<()> {
    use clap::CommandFactory as _;
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "hookpit", &mut script);
    crate::out::bytes(&script)
}
