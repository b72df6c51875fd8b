//! The relay protocol: the frames an agent and a relay exchange over one WebSocket, as serde
//! enums sent as JSON text, with the named limits and timings both sides obey. Bytes (header
//! values, bodies) travel as base64 so nothing is re-encoded on the way; a frame whose base64
//! does not decode does not parse.

use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::store::model::Headers;

/// Protocol version in `Hello`; a relay refuses versions it does not speak.
pub const VERSION: u32 = 1;
/// Path of the agents' WebSocket on the relay.
pub const CONNECT_PATH: &str = "/_hookpit/connect";
/// Heartbeat interval, both ways.
pub const HEARTBEAT: Duration = Duration::from_secs(15);
/// Silence after which either side gives the connection up.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(45);
/// Longest wait between the agent's reconnect tries.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Largest frame either side accepts (a 25 MiB body grows by a third in base64).
pub const MAX_FRAME: usize = 40 * 1024 * 1024;
/// Room a relayed request's frame needs besides its body: the request head (at most
/// `MAX_REQUEST_HEAD` bytes, or an HTTP/2 header list of that size) grows at most twofold in the
/// frame (base64 values, JSON escapes and brackets), plus the frame's own fields.
pub const FRAME_HEAD_ROOM: usize = 2 * crate::server::MAX_REQUEST_HEAD + 4096;
/// The largest body whose frame always fits in [`MAX_FRAME`] (bodies travel in base64): a relay's
/// `--max-body` may not be larger, or it would accept requests its agents could never receive.
pub const MAX_RELAYED_BODY: u64 = ((MAX_FRAME - FRAME_HEAD_ROOM) / 4 * 3) as u64;
/// Requests the relay sends per backlog read.
pub const BACKLOG_BATCH: u32 = 200;
/// Most requests the relay sends one agent ahead of its acks: the agent stores and acknowledges
/// them in batches while more are on the way, and a lost connection leaves at most this many to
/// send again.
pub const WINDOW: i64 = 1024;
/// Longest channel id or key a relay accepts in `Hello`.
pub const MAX_ID_LEN: usize = 128;

/// Frames from the agent to the relay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentFrame {
    /// First frame: claim a stored channel with its key, or ask for a new one with a token.
    Hello {
        /// Must equal [`VERSION`].
        version: u32,
        /// Token allowed to create channels (needed when `channel` is absent).
        token: Option<String>,
        /// The channel to reclaim.
        channel: Option<String>,
        /// The channel's key.
        key: Option<String>,
        /// The last sequence the agent has stored; the relay sends what follows.
        last_seq: i64,
    },
    /// Everything up to `seq` is committed on the agent's side.
    Ack {
        /// Sequence number.
        seq: i64,
    },
    /// The answer for the sender of request `seq` (the app's, when proxying).
    Response {
        /// Sequence number.
        seq: i64,
        /// HTTP status.
        status: u16,
        /// Response headers, values base64.
        #[serde(with = "base64_headers")]
        headers: Headers,
        /// Body, base64.
        #[serde(with = "base64_bytes")]
        body: Bytes,
    },
    /// I am alive.
    Heartbeat,
}

/// Frames from the relay to the agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RelayFrame {
    /// The agent is in: its channel, key (only when just created) and public URL.
    Welcome {
        /// Channel id.
        channel: String,
        /// The channel key, sent once, when the channel is created.
        key: Option<String>,
        /// `{public-url}/c/{channel}`.
        public_url: String,
        /// Requests not yet acknowledged.
        backlog: u64,
    },
    /// The agent is not let in; the connection closes.
    Refused {
        /// Why, in plain words.
        reason: String,
        /// Whether trying again can help; absent from relays older than this field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<RefusalKind>,
    },
    /// A request received on the public URL.
    Request(RelayedRequest),
    /// I am alive; `backlog` is what the agent has not acknowledged yet.
    Heartbeat {
        /// Unacknowledged requests.
        backlog: u64,
    },
}

/// What kind of refusal a relay sent, so an agent knows whether to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    /// Only a change of settings can help: token, channel key, protocol version, channel quota.
    Setup,
    /// Another connection holds the channel, e.g. a half-open one the relay has not yet given up
    /// after the agent's machine slept: it passes.
    Busy,
    /// The relay could not answer (its storage failed): it may pass.
    Unavailable,
    /// A kind from a newer relay: treated as one that may pass.
    #[serde(other)]
    Other,
}

/// A webhook as the relay received it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelayedRequest {
    /// Per-channel sequence number.
    pub seq: i64,
    /// Receive time at the relay, unix milliseconds.
    pub received_at_ms: i64,
    /// HTTP method.
    pub method: String,
    /// Path after `/c/{channel}` (at least `/`).
    pub path: String,
    /// Raw query.
    pub query: String,
    /// Headers in wire order and case, values base64.
    #[serde(with = "base64_headers")]
    pub headers: Headers,
    /// The sender's address as the relay saw it.
    pub remote_addr: Option<String>,
    /// Body, base64.
    #[serde(with = "base64_bytes")]
    pub body: Bytes,
}

/// Bytes as one base64 string (`#[serde(with = "base64_bytes")]`).
mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &Bytes, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        let text = String::deserialize(d)?;
        BASE64
            .decode(text)
            .map(Bytes::from)
            .map_err(D::Error::custom)
    }
}

/// Headers as `[name, base64 value]` pairs, in order (`#[serde(with = "base64_headers")]`).
mod base64_headers {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as BASE64;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::store::model::Headers;

    pub fn serialize<S: Serializer>(headers: &Headers, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(headers.iter().map(|(n, v)| (n, BASE64.encode(v))))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Headers, D::Error> {
        let pairs = Vec::<(String, String)>::deserialize(d)?;
        pairs
            .into_iter()
            .map(|(n, v)| Ok((n, BASE64.decode(v).map_err(D::Error::custom)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_as_tagged_json() {
        let hello = AgentFrame::Hello {
            version: VERSION,
            token: Some("t".into()),
            channel: None,
            key: None,
            last_seq: 7,
        };
        let text = serde_json::to_string(&hello).expect("serializes");
        assert!(text.starts_with(r#"{"type":"hello""#), "{text}");
        assert_eq!(
            serde_json::from_str::<AgentFrame>(&text).expect("parses"),
            hello
        );
        let headers: Headers = Headers::from(vec![
            ("X-Bin".into(), vec![0xff, 0x00]),
            ("A".into(), b"b".to_vec()),
        ]);
        let req = RelayFrame::Request(RelayedRequest {
            seq: 3,
            received_at_ms: 1,
            method: "POST".into(),
            path: "/x".into(),
            query: "a=1".into(),
            headers: headers.clone(),
            remote_addr: None,
            body: Bytes::from_static(b"\x00\x01body"),
        });
        let text = serde_json::to_string(&req).expect("serializes");
        // The wire format: header values and the body as base64 strings.
        assert!(
            text.contains(r#""headers":[["X-Bin","/wA="],["A","Yg=="]]"#),
            "{text}"
        );
        assert!(text.contains(r#""body":"AAFib2R5""#), "{text}");
        let RelayFrame::Request(back) = serde_json::from_str(&text).expect("parses") else {
            panic!("wrong frame");
        };
        assert_eq!(back.headers, headers);
        assert_eq!(&back.body[..], b"\x00\x01body");
        let bad = text.replace("AAFib2R5", "not base64!");
        assert!(serde_json::from_str::<RelayFrame>(&bad).is_err());
        assert!(serde_json::from_str::<AgentFrame>(r#"{"type":"nope"}"#).is_err());
        assert!(serde_json::from_str::<RelayFrame>("not json").is_err());
    }
}
