//! The serde-saphyr adapter: reading a stream with serde-saphyr, the YAML authority.
//!
//! Takes a [`Source`] (text, where it sits in the input, the depth limit); returns its
//! documents, or a [`ParseError`] located in the input. Sets serde-saphyr up to read YAML the
//! way Kubernetes does (YAML 1.1 booleans, legacy octal, no duplicate keys) within the
//! `MAX_*` budgets, reads every document into a [`Node`] tree whose nodes carry their
//! locations, has `value` turn each tree into a [`Document`], and converts serde-saphyr's
//! locations (characters or bytes) into [`Span`]s and its errors into [`ParseError`]s. Never
//! reads without a budget, and never reports a span outside the text.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Location, MessageFormatter, Spanned, UserMessageFormatter};

use super::value::Builder;
use super::{
    Document, MAX_ALIAS_REPLAY, MAX_DOCUMENTS, MAX_INPUT_BYTES, MAX_NODES, ParseError, Recorded,
    Source, SpanMap, walk,
};
use crate::diagnostic::Span;

/// The reader's budget for a stream, with nesting at most `max_depth` deep.
pub(super) fn budget(max_depth: usize) -> serde_saphyr::Budget {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = max_depth;
    // Well above `max_depth`: the scanner runs ahead of the depth check by up to a simple
    // key's lookahead (1024 characters), and deep flow nesting should trip the depth budget
    // (a `Limit`) rather than the scanner's own cap (a syntax error).
    budget.flow_nesting_limit = max_depth + 2048;
    budget.max_nodes = MAX_NODES;
    budget.max_events = MAX_NODES.saturating_mul(3);
    budget.max_documents = MAX_DOCUMENTS;
    budget.max_total_scalar_bytes = MAX_INPUT_BYTES;
    budget.max_reader_input_bytes = Some(MAX_INPUT_BYTES);
    budget
}

impl Source<'_> {
    /// Reads every document with serde-saphyr, configured by `options`.
    pub(super) fn documents_with(
        &self,
        options: serde_saphyr::Options,
    ) -> Result<Vec<Document>, ParseError> {
        let roots: Vec<Spanned<Node>> =
            serde_saphyr::from_str_multiple_with_options(self.text, options)
                .map_err(|e| self.error(&e))?;
        let mut documents = Vec::with_capacity(roots.len());
        for (index, root) in roots.into_iter().enumerate() {
            let mut builder = Builder {
                source: self,
                spans: Recorded::default(),
                pointer: String::new(),
            };
            let root_span = self.span(&root.referenced);
            let value = builder.value(root.value, root_span, None)?;
            documents.push(Document {
                value,
                spans: SpanMap::from_recorded(builder.spans),
                index,
                start_line: root_span.line,
            });
        }
        Ok(documents)
    }

    /// serde-saphyr options that mirror how Kubernetes reads YAML, with limits for hostile input.
    pub(super) fn options(&self) -> serde_saphyr::Options {
        serde_saphyr::options! {
            // `0777` is octal, as in YAML 1.1 and go-yaml v2 (`defaultMode: 0777` is 511).
            legacy_octal_numbers: true,
            // YAML 1.1 booleans (`yes`, `on`, `y`, `NO`) stay on: that is what kubectl reads.
            strict_booleans: false,
            non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::Reject,
            duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
            // Errors are located by span; rendering is the CLI's job.
            with_snippet: false,
            budget: Some(budget(self.max_depth)),
            alias_limits: serde_saphyr::alias_limits! {
                max_total_replayed_events: MAX_ALIAS_REPLAY,
            },
        }
    }

    /// The span of a node whose location serde-saphyr reported.
    pub(super) fn span(&self, location: &Location) -> Span {
        let span = location.span();
        let line = to_usize(location.line()).max(1);
        let column = to_usize(location.column()).max(1);
        let (start, len) = match (span.byte_offset(), span.byte_len()) {
            (Some(offset), Some(len)) => (to_usize(offset), to_usize(len)),
            _ => (
                self.offset_of(line, column),
                to_usize(span.len()), // characters; converted below
            ),
        };
        let start = floor_char_boundary(self.text, start);
        let end = if span.byte_len().is_some() {
            floor_char_boundary(self.text, start.saturating_add(len)).max(start)
        } else {
            advance_chars(self.text, start, len)
        };
        let (end_line, end_column) = walk(&self.text[start..end], line, column);
        Span {
            line: line + self.line_offset,
            column,
            end_line: end_line + self.line_offset,
            end_column,
            start: start + self.base,
            end: end + self.base,
        }
    }

    /// The byte offset of a 1-based line and character column; clamps to the text.
    fn offset_of(&self, line: usize, column: usize) -> usize {
        let text = self.text;
        let mut offset = 0;
        let mut current = 1;
        let bytes = text.as_bytes();
        while current < line {
            match bytes[offset..]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
            {
                Some(i) => {
                    offset += i;
                    offset += if bytes[offset..].starts_with(b"\r\n") {
                        2
                    } else {
                        1
                    };
                    current += 1;
                }
                None => return text.len(),
            }
        }
        advance_chars(text, offset, column - 1)
    }

    /// Converts a serde-saphyr error, located in this source.
    fn error(&self, error: &serde_saphyr::Error) -> ParseError {
        let span = error
            .location()
            .filter(|l| l.line() > 0)
            .map(|l| self.span(&l));
        let inner = innermost(error);
        match inner {
            serde_saphyr::Error::DuplicateMappingKey { key, .. } => ParseError::DuplicateKey {
                key: key.clone().unwrap_or_default(),
                span,
            },
            serde_saphyr::Error::NonFiniteFloat { value, .. } => ParseError::NonFiniteNumber {
                value: value.clone(),
                span,
            },
            serde_saphyr::Error::Budget { breach, .. } => ParseError::Limit {
                message: budget_message(breach, self.max_depth),
                span,
            },
            serde_saphyr::Error::AliasReplayLimitExceeded { .. }
            | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
            | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. }
            | serde_saphyr::Error::AliasReplayCounterOverflow { .. } => ParseError::Limit {
                message: format!(
                    "aliases expand to more than {MAX_ALIAS_REPLAY} parser events; \
                     the input looks like an alias bomb"
                ),
                span,
            },
            serde_saphyr::Error::InvalidUtf8Input => ParseError::InvalidUtf8 {
                span: span.unwrap_or_default(),
            },
            other => ParseError::Syntax {
                message: clean_message(&UserMessageFormatter.format_message(other)),
                span,
            },
        }
    }
}

/// The error an alias or snippet wrapper carries.
fn innermost(error: &serde_saphyr::Error) -> &serde_saphyr::Error {
    match error {
        serde_saphyr::Error::AliasError { error, .. }
        | serde_saphyr::Error::WithSnippet { error, .. } => innermost(error),
        other => other,
    }
}

fn budget_message(breach: &BudgetBreach, max_depth: usize) -> String {
    match breach {
        BudgetBreach::Depth { .. } => format!("nesting is deeper than {max_depth} levels"),
        BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. } => {
            format!("the input has more than {MAX_NODES} nodes once aliases are expanded")
        }
        BudgetBreach::Documents { .. } => {
            format!("the input has more than {MAX_DOCUMENTS} documents")
        }
        BudgetBreach::ScalarBytes { .. } => {
            format!("scalars add up to more than {MAX_INPUT_BYTES} bytes once aliases are expanded")
        }
        BudgetBreach::Aliases { .. }
        | BudgetBreach::AliasAnchorRatio { .. }
        | BudgetBreach::Anchors { .. } => {
            "the input uses too many aliases; it looks like an alias bomb".to_string()
        }
        other => format!("the input exceeds a parser limit ({other:?})"),
    }
}

/// Keeps a parser message on one line.
fn clean_message(message: &str) -> String {
    message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The byte offset `count` characters after `start`, clamped to the end of `text`.
fn advance_chars(text: &str, start: usize, count: usize) -> usize {
    let Some(rest) = text.get(start..) else {
        return text.len();
    };
    rest.char_indices()
        .nth(count)
        .map_or(text.len(), |(i, _)| start + i)
}

/// The largest char boundary of `text` at or before `offset`.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// An untyped YAML node whose children carry their source locations.
#[derive(Debug)]
pub(super) enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    String(String),
    Sequence(Vec<Spanned<Node>>),
    Mapping(Vec<(Spanned<Node>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Uint(v))
    }

    #[allow(clippy::cast_precision_loss)] // Beyond 64 bits go-yaml also falls back to a float.
    fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Float(v as f64))
    }

    #[allow(clippy::cast_precision_loss)] // As above.
    fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Float(v as f64))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Node, E> {
        String::from_utf8(v.to_vec())
            .map(Node::String)
            .map_err(|_| E::custom("binary value is not UTF-8"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Mapping(entries))
    }
}
