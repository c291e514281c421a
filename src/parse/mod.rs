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
//!
//! This file holds the API and the limits. The reading itself is in the submodules: `quick`
//! reads the plain block YAML of manifests directly; `saphyr` runs serde-saphyr, the
//! authority, on everything else; `value` turns serde-saphyr's node trees into JSON values and
//! span maps; `chunks` cuts a stream at its `---` lines so that `compile` can parse the pieces
//! in parallel.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::diagnostic::Span;

mod chunks;
mod quick;
mod saphyr;
mod value;

pub(crate) use chunks::{Chunks, Usage, chunks};

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
#[derive(Debug, Default)]
pub struct SpanMap {
    recorded: Recorded,
    /// Lookups so far, up to [`SCANNED_LOOKUPS`]: that many scan `recorded` instead of sorting
    /// it, as most documents are looked up a few times only (their name, and a finding or two).
    lookups: AtomicUsize,
    /// Indices into `recorded`, sorted by pointer, each pointer once (its last record): built
    /// by the first lookup after [`SCANNED_LOOKUPS`].
    index: OnceLock<Vec<usize>>,
}

/// How many lookups of one [`SpanMap`] scan its records before it sorts them. A scan is a
/// few instructions per record (most pointers differ in length); a sort costs a few dozen
/// scans.
const SCANNED_LOOKUPS: usize = 8;

/// A node's key span (none for sequence items and the root) and value span.
type Spans = (Option<Span>, Span);

/// The spans of a document in reading order, each under the JSON Pointer of its node; the
/// pointers are kept end to end in one string, so that recording a node allocates nothing
/// of its own.
#[derive(Clone, Debug, Default)]
pub(super) struct Recorded {
    pointers: String,
    /// Each record: where its pointer ends in `pointers` (it starts where the previous one
    /// ends), and its spans.
    records: Vec<(usize, Spans)>,
}

impl Recorded {
    /// Records the spans of the node at `pointer`.
    pub(super) fn record(&mut self, pointer: &str, spans: Spans) {
        self.pointers.push_str(pointer);
        self.records.push((self.pointers.len(), spans));
    }

    fn len(&self) -> usize {
        self.records.len()
    }

    /// Record `i`: its pointer and spans.
    fn get(&self, i: usize) -> (&str, &Spans) {
        let start = i.checked_sub(1).map_or(0, |j| self.records[j].0);
        let (end, spans) = &self.records[i];
        (&self.pointers[start..*end], spans)
    }

    fn pointer(&self, i: usize) -> &str {
        self.get(i).0
    }
}

impl Clone for SpanMap {
    fn clone(&self) -> SpanMap {
        SpanMap {
            recorded: self.recorded.clone(),
            lookups: AtomicUsize::new(self.lookups.load(Ordering::Relaxed)),
            index: self.index.clone(),
        }
    }
}

impl SpanMap {
    /// The map of spans recorded in reading order; of two records of one pointer, the later
    /// counts.
    pub(super) fn from_recorded(recorded: Recorded) -> SpanMap {
        SpanMap {
            recorded,
            ..SpanMap::default()
        }
    }

    /// [`SpanMap::index`], built on first use.
    fn index(&self) -> &[usize] {
        self.index.get_or_init(|| {
            let recorded = &self.recorded;
            let mut index: Vec<usize> = (0..recorded.len()).collect();
            // A stable sort keeps the records of one pointer in reading order; the last counts.
            index.sort_by(|&a, &b| recorded.pointer(a).cmp(recorded.pointer(b)));
            let mut kept: Vec<usize> = Vec::with_capacity(index.len());
            for i in index {
                match kept.last_mut() {
                    Some(last) if recorded.pointer(*last) == recorded.pointer(i) => *last = i,
                    _ => kept.push(i),
                }
            }
            kept
        })
    }

    /// Every recorded pointer once, in order, with its spans.
    fn entries(&self) -> impl Iterator<Item = (&str, &Spans)> {
        self.index().iter().map(|&i| self.recorded.get(i))
    }

    fn get(&self, pointer: &str) -> Option<&Spans> {
        if self.index.get().is_none()
            && self.lookups.fetch_add(1, Ordering::Relaxed) < SCANNED_LOOKUPS
        {
            return (0..self.recorded.len())
                .rev()
                .map(|i| self.recorded.get(i))
                .find(|(p, _)| *p == pointer)
                .map(|(_, spans)| spans);
        }
        let index = self.index();
        index
            .binary_search_by(|&i| self.recorded.pointer(i).cmp(pointer))
            .ok()
            .map(|i| self.recorded.get(index[i]).1)
    }

    /// The span of the value at `pointer`; if none is recorded (the pointer names a field that
    /// is missing), the key span (or else the value span) of its nearest recorded ancestor.
    #[must_use]
    pub fn value(&self, pointer: &str) -> Option<Span> {
        if let Some((_, value)) = self.get(pointer) {
            return Some(*value);
        }
        // A node that is not there (a missing field): point at the key of the nearest
        // ancestor that is, which names the object the field belongs in.
        let mut pointer = pointer;
        loop {
            pointer = &pointer[..pointer.rfind('/')?];
            if let Some((key, value)) = self.get(pointer) {
                return Some(key.unwrap_or(*value));
            }
        }
    }

    /// The span of the key that introduces the node at `pointer`, for findings about the field
    /// itself (an unknown field, say); falls back to [`SpanMap::value`] for sequence items,
    /// the root, and pointers with no recorded node.
    #[must_use]
    pub fn key_or_value(&self, pointer: &str) -> Option<Span> {
        match self.get(pointer) {
            Some((Some(key), _)) => Some(*key),
            _ => self.value(pointer),
        }
    }

    /// Number of recorded nodes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.index().len()
    }

    /// True when no node is recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.recorded.len() == 0
    }
}

/// Two maps are equal when they give the same spans for the same pointers, whatever order
/// they were recorded in.
impl PartialEq for SpanMap {
    fn eq(&self, other: &Self) -> bool {
        self.entries().eq(other.entries())
    }
}

impl Eq for SpanMap {}

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
    source.saphyr_on_reader_thread()
}

/// [`parse`] without the quick reader: serde-saphyr, the authority, reads every input. The
/// documents and errors are those [`parse`] gives; this exists so that differential tests and
/// the fuzz target can compare the two readers on any input (see [`quick_parse`]).
pub fn parse_with_serde_saphyr(source: &[u8]) -> Result<Vec<Document>, ParseError> {
    Source::new(source)?.saphyr_on_reader_thread()
}

/// [`parse`] on the calling thread, which must have [`READER_STACK_BYTES`] of stack (a thread
/// spawned with that size): saves a thread per input when the caller already runs on one.
pub(crate) fn parse_here(source: &[u8]) -> Result<Vec<Document>, ParseError> {
    Source::new(source)?.documents()
}

/// The quick reader's documents for `source`, or `None` when it leaves the input to
/// serde-saphyr (it is not sure of it, or the input is not text). Whenever this is `Some`,
/// [`parse`] returns these documents and [`parse_with_serde_saphyr`] returns the same ones,
/// values and spans: the differential tests and the fuzz target check that.
#[must_use]
pub fn quick_parse(source: &[u8]) -> Option<Vec<Document>> {
    Source::new(source).ok()?.quick()
}

/// Whether the quick reader reads all of `source` by itself, within its budgets, so that
/// [`parse`] never runs serde-saphyr on it. The documents are the same either way; the
/// benchmarks count this for each YAML style.
#[must_use]
pub fn quick_reads(source: &[u8]) -> bool {
    quick_parse(source).is_some()
}

impl Source<'_> {
    /// Reads every document with serde-saphyr on a thread with [`READER_STACK_BYTES`] of
    /// stack, or on this one, with a smaller depth limit, when no thread can be started.
    fn saphyr_on_reader_thread(&self) -> Result<Vec<Document>, ParseError> {
        let source = self;
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
                    ..*source
                };
                source.documents_with(source.options())
            }
        })
    }
}

/// The text without a leading UTF-8 byte order mark, and the mark's length.
fn strip_bom(text: &str) -> (&str, usize) {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, '\u{feff}'.len_utf8()),
        None => (text, 0),
    }
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
    let bytes = text.as_bytes();
    // Most scalars are one line of ASCII.
    if !bytes
        .iter()
        .any(|&b| b == b'\n' || b == b'\r' || !b.is_ascii())
    {
        return (line, column + bytes.len());
    }
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {}
            b'\n' | b'\r' => {
                line += 1;
                column = 1;
            }
            // A character is counted at its first byte.
            _ if b & 0xC0 != 0x80 => column += 1,
            _ => {}
        }
    }
    (line, column)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quick_reads_block_and_flow_yaml_and_leaves_anchors_to_serde_saphyr() {
        assert!(quick_reads(b"kind: RayCluster\nspec:\n  a:\n  - 1\n"));
        assert!(quick_reads(b"kind: RayCluster\nspec: {a: {b: 1}}\n"));
        assert!(!quick_reads(b"kind: RayCluster\nspec: &s {a: 1}\n"));
        assert!(!quick_reads(&[0xff, 0xfe]));
    }

    #[test]
    fn quick_parse_gives_what_serde_saphyr_gives() {
        let source = b"kind: RayCluster\nspec: {a: [1, 'x'], v: 2.52.0}\n";
        let quick = quick_parse(source).expect("the quick reader reads it");
        assert_eq!(Ok(quick), parse_with_serde_saphyr(source));
        assert_eq!(quick_parse(b"a: &x 1\n"), None);
        assert_eq!(
            parse_with_serde_saphyr(b"a: &x 1\n").unwrap()[0].value,
            json!({"a": 1})
        );
    }

    /// KubeRay's sample RayClusters in `../shared`, when they are there. Under CI (`CI=true`)
    /// their absence fails the test; elsewhere the test says it skipped them, on the stderr
    /// descriptor itself, which the test harness does not capture.
    pub(crate) fn kuberay_samples() -> Option<std::path::PathBuf> {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/kuberay/samples");
        if dir.is_dir() {
            return Some(dir);
        }
        let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
        assert!(
            !ci,
            "{} not found: CI tests with the KubeRay samples",
            dir.display()
        );
        let note = format!(
            "SKIPPED: {} not found; tested without the KubeRay samples\n",
            dir.display()
        );
        let _ = std::io::Write::write_all(&mut std::io::stderr(), note.as_bytes());
        None
    }

    /// The folders of every input the tests have: the fuzz corpus, the KubeRay samples (when
    /// they are there), the fixtures (which are also the fuzzer's seeds) and the goldens.
    pub(crate) fn input_dirs() -> Vec<std::path::PathBuf> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("fuzz/corpus/compile")];
        dirs.extend(kuberay_samples());
        for top in ["fixtures", "fixtures-diff", "golden"] {
            if let Ok(entries) = std::fs::read_dir(root.join(top)) {
                dirs.extend(entries.filter_map(|e| Some(e.ok()?.path())));
            }
        }
        dirs
    }

    /// Every file directly in one of [`input_dirs`], with its folder.
    pub(crate) fn input_files() -> Vec<(std::path::PathBuf, std::path::PathBuf)> {
        let mut files = Vec::new();
        for dir in input_dirs() {
            if let Ok(entries) = std::fs::read_dir(&dir) {
                files.extend(entries.filter_map(|e| Some((dir.clone(), e.ok()?.path()))));
            }
        }
        files
    }

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
    fn a_span_map_finds_every_pointer_recorded_in_any_order_the_later_record_counting() {
        let span = |line| Span {
            line,
            column: 1,
            end_line: line,
            end_column: 2,
            start: 0,
            end: 1,
        };
        let recorded = vec![
            ("", (None, span(1))),
            ("/b", (Some(span(2)), span(3))),
            ("/a/0", (None, span(4))),
            ("/a", (Some(span(5)), span(6))),
            ("/b", (Some(span(7)), span(8))),
        ];
        let map_of = |records: &[(&str, Spans)]| {
            let mut recorded = Recorded::default();
            for (pointer, spans) in records {
                recorded.record(pointer, *spans);
            }
            SpanMap::from_recorded(recorded)
        };
        let expected = [
            ("", Some(span(1))),
            ("/a/0", Some(span(4))),
            ("/b", Some(span(8))),
            ("/a/1", Some(span(5))),
            ("/c/d", Some(span(1))),
            ("/a", Some(span(6))),
        ];
        // The first lookups of a map scan the records; later ones use the sorted index.
        for (pointer, span) in expected {
            let fresh = map_of(&recorded);
            for lookup in 0..=SCANNED_LOOKUPS + 1 {
                assert_eq!(fresh.value(pointer), span, "lookup {lookup} of {pointer:?}");
            }
            assert!(fresh.index.get().is_some(), "{pointer:?}");
        }
        let fresh = map_of(&recorded);
        assert_eq!(fresh.key_or_value("/a"), Some(span(5)));
        assert_eq!(fresh.key_or_value("/b"), Some(span(7)));
        assert!(fresh.index.get().is_none());
        let map = map_of(&recorded);
        assert_eq!(map.len(), 4);
        for (pointer, span) in expected {
            assert_eq!(map.value(pointer), span, "{pointer:?}");
        }
        assert_eq!(map.key_or_value("/a"), Some(span(5)));
        assert_eq!(map.clone(), map);
        // Equal whatever the order of the records, as long as the later record of a pointer
        // is the same.
        let mut reordered = recorded.clone();
        reordered.swap(0, 2);
        reordered.swap(1, 3);
        assert_eq!(map_of(&reordered), map);
        let mut other = recorded;
        other.swap(1, 4);
        assert_ne!(map_of(&other), map);
    }

    #[test]
    fn walks_lines_and_characters_as_yaml_counts_them() {
        // The line and column after each text, from line 3 column 5.
        let cases = [
            ("", (3, 5)),
            ("abc", (3, 8)),
            ("a\nbc", (4, 3)),
            ("a\r\nbc", (4, 3)),
            ("a\rbc", (4, 3)),
            ("a\r\r\nb", (5, 2)),
            ("a\n", (4, 1)),
            ("\r", (4, 1)),
            ("é", (3, 6)),
            ("日本\n語x", (4, 3)),
            ("a🙂b", (3, 8)),
            ("\té\r\n🙂\r", (5, 1)),
        ];
        for (text, end) in cases {
            assert_eq!(walk(text, 3, 5), end, "{text:?}");
        }
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
}
