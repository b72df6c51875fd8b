//! hookpit: a webhook tunnel-and-inspector. It captures webhooks on one port, verifies their
//! signatures, stores them byte-exact in SQLite and streams them to a browser UI on another.
//!
//! Layout (data flows one way: capture → verify → store → publish → forward):
//! - `config`: command line, environment and `hookpit.toml`, checked into a `Config`.
//! - `app`: the `App` bundle of handles and `run(listeners, shutdown)`.
//! - `server`: the accept loop; `routes` (the one route table), `capture`, `api`, `ws`,
//!   `assets`, `guard` (who may use the UI) and `head_tap` (headers as they were on the wire).
//! - `ingest`: the pipeline every webhook goes through.
//! - `in_flight`: the bound on request-body bytes all connections hold at once (`--max-in-flight`).
//! - `cli_replay`: `hookpit replay ID`, which asks a running hookpit to replay an event.
//! - `forward`: forward, replay (re-signed or verbatim), ack-mode retries and bulk recovery.
//! - `verify`: signature schemes as pure functions (Standard Webhooks, Stripe, GitHub).
//! - `keys`: which keys verify which path.
//! - `extract`: event type and Cyberdesk run read from a JSON body.
//! - `store`: SQLite with one group-committing writer thread; knows nothing of HTTP.
//! - `live`: the broadcast hub behind the WebSocket.
//! - `relay`: the tunnel: `hookpit relay` (public side) and the agent inside the inspector.
//! - `wire`: JSON shapes shared by the API and the live stream.
//! - `banner`: what hookpit prints at start.
//! - `client`: the one outgoing HTTP client (forward, replay, send).
//! - `curl`: the one builder of curl commands for a person to paste (exports, `sign`, banner).
//! - `schedule`: retry schedules (svix, fast, or a list).
//! - `send`: the sender (`hookpit send`, `POST /api/send`): templates, signing, delivery with retries.
//! - `cli_tools`: the `secret`, `sign` and `send` commands.
//! - `doctor`: `hookpit doctor` and `POST /api/doctor`: Svix-like deliveries that test an app.

#![forbid(unsafe_code)]

pub mod app;
pub mod banner;
pub mod cli;
pub mod cli_replay;
pub mod cli_tools;
pub mod client;
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
pub mod live;
pub mod relay;
pub mod schedule;
pub mod send;
pub mod serve;
pub mod server;
pub mod store;
pub mod verify;
pub mod wire;
