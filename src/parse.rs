//! Stage 1: bytes → spanned YAML documents.
//!
//! [`parse`] takes the raw bytes of a YAML stream and returns one [`Document`] per non-empty
//! document: the document as a [`serde_json::Value`] plus a [`SpanMap`] from JSON Pointer to
//! source location, which later stages use to put `file:line:column` on their findings.
//!
//! The tree is read the way Kubernetes reads manifests (`sigs.k8s.io/yaml` on go-yaml v2,
//! YAML 1.1), not the way a YAML 1.2 library would on its own:
//! - `yes`/`no`/`on`/`off`/`y`/`n` in any of their spellings are booleans, `0777` is octal
//!   (511), and `1_000` is 1000;
//! - a map entry whose value is null (`env:`, `env: ~`) is dropped, as the API server prunes
//!   nulls; nulls inside sequences stay;
//! - a float with no fractional part that fits an `i64` becomes an integer (`2.0` → 2);
//! - a map key that YAML resolves to a boolean or a number becomes its string form (`true`,
//!   `1`), because JSON keys are strings.
//!
//! Everything else that JSON cannot hold is an error rather than a silent change: NaN and
//! infinities (the API server rejects them too), null keys and sequence or mapping keys, and
//! keys that collide once stringified (`1` and `"1"`). Duplicate keys are errors: whichever copy
//! a reader kept, the other one is a mistake.
//!
//! Untrusted input is bounded: the input size, nesting depth, node count (aliases expanded
//! included) and alias expansion are all capped by the `MAX_*` constants below, so hostile input
//! such as a billion-laughs alias bomb or 100,000 nested `[` fails fast with
//! [`ParseErrorKind::Limit`] instead of exhausting memory or the stack.
//!
//! This stage never does I/O, never panics on any input, and knows nothing about `RayCluster`s:
//! a top-level scalar or list is returned as a document for the validator to reject.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Location, MessageFormatter, Spanned, UserMessageFormatter};

use crate::diagnostic::Span;

mod quick;

/// Largest input accepted, in bytes (64 MiB). Real manifests are kilobytes; the API server
/// itself refuses request bodies over 3 MiB. The cap keeps a stray `raycc` run on a huge file
/// from allocating without bound.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// Deepest nesting of mappings and sequences accepted. A `RayCluster`'s deepest field
/// (`spec.workerGroupSpecs[0].template.spec.affinity...matchExpressions[0].values[0]`) is
/// about 15 levels down; 128 is ample for real manifests while keeping every later stage that
/// walks the tree recursively (schema validation, serde, the emitter) within a small stack.
pub const MAX_DEPTH: usize = 128;

/// Stack for the thread [`parse`] runs the YAML reader on. serde-saphyr recurses once per
/// nesting level and, in an unoptimised build, uses about 40 KiB of stack per level, so a
/// document [`MAX_DEPTH`] deep needs about 5 MiB: more than the 2 MiB a spawned thread gets by
/// default. Only the pages actually touched are committed. `compile` spawns its worker threads
/// with this stack and parses on them directly.
pub(crate) const READER_STACK_BYTES: usize = 32 * 1024 * 1024;

/// Depth limit used if the reader thread cannot be started; fits a 2 MiB stack even
/// unoptimised.
const FALLBACK_MAX_DEPTH: usize = 32;

/// Most nodes (scalars, mappings and sequences) in the whole stream, counting every node an
/// alias expands to. Bounds memory for a stream near [`MAX_INPUT_BYTES`]: a `RayCluster` has
/// a few hundred nodes, so a stream of tens of thousands of clusters fits.
pub const MAX_NODES: usize = 16_000_000;

/// Most parser events that aliases may replay across the stream. Sharing a container spec
/// between worker groups with `&anchor`/`*alias` replays a few hundred events per alias;
/// an alias bomb needs billions and stops here.
pub const MAX_ALIAS_REPLAY: usize = 100_000;

/// Most documents in one stream, empty ones included (a stream of 10,000 clusters is a
/// realistic repository-wide render).
pub const MAX_DOCUMENTS: usize = 100_000;

/// One non-empty YAML document from the input stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The document as JSON: null map entries pruned, keys stringified.
    pub value: Value,
    /// Source locations of every node, keyed by JSON Pointer.
    pub spans: SpanMap,
    /// Position among the returned documents, from 0; empty documents are not counted.
    pub index: usize,
    /// 1-based line on which the document's root node starts.
    pub start_line: usize,
}

/// Source locations of a document's nodes, keyed by JSON Pointer (RFC 6901).
///
/// Every mapping value and sequence item has a value span; mapping values also have the span
/// of their key. The root node is recorded under the empty pointer `""`. A mapping or
/// sequence's value span covers only its first token, so a diagnostic about a whole object
/// points at where it starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpanMap {
    entries: BTreeMap<String, (Option<Span>, Span)>,
}

impl SpanMap {
    /// The span of the value at `pointer`; if none is recorded (the pointer names a field that
    /// is missing), the key span (or else the value span) of its nearest recorded ancestor.
    #[must_use]
    pub fn value(&self, pointer: &str) -> Option<Span> {
        if let Some((_, value)) = self.entries.get(pointer) {
            return Some(*value);
        }
        // A node that is not there (a missing field): point at the key of the nearest
        // ancestor that is, which names the object the field belongs in.
        let mut pointer = pointer;
        loop {
            pointer = &pointer[..pointer.rfind('/')?];
            if let Some((key, value)) = self.entries.get(pointer) {
                return Some(key.unwrap_or(*value));
            }
        }
    }

    /// The span of the key that introduces the node at `pointer`, for findings about the field
    /// itself (an unknown field, say); falls back to [`SpanMap::value`] for sequence items,
    /// the root, and pointers with no recorded node.
    #[must_use]
    pub fn key_or_value(&self, pointer: &str) -> Option<Span> {
        match self.entries.get(pointer) {
            Some((Some(key), _)) => Some(*key),
            _ => self.value(pointer),
        }
    }

    /// Number of recorded nodes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no node is recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// What kind of problem a [`ParseError`] is, for callers that only need to branch on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The input is not YAML, or is YAML that JSON cannot represent.
    Syntax,
    /// A mapping has the same key twice.
    DuplicateKey,
    /// The input exceeds one of the `MAX_*` limits.
    Limit,
    /// The input is not UTF-8.
    Encoding,
}

/// Why the input could not be read as YAML documents.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The input is not valid UTF-8; the span covers the first offending byte sequence.
    #[error("input is not valid UTF-8")]
    InvalidUtf8 {
        /// Where the invalid bytes start.
        span: Span,
    },
    /// The input is larger than [`MAX_INPUT_BYTES`].
    #[error("input is {size} bytes, over the limit of {MAX_INPUT_BYTES} bytes")]
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
    },
    /// The YAML is malformed (bad indentation, a tab used for indentation, an unclosed
    /// bracket or quote, an unknown alias, ...).
    #[error("{message}")]
    Syntax {
        /// The YAML parser's description of the problem.
        message: String,
        /// Where the parser stopped.
        span: Option<Span>,
    },
    /// A mapping has the same key twice, either literally or once keys are stringified
    /// (`1` and `"1"`, `true` and `yes`).
    #[error("duplicate key `{key}`")]
    DuplicateKey {
        /// The repeated key, as a JSON string.
        key: String,
        /// The second occurrence.
        span: Option<Span>,
    },
    /// A mapping key is null, a sequence or a mapping, which a JSON object cannot hold.
    #[error("mapping key must be a string, number or boolean, not {found}")]
    UnsupportedKey {
        /// What the key was: `null`, `a sequence` or `a mapping`.
        found: &'static str,
        /// The key.
        span: Option<Span>,
    },
    /// A number is NaN or infinite (`.nan`, `.inf`, `1e999`), which JSON cannot hold and the
    /// API server rejects; quote it if a string was meant.
    #[error("`{value}` is not a finite number; quote it if it is meant as a string")]
    NonFiniteNumber {
        /// The number as written.
        value: String,
        /// The number.
        span: Option<Span>,
    },
    /// The input exceeds a size, depth, node-count or alias-expansion limit.
    #[error("{message}")]
    Limit {
        /// Which limit was exceeded.
        message: String,
        /// Where parsing stopped.
        span: Option<Span>,
    },
}

impl ParseError {
    /// Where in the input the problem is, when known.
    #[must_use]
    pub fn span(&self) -> Option<Span> {
        match self {
            Self::InvalidUtf8 { span } => Some(*span),
            Self::TooLarge { .. } => None,
            Self::Syntax { span, .. }
            | Self::DuplicateKey { span, .. }
            | Self::UnsupportedKey { span, .. }
            | Self::NonFiniteNumber { span, .. }
            | Self::Limit { span, .. } => *span,
        }
    }

    /// The broad class of the problem.
    #[must_use]
    pub fn kind(&self) -> ParseErrorKind {
        match self {
            Self::InvalidUtf8 { .. } => ParseErrorKind::Encoding,
            Self::TooLarge { .. } | Self::Limit { .. } => ParseErrorKind::Limit,
            Self::DuplicateKey { .. } => ParseErrorKind::DuplicateKey,
            Self::Syntax { .. } | Self::UnsupportedKey { .. } | Self::NonFiniteNumber { .. } => {
                ParseErrorKind::Syntax
            }
        }
    }
}

/// Parses a YAML stream into its non-empty documents.
///
/// Documents that are empty or null (an empty file, only comments, a bare `---`, `~`) are
/// skipped. A UTF-8 byte order mark at the start is accepted; spans count it in byte offsets
/// but not in columns.
pub fn parse(source: &[u8]) -> Result<Vec<Document>, ParseError> {
    let source = Source::new(source)?;
    // The quick reader nests far less deeply than serde-saphyr and fits any thread's stack:
    // most inputs need no reader thread at all.
    if let Some(documents) = source.quick() {
        return Ok(documents);
    }
    std::thread::scope(|scope| {
        let reader = std::thread::Builder::new()
            .name("raycc-parse".to_string())
            .stack_size(READER_STACK_BYTES)
            .spawn_scoped(scope, || source.documents_with(source.options()));
        if let Ok(handle) = reader {
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        } else {
            // No threads (a sandbox, wasm): read on this stack, with a depth it can hold.
            let source = Source {
                max_depth: FALLBACK_MAX_DEPTH,
                ..source
            };
            source.documents_with(source.options())
        }
    })
}

/// [`parse`] on the calling thread, which must have [`READER_STACK_BYTES`] of stack (a thread
/// spawned with that size): saves a thread per input when the caller already runs on one.
pub(crate) fn parse_here(source: &[u8]) -> Result<Vec<Document>, ParseError> {
    Source::new(source)?.documents()
}

/// A stream cut at its `---` lines into pieces that can be parsed separately, and in
/// parallel, with the same documents, values and spans as parsing the whole stream.
///
/// YAML documents are independent: anchors, indentation and scalars end at a `---` line
/// (a document marker at the start of a line is never content). What parsing the whole stream
/// adds is its error (a piece may stop elsewhere, or not at all) and its stream-wide budgets
/// (nodes, events, documents, scalar bytes, anchors, alias replays). So a caller parses every
/// piece, adds up their [`Usage`], and keeps the pieces' documents only when every piece
/// parsed and the total [`Usage::fits`] the budgets; otherwise it parses the whole stream with
/// [`parse`], which gives the exact error.
pub(crate) struct Chunks<'a> {
    /// The text without any byte order mark.
    text: &'a str,
    /// The byte order mark's length.
    base: usize,
    /// Each piece's byte range in `text` and the number of lines before it.
    pieces: Vec<(std::ops::Range<usize>, usize)>,
}

/// Cuts `source` into pieces at its `---` lines; `None` when there is nothing to cut (one
/// document), when parsing fails before the YAML reader starts (too large, not UTF-8), or when
/// a line starts with `%` (a directive, which belongs to the document after it).
pub(crate) fn chunks(source: &[u8]) -> Option<Chunks<'_>> {
    if source.len() > MAX_INPUT_BYTES {
        return None;
    }
    let text = std::str::from_utf8(source).ok()?;
    let (text, base) = strip_bom(text);
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let (mut start, mut start_line) = (0, 0);
    let (mut at, mut line) = (0, 0);
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest[0] == b'%' {
            return None;
        }
        if at > 0
            && rest.starts_with(b"---")
            && matches!(rest.get(3), None | Some(b' ' | b'\t' | b'\n' | b'\r'))
        {
            pieces.push((start..at, start_line));
            (start, start_line) = (at, line);
        }
        // Line breaks are `\n`, `\r\n` and a lone `\r`, as in YAML (and [`walk`]).
        match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(i) => {
                at += i + if rest[i..].starts_with(b"\r\n") { 2 } else { 1 };
                line += 1;
            }
            None => at = bytes.len(),
        }
    }
    pieces.push((start..bytes.len(), start_line));
    (pieces.len() > 1).then_some(Chunks { text, base, pieces })
}

impl Chunks<'_> {
    /// The number of pieces.
    pub(crate) fn len(&self) -> usize {
        self.pieces.len()
    }

    /// Parses piece `index` on the calling thread (which must have [`READER_STACK_BYTES`] of
    /// stack). Spans are positions in the whole input; document indexes count from 0 within
    /// the piece.
    pub(crate) fn parse(&self, index: usize) -> Result<(Vec<Document>, Usage), ParseError> {
        let (range, line_offset) = self.pieces[index].clone();
        let source = Source {
            text: &self.text[range.clone()],
            base: self.base + range.start,
            line_offset,
            max_depth: MAX_DEPTH,
        };
        if let Some(read) = quick::read(&source) {
            return Ok(read);
        }
        let report = std::rc::Rc::new(std::cell::Cell::new(None));
        let sink = std::rc::Rc::clone(&report);
        let options = source
            .options()
            .with_budget_report(move |r| sink.set(Some(Usage::of(&r))));
        let documents = source.documents_with(options)?;
        // serde-saphyr reports when the reader finishes, which it has by now.
        let usage = report.take().unwrap_or(Usage::UNKNOWN);
        Ok((documents, usage))
    }
}

/// What parsing part of a stream counted against the stream-wide budgets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    events: usize,
    aliases: usize,
    anchors: usize,
    recorded_anchor_events: usize,
    recorded_anchor_bytes: usize,
    documents: usize,
    nodes: usize,
    total_scalar_bytes: usize,
    merge_keys: usize,
}

impl Usage {
    /// A usage that never fits (serde-saphyr sent no report).
    const UNKNOWN: Usage = Usage {
        events: usize::MAX,
        aliases: usize::MAX,
        anchors: 0,
        recorded_anchor_events: 0,
        recorded_anchor_bytes: 0,
        documents: 0,
        nodes: 0,
        total_scalar_bytes: 0,
        merge_keys: 0,
    };

    fn of(r: &serde_saphyr::budget::BudgetReport) -> Usage {
        Usage {
            events: r.events,
            aliases: r.aliases,
            anchors: r.anchors,
            recorded_anchor_events: r.recorded_anchor_events,
            recorded_anchor_bytes: r.recorded_anchor_bytes,
            documents: r.documents,
            nodes: r.nodes,
            total_scalar_bytes: r.total_scalar_bytes,
            merge_keys: r.merge_keys,
        }
    }

    /// Adds another piece's usage.
    pub(crate) fn add(&mut self, other: Usage) {
        self.events = self.events.saturating_add(other.events);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.anchors = self.anchors.saturating_add(other.anchors);
        self.recorded_anchor_events = self
            .recorded_anchor_events
            .saturating_add(other.recorded_anchor_events);
        self.recorded_anchor_bytes = self
            .recorded_anchor_bytes
            .saturating_add(other.recorded_anchor_bytes);
        self.documents = self.documents.saturating_add(other.documents);
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.total_scalar_bytes = self
            .total_scalar_bytes
            .saturating_add(other.total_scalar_bytes);
        self.merge_keys = self.merge_keys.saturating_add(other.merge_keys);
    }

    /// True when the whole stream, with this usage, is certain to pass every stream-wide
    /// budget: no alias at all (alias replays are counted across the stream, and the pieces
    /// cannot see each other's), and every count below its limit.
    pub(crate) fn fits(&self) -> bool {
        let b = budget(MAX_DEPTH);
        self.aliases == 0
            && self.events < b.max_events
            && self.anchors < b.max_anchors
            && self.recorded_anchor_events < b.max_recorded_anchor_events
            && self.recorded_anchor_bytes < b.max_recorded_anchor_bytes
            && self.documents < b.max_documents
            && self.nodes < b.max_nodes
            && self.total_scalar_bytes < b.max_total_scalar_bytes
            && self.merge_keys < b.max_merge_keys
    }
}

/// The text without a leading UTF-8 byte order mark, and the mark's length.
fn strip_bom(text: &str) -> (&str, usize) {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (text, 0),
    }
}

/// The reader's budget for a stream, with nesting at most `max_depth` deep.
fn budget(max_depth: usize) -> serde_saphyr::Budget {
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

/// The text being parsed (without any byte order mark), the BOM's length, and the depth
/// limit in force.
struct Source<'a> {
    text: &'a str,
    /// Byte offset of `text` in the input (the BOM, and for a piece of a stream, what comes
    /// before it).
    base: usize,
    /// Lines before `text` in the input.
    line_offset: usize,
    max_depth: usize,
}

impl<'a> Source<'a> {
    /// The whole input, once it is known to be text of an acceptable size.
    fn new(source: &'a [u8]) -> Result<Source<'a>, ParseError> {
        if source.len() > MAX_INPUT_BYTES {
            return Err(ParseError::TooLarge { size: source.len() });
        }
        let text = std::str::from_utf8(source).map_err(|e| invalid_utf8(source, &e))?;
        let (text, base) = strip_bom(text);
        Ok(Source {
            text,
            base,
            line_offset: 0,
            max_depth: MAX_DEPTH,
        })
    }

    /// Reads every document; the whole job of [`parse`] once the input is known to be text.
    /// The quick reader answers for most manifests; serde-saphyr for the rest.
    fn documents(&self) -> Result<Vec<Document>, ParseError> {
        match self.quick() {
            Some(documents) => Ok(documents),
            None => self.documents_with(self.options()),
        }
    }

    /// The quick reader's documents, when it reads the input within the budgets.
    fn quick(&self) -> Option<Vec<Document>> {
        quick::read(self)
            .filter(|(_, usage)| usage.fits())
            .map(|(documents, _)| documents)
    }

    fn documents_with(&self, options: serde_saphyr::Options) -> Result<Vec<Document>, ParseError> {
        let roots: Vec<Spanned<Node>> =
            serde_saphyr::from_str_multiple_with_options(self.text, options)
                .map_err(|e| self.error(&e))?;
        let mut documents = Vec::with_capacity(roots.len());
        for (index, root) in roots.into_iter().enumerate() {
            let mut builder = Builder {
                source: self,
                spans: BTreeMap::new(),
                pointer: String::new(),
            };
            let root_span = self.span(&root.referenced);
            let value = builder.value(root.value, root_span, None)?;
            documents.push(Document {
                value,
                spans: SpanMap {
                    entries: builder.spans,
                },
                index,
                start_line: root_span.line,
            });
        }
        Ok(documents)
    }

    /// serde-saphyr options that mirror how Kubernetes reads YAML, with limits for hostile input.
    fn options(&self) -> serde_saphyr::Options {
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
    fn span(&self, location: &Location) -> Span {
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

fn invalid_utf8(source: &[u8], error: &std::str::Utf8Error) -> ParseError {
    let valid = error.valid_up_to();
    let bad = error.error_len().unwrap_or(source.len() - valid);
    // The prefix is valid UTF-8 by definition.
    let prefix = std::str::from_utf8(&source[..valid]).unwrap_or_default();
    let prefix_body = prefix.strip_prefix('\u{feff}').unwrap_or(prefix);
    let (line, column) = walk(prefix_body, 1, 1);
    ParseError::InvalidUtf8 {
        span: Span {
            line,
            column,
            end_line: line,
            end_column: column + 1,
            start: valid,
            end: valid + bad,
        },
    }
}

/// Line and column just past `text`, starting from `line`/`column`. A line break is `\n`,
/// `\r\n` or a lone `\r`, as in YAML.
fn walk(text: &str, mut line: usize, mut column: usize) -> (usize, usize) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                line += 1;
                column = 1;
            }
            _ => column += 1,
        }
    }
    (line, column)
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
enum Node {
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

/// Turns one document's node tree into JSON, recording spans as it goes.
struct Builder<'s, 'a> {
    source: &'s Source<'a>,
    spans: BTreeMap<String, (Option<Span>, Span)>,
    /// JSON Pointer of the node being built.
    pointer: String,
}

impl Builder<'_, '_> {
    fn value(&mut self, node: Node, span: Span, key: Option<Span>) -> Result<Value, ParseError> {
        self.spans.insert(self.pointer.clone(), (key, span));
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
fn push_key(pointer: &mut String, key: &str) {
    pointer.push('/');
    for c in key.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

fn push_index(pointer: &mut String, index: usize) {
    use fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = write!(pointer, "/{index}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(yaml: &str) -> Document {
        let mut docs = parse(yaml.as_bytes()).unwrap();
        assert_eq!(docs.len(), 1, "expected one document");
        docs.remove(0)
    }

    fn value(yaml: &str) -> Value {
        one(yaml).value
    }

    fn error(yaml: &[u8]) -> ParseError {
        parse(yaml).unwrap_err()
    }

    /// The source text a span covers.
    fn text(source: &str, span: Span) -> &str {
        &source[span.start..span.end]
    }

    #[test]
    fn reads_octal_like_kubernetes() {
        assert_eq!(
            value("a: 0777\nb: 0o755\nc: 0x1F\nd: 0\ne: 010\n"),
            json!({"a": 511, "b": 493, "c": 31, "d": 0, "e": 8})
        );
    }

    #[test]
    fn reads_yaml_1_1_booleans_like_kubernetes() {
        assert_eq!(
            value("a: yes\nb: on\nc: y\nd: NO\ne: Off\nf: true\ng: \"yes\"\n"),
            json!({"a": true, "b": true, "c": true, "d": false, "e": false, "f": true, "g": "yes"})
        );
    }

    #[test]
    fn reads_underscored_numbers() {
        assert_eq!(value("a: 1_000\nb: -1_0\n"), json!({"a": 1000, "b": -10}));
    }

    #[test]
    fn keeps_timestamp_and_sexagesimal_like_strings_as_strings() {
        assert_eq!(
            value("a: 12:30\nb: 2024-01-01\nc: 1.0.0\n"),
            json!({"a": "12:30", "b": "2024-01-01", "c": "1.0.0"})
        );
    }

    #[test]
    fn turns_integral_floats_into_integers() {
        let v = value("a: 2.0\nb: 2.5\nc: 1e3\nd: -0.0\ne: 1.0e19\n");
        assert_eq!(v["a"], json!(2));
        assert!(v["a"].is_i64());
        assert_eq!(v["b"], json!(2.5));
        assert_eq!(v["c"], json!(1000));
        assert_eq!(v["d"], json!(0));
        assert!(v["e"].is_f64(), "1e19 does not fit an i64");
    }

    #[test]
    fn reads_integers_past_u64_as_floats() {
        assert!(value("a: 18446744073709551616\n")["a"].is_f64());
        assert_eq!(value("a: 18446744073709551615\n")["a"], json!(u64::MAX));
    }

    #[test]
    fn rejects_non_finite_numbers() {
        for yaml in ["a: .nan\n", "a: .inf\n", "a: -.Inf\n", "a: [1e999]\n"] {
            let err = error(yaml.as_bytes());
            assert!(
                matches!(err, ParseError::NonFiniteNumber { .. }),
                "{yaml}: {err:?}"
            );
            assert_eq!(err.kind(), ParseErrorKind::Syntax);
            assert_eq!(err.span().unwrap().line, 1);
        }
        assert_eq!(value("a: \".nan\"\n"), json!({"a": ".nan"}));
    }

    #[test]
    fn prunes_null_fields() {
        assert_eq!(
            value("a:\nb: ~\nc: null\nd: 1\ne:\n  f:\n  g: [~, null, 1]\n"),
            json!({"d": 1, "e": {"g": [null, null, 1]}})
        );
    }

    #[test]
    fn prunes_null_fields_without_recording_their_spans() {
        let doc = one("a:\nb: 1\n");
        assert_eq!(doc.spans.value("/a"), doc.spans.value(""));
    }

    #[test]
    fn stringifies_scalar_keys() {
        assert_eq!(
            value("1: a\ntrue: b\n2.0: c\n1.5: d\nno: e\n"),
            json!({"1": "a", "true": "b", "2": "c", "1.5": "d", "false": "e"})
        );
    }

    #[test]
    fn rejects_keys_json_cannot_hold() {
        for (yaml, found) in [
            ("? [a]\n: 1\n", "a sequence"),
            ("? {a: 1}\n: 1\n", "a mapping"),
            ("~: 1\n", "null"),
        ] {
            match error(yaml.as_bytes()) {
                ParseError::UnsupportedKey { found: f, span } => {
                    assert_eq!(f, found);
                    assert_eq!(span.unwrap().line, 1);
                }
                other => panic!("{yaml}: {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_duplicate_keys() {
        let err = error(b"a: 1\nb: 2\na: 3\n");
        assert_eq!(err.kind(), ParseErrorKind::DuplicateKey);
        assert_eq!(err.to_string(), "duplicate key `a`");
        let span = err.span().unwrap();
        assert_eq!((span.line, span.column), (3, 1));
    }

    #[test]
    fn rejects_keys_that_collide_once_stringified() {
        let source = "spec:\n  1: a\n  \"1\": b\n";
        let err = error(source.as_bytes());
        assert_eq!(err.kind(), ParseErrorKind::DuplicateKey);
        assert!(err.to_string().contains("`1`"));
        let span = err.span().unwrap();
        assert_eq!((span.line, span.column), (3, 3));
        assert_eq!(text(source, span), "\"1\"");
    }

    #[test]
    fn rejects_duplicate_keys_even_when_the_first_value_is_null() {
        assert_eq!(error(b"a:\na: 1\n").kind(), ParseErrorKind::DuplicateKey);
    }

    #[test]
    fn records_key_and_value_spans() {
        let source =
            "kind: RayCluster\nspec:\n  workerGroupSpecs:\n  - groupName: gpu\n    replicas: 2\n";
        let doc = one(source);
        let value = doc
            .spans
            .value("/spec/workerGroupSpecs/0/replicas")
            .unwrap();
        assert_eq!((value.line, value.column), (5, 15));
        assert_eq!((value.end_line, value.end_column), (5, 16));
        assert_eq!(text(source, value), "2");
        let key = doc
            .spans
            .key_or_value("/spec/workerGroupSpecs/0/replicas")
            .unwrap();
        assert_eq!((key.line, key.column), (5, 5));
        assert_eq!(text(source, key), "replicas");
        assert_eq!(
            text(source, doc.spans.value("/kind").unwrap()),
            "RayCluster"
        );
        let item = doc.spans.key_or_value("/spec/workerGroupSpecs/0").unwrap();
        assert_eq!(
            item.line, 4,
            "a sequence item has no key; its value span is used"
        );
        assert_eq!(doc.spans.value("").unwrap().line, 1);
    }

    #[test]
    fn falls_back_to_the_key_of_the_nearest_recorded_ancestor() {
        let doc = one("spec:\n  headGroupSpec:\n    rayStartParams: {}\n");
        let parent = doc.spans.key_or_value("/spec/headGroupSpec").unwrap();
        assert_eq!(parent.line, 2);
        assert_eq!(parent.column, 3);
        assert_eq!(
            doc.spans.value("/spec/headGroupSpec/template/spec"),
            Some(parent)
        );
        assert_eq!(
            doc.spans.key_or_value("/spec/headGroupSpec/missing"),
            Some(parent)
        );
        assert_eq!(doc.spans.value("/nope"), doc.spans.value(""));
    }

    #[test]
    fn escapes_pointer_segments() {
        let source = "metadata:\n  labels:\n    app.kubernetes.io/name: ray\n    a~b: c\n";
        let doc = one(source);
        let span = doc
            .spans
            .value("/metadata/labels/app.kubernetes.io~1name")
            .unwrap();
        assert_eq!(text(source, span), "ray");
        assert_eq!(
            text(source, doc.spans.value("/metadata/labels/a~0b").unwrap()),
            "c"
        );
    }

    #[test]
    fn spans_count_characters_in_columns_and_bytes_in_offsets() {
        let source = "a: héllo\nb: ünï\n";
        let doc = one(source);
        let span = doc.spans.value("/b").unwrap();
        assert_eq!((span.line, span.column, span.end_column), (2, 4, 7));
        assert_eq!(text(source, span), "ünï");
    }

    #[test]
    fn spans_cover_multi_line_block_scalars() {
        let source = "cmd: |\n  one\n  two\nnext: 1\n";
        let span = one(source).spans.value("/cmd").unwrap();
        assert_eq!(span.line, 2);
        assert!(text(source, span).starts_with("one\n  two"));
        assert!(span.end_line >= 3);
    }

    #[test]
    fn skips_empty_documents() {
        for yaml in [
            "",
            "# only a comment\n",
            "---\n",
            "---\n---\n",
            "~\n",
            "--- null\n...\n",
        ] {
            assert_eq!(parse(yaml.as_bytes()).unwrap(), vec![], "{yaml:?}");
        }
        let docs = parse(b"---\n# nothing\n---\na: 1\n---\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].index, 0);
        assert_eq!(docs[1].index, 1);
        assert_eq!(docs[1].value, json!({"b": 2}));
    }

    #[test]
    fn keeps_a_document_whose_fields_are_all_null() {
        assert_eq!(value("a:\n"), json!({}));
    }

    #[test]
    fn keeps_top_level_list_as_document() {
        assert_eq!(value("- a\n- b\n"), json!(["a", "b"]));
        assert_eq!(value("just a string\n"), json!("just a string"));
        assert_eq!(value("42\n"), json!(42));
    }

    #[test]
    fn spans_on_multi_document_streams_point_into_each_document() {
        let source = "a: 1\n---\n# c\nkind: x\n---\n\nspec:\n  replicas: 3\n";
        let docs = parse(source.as_bytes()).unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(
            docs.iter().map(|d| d.start_line).collect::<Vec<_>>(),
            [1, 4, 7]
        );
        let span = docs[2].spans.value("/spec/replicas").unwrap();
        assert_eq!((span.line, span.column), (8, 13));
        assert_eq!(text(source, span), "3");
        assert_eq!(text(source, docs[1].spans.value("/kind").unwrap()), "x");
    }

    #[test]
    fn reports_syntax_errors_with_location_and_no_snippet() {
        let err = error(b"a: 1\nb: [1, 2\n");
        assert_eq!(err.kind(), ParseErrorKind::Syntax);
        let message = err.to_string();
        assert!(!message.contains('\n'), "{message}");
        assert!(
            !message.contains("line"),
            "location is in the span: {message}"
        );
        let span = err.span().unwrap();
        assert_eq!((span.line, span.column), (2, 4));
        assert_eq!(span.start, 8);
    }

    #[test]
    fn reports_syntax_errors_in_later_documents() {
        let err = error(b"a: 1\n---\nb: c: d\n");
        assert_eq!(err.kind(), ParseErrorKind::Syntax);
        assert_eq!(err.span().unwrap().line, 3);
    }

    #[test]
    fn rejects_tab_indentation() {
        let err = error(b"a:\n\tb: 1\n");
        assert_eq!(err.kind(), ParseErrorKind::Syntax);
        assert_eq!(err.span().unwrap().line, 2);
    }

    #[test]
    fn rejects_unknown_alias() {
        assert_eq!(error(b"a: *nope\n").kind(), ParseErrorKind::Syntax);
    }

    #[test]
    fn expands_anchors_aliases_and_merge_keys() {
        assert_eq!(
            value("base: &b {p: 1, q: 2}\ncopy: *b\nmerged:\n  <<: *b\n  q: 3\n"),
            json!({"base": {"p": 1, "q": 2}, "copy": {"p": 1, "q": 2}, "merged": {"p": 1, "q": 3}})
        );
    }

    #[test]
    fn rejects_alias_bomb() {
        let mut lines = vec!["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]".to_string()];
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        for pair in names.windows(2) {
            let refs = vec![format!("*{}", pair[0]); 9].join(", ");
            lines.push(format!("{}: &{} [{refs}]", pair[1], pair[1]));
        }
        let yaml = lines.join("\n");
        let err = error(yaml.as_bytes());
        assert_eq!(err.kind(), ParseErrorKind::Limit, "{err}");
    }

    #[test]
    fn rejects_alias_of_a_huge_scalar_repeated_many_times() {
        let mut yaml = format!("a: &a \"{}\"\nb: [", "x".repeat(1 << 20));
        yaml.push_str(&vec!["*a"; 100].join(", "));
        yaml.push_str("]\n");
        assert_eq!(error(yaml.as_bytes()).kind(), ParseErrorKind::Limit);
    }

    /// Inputs nested `depth` levels deep, in each nesting style; indented block mappings
    /// (quadratic in size) only up to a thousand levels.
    fn nested(depth: usize) -> Vec<String> {
        let mut inputs = vec![
            format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
            format!("{}x{}", "{a: ".repeat(depth), "}".repeat(depth)),
            format!("{}x\n", "- ".repeat(depth)),
        ];
        let indented = (0..depth.min(1000)).map(|i| " ".repeat(i) + "k:\n");
        inputs.push(indented.collect());
        inputs
    }

    /// Runs `f` on a thread with the 2 MiB stack spawned threads get by default.
    fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap()
    }

    #[test]
    fn reads_as_deep_as_the_quick_reader_goes_on_a_small_stack() {
        // parse runs the quick reader on the calling thread: its deepest input must fit the
        // 2 MiB a spawned thread gets, in a debug build too.
        let depth = quick::MAX_QUICK_DEPTH;
        let sequences = format!("{}x\n", "- ".repeat(depth));
        let mappings: String = (0..depth).map(|i| " ".repeat(i) + "k:\n").collect();
        for yaml in [sequences, mappings] {
            let source = Source::new(yaml.as_bytes()).unwrap();
            assert!(source.quick().is_some(), "the quick reader reads {yaml:?}");
            let docs = on_small_stack(move || parse(yaml.as_bytes())).unwrap();
            assert_eq!(docs.len(), 1);
        }
    }

    #[test]
    fn survives_deep_nesting() {
        for yaml in nested(100_000) {
            let err = on_small_stack(move || parse(yaml.as_bytes()).map(|_| ())).unwrap_err();
            assert_eq!(err.kind(), ParseErrorKind::Limit, "{err}");
            assert_eq!(
                err.to_string(),
                format!("nesting is deeper than {MAX_DEPTH} levels")
            );
        }
        for yaml in nested(MAX_DEPTH) {
            on_small_stack(move || parse(yaml.as_bytes()).map(|_| ())).unwrap();
        }
        for yaml in nested(MAX_DEPTH + 1) {
            let err = on_small_stack(move || parse(yaml.as_bytes()).map(|_| ())).unwrap_err();
            assert_eq!(err.kind(), ParseErrorKind::Limit, "{err}");
        }
    }

    #[test]
    fn survives_deep_nesting_without_a_reader_thread() {
        let read = |yaml: String| {
            on_small_stack(move || {
                let source = Source {
                    text: &yaml,
                    base: 0,
                    line_offset: 0,
                    max_depth: FALLBACK_MAX_DEPTH,
                };
                source.documents().map(|_| ())
            })
        };
        for yaml in nested(FALLBACK_MAX_DEPTH) {
            read(yaml).unwrap();
        }
        for yaml in nested(100_000) {
            let err = read(yaml).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("nesting is deeper than {FALLBACK_MAX_DEPTH} levels")
            );
        }
    }

    #[test]
    fn rejects_oversized_input() {
        let big = vec![b' '; MAX_INPUT_BYTES + 1];
        let err = error(&big);
        assert_eq!(err.kind(), ParseErrorKind::Limit);
        assert_eq!(err.span(), None);
    }

    #[test]
    fn reports_invalid_utf8_location() {
        let err = error(b"a: 1\nb: h\xc3\xa9\xff\xfe\n");
        assert_eq!(err.kind(), ParseErrorKind::Encoding);
        let span = err.span().unwrap();
        assert_eq!((span.line, span.column), (2, 6));
        assert_eq!((span.start, span.end), (11, 12));
    }

    #[test]
    fn reports_truncated_utf8_at_end_of_input() {
        let span = error(b"a: \xe2\x82").span().unwrap();
        assert_eq!((span.line, span.column, span.start, span.end), (1, 4, 3, 5));
    }

    #[test]
    fn accepts_bom_and_crlf() {
        let source = "\u{feff}a: 1\r\nb:\r\n  c: x\r\n  d: |\r\n    l1\r\n    l2\r\n";
        let doc = one(source);
        assert_eq!(doc.value, json!({"a": 1, "b": {"c": "x", "d": "l1\nl2\n"}}));
        let a = doc.spans.key_or_value("/a").unwrap();
        assert_eq!((a.line, a.column, a.start), (1, 1, 3));
        assert_eq!(text(source, a), "a");
        let c = doc.spans.value("/b/c").unwrap();
        assert_eq!((c.line, c.column), (3, 6));
        assert_eq!(text(source, c), "x");
    }

    #[test]
    fn counts_a_lone_carriage_return_as_a_line_break() {
        let err = error(b"a: 1\rb: [\r");
        assert_eq!(err.span().unwrap().line, 2);
    }

    #[test]
    fn reads_tags_and_quoted_scalars_as_written() {
        assert_eq!(
            value("a: !!str 123\nb: '0777'\nc: \"on\"\nd: !custom x\n"),
            json!({"a": "123", "b": "0777", "c": "on", "d": "x"})
        );
    }

    /// The documents of `source` parsed piece by piece, as `compile` does, or `None` when
    /// `compile` would parse the whole stream instead (a piece failed, or the budgets might not
    /// hold). Each piece is parsed on a thread with the reader's stack, as in `compile`.
    fn in_pieces(source: &[u8]) -> Option<Vec<Document>> {
        let chunks = chunks(source)?;
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .stack_size(READER_STACK_BYTES)
                .spawn_scoped(scope, || {
                    let mut docs = Vec::new();
                    let mut usage = Usage::default();
                    for i in 0..chunks.len() {
                        let (piece, used) = chunks.parse(i).ok()?;
                        usage.add(used);
                        docs.extend(piece);
                    }
                    for (index, doc) in docs.iter_mut().enumerate() {
                        doc.index = index;
                    }
                    usage.fits().then_some(docs)
                })
                .unwrap()
                .join()
                .unwrap()
        })
    }

    /// Parsing in pieces gives exactly what parsing the whole gives, or nothing.
    fn assert_pieces_agree(source: &[u8]) {
        let whole = parse(source);
        match (in_pieces(source), &whole) {
            (Some(pieces), Ok(docs)) => {
                assert_eq!(&pieces, docs, "{:?}", String::from_utf8_lossy(source));
            }
            (Some(_), Err(e)) => panic!(
                "pieces parsed where the whole fails ({e}): {:?}",
                String::from_utf8_lossy(source)
            ),
            (None, _) => {}
        }
    }

    #[test]
    fn cuts_streams_at_document_markers_only() {
        let cut = |s: &str| chunks(s.as_bytes()).map(|c| c.pieces);
        assert_eq!(cut("a: 1\n---\nb: 2\n"), Some(vec![(0..5, 0), (5..14, 1)]));
        assert_eq!(
            cut("---\na: 1\n--- # x\nb: 2\n---\n"),
            Some(vec![(0..9, 0), (9..22, 2), (22..26, 4)])
        );
        assert_eq!(
            cut("a: 1\r\n---\r\nb\rc\r---"),
            Some(vec![(0..6, 0), (6..15, 1), (15..18, 4)])
        );
        assert_eq!(
            cut("a: |\n  ---\n----\n--- x\n"),
            Some(vec![(0..16, 0), (16..22, 3)])
        );
        assert_eq!(cut("a: 1\n"), None);
        assert_eq!(cut("---\na: 1\n"), None);
        assert_eq!(cut("%YAML 1.2\n---\na: 1\n---\nb: 2\n"), None);
        assert_eq!(cut("a: 1\n---\nb: 2\n%x\n"), None);
        assert!(chunks(b"a: 1\n---\n\xff\n").is_none());
    }

    #[test]
    fn parses_pieces_of_a_stream_like_the_whole_stream() {
        let streams = [
            "a: 1\n---\nb: [1, 2]\n---\n# only a comment\n---\n---\nc: {d: e}\n",
            "\u{feff}# lead\nkind: A\r\nx: \"\u{e9}t\u{e9}\"\r\n---\r\nkind: B\r\ny: |\r\n  l1\r\n  l2\r\n",
            "a: 1\r---\rb:\r  c: 2\r",
            "--- |\n  block\n--- >\n  folded\n  text\n--- plain\n--- 'q'\n",
            "a: 1\n...\nb: 2\n---\nc: 3\n...\n---\nd: [\n  1,\n  2]\n",
            "x: ~\ny: null\n---\n~\n---\n- 1\n- yes\n- 0777\n",
            "a: \"multi\n  line\"\n---\nb: 'also\n\n  this'\n",
            "a: &x 1\nb: *x\n---\nc: 2\n",
            "a: &x 1\n---\nc: 2\n",
            "a: 1\n---\nb: *x\n",
            "a: 1\n---\na: 1\na: 2\n",
            "a: [1\n---\nb: 2]\n",
            "a: \"open\n---\nb: 2\"\n",
            "a: 1\n---\nb: .nan\n",
            "---\n{a: 1}\n--- [x]\n---\n\"top\"\n",
            "k: v\n--- \n\tk: v\n",
        ];
        for stream in streams {
            assert_pieces_agree(stream.as_bytes());
        }
        assert!(in_pieces(b"a: 1\n---\nb: 2\n").is_some());
        assert!(
            in_pieces(b"a: &x 1\nb: *x\n---\nc: 2\n").is_none(),
            "aliases are counted stream-wide"
        );
    }

    #[test]
    fn parses_pieces_of_every_fuzz_and_sample_input_like_the_whole() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut inputs = Vec::new();
        for dir in [
            "fuzz/seeds",
            "fuzz/corpus/compile",
            "../shared/kuberay/samples",
            "fixtures/compile",
        ] {
            if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
                inputs.extend(entries.filter_map(|e| std::fs::read(e.ok()?.path()).ok()));
            }
        }
        // One stream of every input that parses: the pieces are whole inputs and parts of them.
        let mut stream = Vec::new();
        for input in &inputs {
            assert_pieces_agree(input);
            if parse(input).is_ok() {
                stream.extend_from_slice(input);
                stream.extend_from_slice(b"\n---\n");
            }
        }
        assert_pieces_agree(&stream);
        let samples = root.join("../shared/kuberay/samples");
        if let Ok(entries) = std::fs::read_dir(samples) {
            let mut stream = Vec::new();
            for entry in entries {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "yaml") {
                    stream.extend(std::fs::read(path).unwrap());
                }
                stream.extend_from_slice(b"\n---\n");
            }
            assert!(in_pieces(&stream).is_some(), "the samples have no aliases");
            assert_pieces_agree(&stream);
        }
    }
}
