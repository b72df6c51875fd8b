//! MCP for coding agents: hookpit's tools (`tools.rs`; the work in `ops.rs` and `act.rs`) over
//! one backend, a running hookpit's JSON API (`backend.rs`). Two transports serve the same tools: stdio
//! (`hookpit mcp`, a client of the hookpit at `--ui`) and Streamable HTTP (`/mcp` on the UI
//! port, whose tools call that same listener's API after the UI guard has admitted the request).

mod act;
pub mod backend;
mod ops;
pub mod params;
pub mod shape;
mod tools;

use std::time::Duration;

use clap::Args;
use rmcp::ServiceExt as _;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;

pub use backend::Backend;
pub use tools::Tools;

use crate::cli_api::{Api, UiArgs};
use crate::client::HttpClient;

/// Largest request `/mcp` reads (an edited replay body fits); larger ones get 413.
pub const MAX_MCP_REQUEST: usize = 4 * 1024 * 1024;
/// How long `hookpit mcp` waits for the hookpit it serves to answer at start.
const FIRST_LOOK: Duration = Duration::from_secs(2);

/// Flags of `hookpit mcp`.
#[derive(Clone, Args)]
pub struct McpArgs {
    /// Where the hookpit whose events the tools read runs.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// Runs `hookpit mcp`: MCP over stdin and stdout until the client closes them. It starts no
/// inspector: when none answers it says so on stderr, and each tool says so to the agent,
/// until one does.
pub async fn stdio(args: McpArgs) -> anyhow::Result<()> {
    let api = Api::new(&args.ui)?;
    let note = match api.get("/api/status", FIRST_LOOK).await? {
        Ok(answer) if answer.status == 200 => format!(
            "hookpit mcp: serving MCP on stdio for the hookpit at {}",
            api.base()
        ),
        Ok(answer) => format!(
            "hookpit mcp: the hookpit at {} refused: {}",
            args.ui.ui,
            answer.reason()
        ),
        Err(unreachable) => format!(
            "hookpit mcp: no hookpit at {} — start it with `hookpit`; until one answers, every \
             tool says so ({})",
            args.ui.ui, unreachable.why
        ),
    };
    // stdout carries the protocol, so anything for a person goes to stderr.
    eprintln!("{note}");
    let running = Tools::new(Backend::new(api))
        .serve(rmcp::transport::stdio())
        .await?;
    running.waiting().await?;
    Ok(())
}

/// The Streamable HTTP service for `/mcp` on the UI listener: stateless (every request stands
/// alone, so nothing is kept between them) and answering in JSON. Its tools call the API at `ui`
/// (the listener itself) with `client`. Host and Origin are the UI guard's to check, before
/// this service sees the request; `stop` ends it at shutdown.
pub fn http_service(
    ui: UiArgs,
    client: HttpClient,
    stop: CancellationToken,
) -> StreamableHttpService<Tools, NeverSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .disable_allowed_hosts()
        .with_max_request_body_bytes(MAX_MCP_REQUEST)
        .with_cancellation_token(stop);
    StreamableHttpService::new(
        move || {
            let api = Api::with_client(&ui, client.clone()).map_err(std::io::Error::other)?;
            Ok(Tools::new(Backend::new(api)))
        },
        Default::default(),
        config,
    )
}
