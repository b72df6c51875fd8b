//! The shape of one JSON body: every field path (JSON Pointer, `*` for any array index) with
//! the JSON types it has there and a first example value.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Longest example string kept, in characters: enough to recognise a value, small to store.
const EXAMPLE_CHARS: usize = 80;

/// One path's types in one body (an array's items may differ) and an example leaf value.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// JSON types at this path: `object`, `array`, `string`, `number`, `boolean`, `null`.
    pub types: BTreeSet<&'static str>,
    /// The first scalar seen there (strings cut short); `null` for objects and arrays.
    pub example: Value,
}

/// Every path of one body, root (`""`) included, in path order.
pub type Shape = BTreeMap<String, Seen>;

/// The shape of a JSON value.
pub fn shape_of(value: &Value) -> Shape {
    let mut out = Shape::new();
    walk(&mut String::new(), value, &mut out);
    out
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

fn walk(path: &mut String, v: &Value, out: &mut Shape) {
    let seen = out.entry(path.clone()).or_insert_with(|| Seen {
        types: BTreeSet::new(),
        example: example(v),
    });
    seen.types.insert(type_name(v));
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let len = path.len();
                path.push('/');
                for c in k.chars() {
                    match c {
                        '~' => path.push_str("~0"),
                        '/' => path.push_str("~1"),
                        // `*` stands for "any index"; a key that is a star is written escaped.
                        '*' if k == "*" => path.push_str("~2"),
                        c => path.push(c),
                    }
                }
                walk(path, child, out);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            let len = path.len();
            path.push_str("/*");
            for item in items {
                walk(path, item, out);
            }
            path.truncate(len);
        }
        _ => {}
    }
}

fn example(v: &Value) -> Value {
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

    #[test]
    fn paths_cover_objects_and_any_array_index() {
        let s = shape_of(&json!({"run": {"status": "ok", "checks": [{"ok": true}, {"ok": null}]}}));
        let paths: Vec<&str> = s.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            vec![
                "",
                "/run",
                "/run/checks",
                "/run/checks/*",
                "/run/checks/*/ok",
                "/run/status"
            ]
        );
        let ok = &s["/run/checks/*/ok"];
        assert_eq!(
            ok.types.iter().copied().collect::<Vec<_>>(),
            vec!["boolean", "null"]
        );
        assert_eq!(ok.example, json!(true));
        assert_eq!(s["/run"].example, Value::Null);
    }

    #[test]
    fn long_examples_are_cut_and_odd_keys_escaped() {
        let s = shape_of(&json!({"a/b": "x".repeat(200), "*": 1}));
        assert_eq!(
            s["/a~1b"].example.as_str().map(|e| e.chars().count()),
            Some(81)
        );
        assert!(s.contains_key("/~2"));
        assert_eq!(parent("/a/b"), Some("/a"));
        assert_eq!(parent("/a"), Some(""));
        assert_eq!(parent(""), None);
    }
}
