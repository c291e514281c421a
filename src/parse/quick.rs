//! A fast reader for the YAML that Kubernetes manifests are written in, with serde-saphyr as the
//! authority.
//!
//! [`read`] handles the block style `kubectl`, Helm, `PyYAML` and people write: block mappings
//! and sequences (indented or not), plain scalars whose type is certain, single- and
//! double-quoted scalars, plain and quoted scalars over several lines (folded as YAML folds
//! them), literal block scalars (`|`, `|-`, `|+`), flow collections, nested and over several
//! lines, comments and `---` between documents. It builds the documents directly, with the
//! spans serde-saphyr gives (the parser tests and the fuzz target compare the two on every
//! input they have), about ten times faster than serde-saphyr, which reads every event through
//! serde.
//!
//! Anything else makes it give up, and [`super::parse`] reads the input with serde-saphyr: any
//! error (serde-saphyr's message is the one users see), anchors, aliases, tags, directives,
//! `...`, complex keys, folded block scalars (`>`), block scalars with an indentation
//! indicator or leading empty lines, a scalar that starts on the line after its key, comments
//! inside flow collections, a scalar over several lines inside a flow collection, an implicit
//! key or a trailing comma in a flow collection, an escaped line break or an escape other than
//! `\\`, `\"`, `\/`, `\n` and `\t` in a double-quoted scalar, a continuation line that starts
//! with an indicator, tabs, carriage returns, control characters, a key that a YAML 1.1 reader
//! turns into something else (`on:`, `1.5:`), and every plain scalar whose type it is not
//! certain of (`yes`, `089`, `1.5`, `1_000`, `Null`, `1e5`): it knows `true`, `false`, `null`,
//! `~`, decimal integers, legacy octal ones (`0777`, as Kubernetes reads it) and strings that
//! cannot be anything else, such as `2.52.0`, `8Gi` or `2024-01-01`, which serde-saphyr reads
//! as strings too. Its limits are well inside the reader's `MAX_*` budgets, so what it accepts
//! serde-saphyr accepts too.

use serde_json::map::Entry;
use serde_json::{Map, Value};

use super::value::{push_index, push_key};
use super::{Document, Recorded, Source, SpanMap, Usage, walk};
use crate::diagnostic::Span;

/// Deepest nesting read here; deeper input is left to serde-saphyr and its depth budget.
pub(super) const MAX_QUICK_DEPTH: usize = 64;
/// Longest key read here (serde-saphyr limits a simple key to 1024 characters).
const MAX_QUICK_KEY: usize = 512;

/// Reads every document of `source`, with what it used of the stream-wide budgets; `None`
/// when serde-saphyr must read it.
pub(super) fn read(source: &Source<'_>) -> Option<(Vec<Document>, Usage)> {
    let text = source.text;
    if !plain_text(text) || text.len() >= u32::MAX as usize {
        return None;
    }
    let mut lines = Vec::with_capacity(text.len() / 24);
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            lines.push(Line::new(text, start, i));
            start = i + 1;
        }
    }
    if start < text.len() {
        lines.push(Line::new(text, start, text.len()));
    }
    let mut reader = Reader {
        text,
        lines,
        source,
        at: 0,
        nodes: 0,
        scalar_bytes: 0,
        documents: 0,
        depth: 0,
        spans: Recorded::default(),
        pointer: String::new(),
    };
    let documents = reader.stream()?;
    let usage = Usage {
        // Stream, document and collection start and end events, and every scalar: at most two
        // events per node, plus the stream's and documents' own.
        events: 2 * reader.nodes + 2 * reader.documents + 2,
        documents: reader.documents,
        nodes: reader.nodes,
        total_scalar_bytes: reader.scalar_bytes,
        ..Usage::default()
    };
    Some((documents, usage))
}

/// True when `text` has no character this reader leaves to serde-saphyr: control characters
/// (tabs and carriage returns included), and the non-ASCII ones YAML treats specially.
fn plain_text(text: &str) -> bool {
    let ascii_ok = |b: u8| (b' '..=b'~').contains(&b) || b == b'\n';
    if text.bytes().all(ascii_ok) {
        return true;
    }
    text.chars().all(|c| {
        if c.is_ascii() {
            ascii_ok(c as u8)
        } else {
            !matches!(
                c,
                '\u{80}'
                    ..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
            )
        }
    })
}

/// One line of the text: where it starts and ends (before its `\n`), its indentation, and
/// whether it holds nothing but spaces or a comment.
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    end: usize,
    indent: usize,
    blank: bool,
}

impl Line {
    fn new(text: &str, start: usize, end: usize) -> Line {
        let bytes = &text.as_bytes()[start..end];
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        let blank = indent == bytes.len() || bytes[indent] == b'#';
        Line {
            start,
            end,
            indent,
            blank,
        }
    }
}

/// What a block scalar keeps of its final line breaks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

struct Reader<'s, 'a> {
    text: &'s str,
    lines: Vec<Line>,
    source: &'s Source<'a>,
    /// The next line to read.
    at: usize,
    nodes: usize,
    scalar_bytes: usize,
    /// Documents seen, empty ones included.
    documents: usize,
    depth: usize,
    /// Spans in reading order, for [`SpanMap::from_recorded`].
    spans: Recorded,
    /// JSON Pointer of the node being read.
    pointer: String,
}

impl<'s> Reader<'s, '_> {
    fn bytes(&self) -> &'s [u8] {
        self.text.as_bytes()
    }

    /// The first non-blank line from `self.at` on.
    fn next_content(&self) -> Option<usize> {
        (self.at..self.lines.len()).find(|&i| !self.lines[i].blank)
    }

    /// True when line `i` is a document marker (`---` or `...` at its start).
    fn is_marker(&self, i: usize) -> bool {
        let line = self.lines[i];
        let bytes = &self.bytes()[line.start..line.end];
        (bytes.starts_with(b"---") || bytes.starts_with(b"..."))
            && matches!(bytes.get(3), None | Some(b' '))
    }

    fn stream(&mut self) -> Option<Vec<Document>> {
        let mut documents = Vec::new();
        let mut first = true;
        while let Some(i) = self.next_content() {
            self.at = i;
            if self.is_marker(i) {
                let line = self.lines[i];
                let bytes = &self.bytes()[line.start..line.end];
                let rest = bytes[3..].trim_ascii_start();
                if bytes[0] == b'.' || !(rest.is_empty() || rest[0] == b'#') {
                    return None;
                }
                self.at = i + 1;
                first = false;
                self.documents += 1;
                match self.next_content() {
                    Some(j) if !self.is_marker(j) => self.at = j,
                    // An empty document.
                    _ => continue,
                }
            } else if first {
                self.documents += 1;
            } else {
                return None;
            }
            first = false;
            let (value, span) = self.root()?;
            documents.push(Document {
                value,
                spans: SpanMap::from_recorded(std::mem::take(&mut self.spans)),
                index: documents.len(),
                start_line: span.line,
            });
            // After the root only a document marker may follow.
            if let Some(j) = self.next_content() {
                if !self.is_marker(j) || self.lines[j].indent > 0 {
                    return None;
                }
                self.at = j;
            }
        }
        Some(documents)
    }

    /// The root node of a document starting at line `self.at`: a block mapping or sequence.
    fn root(&mut self) -> Option<(Value, Span)> {
        let line = self.lines[self.at];
        let column = line.start + line.indent;
        self.pointer.clear();
        if self.is_entry(column, line.end) {
            let span = self.point(column);
            self.record(None, span);
            Some((self.sequence(column, line.indent)?, span))
        } else if self.key_end(column, line.end).is_some() {
            let span = self.point(column);
            self.record(None, span);
            Some((self.mapping(column, line.indent)?, span))
        } else {
            None
        }
    }

    fn record(&mut self, key: Option<Span>, value: Span) {
        self.spans.record(&self.pointer, (key, value));
    }

    /// The line holding byte `pos`, from `self.at` on (callers read forward).
    fn line_of(&self, pos: usize) -> usize {
        let mut i = self.at.min(self.lines.len().saturating_sub(1));
        while i > 0 && self.lines[i].start > pos {
            i -= 1;
        }
        while i + 1 < self.lines.len() && self.lines[i + 1].start <= pos {
            i += 1;
        }
        i
    }

    /// The span of `text[start..end]`, positions in the whole input.
    fn span(&self, start: usize, end: usize) -> Span {
        let i = self.line_of(start);
        let line_start = self.lines.get(i).map_or(0, |l| l.start);
        let prefix = &self.text[line_start..start];
        let column = if prefix.is_ascii() {
            prefix.len() + 1
        } else {
            prefix.chars().count() + 1
        };
        let (end_line, end_column) = walk(&self.text[start..end], i + 1, column);
        Span {
            line: i + 1 + self.source.line_offset,
            column,
            end_line: end_line + self.source.line_offset,
            end_column,
            start: start + self.source.base,
            end: end + self.source.base,
        }
    }

    /// An empty span at byte `pos`.
    fn point(&self, pos: usize) -> Span {
        self.span(pos, pos)
    }

    /// True when the text at `pos` is a block sequence entry: `-` then a space or the line end.
    fn is_entry(&self, pos: usize, end: usize) -> bool {
        let bytes = self.bytes();
        pos < end && bytes[pos] == b'-' && (pos + 1 == end || bytes[pos + 1] == b' ')
    }

    /// When the text at `pos` (up to `end`, the line end) starts a mapping entry `key:`, the
    /// end of the key (where its `:` is).
    fn key_end(&self, pos: usize, end: usize) -> Option<usize> {
        let bytes = &self.bytes()[..end];
        let colon = match bytes.get(pos)? {
            b'"' | b'\'' => {
                let close = quoted_end(bytes, pos)?;
                (bytes.get(close) == Some(&b':')).then_some(close)?
            }
            b'[' | b'{' | b'#' | b'?' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`'
            | b',' | b']' | b'}' => return None,
            _ => {
                let mut i = pos;
                loop {
                    let c = i + bytes[i..].iter().position(|&b| b == b':' || b == b'#')?;
                    if bytes[c] == b'#' && bytes[c - 1] == b' ' {
                        return None;
                    }
                    if bytes[c] == b':' {
                        break c;
                    }
                    i = c + 1;
                }
            }
        };
        // `:` must end the line or be followed by a space.
        matches!(bytes.get(colon + 1), None | Some(b' ')).then_some(colon)
    }

    /// A block mapping whose first key is at byte `first` (on line `self.at`) and whose keys
    /// are all at column `indent`.
    fn mapping(&mut self, first: usize, indent: usize) -> Option<Value> {
        self.enter()?;
        let mut map = Map::new();
        let mut pruned = false;
        let mut pos = first;
        loop {
            let line = self.lines[self.at];
            let key_end = self.key_end(pos, line.end)?;
            let (key, key_span) = self.key(pos, key_end)?;
            let len = self.pointer.len();
            push_key(&mut self.pointer, &key);
            let value = self.value_after(key_end + 1, indent, true, Some(key_span))?;
            self.pointer.truncate(len);
            if value.is_null() {
                pruned = true;
            }
            // A duplicate key is left to serde-saphyr, for its error.
            let Entry::Vacant(entry) = map.entry(key) else {
                return None;
            };
            entry.insert(value);
            // The next entry: a line at exactly this indentation.
            match self.next_content() {
                Some(i) if !self.is_marker(i) && self.lines[i].indent >= indent => {
                    let line = self.lines[i];
                    if line.indent > indent || self.is_entry(line.start + indent, line.end) {
                        return None;
                    }
                    self.at = i;
                    pos = line.start + indent;
                }
                _ => break,
            }
        }
        if pruned {
            map.retain(|_, v| !v.is_null());
        }
        self.depth -= 1;
        Some(Value::Object(map))
    }

    /// A block sequence whose first `-` is at byte `first` (on line `self.at`) and whose
    /// entries are all at column `indent`.
    fn sequence(&mut self, first: usize, indent: usize) -> Option<Value> {
        self.enter()?;
        let mut items = Vec::new();
        let mut pos = first;
        loop {
            let len = self.pointer.len();
            push_index(&mut self.pointer, items.len());
            let value = self.value_after(pos + 1, indent, false, None)?;
            self.pointer.truncate(len);
            items.push(value);
            match self.next_content() {
                Some(i) if !self.is_marker(i) && self.lines[i].indent >= indent => {
                    let line = self.lines[i];
                    if line.indent > indent {
                        return None;
                    }
                    if !self.is_entry(line.start + indent, line.end) {
                        // A key after an indentless sequence; the mapping reads it.
                        break;
                    }
                    self.at = i;
                    pos = line.start + indent;
                }
                _ => break,
            }
        }
        self.depth -= 1;
        Some(Value::Array(items))
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        self.nodes += 1;
        (self.depth <= MAX_QUICK_DEPTH).then_some(())
    }

    /// The value after a mapping key's `:` or a sequence entry's `-` at byte `pos`, for a
    /// parent at column `indent`; records its span (with `key`, the key's). A null value
    /// is returned as `Value::Null` with no span recorded, as the parser prunes it.
    fn value_after(
        &mut self,
        pos: usize,
        indent: usize,
        in_mapping: bool,
        key: Option<Span>,
    ) -> Option<Value> {
        let line = self.lines[self.at];
        let bytes = self.bytes();
        let start = pos
            + bytes[pos..line.end]
                .iter()
                .take_while(|&&b| b == b' ')
                .count();
        if start < line.end && bytes[start] != b'#' && start == pos {
            // `key:value` or `-value` is no entry; the caller checked.
            return None;
        }
        if start == line.end || bytes[start] == b'#' {
            // The value is on the following lines.
            self.at += 1;
            let Some(i) = self.next_content() else {
                return self.null(in_mapping);
            };
            let next = self.lines[i];
            if self.is_marker(i) && next.indent == 0 {
                return self.null(in_mapping);
            }
            let column = next.start + next.indent;
            // In a mapping, a sequence may sit at the key's own indentation.
            let indentless = in_mapping && next.indent == indent && self.is_entry(column, next.end);
            if next.indent <= indent && !indentless {
                return self.null(in_mapping);
            }
            self.at = i;
            if self.is_entry(column, next.end) {
                let span = if indentless {
                    // serde-saphyr places an indentless sequence at its first entry's value.
                    let value = column
                        + 1
                        + bytes[column + 1..next.end]
                            .iter()
                            .take_while(|&&b| b == b' ')
                            .count();
                    if value == next.end || bytes[value] == b'#' {
                        return None;
                    }
                    self.point(value)
                } else {
                    self.point(column)
                };
                self.record(key, span);
                return self.sequence(column, next.indent);
            }
            if self.key_end(column, next.end).is_some() {
                let span = self.point(column);
                self.record(key, span);
                return self.mapping(column, next.indent);
            }
            // A scalar on its own line (possibly spanning lines).
            return None;
        }
        // The value starts on this line, at `start`.
        if !in_mapping && self.is_entry(start, line.end) {
            let span = self.point(start);
            self.record(key, span);
            let column = start - line.start;
            return self.sequence(start, column);
        }
        if !in_mapping && self.key_end(start, line.end).is_some() {
            let span = self.point(start);
            self.record(key, span);
            let column = start - line.start;
            return self.mapping(start, column);
        }
        let value = match bytes[start] {
            b'|' => return self.block_scalar(start, indent, key),
            b'[' | b'{' => {
                let (value, end) = self.flow(start, indent, key)?;
                self.rest_is_comment(end, self.lines[self.at].end)?;
                value
            }
            _ => {
                let (value, end) = self.block_flow_scalar(start, indent)?;
                let span = self.span(start, end);
                if !value.is_null() || !in_mapping {
                    self.record(key, span);
                }
                self.rest_is_comment(end, self.lines[self.at].end)?;
                value
            }
        };
        // A scalar or flow collection ends its line; the next line must not continue it.
        self.at += 1;
        if let Some(i) = self.next_content()
            && self.lines[i].indent > indent
            && !self.is_marker(i)
        {
            return None;
        }
        if value.is_null() && in_mapping {
            return Some(Value::Null);
        }
        Some(value)
    }

    /// A missing value: null in a mapping (pruned), unsupported in a sequence.
    fn null(&mut self, in_mapping: bool) -> Option<Value> {
        self.nodes += 1;
        in_mapping.then_some(Value::Null)
    }

    /// Checks that only spaces and a comment follow byte `end` on the line ending at `line_end`.
    fn rest_is_comment(&self, end: usize, line_end: usize) -> Option<()> {
        let rest = &self.bytes()[end..line_end];
        let spaces = rest.iter().take_while(|&&b| b == b' ').count();
        (spaces == rest.len() || (spaces > 0 && rest[spaces] == b'#')).then_some(())
    }

    /// A mapping key from byte `start` to its `:` at `end`.
    fn key(&mut self, start: usize, end: usize) -> Option<(String, Span)> {
        self.nodes += 1;
        if end - start > MAX_QUICK_KEY {
            return None;
        }
        let bytes = self.bytes();
        let key = match bytes[start] {
            b'"' | b'\'' => {
                let (value, close) = self.quoted(start, end)?;
                (close == end).then_some(value)?
            }
            _ => {
                let text = &self.text[start..end];
                if text.ends_with(' ') || !plain_key(text) {
                    return None;
                }
                text.to_string()
            }
        };
        self.scalar_bytes += end - start;
        Some((key, self.span(start, end)))
    }

    /// A scalar starting at byte `start` that ends before `end` (the line end, or in a flow
    /// collection the first `,`, `]` or `}`): its value and where it ends.
    fn scalar(&mut self, start: usize, end: usize, in_flow: bool) -> Option<(Value, usize)> {
        self.nodes += 1;
        let bytes = &self.bytes()[..end];
        if matches!(bytes[start], b'"' | b'\'') {
            let (value, close) = self.quoted(start, end)?;
            self.scalar_bytes += close - start;
            return Some((Value::String(value), close));
        }
        let (text_end, _) = self.plain_end(start, end, in_flow)?;
        let text = &self.text[start..text_end];
        self.scalar_bytes += text.len();
        Some((plain_value(text)?, text_end))
    }

    /// Where the plain scalar text starting at byte `start` ends (trailing spaces excluded)
    /// before `end`, and whether a comment follows it; `None` when a `: ` makes it a key.
    fn plain_end(&self, start: usize, end: usize, in_flow: bool) -> Option<(usize, bool)> {
        let bytes = &self.bytes()[..end];
        let mut stop = end;
        for (i, &b) in bytes[start..end].iter().enumerate() {
            let at = start + i;
            let ends = match b {
                b'#' => at > start && bytes[at - 1] == b' ',
                b':' => matches!(bytes.get(at + 1), None | Some(b' ' | b',' | b']' | b'}')),
                b',' | b']' | b'}' | b'[' | b'{' => in_flow,
                _ => false,
            };
            if ends {
                stop = at;
                break;
            }
        }
        let text = self.text[start..stop].trim_end_matches(' ');
        if text.is_empty() || (stop < end && bytes[stop] == b':') {
            return None;
        }
        Some((start + text.len(), stop < end && bytes[stop] == b'#'))
    }

    /// A plain or quoted scalar in block context, starting at byte `start` on line `self.at`
    /// and continued on the lines after it that are indented past `indent`: its value and the
    /// byte after it. Leaves `self.at` at its last line.
    ///
    /// Lines fold as YAML folds them: a line break between two lines becomes a space, and `n`
    /// empty lines between them become `n` line breaks; spaces around a line break go.
    fn block_flow_scalar(&mut self, start: usize, indent: usize) -> Option<(Value, usize)> {
        let line = self.lines[self.at];
        let bytes = self.bytes();
        if matches!(bytes[start], b'"' | b'\'') {
            if quoted_end(&bytes[..line.end], start).is_some() {
                return self.scalar(start, line.end, false);
            }
            self.nodes += 1;
            let (value, close) = self.quoted_lines(start, indent)?;
            self.scalar_bytes += close - start;
            return Some((Value::String(value), close));
        }
        self.nodes += 1;
        let (first_end, mut comment) = self.plain_end(start, line.end, false)?;
        let mut folded: Option<String> = None;
        let mut end = first_end;
        let mut last = self.at;
        let mut empty = 0;
        let mut i = self.at + 1;
        while !comment && i < self.lines.len() {
            let l = self.lines[i];
            if l.indent == l.end - l.start {
                empty += 1;
                i += 1;
                continue;
            }
            if l.indent <= indent {
                break;
            }
            // A continuation line: plain text that starts nothing else and has no comment.
            let from = l.start + l.indent;
            let first = bytes[from];
            let starts_other = matches!(
                first,
                b'?' | b':'
                    | b','
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'#'
                    | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'\''
                    | b'"'
                    | b'%'
                    | b'@'
                    | b'`'
            ) || (first == b'-'
                && matches!(bytes.get(from + 1), None | Some(b' ' | b'\n')));
            if starts_other {
                return None;
            }
            let (piece_end, piece_comment) = self.plain_end(from, l.end, false)?;
            // A comment ends the scalar.
            comment = piece_comment;
            let text = folded.get_or_insert_with(|| self.text[start..first_end].to_string());
            fold(text, empty);
            text.push_str(&self.text[from..piece_end]);
            (end, last, empty) = (piece_end, i, 0);
            i += 1;
        }
        self.at = last;
        let text = folded.as_deref().unwrap_or(&self.text[start..first_end]);
        self.scalar_bytes += text.len();
        Some((plain_value(text)?, end))
    }

    /// A quoted scalar in block context that starts at byte `start` on line `self.at` and
    /// closes on a later line; every line after the first is indented past `indent`. Its
    /// value and the byte after the closing quote; leaves `self.at` at the closing line.
    /// Gives up on an escaped line break (`\` at the end of a line).
    fn quoted_lines(&mut self, start: usize, indent: usize) -> Option<(String, usize)> {
        let bytes = self.bytes();
        let quote = bytes[start];
        let mut value = String::new();
        let mut i = self.at;
        let mut from = start + 1;
        loop {
            let line = self.lines[i];
            let close = quote_close(&bytes[..line.end], from, quote);
            let piece = match close {
                Some(close) => &self.text[from..close - 1],
                None => self.text[from..line.end].trim_end_matches(' '),
            };
            if quote == b'\'' {
                value.push_str(&piece.replace("''", "'"));
            } else {
                value.push_str(&unescape(piece)?);
            }
            if let Some(close) = close {
                self.at = i;
                return Some((value, close));
            }
            let mut empty = 0;
            i += 1;
            while self.lines.get(i)?.indent == self.lines[i].end - self.lines[i].start {
                empty += 1;
                i += 1;
            }
            let next = self.lines[i];
            if next.indent <= indent {
                return None;
            }
            fold(&mut value, empty);
            from = next.start + next.indent;
        }
    }

    /// A quoted scalar on one line starting at byte `start`: its value and the byte after the
    /// closing quote.
    fn quoted(&self, start: usize, end: usize) -> Option<(String, usize)> {
        let bytes = &self.bytes()[..end];
        let close = quoted_end(bytes, start)?;
        let inner = &self.text[start + 1..close - 1];
        let value = if bytes[start] == b'\'' {
            inner.replace("''", "'")
        } else {
            unescape(inner)?
        };
        Some((value, close))
    }

    /// Skips spaces from byte `pos` inside a flow collection, onto the following lines when it
    /// reaches a line end: they must be indented past `indent` (empty lines aside). Leaves
    /// `self.at` at the line of the returned position. Gives up on comments.
    fn flow_space(&mut self, mut pos: usize, indent: usize) -> Option<usize> {
        let bytes = self.bytes();
        loop {
            let line = self.lines[self.at];
            pos += bytes[pos..line.end]
                .iter()
                .take_while(|&&b| b == b' ')
                .count();
            if pos < line.end {
                return (bytes[pos] != b'#').then_some(pos);
            }
            self.at += 1;
            let next = *self.lines.get(self.at)?;
            if next.indent < next.end - next.start && next.indent <= indent {
                return None;
            }
            pos = next.start + next.indent;
        }
    }

    /// A flow sequence or mapping starting at byte `start` on line `self.at`, possibly nested
    /// and over several lines indented past `indent`; records its span (with `key`, the
    /// key's) and its children's. Returns its value and the byte after its closing bracket,
    /// and leaves `self.at` at that line. Its scalars are each on one line.
    fn flow(&mut self, start: usize, indent: usize, key: Option<Span>) -> Option<(Value, usize)> {
        let bytes = self.bytes();
        let sequence = bytes[start] == b'[';
        let close = if sequence { b']' } else { b'}' };
        let span = self.span(start, start + 1);
        self.record(key, span);
        self.enter()?;
        let mut items = Vec::new();
        let mut map = Map::new();
        let mut pruned = false;
        let mut pos = self.flow_space(start + 1, indent)?;
        if bytes[pos] == close {
            pos += 1;
        } else {
            loop {
                if matches!(bytes[pos], b',' | b']' | b'}') {
                    return None;
                }
                let len = self.pointer.len();
                if sequence {
                    push_index(&mut self.pointer, items.len());
                    let (value, end) = self.flow_node(pos, indent, None)?;
                    items.push(value);
                    pos = end;
                } else {
                    let line_end = self.lines[self.at].end;
                    let (key, key_end) = match bytes[pos] {
                        b'"' | b'\'' => self.quoted(pos, line_end)?,
                        b'[' | b'{' => return None,
                        _ => {
                            let colon =
                                pos + bytes[pos..line_end].iter().position(|&b| b == b':')?;
                            let key = &self.text[pos..colon];
                            if key.ends_with(' ') || !plain_key(key) {
                                return None;
                            }
                            (key.to_string(), colon)
                        }
                    };
                    self.nodes += 1;
                    self.scalar_bytes += key_end - pos;
                    if bytes.get(key_end) != Some(&b':') || bytes.get(key_end + 1) != Some(&b' ') {
                        return None;
                    }
                    let key_span = self.span(pos, key_end);
                    let value_start = self.flow_space(key_end + 1, indent)?;
                    if matches!(bytes[value_start], b',' | b']' | b'}') {
                        return None;
                    }
                    push_key(&mut self.pointer, &key);
                    let (value, end) = self.flow_node(value_start, indent, Some(key_span))?;
                    pruned |= value.is_null();
                    let Entry::Vacant(entry) = map.entry(key) else {
                        return None;
                    };
                    entry.insert(value);
                    pos = end;
                }
                self.pointer.truncate(len);
                pos = self.flow_space(pos, indent)?;
                match bytes[pos] {
                    b',' => {
                        pos = self.flow_space(pos + 1, indent)?;
                        if bytes[pos] == close {
                            return None;
                        }
                    }
                    b if b == close => {
                        pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        if sequence {
            Some((Value::Array(items), pos))
        } else {
            if pruned {
                map.retain(|_, v| !v.is_null());
            }
            Some((Value::Object(map), pos))
        }
    }

    /// A node inside a flow collection at byte `pos`: a nested collection or a scalar on one
    /// line. Records its span under `self.pointer`, except a null mapping value's (pruned).
    fn flow_node(
        &mut self,
        pos: usize,
        indent: usize,
        key: Option<Span>,
    ) -> Option<(Value, usize)> {
        if matches!(self.bytes()[pos], b'[' | b'{') {
            return self.flow(pos, indent, key);
        }
        let (value, end) = self.scalar(pos, self.lines[self.at].end, true)?;
        if !(value.is_null() && key.is_some()) {
            let span = self.span(pos, end);
            self.record(key, span);
        }
        Some((value, end))
    }

    /// A literal block scalar whose `|` is at byte `start`, inside a parent at column `indent`.
    fn block_scalar(&mut self, start: usize, indent: usize, key: Option<Span>) -> Option<Value> {
        self.nodes += 1;
        let line = self.lines[self.at];
        let bytes = self.bytes();
        let mut pos = start + 1;
        let chomp = match bytes.get(pos) {
            Some(b'-') => Chomp::Strip,
            Some(b'+') => Chomp::Keep,
            _ => Chomp::Clip,
        };
        if chomp != Chomp::Clip {
            pos += 1;
        }
        if pos < line.end && bytes[pos] != b' ' {
            return None;
        }
        self.rest_is_comment(pos, line.end)?;
        // The first content line sets the indentation; leading empty lines are left to
        // serde-saphyr.
        let first = self.at + 1;
        let content = *self.lines.get(first)?;
        let width = content.indent;
        if width <= indent || width == content.end - content.start || self.is_marker(first) {
            return None;
        }
        let mut value = String::new();
        let mut breaks = 0;
        let mut i = first;
        let mut end = self.text.len();
        while i < self.lines.len() {
            let l = self.lines[i];
            let spaces_only = l.indent == l.end - l.start;
            if spaces_only && l.indent <= width {
                breaks += 1;
            } else if l.indent >= width && !(l.indent == 0 && self.is_marker(i)) {
                for _ in 0..breaks {
                    value.push('\n');
                }
                if i > first {
                    value.push('\n');
                }
                breaks = 0;
                value.push_str(&self.text[l.start + width..l.end]);
            } else {
                end = l.start + l.indent;
                break;
            }
            i += 1;
        }
        if i == self.lines.len() && !self.text.ends_with('\n') {
            // The last line has no line break: left to serde-saphyr.
            return None;
        }
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => value.push('\n'),
            Chomp::Keep => {
                for _ in 0..=breaks {
                    value.push('\n');
                }
            }
        }
        self.scalar_bytes += value.len();
        let span = self.span(content.start + width, end);
        self.record(key, span);
        self.at = i;
        Some(Value::String(value))
    }
}

/// The byte after the closing quote of a quoted scalar opening at `start`, on the line `bytes`
/// ends with.
fn quoted_end(bytes: &[u8], start: usize) -> Option<usize> {
    quote_close(bytes, start + 1, bytes[start])
}

/// The byte after the quote that closes a quoted scalar (opened by `quote`) on the line
/// `bytes` ends with, looking from byte `from` on.
fn quote_close(bytes: &[u8], from: usize, quote: u8) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        if quote == b'"' && b == b'\\' {
            i += 2;
            continue;
        }
        if b == quote {
            if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// The text of a double-quoted scalar with its escapes replaced; `None` for an escape this
/// reader leaves to serde-saphyr (anything but `\\`, `\"`, `\/`, `\n` and `\t`).
fn unescape(inner: &str) -> Option<String> {
    if !inner.contains('\\') {
        return Some(inner.to_string());
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            '"' => '"',
            '/' => '/',
            'n' => '\n',
            't' => '\t',
            _ => return None,
        });
    }
    Some(out)
}

/// Folds a line break followed by `empty` empty lines onto `text`: a space, or `empty` line
/// breaks.
fn fold(text: &mut String, empty: usize) {
    if empty == 0 {
        text.push(' ');
    } else {
        text.extend(std::iter::repeat_n('\n', empty));
    }
}

/// Words a YAML 1.1 reader takes for a boolean, null or special float in some spelling.
fn reserved(s: &str) -> bool {
    s.len() <= 5
        && [
            "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
        ]
        .iter()
        .any(|w| w.eq_ignore_ascii_case(s))
}

/// A plain key that is certainly the string it spells: starting with a letter, or a decimal
/// integer (which the parser turns back into the same text).
fn plain_key(s: &str) -> bool {
    let bytes = s.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() => {
            !reserved(s) && !s.contains(['#', '\'', '"', ',', '[', ']', '{', '}'])
        }
        Some(b'1'..=b'9') => bytes.iter().all(u8::is_ascii_digit) && s.parse::<i64>().is_ok(),
        Some(b'0') => s == "0",
        _ => false,
    }
}

/// True unless `s` (a plain scalar starting with a digit, or a sign and a digit) is certainly
/// not a number to serde-saphyr. It reads a plain scalar as an integer (decimal with `_`
/// between digits, `0x`, `0o`, `0b`, legacy octal), else as a float when Rust's `f64` parser
/// takes it (digits, one `.`, an exponent), else as a string: so a number is made of digits,
/// `_`, a radix letter after a leading `0`, hexadecimal digits after `0x`, `e`, signs after an
/// `e`, and at most one `.`. Anything else is a string, timestamps and sexagesimal numbers
/// (`2024-01-01`, `12:30`) included.
fn maybe_number(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let prefix = |i: usize| unsigned.len() > 1 && unsigned[0] == b'0' && i == 1;
    let hex = prefix(1) && matches!(unsigned[1], b'x' | b'X');
    let mut previous = b' ';
    let mut dots = 0;
    for (i, &b) in unsigned.iter().enumerate() {
        let number = b.is_ascii_digit()
            || matches!(b, b'_' | b'e' | b'E')
            || (prefix(i) && matches!(b, b'x' | b'X' | b'o' | b'O' | b'b' | b'B'))
            || (hex && b.is_ascii_hexdigit())
            || (matches!(b, b'+' | b'-') && matches!(previous, b'e' | b'E'));
        if b == b'.' {
            dots += 1;
        } else if !number {
            return false;
        }
        previous = b;
    }
    dots < 2
}

/// The value of a plain scalar whose type is certain: `true`, `false`, `null`, `~`, a decimal
/// integer, or a string that no YAML 1.1 reader takes for anything else.
fn plain_value(s: &str) -> Option<Value> {
    let bytes = s.as_bytes();
    match bytes[0] {
        b'a'..=b'z' | b'A'..=b'Z' => match s {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            "null" => Some(Value::Null),
            _ if reserved(s) => None,
            _ => Some(Value::String(s.to_string())),
        },
        b'~' => (s == "~").then_some(Value::Null),
        b'0'..=b'9' => {
            if bytes.iter().all(u8::is_ascii_digit) {
                if bytes[0] != b'0' || bytes.len() == 1 {
                    return s.parse::<i64>().ok().map(Value::from);
                }
                // `0777` is octal, as Kubernetes reads it.
                if bytes.iter().all(|b| (b'0'..=b'7').contains(b)) {
                    return i64::from_str_radix(&s[1..], 8).ok().map(Value::from);
                }
                return None;
            }
            // `2Gi`, `500m`, `2.52.0`, `2024-01-01`, `12:30`: no number has that spelling.
            (!maybe_number(s)).then(|| Value::String(s.to_string()))
        }
        b'-' => match bytes.get(1) {
            Some(b'1'..=b'9') if bytes[1..].iter().all(u8::is_ascii_digit) => {
                s.parse::<i64>().ok().map(Value::from)
            }
            Some(b'0'..=b'9') if !maybe_number(s) => Some(Value::String(s.to_string())),
            // `-x`, `--flag`, `--`; not `-inf` or `-nan`.
            Some(b) if b.is_ascii_alphabetic() && !reserved(&s[1..]) => {
                Some(Value::String(s.to_string()))
            }
            Some(b'-') => Some(Value::String(s.to_string())),
            _ => None,
        },
        b'/' | b'$' => Some(Value::String(s.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{ParseError, Source};

    /// serde-saphyr's reading of `text`, without the quick reader.
    fn saphyr(text: &str) -> Result<Vec<Document>, ParseError> {
        let source = Source::new(text.as_bytes())?;
        source.documents_with(source.options())
    }

    /// The quick reader reads `text` exactly as serde-saphyr does, or not at all. Returns
    /// whether it read it.
    fn agrees(text: &str) -> bool {
        let Ok(source) = Source::new(text.as_bytes()) else {
            return false;
        };
        let Some((quick, _)) = read(&source) else {
            return false;
        };
        match saphyr(text) {
            Ok(docs) => assert_eq!(quick, docs, "{text:?}"),
            Err(e) => panic!("quick read what serde-saphyr rejects ({e}): {text:?}"),
        }
        true
    }

    #[test]
    fn reads_what_serde_saphyr_reads() {
        let cases = [
            "a: 1\nb:\n  c: \"x y\"\n  d: [1, \"two\"]\ne:\n- f: g\n  h: |\n    l1\n    l2\n- plain text\n- {}\nk: 'q' # c\n",
            "e:\n  - x\n  - y\nf:\n- - a\n  - b\n- [1]\n",
            "- a\n- b: c\n",
            "---\nk: v\n---\n# c\n\n- 1\n--- \n  # x\n  a: 1\n",
            "a:\n  b:\n    c: 1\n  d: |-\n    x\n\n  e: \"q\"\n",
            "d: |\n  x\n# comment\n\ne: 1\nf: |+\n  y\n\n",
            "\"q k\": {a: 1, \"b\": x}\nl: []\nm: {}\nn2:    spaced   # c\n",
            "a:\n- |\n  x\n- y\nb:\n  - |\n    z\n",
            "s: \"esc \\\" \\\\ \\n \\t \\/\"\nt: 'it''s'\nu: ünï ✓\nv: -x\nw: --flag\nx: /bin/sh\ny2: 2Gi\nz: 500m\n",
            "n: null\no: ~\np: -12\nq: 0\nr: 123456789\ns: [~, null, true, false]\n",
            "block: |\n  a\n\n  b\n   c\n    \n  d\n\nnext: 1\n",
            "keep: |+\n  a\n\n\nstrip: |-\n  b\n\n\n",
            "a:\n  # comment\n  b: 1 # trailing\n  # another\n  c:\n  - 1\n  # between\n  - 2\n",
            "- - - deep\n    - x\n  - y\n- z\n",
            "a: {}\nb: []\nc: [ ]\nd: { }\n",
            "1: one\n20: twenty\n",
            "a: b\n---\n---\nc: d\n---\n",
            "# only comments\n---\n# more\n",
            "",
            "a: |\n  x\nb: 2",
        ];
        for case in cases {
            agrees(case);
        }
        assert!(
            agrees(cases[0]),
            "the quick reader reads ordinary manifests"
        );
    }

    #[test]
    fn reads_versions_multi_line_scalars_and_flow_collections() {
        for case in [
            // Plain scalars no number has the spelling of.
            "v: 2.52.0\nw: 1.0.0-rc1\nx: 2024-01-01\nh: 12:30\nz: -2.5.1\nq: 8Gi\n",
            "img: rayproject/ray:2.52.0\nr: 2x2\ns: 1.2.3e5\nt: 5z\nu: 0.0.0.0\nv: 10.0.0.1/8\n",
            "- 1-2\n- 3d\n- 1e5x\n- 1.5.\n- -1x\n- 1a\n",
            // Multi-line plain scalars.
            "a: b\n  c\n\n  d\ne: f\n",
            "- one two\n  three   \n   four\n- x\n",
            "a: 1\n  2\nb: --x\n  --y z\n",
            "a:\n  b: long\n\n\n    text # c\n  c: 1\n",
            // Multi-line quoted scalars.
            "c:\n- 'ARCH=$(uname -m)\n\n  sudo wget x\n\n  '\nm: 1\n",
            "a: 'it''s\n  long  \n   text' # c\nb: '\n  x'\n",
            "a: \"x\n\n\n  y \\t\"\nb: \"\\\\\n  \\\"#q\\\"\"\n",
            "- \"a\n  # not a comment\n  b\"\n- 'x\n\n\n  '\n",
            // Nested flow collections, and flow collections over several lines.
            "a: {b: {c: [1, {d: e}]}, f: [], g: {}}\n",
            "a: [x, w,\n  z]\nb: {c: 1,\n\n  d: [2,\n    3]}\n",
            "- {a: null, b: ~, c: [~, []]}\n- [[1], [[2]]]\n",
            "a:\n  - {k: 'v', \"q\": \"w\"}\n  - [\"x\", 2.52.0\n    , z]\n",
        ] {
            assert!(agrees(case), "the quick reader reads {case:?}");
        }
    }

    #[test]
    fn leaves_everything_else_to_serde_saphyr() {
        for text in [
            "a: yes\n",
            "a: 089\n",
            "a: 1.5\n",
            "a: -inf\n",
            "a: 1_000\n",
            "a: Null\n",
            "on: 1\n",
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "%YAML 1.2\n---\na: 1\n",
            "a: 1\n...\n",
            "? a\n: b\n",
            "a: >\n  x\n",
            // Numbers, or what may be one.
            "a: 1e5\n",
            "a: 0x1F\n",
            "a: 0o17\n",
            "a: 1E5\n",
            "a: 2.5_0\n",
            "a: -1.5\n",
            "a: +1\n",
            "a: .5\n",
            // Multi-line scalars this reader is not sure of.
            "a: \"x\\\n  y\"\n",
            "a: \"x\n  \\u0041\"\n",
            "a: 'x\ny'\n",
            "a:\n  b: 'x\n  y'\n",
            "a: b\n  c # d\n  e\n",
            "a: b\n  - c\n",
            "a: b\n  &c\n",
            "a: b\n  c: d\n",
            "a: b # c\n  d\n",
            "a:\n  b\n",
            // Flow collections this reader is not sure of.
            "a: [1, # c\n  2]\n",
            "a:\n  b: [1,\n  2]\n",
            "a: [1, 2,]\n",
            "a: [b: c]\n",
            "a: [b\n  c]\n",
            "a: ['x\n  y']\n",
            "a: {[1]: 2}\n",
            "a: {b: }\n",
            "a: [1]]\n",
            "a: [1,\n",
            "a:\tb\n",
            "a: 1\r\n",
            "a: |2\n  x\n",
            "a: |\n\n  x\n",
            "a: 1\na: 2\n",
            "a: b: c\n",
            "- \n- a\n",
            "x\n",
            "[1]\n",
        ] {
            let source = Source::new(text.as_bytes()).unwrap();
            assert!(read(&source).is_none(), "{text:?}");
        }
    }

    #[test]
    fn reads_every_fuzz_sample_and_golden_input_as_serde_saphyr_does() {
        let (mut read_quickly, mut total) = (0, 0);
        for (dir, path) in crate::parse::tests::input_files() {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            total += 1;
            let quick = agrees(&text);
            read_quickly += usize::from(quick);
            // Every KubeRay sample is plain enough for the quick reader.
            let sample = dir.ends_with("samples") && path.extension().is_some_and(|e| e == "yaml");
            assert!(quick || !sample, "{}", path.display());
        }
        assert!(total > 100 && read_quickly > 0, "{read_quickly} of {total}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200_000))]
        #[test]
        fn reads_random_yaml_as_serde_saphyr_does(text in yamlish()) {
            agrees(&text);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        #[test]
        fn reads_emitted_and_commented_yaml_as_serde_saphyr_does(
            value in crate::emit::tests::any_value(),
            edits in proptest::collection::vec((0usize..64, 0usize..4, 0usize..6), 0..4),
        ) {
            let yaml = crate::emit::to_yaml(&value);
            let mut lines: Vec<String> = yaml.lines().map(str::to_string).collect();
            for (at, kind, indent) in edits {
                let at = at % (lines.len() + 1);
                match kind {
                    0 => lines.insert(at, format!("{}# note", " ".repeat(indent))),
                    1 => lines.insert(at, " ".repeat(indent)),
                    2 if at < lines.len() => lines[at].push_str(" # tail"),
                    _ => lines.insert(at, "---".to_string()),
                }
            }
            let text = lines.join("\n") + "\n";
            agrees(&yaml);
            agrees(&text);
        }
    }

    /// The pieces [`yamlish`] makes lines of.
    const YAMLISH_TOKENS: &[&str] = &[
        "- ",
        "-",
        "key: ",
        "k2:",
        "a: b",
        "- k: v",
        "x",
        "\"q\"",
        "'s'",
        "\"e\\n\"",
        "|",
        "|-",
        "|+",
        "[a, b]",
        "[]",
        "{x: 1}",
        "{}",
        "# c",
        " # c",
        "---",
        "...",
        "1",
        "-3",
        "0",
        "007",
        "true",
        "null",
        "~",
        "yes",
        "2Gi",
        "1.5",
        "a: b: c",
        "? x",
        "&a x",
        "*a",
        "!t x",
        ":",
        "2x2",
        "1a",
        "0x1F",
        "- --",
        "-inf",
        "-x",
        "-Nan",
        "--1",
        "1e3",
        "3d",
        "0777",
        "089",
        "00",
        "0o7",
        "1_0",
        "$X",
        "$(Y):1",
        "12:30",
        "2024-01-01",
        "1t",
        "5z",
        "-0",
        "-1_0",
        "0b1",
        "07a",
        "9223372036854775808",
        "key:  value",
        "ü",
        "#",
        "{a: [1]}",
        "[\"x\", 'y']",
        "/p",
        "--f",
        "",
        " ",
        // Versions and other strings that look partly like numbers.
        "2.52.0",
        "1.0.0-rc1",
        "0.0.0.0",
        "1.2.3e5",
        "-2.5.1",
        "1e5x",
        "1.5.",
        "0x1g",
        "1e+5",
        // Pieces of multi-line plain and quoted scalars.
        "two words",
        "word",
        "'open",
        "close'",
        "'it''s",
        "\"open",
        "close\"",
        "'",
        "\"",
        "\\t",
        "\\",
        " \\",
        // Nested flow collections, and pieces of flow collections over several lines.
        "{a: {b: [c, {d: e}]}}",
        "[[1], [], {}]",
        "[o,",
        "c]",
        "{o: [1,",
        "x]}",
        ", y",
        "{k: v,",
        "}",
        "]",
    ];

    /// Text made of YAML-looking lines: keys, entries, scalars of every kind, comments,
    /// markers, block scalars, flow collections and pieces of multi-line plain, quoted and
    /// flow nodes, at random indentations.
    fn yamlish() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let token = proptest::sample::select(YAMLISH_TOKENS);
        let line = (0usize..7, proptest::collection::vec(token, 0..3))
            .prop_map(|(indent, tokens)| format!("{}{}", " ".repeat(indent), tokens.concat()));
        let line = prop_oneof![6 => line, 1 => multi_line()];
        proptest::collection::vec(line, 0..12).prop_map(|lines| lines.join("\n") + "\n")
    }

    /// A quoted or plain scalar or a flow collection after a key or `-`, over several lines
    /// at random indentations with empty lines between them: an opening, pieces of text,
    /// line breaks and a closing, which may or may not match.
    fn multi_line() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let start =
            proptest::sample::select(vec!["a: ", "- ", "  k: ", "- k: ", "a:\n- ", "k: v\nb: "]);
        let ends = proptest::sample::select(vec![
            ("'", "'"),
            ("\"", "\""),
            ("", ""),
            ("[", "]"),
            ("{k: ", "}"),
            ("[", "]]"),
            ("{k: [", "]}"),
            ("'", "' # c"),
            ("\"", "\"x"),
        ]);
        let piece = proptest::sample::select(vec![
            "x",
            "y z",
            "two  words ",
            " lead",
            "it''s",
            "\\t",
            "\\\\",
            "\\",
            "#c",
            "- c",
            "--x",
            "c: d",
            "x # c",
            "1",
            "true",
            "2.52.0",
            "a, b",
            "[1, 2]",
            "{p: q}",
            ", w",
            "[]",
            "",
            "'",
            "\"",
            ",",
        ]);
        let line_break = (0usize..7, 0usize..3)
            .prop_map(|(indent, empty)| format!("{}\n{}", "\n".repeat(empty), " ".repeat(indent)));
        let pieces = proptest::collection::vec((line_break, piece.clone()), 1..4);
        (start, ends, piece, pieces).prop_map(|(start, (open, close), first, pieces)| {
            let mut text = format!("{start}{open}{first}");
            for (line_break, piece) in pieces {
                text.push_str(&line_break);
                text.push_str(piece);
            }
            text.push_str(close);
            text
        })
    }
}
