//! The MCP tools hookpit offers a coding agent, by name, with the descriptions and input schemas
//! an agent reads before it calls. Each tool hands its input to `ops.rs`, which does the work
//! through the one backend; nothing here deletes anything.

use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};

use super::backend::Backend;
use super::ops::finish;
use super::params::{
    GetEvent, ListEvents, ReplayEvent, RunDoctor, SendTestEvent, VerifyEvent, WaitForEvent,
};

/// hookpit's MCP server: its tools over one backend (a running hookpit's API).
pub struct Tools {
    /// Where every tool reads and acts.
    pub(super) backend: Backend,
}

impl Tools {
    /// The tools over `backend`.
    pub fn new(backend: Backend) -> Tools {
        Tools { backend }
    }
}

#[tool_router]
impl Tools {
    #[tool(
        description = "List the webhooks hookpit captured, newest first, as one-line summaries: \
        id, method and path, event type, Cyberdesk run status, signature verdict \
        (valid/invalid/unsigned and why), the app's last answer, size, time. `query` searches; \
        then call get_event with an id for its headers and body.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_events(
        &self,
        Parameters(input): Parameters<ListEvents>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(finish(self.list(input).await))
    }

    #[tool(
        description = "One captured webhook by id. By default its summary. With include: \
        \"full\": its headers, its body (cut to max_body_bytes, default 64 KiB; `truncated` says \
        whether it was cut and `raw_url` where the whole body is), the full signature verdict \
        (which check failed and why) and its latest delivery attempts with the app's answers.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn get_event(
        &self,
        Parameters(input): Parameters<GetEvent>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(finish(self.get(input).await))
    }

    #[tool(
        description = "Wait until the next webhook matching `query` arrives and return its \
        summary. Start it before making the webhook happen (or pass after: 0 to also match \
        events already stored). Ends with an error result after timeout_s seconds (default 30).",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn wait_for_event(
        &self,
        Parameters(input): Parameters<WaitForEvent>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(finish(self.wait(input).await))
    }

    #[tool(
        description = "Check a stored webhook's signature again with hookpit's current keys (after \
        a secret was added or fixed) and return the verdict: status (valid, invalid, unsigned, \
        unverified), reason, scheme, whether signature and timestamp passed, and a plain message.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn verify_event(
        &self,
        Parameters(input): Parameters<VerifyEvent>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(finish(self.verify(input).await))
    }

    #[tool(
        description = "Send a stored webhook to the app again and return the app's answer: \
        status, headers, body, time (or why it could not connect). mode \"resign\" (default) \
        signs it afresh so the app's signature check passes; \"verbatim\" sends the original \
        headers (tests replay protection). `target` overrides hookpit's --forward URL; `body` \
        sends an edited body, signed afresh; new_id: true gives it a new message id so the app \
        does not drop it as a duplicate. Use it to test a fix without waiting for a new webhook.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn replay_event(
        &self,
        Parameters(input): Parameters<ReplayEvent>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(finish(self.replay(input).await))
    }

    #[tool(
        description = "Send a signed Cyberdesk test webhook (svix-* headers, as Cyberdesk signs \
        them): run_complete with a run status (success, error, task_failed, cancelled), \
        downed_machines or ping. Without `to` it enters hookpit as if it had arrived (stored, \
        verified, forwarded to the app when hookpit has --forward) and its summary is returned; \
        with `to` it is POSTed to that URL and the app's answer is returned.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn send_test_event(
        &self,
        Parameters(input): Parameters<SendTestEvent>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(finish(self.send(input).await))
    }

    #[tool(
        description = "Test a webhook endpoint the way Svix will treat it: valid events, \
        pretty-printed and unicode bodies, tampered bodies, wrong secret, missing and malformed \
        signatures, old and future timestamps, key rotation, duplicates, a 1 MiB body. Returns \
        which scenarios passed, which failed, and what to fix. Takes seconds to a minute.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn run_doctor(
        &self,
        Parameters(input): Parameters<RunDoctor>,
    ) -> Result<CallToolResult, ErrorData> {
        Ok(finish(self.doctor(input).await))
    }

    #[tool(
        description = "Whether hookpit runs, and how: version, capture URL (where webhooks must \
        be sent), UI URL, database, events stored, storage health, forward target, relay state. \
        Call it first when another tool says hookpit cannot be reached.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn get_status(&self) -> Result<CallToolResult, ErrorData> {
        Ok(finish(self.status().await))
    }
}

// The instructions an agent is given when it connects.
#[tool_handler(
    name = "hookpit",
    instructions = "hookpit captures the webhooks sent to this machine, checks their \
signatures, stores them and forwards them to the app being built. Read what arrived \
(list_events, get_event, wait_for_event), check signatures (verify_event), send a webhook to \
the app again and read its answer (replay_event), send a signed Cyberdesk test event \
(send_test_event), test an endpoint's webhook handling (run_doctor). get_status says where \
webhooks should be sent."
)]
impl ServerHandler for Tools {}
