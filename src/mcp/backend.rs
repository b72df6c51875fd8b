//! The one backend every MCP tool uses: a running hookpit's JSON API, through the command line's
//! client (`cli_api::Api`). Whatever goes wrong comes back as one sentence that tells an agent
//! what to do next, never as a protocol error it cannot read.

use std::time::Duration;

use serde_json::Value;

use crate::cli_api::{Answer, Api};

/// Why a tool could not do what it was asked, worded for the agent that asked.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Trouble(pub String);

/// A hookpit's API, as the tools see it.
pub struct Backend {
    /// The client of the running hookpit's API.
    api: Api,
}

/// What the API answered: its status and its JSON body (`Null` when it sent none).
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body as JSON.
    pub json: Value,
    /// The `error` of an error answer, or the status.
    reason: String,
    /// The address that answered, as the user gave it.
    from: String,
}

impl Backend {
    /// Tools over the API `api` reaches.
    pub fn new(api: Api) -> Backend {
        Backend { api }
    }

    /// The API's base URL (`http://127.0.0.1:8701`), for links an agent can follow.
    pub fn base(&self) -> &str {
        self.api.base()
    }

    /// `GET path`.
    pub async fn get(&self, path: &str, timeout: Duration) -> Result<Reply, Trouble> {
        let answer = self.api.get(path, timeout).await;
        self.reply(answer)
    }

    /// `POST path` with a JSON body.
    pub async fn post(
        &self,
        path: &str,
        body: &Value,
        timeout: Duration,
    ) -> Result<Reply, Trouble> {
        let answer = self.api.post(path, body, timeout).await;
        self.reply(answer)
    }

    fn reply(
        &self,
        answer: anyhow::Result<Result<Answer, crate::cli_api::Unreachable>>,
    ) -> Result<Reply, Trouble> {
        let answer = answer
            .map_err(|e| Trouble(format!("{e:#}")))?
            .map_err(|e| {
                Trouble(format!(
                    "no hookpit at {} — start it with `hookpit` (or point --ui / HOOKPIT_UI at \
                     the one that runs), then call the tool again ({})",
                    self.api.ui(),
                    e.why
                ))
            })?;
        if answer.status == 401 {
            return Err(Trouble(format!(
                "the hookpit at {} needs its UI token: start `hookpit mcp` with --ui-token T (or \
                 HOOKPIT_UI_TOKEN), or send `Authorization: Bearer T` to /mcp — T is the token \
                 hookpit printed at start",
                self.api.ui()
            )));
        }
        Ok(Reply {
            status: answer.status,
            json: answer.json(),
            reason: answer.reason(),
            from: self.api.ui().to_string(),
        })
    }
}

impl Reply {
    /// The body of a 2xx answer, always a JSON object (so the tools may add keys to it); any
    /// other answer is trouble, with the API's reason and what to do.
    pub fn ok(self) -> Result<Value, Trouble> {
        if (200..300).contains(&self.status) && self.json.is_object() {
            return Ok(self.json);
        }
        if (200..300).contains(&self.status) {
            return Err(Trouble(format!(
                "{} answered {} without a JSON object: is --ui / HOOKPIT_UI the address of \
                 hookpit's UI?",
                self.from, self.status
            )));
        }
        let next = match self.status {
            404 => " — list_events shows the ids that are stored",
            503 => " — hookpit's storage is failing; get_status says why",
            _ => "",
        };
        Err(Trouble(format!("hookpit refused: {}{next}", self.reason)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, json: Value) -> Reply {
        Reply {
            status,
            reason: format!("status {status}"),
            json,
            from: "127.0.0.1:9".into(),
        }
    }

    #[test]
    fn only_an_object_is_an_answer() {
        assert!(reply(200, serde_json::json!({"a": 1})).ok().is_ok());
        for odd in [serde_json::json!([1]), Value::Null, serde_json::json!("x")] {
            let Err(Trouble(why)) = reply(200, odd).ok() else {
                panic!("not an object, not an answer");
            };
            assert!(
                why.starts_with("127.0.0.1:9 answered 200 without a JSON object"),
                "{why}"
            );
        }
        let Err(Trouble(why)) = reply(404, Value::Null).ok() else {
            panic!("a 404 is trouble");
        };
        assert!(
            why.ends_with("list_events shows the ids that are stored"),
            "{why}"
        );
    }
}
