//! A learned kind as JSON Schema (draft 2020-12), for code generators: nested `properties`,
//! `items` for arrays, `required` for the fields every event had.

use serde_json::{Map, Value, json};

use super::{Learned, parent};

/// The JSON Schema of a learned kind; `title` names it.
pub fn json_schema(learned: &Learned, title: &str) -> Value {
    let mut root = node(learned, "");
    if let Value::Object(map) = &mut root {
        let mut head = Map::new();
        head.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        head.insert("title".into(), json!(title));
        head.append(map);
        return Value::Object(head);
    }
    root
}

/// The schema of the value at `path`, with its children.
fn node(learned: &Learned, path: &str) -> Value {
    let mut out = Map::new();
    let Some(field) = learned.fields().get(path) else {
        return Value::Object(out);
    };
    let types: Vec<&str> = field.types.iter().map(String::as_str).collect();
    out.insert(
        "type".into(),
        match types.as_slice() {
            [one] => json!(one),
            many => json!(many),
        },
    );
    if types.contains(&"object") {
        let mut props = Map::new();
        let mut required = Vec::new();
        for (child, f) in children(learned, path) {
            let name = unescape(&child[path.len() + 1..]);
            props.insert(name.clone(), node(learned, child));
            if f.seen == field.seen {
                required.push(Value::String(name));
            }
        }
        out.insert("properties".into(), Value::Object(props));
        if !required.is_empty() {
            out.insert("required".into(), Value::Array(required));
        }
    }
    if types.contains(&"array") {
        let items = format!("{path}/*");
        if learned.fields().contains_key(&items) {
            out.insert("items".into(), node(learned, &items));
        }
    }
    if !field.example.is_null() {
        out.insert("examples".into(), json!([field.example]));
    }
    Value::Object(out)
}

/// The direct children of `path` that are object keys (not `*`, the array items).
fn children<'a>(
    learned: &'a Learned,
    path: &'a str,
) -> impl Iterator<Item = (&'a String, &'a super::Field)> + 'a {
    learned
        .fields()
        .range(format!("{path}/")..)
        .take_while(move |(p, _)| {
            p.starts_with(path) && p.as_bytes().get(path.len()) == Some(&b'/')
        })
        .filter(move |(p, _)| parent(p) == Some(path) && !p.ends_with("/*"))
}

/// A path token back to the key it stands for (RFC 6901, and `~2` for a key that is `*`).
fn unescape(token: &str) -> String {
    token
        .replace("~2", "*")
        .replace("~1", "/")
        .replace("~0", "~")
}
