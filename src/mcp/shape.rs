//! Results sized for a model's context: bodies cut to a byte budget with a flag and a way to the
//! rest, and one-line texts an agent reads first.

use serde_json::{Value, json};

/// Attempts `get_event` shows in full: the latest ones (the count says how many there are).
pub const ATTEMPTS_SHOWN: usize = 5;
/// Bytes of an app's answer body kept in each attempt `get_event` shows.
pub const ATTEMPT_BODY_BYTES: usize = 2048;
/// Bytes of an app's answer body kept in a replay's or a sent event's result.
pub const REPLY_BODY_BYTES: usize = 16 * 1024;
/// Characters of a body quoted in a tool's text (the structured content has the rest).
pub const TEXT_BODY_CHARS: usize = 2000;

/// A body `{encoding, data}` cut to at most `max` bytes of content, and whether it was cut.
/// UTF-8 text is cut at a character boundary; base64 at a whole group of four, so what is left
/// still decodes.
pub fn cut_body(body: &Value, max: usize) -> (Value, bool) {
    let encoding = body["encoding"].as_str().unwrap_or("utf8");
    let data = body["data"].as_str().unwrap_or("");
    // Base64 is ASCII, but the boundary check keeps a malformed answer from panicking.
    let budget = if encoding == "base64" {
        max / 3 * 4
    } else {
        max
    };
    let keep = floor_char_boundary(data, budget);
    let cut = keep < data.len();
    (json!({ "encoding": encoding, "data": &data[..keep] }), cut)
}

/// The largest index at most `max` that falls on a character boundary of `text`.
fn floor_char_boundary(text: &str, max: usize) -> usize {
    if max >= text.len() {
        return text.len();
    }
    (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

/// An attempt with the app's answer body cut to `max` bytes (`response_truncated` says so).
pub fn compact_attempt(attempt: &Value, max: usize) -> Value {
    if !attempt.is_object() {
        return attempt.clone();
    }
    let mut attempt = attempt.clone();
    let (body, cut) = cut_body(&attempt["response_body"], max);
    attempt["response_body"] = body;
    attempt["response_truncated"] = Value::Bool(cut);
    attempt
}

/// One line for an event summary: `#12 POST /hooks · run_complete (run task_failed) · signature
/// valid · app 200 · 1234 bytes · 2026-12-01T03:00:00.000Z`.
pub fn event_line(summary: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let mut parts = vec![format!(
        "#{} {} {}",
        summary["id"],
        text(&summary["method"]),
        text(&summary["path"])
    )];
    if let Some(kind) = summary["event_type"].as_str() {
        match summary["run"]["status"].as_str() {
            Some(status) => parts.push(format!("{kind} (run {status})")),
            None => parts.push(kind.to_string()),
        }
    }
    let verification = text(&summary["verification"]["status"]);
    match summary["verification"]["reason"].as_str() {
        Some(reason) => parts.push(format!("signature {verification}: {reason}")),
        None => parts.push(format!("signature {verification}")),
    }
    if let Some(dup) = summary["duplicate_of"].as_i64() {
        parts.push(format!("duplicate of #{dup}"));
    }
    let last = &summary["last_attempt"];
    if let Some(status) = last["status"].as_u64() {
        parts.push(format!("app {status}"));
    } else if let Some(error) = last["error"].as_str() {
        parts.push(format!("app unreachable: {error}"));
    }
    parts.push(format!("{} bytes", summary["size"]));
    parts.push(text(&summary["received_at"]));
    parts.join(" · ")
}

/// A body's text for a tool's text content: the first `TEXT_BODY_CHARS` characters, and a note
/// when there is more or when it is base64.
pub fn body_text(body: &Value) -> String {
    let data = body["data"].as_str().unwrap_or("");
    if body["encoding"] == "base64" {
        return format!("(binary, {} base64 characters)", data.len());
    }
    let head: String = data.chars().take(TEXT_BODY_CHARS).collect();
    if head.len() < data.len() {
        format!("{head}… (more in the structured content)")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_on_a_character_boundary() {
        let body = json!({"encoding": "utf8", "data": "aé€"});
        assert_eq!(
            cut_body(&body, 2),
            (json!({"encoding": "utf8", "data": "a"}), true)
        );
        assert_eq!(
            cut_body(&body, 3),
            (json!({"encoding": "utf8", "data": "aé"}), true)
        );
        assert!(!cut_body(&body, 6).1);
        assert_eq!(cut_body(&body, 0).0["data"], "");
    }

    #[test]
    fn base64_is_cut_to_whole_groups() {
        let body = json!({"encoding": "base64", "data": "AAECAwQFBgcI"}); // 9 bytes
        assert_eq!(
            cut_body(&body, 4),
            (json!({"encoding": "base64", "data": "AAEC"}), true)
        );
        assert!(!cut_body(&body, 9).1);
    }

    #[test]
    fn an_event_line_says_what_an_agent_asks_first() {
        let summary = json!({
            "id": 7, "method": "POST", "path": "/cyberdesk", "event_type": "run_complete",
            "run": {"id": "r1", "status": "task_failed"}, "size": 900,
            "verification": {"status": "valid", "reason": null},
            "last_attempt": {"status": 500}, "received_at": "T",
        });
        assert_eq!(
            event_line(&summary),
            "#7 POST /cyberdesk · run_complete (run task_failed) · signature valid · app 500 · \
             900 bytes · T"
        );
    }
}
