//! Facts read from a JSON body at capture: the event type and id, and Cyberdesk's run. Unknown
//! keys are skipped without building a tree, so a large body costs about one pass.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::store::model::Extracted;

#[derive(Deserialize)]
struct Envelope<'a> {
    event_type: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<Value>,
    event_id: Option<Value>,
    /// Kept raw: only four of its keys are read, and it may not even be an object.
    #[serde(borrow)]
    run: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct RunPart {
    id: Option<Value>,
    status: Option<Value>,
    workflow_id: Option<Value>,
    session_id: Option<Value>,
}

/// A JSON scalar as text (strings as they are, numbers printed); `None` for anything else.
fn scalar(v: Option<Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads what hookpit shows from a body; empty when the body is not a JSON object.
pub fn extract(body: &[u8]) -> Extracted {
    let starts_as_object = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    if !starts_as_object {
        return Extracted::default();
    }
    let Ok(env) = serde_json::from_slice::<Envelope>(body) else {
        return Extracted::default();
    };
    let run: RunPart = env
        .run
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or_default();
    Extracted {
        event_type: scalar(env.event_type).or_else(|| scalar(env.kind)),
        event_id: scalar(env.event_id),
        run_id: scalar(run.id),
        run_status: scalar(run.status),
        run_workflow_id: scalar(run.workflow_id),
        run_session_id: scalar(run.session_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyberdesk_run_complete_is_read() {
        let body = include_bytes!("../tests/data/cyberdesk/run_complete.task_failed.json");
        let x = extract(body);
        assert_eq!(x.event_type.as_deref(), Some("run_complete"));
        assert_eq!(
            x.event_id.as_deref(),
            Some("3f0c2b7e-6a1d-4c9e-9b7a-2f5d8e1c4a90")
        );
        assert_eq!(
            x.run_id.as_deref(),
            Some("b7e3c1a2-5d4f-4e8a-9c21-7f6a0d3e2b18")
        );
        assert_eq!(x.run_status.as_deref(), Some("task_failed"));
        assert!(x.run_workflow_id.is_some());
        assert_eq!(x.run_session_id, None, "null session stays None");
    }

    #[test]
    fn type_is_the_fallback_and_junk_gives_nothing() {
        assert_eq!(
            extract(br#"{"type":"invoice.paid","data":{}}"#)
                .event_type
                .as_deref(),
            Some("invoice.paid")
        );
        assert_eq!(extract(b"\x1f\x8b\x08binary"), Extracted::default());
        assert_eq!(extract(b"{not json"), Extracted::default());
        assert_eq!(extract(b"[1,2]"), Extracted::default());
        let odd = extract(br#"{"run":"nope","event_type":5}"#);
        assert_eq!(odd.event_type.as_deref(), Some("5"));
        assert_eq!(odd.run_id, None);
    }
}
