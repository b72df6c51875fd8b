//! Schema drift: what hookpit learns about each kind of event (route and event type) from the
//! JSON bodies it captures — every field path, its types, how often it is there, an example — and
//! how a new event differs from that (a field that was always there is missing, a new field, a
//! new type). Pure: the learner task (`learn`) feeds it committed events and stores the result.

mod json_schema;
mod shape;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use json_schema::json_schema;
pub use shape::{Seen, Shape, parent, shape_of, type_name};

/// Events a kind must have had before a difference counts as drift: with fewer, "always there"
/// means too little.
pub const MIN_EVENTS: u64 = 5;
/// Most field paths learned per kind: a body keyed by ids (a map of thousands of entries) would
/// otherwise grow without end. Past it no new path is learned, or flagged as new.
pub const MAX_FIELDS: usize = 1000;

/// What is known of one field path of a kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// The JSON types seen at this path.
    pub types: BTreeSet<String>,
    /// In how many of the kind's events it was there.
    pub seen: u64,
    /// A value seen there (scalars only; `null` for objects and arrays).
    pub example: Value,
}

/// What is known of one kind of event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Learned {
    /// Events learned from.
    pub events: u64,
    /// Every path seen, in path order.
    pub fields: BTreeMap<String, Field>,
}

/// How a field differs from what its kind had before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriftOp {
    /// A field every earlier event had is not there.
    Missing,
    /// A field no earlier event had.
    New,
    /// A field has a type it never had.
    Type,
}

/// One difference of an event from its kind's learned shape (`drift` of the summary).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// The field, as a JSON Pointer (`*` for any array index).
    pub path: String,
    /// What changed.
    pub op: DriftOp,
    /// Before: the types it had (`string|null`), for `missing` and `type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was: Option<String>,
    /// Now: the types it has, for `new` and `type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<String>,
}

impl Learned {
    /// How `shape` differs from what was learned; nothing while fewer than [`MIN_EVENTS`]
    /// events were learned. Only the outermost missing or new field of a subtree is named (a
    /// missing object does not list its fields too); the items of an empty array are not missing.
    pub fn drift(&self, shape: &Shape) -> Vec<Drift> {
        if self.events < MIN_EVENTS {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (path, field) in &self.fields {
            let Some(up) = parent(path) else { continue };
            let always = field.seen == self.events;
            if always
                && !shape.contains_key(path)
                && shape.contains_key(up)
                && !path.ends_with("/*")
            {
                out.push(Drift {
                    path: path.clone(),
                    op: DriftOp::Missing,
                    was: Some(joined(field.types.iter().map(String::as_str))),
                    now: None,
                });
            }
        }
        let full = self.fields.len() >= MAX_FIELDS;
        for (path, seen) in shape {
            match self.fields.get(path) {
                Some(field) if seen.types.iter().any(|t| !field.types.contains(*t)) => {
                    out.push(Drift {
                        path: path.clone(),
                        op: DriftOp::Type,
                        was: Some(joined(field.types.iter().map(String::as_str))),
                        now: Some(joined(seen.types.iter().copied())),
                    });
                }
                Some(_) => {}
                None if !full && parent(path).is_some_and(|up| self.fields.contains_key(up)) => {
                    out.push(Drift {
                        path: path.clone(),
                        op: DriftOp::New,
                        was: None,
                        now: Some(joined(seen.types.iter().copied())),
                    });
                }
                None => {}
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// Adds one event's shape to what is known.
    pub fn learn(&mut self, shape: Shape) {
        self.events += 1;
        for (path, seen) in shape {
            if !self.fields.contains_key(&path) && self.fields.len() >= MAX_FIELDS {
                continue;
            }
            let field = self.fields.entry(path).or_insert_with(|| Field {
                types: BTreeSet::new(),
                seen: 0,
                example: seen.example.clone(),
            });
            field.seen += 1;
            for t in &seen.types {
                // Present types are the rule: allocate only for a new one.
                if !field.types.contains(*t) {
                    field.types.insert(t.to_string());
                }
            }
            if field.example.is_null() && !seen.example.is_null() {
                field.example = seen.example;
            }
        }
    }
}

fn joined<'a>(types: impl Iterator<Item = &'a str>) -> String {
    types.collect::<Vec<_>>().join("|")
}

#[cfg(test)]
mod tests;
