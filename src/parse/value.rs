//! From serde-saphyr's node trees to JSON values with spans.
//!
//! Takes one document's [`Node`] tree; returns its [`serde_json::Value`] and records the span
//! of every node (and of every mapping key) under its JSON Pointer. Applies the rules by which
//! Kubernetes turns YAML into JSON: null map entries are pruned, integral floats become
//! integers, boolean and number keys become strings. Never changes a value silently: NaN,
//! infinities, keys JSON cannot hold and keys that collide once stringified are errors.

use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;

use super::saphyr::Node;
use super::{ParseError, Recorded, Source};
use crate::diagnostic::Span;

/// Turns one document's node tree into JSON, recording spans as it goes.
pub(super) struct Builder<'s, 'a> {
    pub(super) source: &'s Source<'a>,
    /// Spans in reading order, for [`super::SpanMap::from_recorded`].
    pub(super) spans: Recorded,
    /// JSON Pointer of the node being built.
    pub(super) pointer: String,
}

impl Builder<'_, '_> {
    pub(super) fn value(
        &mut self,
        node: Node,
        span: Span,
        key: Option<Span>,
    ) -> Result<Value, ParseError> {
        self.spans.record(&self.pointer, (key, span));
        Ok(match node {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::Int(i) => Value::from(i),
            Node::Uint(u) => Value::from(u),
            Node::Float(f) => float(f).ok_or_else(|| ParseError::NonFiniteNumber {
                value: f.to_string(),
                span: Some(span),
            })?,
            Node::String(s) => Value::String(s),
            Node::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    let len = self.pointer.len();
                    push_index(&mut self.pointer, i);
                    let span = self.source.span(&item.referenced);
                    out.push(self.value(item.value, span, None)?);
                    self.pointer.truncate(len);
                }
                Value::Array(out)
            }
            Node::Mapping(entries) => Value::Object(self.mapping(entries)?),
        })
    }

    fn mapping(
        &mut self,
        entries: Vec<(Spanned<Node>, Spanned<Node>)>,
    ) -> Result<Map<String, Value>, ParseError> {
        let mut map = Map::new();
        let mut pruned = false;
        for (key, value) in entries {
            let key_span = self.source.span(&key.referenced);
            let key = key_string(key.value, key_span)?;
            if map.contains_key(&key) {
                return Err(ParseError::DuplicateKey {
                    key,
                    span: Some(key_span),
                });
            }
            if matches!(value.value, Node::Null) {
                // Kept until the end so a later duplicate is still caught.
                map.insert(key, Value::Null);
                pruned = true;
                continue;
            }
            let len = self.pointer.len();
            push_key(&mut self.pointer, &key);
            let span = self.source.span(&value.referenced);
            let value = self.value(value.value, span, Some(key_span))?;
            self.pointer.truncate(len);
            map.insert(key, value);
        }
        if pruned {
            map.retain(|_, v| !v.is_null());
        }
        Ok(map)
    }
}

/// A JSON number for a YAML float: integral values that fit an `i64` become integers, as
/// Kubernetes' YAML-to-JSON conversion does; NaN and infinities have no JSON form.
fn float(f: f64) -> Option<Value> {
    // 2^63: the first float above the `i64` range.
    const I64_END: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (-I64_END..I64_END).contains(&f) {
        #[allow(clippy::cast_possible_truncation)] // Integral and in range, checked above.
        return Some(Value::from(f as i64));
    }
    Number::from_f64(f).map(Value::Number)
}

fn key_string(key: Node, span: Span) -> Result<String, ParseError> {
    let unsupported = |found| ParseError::UnsupportedKey {
        found,
        span: Some(span),
    };
    match key {
        Node::String(s) => Ok(s),
        Node::Bool(b) => Ok(b.to_string()),
        Node::Int(i) => Ok(i.to_string()),
        Node::Uint(u) => Ok(u.to_string()),
        Node::Float(f) => match float(f) {
            Some(v) => Ok(v.to_string()),
            None => Err(ParseError::NonFiniteNumber {
                value: f.to_string(),
                span: Some(span),
            }),
        },
        Node::Null => Err(unsupported("null")),
        Node::Sequence(_) => Err(unsupported("a sequence")),
        Node::Mapping(_) => Err(unsupported("a mapping")),
    }
}

/// Appends a key to a JSON Pointer, escaping `~` as `~0` and `/` as `~1`.
pub(super) fn push_key(pointer: &mut String, key: &str) {
    pointer.push('/');
    if !key.bytes().any(|b| b == b'~' || b == b'/') {
        pointer.push_str(key);
        return;
    }
    for c in key.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

pub(super) fn push_index(pointer: &mut String, index: usize) {
    pointer.push('/');
    pointer.push_str(itoa::Buffer::new().format(index));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_keys_and_indexes_to_a_pointer_escaping_tilde_and_slash() {
        let cases = [
            ("name", "/a/name"),
            ("app.kubernetes.io/name", "/a/app.kubernetes.io~1name"),
            ("~x", "/a/~0x"),
            ("a~/b/~", "/a/a~0~1b~1~0"),
            ("", "/a/"),
            ("日本/語~", "/a/日本~1語~0"),
        ];
        for (key, pointer) in cases {
            let mut p = "/a".to_string();
            push_key(&mut p, key);
            assert_eq!(p, pointer, "{key:?}");
        }
        let mut p = String::new();
        for index in [0, 7, 10, 123_456, usize::MAX] {
            push_index(&mut p, index);
        }
        assert_eq!(p, format!("/0/7/10/123456/{}", usize::MAX));
    }
}
