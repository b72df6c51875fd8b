//! hookpit: a webhook tunnel-and-inspector. It captures webhooks on one port, verifies their
//! signatures, stores them byte-exact in SQLite and streams them to a browser UI on another.
//!
//! Layout, by layer (each uses only its own layer and those below; ARCHITECTURE.md has the map,
//! one webhook's path, the storage schema, the live frames and the relay protocol):
//! - Leaves: `duration` (`30s`, `5m`, …), `clock` (the time hookpit judges by), `headers`
//!   (`Headers` and the one hop-by-hop list), `verify` (signature schemes as pure functions),
//!   `keys` (which keys verify which path; `route_for`), `store` (SQLite with one
//!   group-committing writer thread; knows nothing of HTTP), `extract` (facts read from a JSON
//!   body), `wire` (JSON shapes of the API and the live stream), `live` (the broadcast hub),
//!   `client` (the one outgoing HTTP client; `client_tls` its trust), `schedule` (retry schedules), `out` (stdout
//!   lines that survive a closed pipe, and plurals), `in_flight` (the bound on body bytes all
//!   connections hold at once), `curl` (shell-safe curl commands), `chaos` (the send plan of a
//!   bulk replay or `send --repeat`: order, seeded shuffle, duplicates, concurrency), `compare`
//!   (two webhooks compared), `schema` (what is learned of a kind of event, its drift, its JSON
//!   Schema), `learn_feed` (committed events on their way to the schema learner),
//!   `public_url` (the tunnel drivers as data, the canary's probes, the `tunnel`/`canary` status),
//!   `session` (a Cyberdesk session's timeline: run order, early stop, release, missing runs).
//!   `transform` (Svix transformations run in an embedded QuickJS, sandboxed and limited).
//! - Tools that know nothing of `App`: `send` (`hookpit send`, `POST /api/send`), `doctor`
//!   (`hookpit doctor`, `POST /api/doctor`), `cli_tools` (`secret`, `sign`, `send`), `cli_replay`
//!   (`hookpit replay ID`), `cli_replay_bulk` (`hookpit replay --since`), `mcp` (the MCP tools for coding agents over a hookpit's API, on stdio
//!   for `hookpit mcp`; `server` mounts them at `/mcp`).
//! - State: `config` (flags, environment and `hookpit.toml`, checked into a `Config`), `app` (the
//!   `App` bundle of cheap handles).
//! - Pipeline: `ingest` (verify → store → publish, then the answer as plain data), `forward`
//!   (forward, replay, ack-mode retries, bulk recovery), `learn` (the schema learner, after the
//!   commit).
//! - Adapters: `server` (both listeners: accept loop, `routes`, `capture`, `exchange`, `api`,
//!   `ws`, `guard`, `head_tap`), `relay` (`hookpit relay`'s public side and the agent).
//! - Top: `serve` (`App::run` wires listeners, retries and the relay agent), `tunnel` (runs the
//!   `--tunnel` program and the canary's prober), `cli` (the whole command line), `banner` (what
//!   hookpit prints at start).

#![forbid(unsafe_code)]

pub mod app;
pub mod archive;
pub mod banner;
pub mod chaos;
pub mod cli;
pub mod cli_api;
pub mod cli_archive;
pub mod cli_read;
pub mod cli_replay;
pub mod cli_replay_bulk;
pub mod cli_tools;
pub mod cli_wait;
pub mod client;
pub mod client_tls;
pub mod clock;
pub mod compare;
pub mod config;
pub mod curl;
pub mod doctor;
pub mod duration;
pub mod extract;
pub mod forward;
pub mod headers;
pub mod in_flight;
pub mod ingest;
pub mod keys;
pub mod learn;
pub mod learn_feed;
pub mod live;
pub mod mcp;
pub mod out;
pub mod public_url;
pub mod relay;
pub mod schedule;
pub mod schema;
pub mod send;
pub mod serve;
pub mod server;
pub mod session;
pub mod store;
pub mod transform;
pub mod tunnel;
pub mod verify;
pub mod wire;
