//! Schema drift: what hookpit learns about each kind of event (route and event type) from the
//! JSON bodies it captures — every field path, its types, how often it is there, an example — and
//! how a new event differs from that (a field that was always there is missing, a new field, a
//! new type). Pure: the learner task (`learn`) feeds it committed events and stores the result.

mod json_schema;
mod shape;
mod walk;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use json_schema::json_schema;
pub use walk::{parent, type_name, walk};

/// Events a kind must have had before a difference counts as drift: with fewer, "always there"
/// means too little.
pub const MIN_EVENTS: u64 = 5;
/// Most field paths learned per kind: a body keyed by ids (a map of thousands of entries) would
/// otherwise grow without end. Past it no new path is learned, or flagged as new.
pub const MAX_FIELDS: usize = 1000;
/// Bytes of learned shapes (their shape bytes and paths) one kind keeps in memory to recognise
/// the next body of the same shape; past it, a new shape is walked every time.
pub const SHAPE_BYTES: usize = 256 * 1024;

/// What is known of one field path of a kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Field {
    /// The JSON types seen at this path.
    pub types: BTreeSet<String>,
    /// In how many of the kind's events it was there.
    pub seen: u64,
    /// A value seen there (scalars only; `null` for objects and arrays).
    pub example: Value,
    /// The last walk ([`Learned::walks`]) that found this path: whether the event at hand has
    /// it, without a set of its paths.
    #[serde(skip)]
    mark: u64,
}

impl PartialEq for Field {
    fn eq(&self, other: &Field) -> bool {
        (&self.types, self.seen, &self.example) == (&other.types, other.seen, &other.example)
    }
}

/// What is known of one kind of event.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Learned {
    /// Events learned from.
    pub events: u64,
    /// Every path seen, in path order; its `seen` counts lag by the bodies matched by shape
    /// until [`Learned::settle`].
    fields: BTreeMap<String, Field>,
    /// Events walked so far in this process (each walk's mark on the fields it finds).
    #[serde(skip)]
    walks: u64,
    /// Shapes this kind learned from in this process, by their shape bytes (`shape.rs`).
    #[serde(skip)]
    shapes: HashMap<Vec<u8>, Shape>,
    /// Bytes `shapes` holds, bounded by [`SHAPE_BYTES`].
    #[serde(skip)]
    shape_bytes: usize,
    /// Bodies matched by shape whose counts are not yet in `fields`.
    #[serde(skip)]
    pending: u64,
}

/// One shape a kind learned from: its paths (those in `fields`), and how many bodies of it
/// were learned since the last [`Learned::settle`].
#[derive(Debug)]
struct Shape {
    paths: Vec<String>,
    pending: u64,
}

/// A copy is settled and recognises no shape yet (it is what gets stored).
impl Clone for Learned {
    fn clone(&self) -> Learned {
        let mut fields = self.fields.clone();
        fold(&self.shapes, &mut fields);
        Learned {
            // The fields keep their walks' marks: the copy's next walk must not reuse one.
            walks: self.walks,
            ..Learned::new(self.events, fields)
        }
    }
}

impl PartialEq for Learned {
    fn eq(&self, other: &Learned) -> bool {
        self.events == other.events && settled(self) == settled(other)
    }
}

/// The fields with every pending count in (a copy only when some are pending).
fn settled(l: &Learned) -> std::borrow::Cow<'_, BTreeMap<String, Field>> {
    if l.pending == 0 {
        std::borrow::Cow::Borrowed(&l.fields)
    } else {
        std::borrow::Cow::Owned(l.clone().fields)
    }
}

/// Adds each shape's pending bodies to the `seen` of its paths.
fn fold(shapes: &HashMap<Vec<u8>, Shape>, fields: &mut BTreeMap<String, Field>) {
    for shape in shapes.values().filter(|s| s.pending > 0) {
        for p in &shape.paths {
            if let Some(f) = fields.get_mut(p) {
                f.seen += shape.pending;
            }
        }
    }
}

/// Buffers one learner reuses for every body it observes.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The walk's path buffer.
    path: String,
    /// The body's shape bytes.
    shape: Vec<u8>,
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
    /// What was stored: `events` learned from, with these `fields`.
    pub fn new(events: u64, fields: BTreeMap<String, Field>) -> Learned {
        Learned {
            events,
            fields,
            ..Learned::default()
        }
    }

    /// Every path seen, in path order. Exact once [`Learned::settle`] ran after the last
    /// [`Learned::observe_json`] (a clone is settled).
    pub fn fields(&self) -> &BTreeMap<String, Field> {
        debug_assert_eq!(self.pending, 0, "fields read before settle");
        &self.fields
    }

    /// Brings the `seen` counts of `fields` up to date with the bodies matched by shape.
    pub fn settle(&mut self) {
        if self.pending == 0 {
            return;
        }
        fold(&self.shapes, &mut self.fields);
        for shape in self.shapes.values_mut() {
            shape.pending = 0;
        }
        self.pending = 0;
    }

    /// [`Learned::observe`] for a body as bytes; `None` when it is not JSON. A body whose
    /// shape (paths and types, `shape.rs`) this kind already learned from in this process
    /// differs from nothing: every path and type in it is known, and every field it lacks was
    /// already missing from that earlier body, so no field it lacks was always there. Such a
    /// body is neither parsed into a `Value` nor walked; learning it counts it, and its paths'
    /// `seen` catch up at [`Learned::settle`]. Its examples need nothing: a path holding a
    /// string, number or boolean got an example when that shape was learned.
    pub fn observe_json(
        &mut self,
        body: &[u8],
        learn: bool,
        scratch: &mut Scratch,
    ) -> Option<Vec<Drift>> {
        let read = shape::read(body, &mut scratch.shape);
        match read {
            shape::Read::NotJson => return None,
            shape::Read::Shape => {
                if let Some(known) = self.shapes.get_mut(scratch.shape.as_slice()) {
                    if learn {
                        known.pending += 1;
                        self.pending += 1;
                        self.events += 1;
                    }
                    return Some(Vec::new());
                }
            }
            shape::Read::Unknown => {}
        }
        let value: Value = serde_json::from_slice(body).ok()?;
        let drift = self.observe(&value, learn, &mut scratch.path);
        if learn && read == shape::Read::Shape {
            self.remember(&scratch.shape);
        }
        Some(drift)
    }

    /// Keeps the shape of the body just learned (the fields its walk marked), within
    /// [`SHAPE_BYTES`].
    fn remember(&mut self, shape: &[u8]) {
        let mark = self.walks;
        let paths: Vec<String> = self
            .fields
            .iter()
            .filter(|(_, f)| f.mark == mark)
            .map(|(p, _)| p.clone())
            .collect();
        let size = shape.len() + paths.iter().map(|p| p.len() + 24).sum::<usize>();
        if self.shape_bytes + size > SHAPE_BYTES {
            return;
        }
        self.shape_bytes += size;
        self.shapes
            .insert(shape.to_vec(), Shape { paths, pending: 0 });
    }

    /// Compares one event's body with what was learned so far and, when `learn` (a real
    /// webhook, not a test event), learns it. Returns how it differs: nothing while fewer than
    /// [`MIN_EVENTS`] events were learned. Only the outermost missing or new field of a subtree
    /// is named (a missing object does not list its fields too); the items of an empty array
    /// are not missing. `path` is a buffer the walk reuses (see [`walk`]); a body whose paths
    /// are all known allocates nothing here.
    pub fn observe(&mut self, body: &Value, learn: bool, path: &mut String) -> Vec<Drift> {
        // Drift is judged on exact counts.
        self.settle();
        self.walks += 1;
        let mark = self.walks;
        let judge = self.events >= MIN_EVENTS;
        let full = self.fields.len() >= MAX_FIELDS;
        // Paths with a type they never had, or new under a known parent: rare, so a list.
        let mut odd: Vec<String> = Vec::new();
        path.clear();
        walk(body, path, &mut |p, v| match self.fields.get_mut(p) {
            Some(f) => {
                f.mark = mark;
                if judge && !f.types.contains(type_name(v)) && !odd.iter().any(|o| o == p) {
                    odd.push(p.to_string());
                }
            }
            None => {
                let known_parent = parent(p).is_some_and(|up| self.fields.contains_key(up));
                if judge && !full && known_parent && !odd.iter().any(|o| o == p) {
                    odd.push(p.to_string());
                }
            }
        });
        let drift = if judge {
            self.differences(body, odd, mark, path)
        } else {
            Vec::new()
        };
        if learn {
            self.learn(body, mark, path);
        }
        drift
    }

    /// The drift of the body just walked with `mark`: the odd paths found, and the fields every
    /// earlier event had that it lacks under a parent it has.
    fn differences(
        &self,
        body: &Value,
        odd: Vec<String>,
        mark: u64,
        path: &mut String,
    ) -> Vec<Drift> {
        let mut out = Vec::new();
        let found = |p: &str| self.fields.get(p).is_some_and(|f| f.mark == mark);
        for (p, field) in &self.fields {
            if field.mark != mark
                && field.seen == self.events
                && !p.ends_with("/*")
                && parent(p).is_some_and(found)
            {
                out.push(Drift {
                    path: p.clone(),
                    op: DriftOp::Missing,
                    was: Some(joined(field.types.iter().map(String::as_str))),
                    now: None,
                });
            }
        }
        if !odd.is_empty() {
            // Every type each odd path has in this body (array items may differ).
            let mut now: Vec<BTreeSet<&'static str>> = vec![BTreeSet::new(); odd.len()];
            walk(body, path, &mut |p, v| {
                if let Some(i) = odd.iter().position(|o| o == p) {
                    now[i].insert(type_name(v));
                }
            });
            for (p, types) in odd.into_iter().zip(now) {
                let now = Some(joined(types.into_iter()));
                out.push(match self.fields.get(&p) {
                    Some(field) => Drift {
                        op: DriftOp::Type,
                        was: Some(joined(field.types.iter().map(String::as_str))),
                        now,
                        path: p,
                    },
                    None => Drift {
                        op: DriftOp::New,
                        was: None,
                        now,
                        path: p,
                    },
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// Adds the body just walked with `mark` to what is known.
    fn learn(&mut self, body: &Value, mark: u64, path: &mut String) {
        let fields = &mut self.fields;
        walk(body, path, &mut |p, v| {
            let t = type_name(v);
            let room = fields.len() < MAX_FIELDS;
            match fields.get_mut(p) {
                Some(f) => {
                    // Present types are the rule: allocate only for a new one.
                    if !f.types.contains(t) {
                        f.types.insert(t.to_string());
                    }
                    if f.example.is_null() {
                        f.example = walk::example(v);
                    }
                }
                None if room => {
                    let field = Field {
                        types: BTreeSet::from([t.to_string()]),
                        seen: 0,
                        example: walk::example(v),
                        mark,
                    };
                    fields.insert(p.to_string(), field);
                }
                None => {}
            }
        });
        self.events += 1;
        // Counted once per event, however many array items had the path.
        for f in self.fields.values_mut().filter(|f| f.mark == mark) {
            f.seen += 1;
        }
    }
}

fn joined<'a>(types: impl Iterator<Item = &'a str>) -> String {
    types.collect::<Vec<_>>().join("|")
}

#[cfg(test)]
mod tests;
