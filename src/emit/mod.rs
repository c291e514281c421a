//! Last stage: JSON values → YAML bytes.
//!
//! [`emit`] takes the finished Kubernetes objects as [`serde_json::Value`]s and returns a YAML
//! stream, one `---`-prefixed document per object, ready for `kubectl apply`. [`to_yaml`]
//! renders a single document.
//!
//! The output is deterministic: the same values give the same bytes, map keys come out sorted,
//! and nothing depends on the time or the raycc version, so a regenerated manifest only shows
//! a diff when the cluster changed. The layout is what `kubectl get -o yaml` prints: block
//! style, two-space indentation, sequence items flush with their parent key, `{}` and `[]`
//! for empty collections.
//!
//! Every string reads back as the same string with a YAML 1.1 reader such as kubectl
//! (go-yaml v2) or `PyYAML`: strings that such a reader would take for a boolean, number,
//! null, timestamp or merge key (`yes`, `on`, `y`, `0755`, `1_000`, `12:30`, `2024-01-01`,
//! `~`, `<<`) are quoted. Single-line strings are never folded, however long; multi-line
//! strings are `|` literal blocks when a literal block can hold them exactly and go-yaml can
//! read it, and double-quoted otherwise (a carriage return, or a tab opening the first line).
//!
//! This stage never fails, never does I/O, and never changes a value: numbers stay numbers,
//! booleans stay booleans, and strings stay strings.

use std::collections::BTreeMap;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

mod typed;

pub use typed::write_serialized;

/// Renders one document, without a leading `---`.
#[must_use]
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write_yaml(&mut out, value);
    out
}

/// Renders a stream: each document preceded by `---`. No documents give an empty string.
#[must_use]
pub fn emit(docs: &[Value]) -> String {
    let mut out = String::new();
    for doc in docs {
        write_document(&mut out, doc);
    }
    out
}

/// The largest buffer [`Stream::push`] keeps on a thread between documents.
const MAX_KEPT_SCRATCH: usize = 1 << 20;

thread_local! {
    /// Where [`Stream::push`] writes a document before copying it into its piece.
    static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The most a block of a [`Stream`] holds, unless one document is larger.
const BLOCK: usize = 1 << 20;

/// A YAML stream kept as pieces (one per document) written one after the other into blocks of
/// up to a MiB, so that a stream of any size grows without being copied into ever larger
/// buffers, and a stream held until the end of a run takes little more memory than its text.
/// [`Stream::pieces`] gives the text in order; [`std::fmt::Display`] (and so `to_string`)
/// joins it.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    /// The text. A block is never written beyond its capacity, so it is never reallocated.
    blocks: Vec<String>,
    /// Each piece: its block, and where it starts and ends there.
    pieces: Vec<(usize, usize, usize)>,
    len: usize,
}

impl Stream {
    /// Appends one document: `---` and the document.
    pub fn push(&mut self, value: &Value) {
        self.push_with(|out| write_document(out, value));
    }

    /// Appends one document, `---` and the document, of any value that serializes to JSON:
    /// the same text as [`Stream::push`] of `serde_json::to_value(value)`, written without
    /// building that value (see [`write_serialized`]).
    pub fn push_serialized<T: Serialize + ?Sized>(&mut self, value: &T) {
        self.push_with(|out| {
            out.push_str("---\n");
            write_serialized(out, value);
        });
    }

    /// Appends what `write` writes into the thread's scratch buffer.
    fn push_with(&mut self, write: impl FnOnce(&mut String)) {
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            scratch.clear();
            write(&mut scratch);
            self.add(&scratch);
            // A single huge document does not stay on the thread after it.
            if scratch.capacity() > MAX_KEPT_SCRATCH {
                *scratch = String::new();
            }
        });
    }

    /// Appends another stream.
    pub fn append(&mut self, other: &Self) {
        for piece in other.pieces() {
            self.add(piece);
        }
    }

    /// Appends one piece: into the last block when it fits, else into a new one, as large as
    /// the stream so far (so that small streams stay small) up to [`BLOCK`].
    fn add(&mut self, piece: &str) {
        let fits = self
            .blocks
            .last()
            .is_some_and(|b| b.capacity() - b.len() >= piece.len());
        if !fits {
            let capacity = piece.len().max(self.len.min(BLOCK));
            self.blocks.push(String::with_capacity(capacity));
        }
        let index = self.blocks.len() - 1;
        let block = &mut self.blocks[index];
        let start = block.len();
        block.push_str(piece);
        self.pieces.push((index, start, block.len()));
        self.len += piece.len();
    }

    /// The text, in order.
    pub fn pieces(&self) -> impl Iterator<Item = &str> {
        self.pieces
            .iter()
            .map(|&(block, start, end)| &self.blocks[block][start..end])
    }

    /// The text in order, one block at a time: the same text as [`Stream::pieces`] in far
    /// fewer and longer runs, for writing it out.
    pub fn runs(&self) -> impl Iterator<Item = &str> {
        self.blocks
            .iter()
            .map(String::as_str)
            .filter(|block| !block.is_empty())
    }

    /// The length of the text in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the stream holds no document.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// How many pieces there are, to [`Stream::truncate`] back to.
    #[must_use]
    pub fn mark(&self) -> usize {
        self.pieces.len()
    }

    /// Drops every piece after the first `mark`.
    pub fn truncate(&mut self, mark: usize) {
        let Some(&(block, start, _)) = self.pieces.get(mark) else {
            return;
        };
        for (_, start, end) in self.pieces.drain(mark..) {
            self.len -= end - start;
        }
        self.blocks.truncate(block + 1);
        self.blocks[block].truncate(start);
    }
}

/// Two streams are equal when their text is, piece by piece, however it is laid out in blocks.
impl PartialEq for Stream {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.pieces().eq(other.pieces())
    }
}

impl Eq for Stream {}

impl std::fmt::Display for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.pieces().try_for_each(|p| f.write_str(p))
    }
}

/// Appends one document of a stream to `out`: `---` and the document.
pub fn write_document(out: &mut String, value: &Value) {
    out.push_str("---\n");
    write_yaml(out, value);
}

/// Appends one document, without a leading `---`, to `out`.
///
/// Documents are written by a direct writer that produces exactly what serde-saphyr produces
/// (the tests compare the two on every shape and on tricky strings), several times faster.
/// It writes the common scalars itself (plain strings that cannot be read as anything else,
/// integers, booleans, null) and asks serde-saphyr for every other scalar: strings that need
/// quotes or a block, floats, unusual keys. A document it cannot place that way (a scalar or
/// empty collection at the root, a key serde-saphyr writes in the complex `?` form) is
/// rendered by serde-saphyr whole.
pub fn write_yaml(out: &mut String, value: &Value) {
    let start = out.len();
    let written = Writer { out: &mut *out }.document(value);
    if written.is_none() {
        out.truncate(start);
        out.push_str(&saphyr_yaml(value));
    }
}

/// The whole document rendered by serde-saphyr: the reference the direct writer matches.
fn saphyr_yaml(value: &Value) -> String {
    serialized(&Yaml(value)).unwrap_or_else(|| {
        // serde-saphyr only fails on data a JSON value cannot hold. Should it ever fail,
        // JSON is YAML too, and still applies.
        serde_json::to_string(value).unwrap_or_default() + "\n"
    })
}

fn serialized<T: Serialize>(value: &T) -> Option<String> {
    let options = serde_saphyr::ser_options! {
        // Keep long single-line strings (commands, annotations) on one line; multi-line
        // strings still become `|` blocks.
        folded_wrap_chars: usize::MAX,
    };
    serde_saphyr::to_string_with_options(value, options).ok()
}

/// A JSON value serialized with its map keys in sorted order, whatever order the map keeps.
struct Yaml<'a>(&'a Value);

impl Serialize for Yaml<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(n) => n.serialize(serializer),
            Value::String(s) if trips_libyaml_block_scalar(s) => {
                serde_saphyr::DoubleQuoted(s).serialize(serializer)
            }
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => serializer.collect_seq(items.iter().map(Yaml)),
            Value::Object(map) => serializer.collect_map(sorted(map).map(|(k, v)| (k, Yaml(v)))),
        }
    }
}

/// The entries of a map in key order: `serde_json::Map` is a `BTreeMap` unless its
/// `preserve_order` feature is on, which nothing in the build turns on
/// (`sorts_keys_whatever_the_input_order` fails if something does).
fn sorted(map: &Map<String, Value>) -> serde_json::map::Iter<'_> {
    map.iter()
}

/// Whether `s` would become a `|` block whose first content line starts with a tab.
///
/// The YAML spec allows that, but libyaml and go-yaml (so kubectl) detect a block's indentation
/// from its first non-blank line and reject a tab there ("found a tab character where an
/// indentation space is expected"); such strings are written double-quoted instead.
fn trips_libyaml_block_scalar(s: &str) -> bool {
    s.contains('\n')
        && s.split('\n')
            .map(|line| line.trim_start_matches(' '))
            .find(|rest| !rest.is_empty())
            .is_some_and(|rest| rest.starts_with('\t'))
}

/// A one-entry mapping `key: value`, rendered by serde-saphyr to learn how it writes a key or
/// a scalar.
struct Probe<'a>(&'a str, &'a Value);

impl Serialize for Probe<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, &Yaml(self.1))?;
        map.end()
    }
}

/// The direct writer. Every method returns `None` when serde-saphyr must render the whole
/// document instead; what was written so far is then discarded.
///
/// Layout, as serde-saphyr (and `kubectl get -o yaml`) writes it: two-space indentation;
/// `key: scalar`; `key:` then a nested mapping two spaces deeper, or a sequence flush with the
/// key; `- ` items whose mapping or sequence starts on the dash line and continues two spaces
/// past the dash; `{}` and `[]` for empty collections; a block scalar's lines two spaces
/// deeper than its key or dash.
struct Writer<'o> {
    out: &'o mut String,
}

impl Writer<'_> {
    fn document(&mut self, value: &Value) -> Option<()> {
        match value {
            Value::Object(map) if !map.is_empty() => self.mapping(map, 0, false),
            Value::Array(items) if !items.is_empty() => self.sequence(items, 0, false),
            _ => None,
        }
    }

    /// The entries of `map` at column `indent`; with `inline` the first one continues the
    /// current line (after a `- `).
    fn mapping(&mut self, map: &Map<String, Value>, indent: usize, inline: bool) -> Option<()> {
        let mut first = inline;
        for (key, value) in sorted(map) {
            if !std::mem::take(&mut first) {
                self.indent(indent);
            }
            self.key(key)?;
            self.out.push(':');
            match value {
                Value::Object(m) if m.is_empty() => self.out.push_str(" {}\n"),
                Value::Array(a) if a.is_empty() => self.out.push_str(" []\n"),
                Value::Object(m) => {
                    self.out.push('\n');
                    self.mapping(m, indent + 2, false)?;
                }
                Value::Array(a) => {
                    self.out.push('\n');
                    self.sequence(a, indent, false)?;
                }
                scalar => {
                    self.out.push(' ');
                    self.scalar(scalar, indent + 2)?;
                }
            }
        }
        Some(())
    }

    /// The items of a sequence, dashes at column `indent`; with `inline` the first dash
    /// continues the current line.
    fn sequence(&mut self, items: &[Value], indent: usize, inline: bool) -> Option<()> {
        let mut first = inline;
        for item in items {
            if !std::mem::take(&mut first) {
                self.indent(indent);
            }
            self.out.push_str("- ");
            match item {
                Value::Object(m) if m.is_empty() => self.out.push_str("{}\n"),
                Value::Array(a) if a.is_empty() => self.out.push_str("[]\n"),
                Value::Object(m) => self.mapping(m, indent + 2, true)?,
                Value::Array(a) => self.sequence(a, indent + 2, true)?,
                scalar => self.scalar(scalar, indent + 2)?,
            }
        }
        Some(())
    }

    fn indent(&mut self, width: usize) {
        indent(self.out, width);
    }

    fn key(&mut self, key: &str) -> Option<()> {
        write_key(self.out, key)
    }

    fn scalar(&mut self, value: &Value, body: usize) -> Option<()> {
        write_scalar(self.out, value, body)
    }
}

/// Appends `width` spaces.
fn indent(out: &mut String, width: usize) {
    const SPACES: &str = "                                                                ";
    let mut width = width;
    while width > SPACES.len() {
        out.push_str(SPACES);
        width -= SPACES.len();
    }
    out.push_str(&SPACES[..width]);
}

/// A mapping key as serde-saphyr writes it; `None` for a key it writes in the complex `? key`
/// form.
fn write_key(out: &mut String, key: &str) -> Option<()> {
    if is_plain_key(key) {
        out.push_str(key);
        return Some(());
    }
    // serde-saphyr writes `<key>: 0` on one line for every key it does not put in the
    // complex `? key` form.
    let probe = serialized(&Probe(key, &Value::from(0)))?;
    let text = probe.strip_suffix(": 0\n")?;
    if text.contains('\n') {
        return None;
    }
    out.push_str(text);
    Some(())
}

/// A scalar after `key: ` or `- `, ending its line; a block scalar's lines go to column
/// `body`.
fn write_scalar(out: &mut String, value: &Value, body: usize) -> Option<()> {
    match value {
        Value::Null => out.push_str("null\n"),
        Value::Bool(b) => write_bool(out, *b),
        Value::Number(n) if let Some(i) = n.as_i64() => write_integer(out, i),
        Value::Number(n) if let Some(u) = n.as_u64() => write_integer(out, u),
        Value::String(s) => write_string(out, s, body)?,
        _ => probed_scalar(out, value, body)?,
    }
    Some(())
}

/// An integer as serde-saphyr writes it (its decimal digits), ending its line.
fn write_integer(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
    out.push('\n');
}

fn write_bool(out: &mut String, b: bool) {
    out.push_str(if b { "true\n" } else { "false\n" });
}

/// Strings at least this long are remembered with their text as written, per thread
/// ([`write_long_string`]).
const LONG: usize = 4 << 10;

/// The longest string remembered, so that a thread keeps at most a few MiB between documents.
const LONGEST_REMEMBERED: usize = 1 << 20;

/// How many long strings a thread remembers.
const REMEMBERED: usize = 4;

/// A long string, the column its block lines went to, and what was written for it.
struct Remembered {
    text: String,
    body: usize,
    written: String,
}

thread_local! {
    /// The long strings written last on this thread, and the slot the next one takes.
    static LONG_STRINGS: std::cell::RefCell<(Vec<Remembered>, usize)> =
        const { std::cell::RefCell::new((Vec::new(), 0)) };
}

/// A string scalar, as [`write_scalar`] writes it.
fn write_string(out: &mut String, s: &str, body: usize) -> Option<()> {
    if s.len() >= LONG && s.len() <= LONGEST_REMEMBERED {
        write_long_string(out, s, body)
    } else {
        write_string_now(out, s, body)
    }
}

/// A long string, copied from what was written for the same string at the same column when
/// this thread wrote it lately: the same script in the ConfigMap of every autoscaling cluster
/// of a stream is checked and laid out once per thread instead of once per cluster.
fn write_long_string(out: &mut String, s: &str, body: usize) -> Option<()> {
    LONG_STRINGS.with(|cell| {
        let (slots, next) = &mut *cell.borrow_mut();
        if let Some(hit) = slots.iter().find(|r| r.body == body && r.text == s) {
            out.push_str(&hit.written);
            return Some(());
        }
        let start = out.len();
        write_string_now(out, s, body)?;
        let remembered = Remembered {
            text: s.to_owned(),
            body,
            written: out[start..].to_owned(),
        };
        if slots.len() < REMEMBERED {
            slots.push(remembered);
        } else {
            slots[*next] = remembered;
            *next = (*next + 1) % REMEMBERED;
        }
        Some(())
    })
}

/// [`write_string`], worked out.
fn write_string_now(out: &mut String, s: &str, body: usize) -> Option<()> {
    if is_plain_value(s) {
        out.push_str(s);
        out.push('\n');
    } else if is_simply_quoted(s) {
        out.push('"');
        out.push_str(s);
        out.push_str("\"\n");
    } else if is_simple_literal_block(s) {
        literal_block(out, s, body);
    } else {
        probed_string(out, s, body)?;
    }
    Some(())
}

/// The longest string whose probed text is remembered ([`probed_string`]).
const PROBED_LONGEST: usize = 256;

/// How many probed strings a thread remembers; later ones are probed every time.
const PROBED_KEPT: usize = 1024;

thread_local! {
    /// Short strings serde-saphyr wrote on one line on this thread, and that line: the same
    /// few (`--`, `127.0.0.1:6379`, a TPU topology) come back in every cluster.
    static PROBED: std::cell::RefCell<BTreeMap<String, String>> =
        const { std::cell::RefCell::new(BTreeMap::new()) };
}

/// A string as [`probed_scalar`] writes it; a short one written on one line is remembered,
/// as that line does not depend on the column.
fn probed_string(out: &mut String, s: &str, body: usize) -> Option<()> {
    if s.len() > PROBED_LONGEST {
        return probed_scalar(out, &Value::String(s.to_owned()), body);
    }
    let known = PROBED.with(|p| p.borrow().get(s).map(|line| out.push_str(line)));
    if known.is_some() {
        return Some(());
    }
    let start = out.len();
    probed_scalar(out, &Value::String(s.to_owned()), body)?;
    let written = &out[start..];
    if written
        .strip_suffix('\n')
        .is_some_and(|line| !line.contains('\n'))
    {
        PROBED.with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < PROBED_KEPT {
                p.insert(s.to_owned(), written.to_owned());
            }
        });
    }
    Some(())
}

/// A string [`is_simple_literal_block`] accepts, as serde-saphyr writes it: a `|` header
/// with the chomping indicator its trailing newlines need, then each line at column `body`
/// (empty lines empty).
fn literal_block(out: &mut String, s: &str, body: usize) {
    let content = s.trim_end_matches('\n');
    let trailing = s.len() - content.len();
    out.push_str(match trailing {
        0 => "|-\n",
        1 => "|\n",
        _ => "|+\n",
    });
    for line in content.split('\n') {
        if !line.is_empty() {
            indent(out, body);
            out.push_str(line);
        }
        out.push('\n');
    }
    out.extend(std::iter::repeat_n('\n', trailing.saturating_sub(1)));
}

/// A scalar as serde-saphyr writes it after `k: ` at the top level, its block lines (two
/// spaces deep there) moved to column `body`.
fn probed_scalar(out: &mut String, value: &Value, body: usize) -> Option<()> {
    let probe = serialized(&Probe("k", value))?;
    let (head, lines) = probe.strip_prefix("k: ")?.split_once('\n')?;
    out.push_str(head);
    out.push('\n');
    for line in lines.split_inclusive('\n') {
        if line == "\n" {
            out.push('\n');
        } else {
            indent(out, body);
            out.push_str(line.strip_prefix("  ")?);
        }
    }
    Some(())
}

/// Words a YAML 1.1 reader takes for a boolean, null or special float in some spelling; a
/// string spelled like one of them (in any case) is left to serde-saphyr.
const RESERVED_WORDS: [&str; 11] = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
];

fn is_reserved_word(s: &str) -> bool {
    // Each word starts with one of `ynotfi`, in either case.
    s.len() <= 5
        && s.as_bytes()
            .first()
            .is_some_and(|b| matches!(b | 0x20, b'y' | b'n' | b'o' | b't' | b'f' | b'i'))
        && RESERVED_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// A mapping key that serde-saphyr certainly writes as it is: a letter, then letters, digits
/// and `._/-`, not a reserved word, and short enough to be a simple key.
fn is_plain_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes.len() <= 128
        && bytes.iter().all(|&b| PLAIN_KEY_BYTES[usize::from(b)])
        && !is_reserved_word(key)
}

/// The bytes a plain key may hold after its first letter: letters, digits and `._/-`, looked
/// up rather than compared (every key of every object goes through [`is_plain_key`]).
const PLAIN_KEY_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        #[allow(clippy::cast_possible_truncation)]
        let byte = b as u8;
        table[b] = byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'/' | b'-');
        b += 1;
    }
    table
};

/// A string value that serde-saphyr certainly writes as a plain scalar: printable ASCII
/// without `#`, no `: ` and no trailing `:` or space, and a start that no YAML 1.1 reader
/// takes for anything but a string (a letter but no reserved word; `/` or `$`; a dash and a
/// letter, or two dashes and a letter; a digit when some character can belong to no number
/// or timestamp). Everything else, `"1"`, `"2.5"`, `"yes"` or `"a: b"` say, is asked of
/// serde-saphyr.
fn is_plain_value(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if last == b' ' || last == b':' {
        return false;
    }
    // Printable ASCII without `#` or `: `, in passes with no early exit, which vectorize.
    let unprintable = bytes.iter().fold(0_u8, |acc, &b| {
        acc | u8::from(!(b' '..=b'~').contains(&b)) | u8::from(b == b'#')
    });
    let colon_space = bytes.iter().zip(&bytes[1..]).fold(0_u8, |acc, (&a, &b)| {
        acc | (u8::from(a == b':') & u8::from(b == b' '))
    });
    if unprintable | colon_space != 0 {
        return false;
    }
    match first {
        b'a'..=b'z' | b'A'..=b'Z' => !is_reserved_word(s),
        b'/' | b'$' => true,
        b'-' => match bytes.get(1) {
            Some(b) if b.is_ascii_alphabetic() => true,
            Some(b'-') => bytes.get(2).is_some_and(u8::is_ascii_alphabetic),
            _ => false,
        },
        b'0'..=b'9' => bytes.iter().any(|&b| !is_number_or_timestamp_byte(b)),
        _ => false,
    }
}

/// A string that serde-saphyr certainly writes double-quoted with nothing to escape, `"s"`:
/// printable ASCII without `"` or `\\` on one line, that no plain scalar can hold (empty, or a
/// space at either end) or that a YAML 1.1 reader takes for something else (a decimal integer
/// such as `6379`, or a boolean or null word such as `yes` or `false`).
fn is_simply_quoted(s: &str) -> bool {
    let bytes = s.as_bytes();
    if !bytes
        .iter()
        .all(|&b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
    {
        return false;
    }
    match bytes {
        [] | [b' ', ..] | [.., b' '] | [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => is_reserved_word(s),
    }
}

/// A multi-line string that serde-saphyr certainly writes as a `|` literal block with no
/// indentation indicator: printable ASCII and line breaks only, its first line neither empty
/// nor indented.
fn is_simple_literal_block(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.first().is_some_and(|&b| b != b' ' && b != b'\n')
        && bytes.contains(&b'\n')
        && bytes
            .iter()
            .all(|&b| (b' '..=b'~').contains(&b) || b == b'\n')
}

/// Bytes that can occur in a YAML 1.1 number (any radix, underscores, exponents, base 60) or
/// timestamp.
fn is_number_or_timestamp_byte(b: u8) -> bool {
    b.is_ascii_hexdigit()
        || matches!(
            b,
            b'x' | b'X'
                | b'o'
                | b'O'
                | b'_'
                | b'.'
                | b'+'
                | b'-'
                | b':'
                | b','
                | b' '
                | b'T'
                | b't'
                | b'Z'
                | b'z'
        )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::parse::parse;
    use serde_json::json;

    #[test]
    fn a_stream_in_pieces_is_the_stream_emit_writes() {
        let docs = [
            json!({"a": 1}),
            json!({"b": ["x", "yes"]}),
            json!({"c": "two\nlines"}),
        ];
        let mut stream = Stream::default();
        assert!(stream.is_empty() && stream.to_string().is_empty());
        stream.push(&docs[0]);
        let mark = stream.mark();
        let mut rest = Stream::default();
        rest.push(&docs[1]);
        rest.push(&docs[2]);
        stream.append(&rest);
        let whole = emit(&docs);
        assert_eq!(stream.to_string(), whole);
        assert_eq!(stream.pieces().collect::<String>(), whole);
        assert_eq!(stream.runs().collect::<String>(), whole);
        assert_eq!(stream.len(), whole.len());
        stream.truncate(mark);
        assert_eq!(stream.to_string(), emit(&docs[..1]));
        assert_eq!(stream.runs().collect::<String>(), emit(&docs[..1]));
        assert_eq!(stream.len(), emit(&docs[..1]).len());
        stream.truncate(7);
        assert_eq!(stream.mark(), 1);
    }

    #[test]
    fn a_stream_takes_little_more_memory_than_its_text() {
        let mut stream = Stream::default();
        let mut expected = String::new();
        for i in 0..3000 {
            let doc = json!({"n": i, "text": "x".repeat(i % 5000)});
            write_document(&mut expected, &doc);
            stream.push(&doc);
        }
        // One document larger than a block, and streams appended.
        let big = json!({"data": {"text": "y".repeat(3 * MAX_KEPT_SCRATCH)}});
        write_document(&mut expected, &big);
        let mut more = Stream::default();
        more.push(&big);
        more.push(&json!({"c": 1}));
        write_document(&mut expected, &json!({"c": 1}));
        stream.append(&more);
        assert_eq!(stream.to_string(), expected);
        assert_eq!(stream.runs().collect::<String>(), expected);
        assert!(stream.runs().count() * 20 < stream.pieces().count());
        assert_eq!(stream.len(), expected.len());
        // Unused: a block's end where the next document did not fit (at most that document,
        // unless it was larger than a block, as the big one is), and the last block's end.
        let held: usize = stream.blocks.iter().map(String::capacity).sum();
        let bound = stream.len() + stream.len() / 100 + 2 * BLOCK;
        assert!(held <= bound, "{held} for {}", stream.len());
        assert!(SCRATCH.with(|s| s.borrow().capacity()) <= MAX_KEPT_SCRATCH);
        // Equality is the text's, whatever the blocks.
        let mut copy = Stream::default();
        for piece in stream.pieces() {
            let mut one = Stream::default();
            one.add(piece);
            copy.append(&one);
        }
        assert_eq!(copy, stream);
        copy.truncate(10);
        assert_ne!(copy, stream);
        assert_eq!(copy.runs().collect::<String>(), copy.to_string());
    }

    /// Strings a careless emitter writes so that a YAML 1.1 reader gets something else back.
    pub(crate) const TRICKY: &[&str] = &[
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Y",
        "N",
        "NO",
        "Yes",
        "True",
        "FALSE",
        "0755",
        "0o17",
        "0x1F",
        "0b101",
        "1_000",
        "1e3",
        "1.5",
        ".5",
        "+1",
        "-1",
        "12:30",
        "1:20:30",
        "2024-01-01",
        "2024-01-01T10:00:00Z",
        ".inf",
        "-.inf",
        ".nan",
        "~",
        "null",
        "Null",
        "",
        " ",
        "-",
        "- x",
        "--- x",
        "...",
        " lead",
        "trail ",
        "#x",
        "a #b",
        "a#b",
        ": x",
        "a: b",
        "a:b",
        "x:",
        "tab\tx",
        "\ttab",
        "tab\t",
        "ünïcödé ✓",
        "日本語",
        "=",
        "<<",
        "?",
        "? x",
        "!x",
        "!!str",
        "&a",
        "*a",
        "%x",
        "@x",
        "`x",
        "|",
        "|x",
        ">",
        "'q'",
        "\"dq\"",
        "it's",
        "[a]",
        "{a}",
        "a,b",
        "x\\y",
        "\\",
        "\u{7f}del",
        "\u{85}nel",
        "\u{feff}bom",
        "\u{2028}ls",
        "\u{a0}nbsp",
        "ctl\u{1}",
        "emoji 🚀",
        "0",
        "00",
        "-0",
        "0.",
        "1.0e+3",
        "+.inf",
        "NaN",
        "Infinity",
        "0b1_0",
        "190:20:30",
        "2001-12-14 21:59:43.10 -5",
        "1,000",
        "1__0",
        "0x_1F",
        "-0x1F",
        ".",
        "..",
        "- ",
        "http://example.com/#frag",
        "--address=$(RAY_IP):6379",
        "${VAR}",
        "%{x}",
        // Multi-line.
        "\nSECONDS=0\nwhile true; do\n\t\t\t\t\tif (( SECONDS <= 120 )); then\n  echo waiting\n\t\t\t\t\tfi\ndone\n\t\t\t\t",
        "line1\nline2",
        "line1\nline2\n",
        "line1\nline2\n\n",
        "trailing   \nspaces  ",
        "end with space \n",
        "\n",
        "\n\n",
        "\nx",
        " lead\nx",
        "  \nx",
        " \n",
        "x\n ",
        "x\n  \ny",
        "\tx\ny",
        "\n\tx",
        "  \n \tx\n",
        " \tx\ny",
        "a\n\tb",
        "a\r\nb",
        "a\rb",
        "multi\n#not a comment\n",
        "- a\n- b\n",
        "key: value\nother: 1\n",
        "---\n...\n",
        "x\n\u{85}y",
        "unicode\n✓ ok\n",
    ];

    /// Values that put `s` in every position a scalar or key can take.
    pub(crate) fn placements(s: &str) -> Vec<Value> {
        vec![
            json!({ "k": s }),
            json!({ "a": { "b": s } }),
            json!({ "a": [s] }),
            json!([s]),
            json!([[s]]),
            json!([{ "k": s, "z": 1 }]),
            json!({ "a": [{ "k": [s] }] }),
            json!({ "a": [[{ "b": { "c": s } }]] }),
            json!({ "a": [s, { "b": s }, [s, [s]]] }),
            json!({ s: 1 }),
            json!({ "a": { s: [1] } }),
            json!([{ s: s }]),
            json!({ "a": [{ "b": [{ s: { s: s } }] }] }),
        ]
    }

    #[test]
    fn writes_what_serde_saphyr_writes_for_tricky_strings_in_every_position() {
        for s in TRICKY {
            for value in placements(s) {
                assert_eq!(to_yaml(&value), saphyr_yaml(&value), "{value}");
            }
        }
    }

    #[test]
    fn writes_long_strings_again_as_the_first_time_in_every_position() {
        let script = "import ray\n\n    indented()\n".repeat(LONG / 8);
        let long = [
            format!("#!/bin/sh\n{script}"),
            format!("{script}\n\n"),
            format!("\n{script}"),
            format!("\t{script}"),
            format!("{script}✓"),
            "x".repeat(LONG),
            format!(" {}", "y".repeat(LONG)),
            "z".repeat(LONGEST_REMEMBERED + 1),
        ];
        assert!(long.len() > REMEMBERED);
        let values: Vec<Value> = long.iter().flat_map(|s| placements(s)).collect();
        for round in 0..3 {
            for value in &values {
                assert_eq!(to_yaml(value), saphyr_yaml(value), "round {round}");
            }
            for s in &long {
                for body in [0, 2, 6] {
                    let (mut remembered, mut now) = (String::new(), String::new());
                    write_string(&mut remembered, s, body).unwrap();
                    write_string_now(&mut now, s, body).unwrap();
                    assert!(remembered == now, "round {round}, body {body}");
                }
            }
        }
        let kept: usize = LONG_STRINGS.with(|c| {
            let slots = &c.borrow().0;
            assert_eq!(slots.len(), REMEMBERED);
            slots.iter().map(|r| r.text.len() + r.written.len()).sum()
        });
        assert!(kept <= 3 * REMEMBERED * LONGEST_REMEMBERED, "{kept}");
    }

    #[test]
    fn writes_probed_strings_again_as_the_first_time_in_every_position() {
        let strings: Vec<String> = [
            "--",
            "127.0.0.1:6379",
            "0.5",
            "2x2x2",
            "a: b",
            "'quoted'",
            "x\n\ty",
            " lead\nx",
            "tab\there",
            "é",
            "#comment",
        ]
        .iter()
        .map(ToString::to_string)
        .chain([":".repeat(PROBED_LONGEST), ":".repeat(PROBED_LONGEST + 1)])
        .chain((0..PROBED_KEPT + 8).map(|i| format!("{i}.5")))
        .collect();
        let probed =
            |s: &str| !is_plain_value(s) && !is_simply_quoted(s) && !is_simple_literal_block(s);
        assert!(strings.iter().all(|s| probed(s)), "every string is probed");
        for round in 0..3 {
            for s in &strings {
                for value in placements(s) {
                    assert_eq!(to_yaml(&value), saphyr_yaml(&value), "round {round}: {s:?}");
                }
                for body in [0, 2, 6] {
                    let (mut remembered, mut now) = (String::new(), String::new());
                    write_string_now(&mut remembered, s, body).unwrap();
                    probed_scalar(&mut now, &Value::String(s.clone()), body).unwrap();
                    assert!(remembered == now, "round {round}, body {body}: {s:?}");
                }
            }
        }
        PROBED.with(|p| {
            let p = p.borrow();
            assert_eq!(p.len(), PROBED_KEPT);
            assert!(p.contains_key("--") && p.contains_key(&":".repeat(PROBED_LONGEST)));
            assert!(
                p.keys()
                    .all(|s| s.len() <= PROBED_LONGEST && !s.contains('\n'))
            );
            assert!(p.values().all(|line| line.matches('\n').count() == 1));
        });
    }

    #[test]
    fn writes_what_serde_saphyr_writes_for_every_shape() {
        let values = [
            json!({"a": {}, "b": [], "c": {"d": 1}, "e": [1, "x"], "f": null, "g": true, "h": 1.5}),
            json!([{"a": 1, "b": [1, 2]}, [1, [2, 3]], [], {}, null, [{"x": {"y": [{"z": 1}]}}]]),
            json!({"s": "line1\nline2", "t": "a\nb\n", "u": "  lead\nx", "v": ["a\nb", "c\n"]}),
            json!({"w": [{"k": "a\nb\n"}], "x": {"y": {"z": "a\n\nb\n\n"}}}),
            json!([[["deep"]], [{}], [[]], {"a": []}, [["a\nb"]], {"a": [["x\ny\n"]]}]),
            json!({"f": [0.1, 1e100, -2.5e-7, 3.0, u64::MAX, i64::MIN, -1, 0]}),
            json!({"k": "\ttab\nx", "j": "x\n\ty", "end": "trail \n", "cr": "a\rb"}),
            json!({"long": "x".repeat(300), "k".repeat(200): 1, "k".repeat(2000): "v"}),
            json!({"ws": "x\n  \ny", "ws2": ["  \n  x"], "deep": [[[{"a": [{"b": "1\n2"}]}]]]}),
            json!("root"),
            json!("root\nscalar"),
            json!(1),
            json!(null),
            json!({}),
            json!([]),
        ];
        for value in values {
            assert_eq!(to_yaml(&value), saphyr_yaml(&value), "{value}");
        }
        // Deeper than the writer's run of spaces: 45 levels, 90 columns.
        let mut deep = json!({"leaf": "a\nb\n", "list": ["x", {"k": "y "}]});
        for level in 0..45 {
            deep = json!({ format!("k{level}"): deep, "z": [level] });
        }
        assert_eq!(to_yaml(&deep), saphyr_yaml(&deep));
        assert!(to_yaml(&deep).contains(&format!("\n{}leaf: |\n", " ".repeat(90))));
    }

    #[test]
    fn writes_kubernetes_objects_without_serde_saphyr() {
        let value = json!({
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "c-head", "labels": {"ray.io/node-type": "head", "app.kubernetes.io/name": "kuberay"}},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{
                "name": "ray-head",
                "image": "rayproject/ray:2.52.0",
                "command": ["/bin/bash", "-c", "--"],
                "args": ["ulimit -n 65536; ray start --head --dashboard-host=0.0.0.0 --num-cpus=1"],
                "env": [{"name": "RAY_PORT", "value": "6379"}, {"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
                "resources": {"limits": {"cpu": "500m", "memory": "2Gi"}},
                "ports": [{"containerPort": 6379, "name": "gcs-server"}],
            }]}}},
        });
        let mut out = String::new();
        assert!(Writer { out: &mut out }.document(&value).is_some());
        assert_eq!(out, saphyr_yaml(&value));
    }

    #[test]
    fn quotes_and_blocks_the_common_strings_without_serde_saphyr() {
        let quoted = [
            "ray start --head ",
            " x",
            "6379",
            "1",
            "0",
            "yes",
            "N",
            "false",
            "",
            " ",
        ];
        let blocks = [
            "import os\nprint(1)\n",
            "a\n\n  b\n\n",
            "x\ny",
            "#!/bin/sh\n",
        ];
        for s in quoted {
            assert!(is_simply_quoted(s) && !is_plain_value(s), "{s:?}");
        }
        for s in blocks {
            assert!(is_simple_literal_block(s), "{s:?}");
        }
        let neither = [
            "08", "1.5", "-1", "a\"b ", "a\\b ", "\tx\ny", " x\ny", "\nx", "é ", "x\r\ny",
        ];
        for s in neither {
            assert!(!is_simply_quoted(s) && !is_simple_literal_block(s), "{s:?}");
        }
        for s in quoted.iter().chain(&blocks).chain(&neither) {
            for value in placements(s) {
                assert_eq!(to_yaml(&value), saphyr_yaml(&value), "{value}");
            }
        }
    }

    #[test]
    fn plain_key_bytes_are_letters_digits_and_four_marks() {
        for b in 0..=u8::MAX {
            assert_eq!(
                PLAIN_KEY_BYTES[usize::from(b)],
                b.is_ascii_alphanumeric() || b".-_/".contains(&b),
                "{b:#04x}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn writes_what_serde_saphyr_writes_for_any_value(value in any_value()) {
            proptest::prop_assert_eq!(to_yaml(&value), saphyr_yaml(&value));
        }
    }

    fn any_string() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            proptest::sample::select(TRICKY).prop_map(str::to_string),
            "[a-zA-Z0-9 ._/:#$,=+-]{0,12}",
            "[-a-z0-9:. ]{1,6}",
            "[0-9][0-9a-zA-Z._:+-]{0,6}",
            "[a-z \t]{0,4}(\n[a-z \t#:-]{0,5}){1,4}\n{0,3}",
            "\\PC{0,6}",
            "[ -~]{0,10}",
            "[0-9]{1,5}",
            "[ -~]{1,8}(\n[ -~]{0,8}){1,3}\n{0,3}",
        ]
    }

    pub(crate) fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any_string().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::btree_map(any_string(), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Emits, parses back, and checks both the value and that emitting again is a fixed point.
    fn round_trip(value: &Value) {
        let yaml = to_yaml(value);
        let docs = parse(yaml.as_bytes()).unwrap_or_else(|e| panic!("{e}:\n{yaml}"));
        assert_eq!(docs.len(), 1, "{yaml}");
        assert_eq!(&docs[0].value, value, "emitted:\n{yaml}");
        assert_eq!(to_yaml(&docs[0].value), yaml);
    }

    #[test]
    fn round_trips_tricky_strings() {
        for s in TRICKY {
            round_trip(&json!({ "value": s }));
            round_trip(&json!([s]));
            round_trip(&json!({ *s: "key" }));
        }
    }

    #[test]
    fn round_trips_tricky_strings_at_the_top_level() {
        for s in TRICKY {
            round_trip(&json!(s));
        }
    }

    #[test]
    fn quotes_strings_a_yaml_1_1_reader_would_retype() {
        let yaml = to_yaml(&json!({
            "a": "yes", "b": "on", "c": "y", "d": "0755", "e": "1_000", "f": "12:30",
            "g": "2024-01-01", "h": "~", "i": "<<", "j": "=", "k": "null", "l": "",
        }));
        for line in yaml.lines() {
            let value = line.split_once(": ").map_or("", |(_, v)| v);
            assert!(value.starts_with(['"', '\'']), "unquoted: {line}");
        }
    }

    #[test]
    fn keeps_plain_strings_plain() {
        assert_eq!(
            to_yaml(&json!({"image": "rayproject/ray:2.9.0", "name": "ray-head"})),
            "image: rayproject/ray:2.9.0\nname: ray-head\n"
        );
    }

    #[test]
    fn keeps_numbers_and_booleans_typed() {
        let value = json!({"a": 1, "b": -2, "c": 1.5, "d": true, "e": false, "f": u64::MAX, "g": 0.1, "h": 1e300, "i": null});
        assert_eq!(
            to_yaml(&value),
            "a: 1\nb: -2\nc: 1.5\nd: true\ne: false\nf: 18446744073709551615\ng: 0.1\nh: 1.0e+300\ni: null\n"
        );
        round_trip(&json!([
            1,
            -2,
            1.5,
            true,
            false,
            u64::MAX,
            i64::MIN,
            0.1,
            1e300,
            1e-7,
            null
        ]));
    }

    #[test]
    fn sorts_keys_whatever_the_input_order() {
        let shuffled: Value = serde_json::from_str(
            r#"{"zeta": 1, "alpha": {"y": 2, "b": 3}, "mid": [{"k": 1, "a": 2}]}"#,
        )
        .unwrap();
        let sorted: Value = serde_json::from_str(
            r#"{"alpha": {"b": 3, "y": 2}, "mid": [{"a": 2, "k": 1}], "zeta": 1}"#,
        )
        .unwrap();
        let yaml = to_yaml(&shuffled);
        assert_eq!(yaml, to_yaml(&sorted));
        assert_eq!(
            yaml,
            "alpha:\n  b: 3\n  \"y\": 2\nmid:\n- a: 2\n  k: 1\nzeta: 1\n"
        );
    }

    #[test]
    fn indents_lists_like_kubectl() {
        let value = json!({"spec": {"containers": [{"name": "ray", "env": [{"name": "A", "value": "1"}], "ports": []}], "volumes": {}}});
        assert_eq!(
            to_yaml(&value),
            "spec:\n  containers:\n  - env:\n    - name: A\n      value: \"1\"\n    name: ray\n    ports: []\n  volumes: {}\n"
        );
    }

    #[test]
    fn writes_empty_collections_inline() {
        assert_eq!(to_yaml(&json!({})), "{}\n");
        assert_eq!(to_yaml(&json!([])), "[]\n");
        assert_eq!(to_yaml(&json!({"a": {}, "b": []})), "a: {}\nb: []\n");
    }

    #[test]
    fn never_folds_long_lines() {
        let long = "ray start --head --dashboard-host=0.0.0.0 ".repeat(20);
        let yaml = to_yaml(&json!({ "command": long }));
        assert_eq!(yaml.lines().count(), 1, "{yaml}");
        round_trip(&json!({ "command": long }));
    }

    #[test]
    fn writes_multi_line_strings_as_literal_blocks() {
        assert_eq!(
            to_yaml(&json!({"script": "set -e\nray start --head\n"})),
            "script: |\n  set -e\n  ray start --head\n"
        );
    }

    #[test]
    fn round_trips_the_operator_wait_script() {
        let script = "\nSECONDS=0\nwhile true; do\n\t\t\t\t\tif (( SECONDS <= 120 )); then\n\t\t\t\t\t\tif ray health-check --address $RAY_IP:$RAY_PORT > /dev/null 2>&1; then\n\t\t\t\t\t\t\techo \"GCS is ready.\"\n\t\t\t\t\t\t\tbreak\n\t\t\t\t\t\tfi\n\t\t\t\t\t\techo \"$SECONDS seconds elapsed: Waiting for GCS to be ready.\"\n\t\t\t\t\telse\n\t\t\t\t\t\tif ray health-check --address $RAY_IP:$RAY_PORT; then\n\t\t\t\t\t\t\techo \"GCS is ready. Any error messages above can be safely ignored.\"\n\t\t\t\t\t\t\tbreak\n\t\t\t\t\t\tfi\n\t\t\t\t\t\techo \"$SECONDS seconds elapsed: Still waiting for GCS to be ready. For troubleshooting, refer to the FAQ at https://github.com/ray-project/kuberay/blob/master/docs/guidance/FAQ.md.\"\n\t\t\t\t\tfi\n\t\t\t\t\tsleep 5\n\t\t\t\tdone\n\t\t\t\t";
        round_trip(&json!({"args": [script]}));
    }

    #[test]
    fn emits_each_document_after_a_separator() {
        assert_eq!(emit(&[]), "");
        assert_eq!(
            emit(&[json!({"a": 1}), json!({"b": "x\ny"})]),
            "---\na: 1\n---\nb: |-\n  x\n  y\n"
        );
        let stream = emit(&[json!({"a": 1}), json!([1]), json!("top")]);
        let values: Vec<Value> = parse(stream.as_bytes())
            .unwrap()
            .into_iter()
            .map(|d| d.value)
            .collect();
        assert_eq!(values, [json!({"a": 1}), json!([1]), json!("top")]);
    }

    #[test]
    fn double_quotes_blocks_that_would_start_with_a_tab() {
        assert_eq!(to_yaml(&json!("\tx\ny")), "\"\\tx\\ny\"\n");
        assert_eq!(to_yaml(&json!("\n  \tx\n")), "\"\\n  \\tx\\n\"\n");
        assert_eq!(to_yaml(&json!("x\n\ty")), "|-\n  x\n  \ty\n");
    }

    #[test]
    fn is_deterministic() {
        let value = json!({"b": [1, {"d": "x", "c": "yes"}], "a": "multi\nline\n"});
        assert_eq!(to_yaml(&value), to_yaml(&value.clone()));
    }

    #[test]
    fn round_trips_long_keys() {
        round_trip(&json!({ "k".repeat(2000): "v" }));
    }
}
