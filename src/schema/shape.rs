//! A body's shape read in one pass over its bytes, without building a `serde_json::Value`: its
//! JSON types and object keys, in order, written as bytes into a buffer the caller reuses. Two
//! bodies with the same shape bytes have the same paths with the same types, so once a kind has
//! learned one, the next needs no walk (`Learned::observe_json`). An array's items are written
//! once per distinct item shape: `[1, 2, 3]` and `[4]` read the same.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// What reading a body's shape found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// The shape bytes are in the buffer.
    Shape,
    /// Valid so far, but the body holds a key serde_json gives a meaning of its own when it
    /// builds a `Value` (its raw-value or number token): only the `Value` says what it is.
    Unknown,
    /// Not JSON, or JSON `Value` parsing refuses (too deep, a number out of range).
    NotJson,
}

// One byte per value, then for an object each key as `KEY`, its length and bytes, and its
// value. The encoding can be read back unambiguously, so equal bytes mean equal shapes.
const NULL: u8 = b'n';
const BOOL: u8 = b'b';
const NUMBER: u8 = b'd';
const STRING: u8 = b's';
const OBJECT: u8 = b'{';
const OBJECT_END: u8 = b'}';
const KEY: u8 = b'k';
const ARRAY: u8 = b'[';
const ARRAY_END: u8 = b']';

/// Distinct item shapes one array remembers to write each only once; items past them are all
/// written (still the same shape for the same body, only longer).
const DISTINCT_ITEMS: usize = 4;

/// Keys `serde_json` reads as its own markers when it builds a `Value` (`raw_value`'s and
/// `arbitrary_precision`'s), first in an object.
const MARKERS: [&str; 2] = [
    "$serde_json::private::RawValue",
    "$serde_json::private::Number",
];

/// Writes the shape of `body` into `out` (cleared first).
pub fn read(body: &[u8], out: &mut Vec<u8>) -> Read {
    out.clear();
    let mut unknown = false;
    let mut de = serde_json::Deserializer::from_slice(body);
    let seed = Tokens {
        out,
        unknown: &mut unknown,
    };
    if seed.deserialize(&mut de).is_err() || de.end().is_err() {
        return Read::NotJson;
    }
    if unknown { Read::Unknown } else { Read::Shape }
}

/// Writes one value's shape.
struct Tokens<'a> {
    out: &'a mut Vec<u8>,
    /// Set when an object starts with one of the [`MARKERS`].
    unknown: &'a mut bool,
}

impl<'de> DeserializeSeed<'de> for Tokens<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // The same entry point a `Value` uses, so both refuse exactly the same bodies.
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Tokens<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.out.push(NULL);
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.out.push(BOOL);
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.out.push(NUMBER);
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.out.push(NUMBER);
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        // As a `Value` takes it: a float that is no JSON number becomes null.
        self.out.push(if v.is_finite() { NUMBER } else { NULL });
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.out.push(STRING);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        self.out.push(ARRAY);
        // (start, end) of each distinct item shape written so far.
        let mut distinct = [(0usize, 0usize); DISTINCT_ITEMS];
        let mut kept = 0;
        loop {
            let start = self.out.len();
            let item = Tokens {
                out: &mut *self.out,
                unknown: &mut *self.unknown,
            };
            if items.next_element_seed(item)?.is_none() {
                break;
            }
            let end = self.out.len();
            let written = &self.out[start..end];
            if distinct[..kept]
                .iter()
                .any(|&(s, e)| self.out[s..e] == *written)
            {
                self.out.truncate(start);
            } else if kept < DISTINCT_ITEMS {
                distinct[kept] = (start, end);
                kept += 1;
            }
        }
        self.out.push(ARRAY_END);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<(), A::Error> {
        self.out.push(OBJECT);
        let mut first = true;
        loop {
            let key = Key {
                out: &mut *self.out,
                marker: first.then_some(&mut *self.unknown),
            };
            if entries.next_key_seed(key)?.is_none() {
                break;
            }
            first = false;
            entries.next_value_seed(Tokens {
                out: &mut *self.out,
                unknown: &mut *self.unknown,
            })?;
        }
        self.out.push(OBJECT_END);
        Ok(())
    }
}

/// Writes one object key; the first key of an object also checks for the [`MARKERS`].
struct Key<'a> {
    out: &'a mut Vec<u8>,
    marker: Option<&'a mut bool>,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<(), E> {
        if let Some(unknown) = self.marker {
            *unknown |= MARKERS.contains(&key);
        }
        self.out.push(KEY);
        self.out
            .extend_from_slice(&(key.len() as u64).to_le_bytes());
        self.out.extend_from_slice(key.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(body: &str) -> (Read, Vec<u8>) {
        let mut out = Vec::new();
        let read = read(body.as_bytes(), &mut out);
        (read, out)
    }

    #[test]
    fn equal_shapes_read_the_same_and_others_do_not() {
        let a = shape(r#"{"id": "x", "n": 1, "tags": ["a", "b"], "ok": true, "at": null}"#);
        let b = shape(r#"{"id": "y", "n": 2.5, "tags": ["c"], "ok": false, "at": null}"#);
        assert_eq!(a.0, Read::Shape);
        assert_eq!(a, b, "values and array lengths do not change a shape");
        for other in [
            r#"{"id": 1, "n": 1, "tags": ["a"], "ok": true, "at": null}"#,
            r#"{"id": "x", "n": 1, "tags": [], "ok": true, "at": null}"#,
            r#"{"id": "x", "n": 1, "tags": ["a"], "ok": true}"#,
            r#"{"id": "x", "n": 1, "tags": ["a"], "ok": true, "at": null, "new": 0}"#,
            r#"{"id": "x", "n": 1, "tags": [1], "ok": true, "at": null}"#,
            r#"{"id": "x", "n": 1, "tags": ["a", 1], "ok": true, "at": null}"#,
        ] {
            assert_ne!(shape(other).1, a.1, "{other}");
        }
        // A key with a slash is one key, not a nested one.
        assert_ne!(shape(r#"{"a/b": 1}"#).1, shape(r#"{"a": {"b": 1}}"#).1);
        // Escaped keys read as the key they spell.
        assert_eq!(shape(r#"{"\u0061": 1}"#).1, shape(r#"{"a": 2}"#).1);
    }

    #[test]
    fn repeated_item_shapes_are_written_once() {
        let (_, one) = shape(r#"[{"a": 1}]"#);
        let (_, many) = shape(r#"[{"a": 1}, {"a": 2}, {"a": 3}]"#);
        assert_eq!(one, many);
        let (_, mixed) = shape(r#"[{"a": 1}, {"b": 1}, {"a": 2}, {"b": 2}]"#);
        assert_eq!(mixed, shape(r#"[{"a": 1}, {"b": 1}]"#).1);
    }

    #[test]
    fn what_a_value_refuses_is_not_json_and_its_markers_are_unknown() {
        for bad in [
            "",
            "not json",
            "{\"a\": 1} x",
            "[1e400]",
            "\"\\ud800\"",
            &"[".repeat(200),
        ] {
            assert!(serde_json::from_str::<serde_json::Value>(bad).is_err());
            assert_eq!(shape(bad).0, Read::NotJson, "{bad}");
        }
        assert_eq!(
            shape(r#"{"$serde_json::private::RawValue": "[1]"}"#).0,
            Read::Unknown
        );
        assert_eq!(
            shape(r#"{"a": {"$serde_json::private::Number": "1"}}"#).0,
            Read::Unknown
        );
        assert_eq!(
            shape(r#"{"a": 1, "$serde_json::private::RawValue": "1"}"#).0,
            Read::Shape,
            "only a first key is a marker"
        );
        assert_eq!(shape(" {} ").0, Read::Shape);
    }
}
