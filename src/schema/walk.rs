//! Walking one JSON body: every value with its path (JSON Pointer, `*` for any array index),
//! written into one buffer the caller reuses, so a walk allocates nothing per field.

use serde_json::Value;

/// Longest example string kept, in characters: enough to recognise a value, small to store.
const EXAMPLE_CHARS: usize = 80;

/// Calls `visit(path, value)` for `v` and every value inside it, parents before children.
/// `path` is the buffer the paths are written into; it holds the root's path (`""` for a
/// body) and is left as it was.
pub fn walk(v: &Value, path: &mut String, visit: &mut impl FnMut(&str, &Value)) {
    visit(path, v);
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let len = path.len();
                path.push('/');
                push_token(path, k);
                walk(child, path, visit);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            let len = path.len();
            path.push_str("/*");
            for item in items {
                walk(item, path, visit);
            }
            path.truncate(len);
        }
        _ => {}
    }
}

/// Appends an object key as a path token (RFC 6901 escapes; `*` stands for "any index", so a
/// key that is a star is written `~2`).
fn push_token(path: &mut String, key: &str) {
    if key == "*" {
        path.push_str("~2");
        return;
    }
    if !key.contains(['~', '/']) {
        path.push_str(key);
        return;
    }
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

/// The JSON type name of a value.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The parent of a path (`/a/b` → `/a`, `/a` → `""`), `None` for the root.
pub fn parent(path: &str) -> Option<&str> {
    path.rfind('/').map(|i| &path[..i])
}

/// The example kept for a value: scalars (strings cut short), `null` for objects and arrays.
pub fn example(v: &Value) -> Value {
    match v {
        Value::String(s) if s.chars().count() > EXAMPLE_CHARS => {
            Value::String(s.chars().take(EXAMPLE_CHARS).collect::<String>() + "…")
        }
        Value::Object(_) | Value::Array(_) => Value::Null,
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(v: &Value) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        walk(v, &mut String::new(), &mut |p, v| {
            out.push((p.to_string(), type_name(v)))
        });
        out
    }

    #[test]
    fn paths_cover_objects_and_any_array_index() {
        let v = json!({"run": {"status": "ok", "checks": [{"ok": true}, {"ok": null}]}});
        let seen = paths(&v);
        let names: Vec<(&str, &str)> = seen.iter().map(|(p, t)| (p.as_str(), *t)).collect();
        assert_eq!(
            names,
            vec![
                ("", "object"),
                ("/run", "object"),
                ("/run/checks", "array"),
                ("/run/checks/*", "object"),
                ("/run/checks/*/ok", "boolean"),
                ("/run/checks/*", "object"),
                ("/run/checks/*/ok", "null"),
                ("/run/status", "string"),
            ]
        );
    }

    #[test]
    fn odd_keys_are_escaped_and_long_examples_cut() {
        let v = json!({"a/b": "x".repeat(200), "*": 1, "t~": 2});
        let names: Vec<String> = paths(&v).into_iter().map(|(p, _)| p).collect();
        assert_eq!(names, vec!["", "/~2", "/a~1b", "/t~0"]);
        assert_eq!(
            example(&v["a/b"]).as_str().map(|e| e.chars().count()),
            Some(81)
        );
        assert_eq!(example(&v), Value::Null);
        assert_eq!(parent("/a/b"), Some("/a"));
        assert_eq!(parent("/a"), Some(""));
        assert_eq!(parent(""), None);
    }
}
