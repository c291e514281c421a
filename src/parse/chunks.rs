//! Cutting a YAML stream at its `---` lines, so that `compile` can parse the pieces in
//! parallel.
//!
//! Takes the raw input; [`chunks`] returns its pieces, each parsed on its own by
//! [`Chunks::parse`] with the same documents, values and spans as parsing the whole stream,
//! plus the [`Usage`] that piece counted against the stream-wide budgets. The caller adds the
//! usages up and keeps the pieces' documents only when every piece parsed and the total fits;
//! otherwise it parses the whole stream with [`super::parse`]. Never cuts inside a document
//! (a `---` at the start of a line always starts one), and never lets the pieces accept a
//! stream the whole parse would refuse.

use super::saphyr::budget;
use super::{Document, MAX_DEPTH, MAX_INPUT_BYTES, ParseError, Source, quick, strip_bom};

/// A stream cut at its `---` lines into pieces that can be parsed separately, and in
/// parallel, with the same documents, values and spans as parsing the whole stream.
///
/// YAML documents are independent: anchors, indentation and scalars end at a `---` line
/// (a document marker at the start of a line is never content). What parsing the whole stream
/// adds is its error (a piece may stop elsewhere, or not at all) and its stream-wide budgets
/// (nodes, events, documents, scalar bytes, anchors, alias replays). So a caller parses every
/// piece, adds up their [`Usage`], and keeps the pieces' documents only when every piece
/// parsed and the total [`Usage::fits`] the budgets; otherwise it parses the whole stream with
/// [`super::parse`], which gives the exact error.
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
    let pieces = cut(text.as_bytes())?;
    (pieces.len() > 1).then_some(Chunks { text, base, pieces })
}

/// A piece's byte range and the number of lines before it.
type Piece = (std::ops::Range<usize>, usize);

/// The pieces of `bytes`, cut before every `---` line but the first line; `None` when a line
/// starts with `%`. Text whose lines all end in `\n` is searched for the two line starts that
/// matter; any other is read line by line.
fn cut(bytes: &[u8]) -> Option<Vec<Piece>> {
    if memchr::memchr(b'\r', bytes).is_some() {
        return cut_line_by_line(bytes);
    }
    if bytes.first() == Some(&b'%') || memchr::memmem::find(bytes, b"\n%").is_some() {
        return None;
    }
    let mut pieces = Vec::new();
    let (mut start, mut start_line) = (0, 0);
    for newline in memchr::memmem::find_iter(bytes, b"\n---") {
        let at = newline + 1;
        if matches!(bytes.get(at + 3), None | Some(b' ' | b'\t' | b'\n')) {
            let line = start_line + memchr::memchr_iter(b'\n', &bytes[start..at]).count();
            pieces.push((start..at, start_line));
            (start, start_line) = (at, line);
        }
    }
    pieces.push((start..bytes.len(), start_line));
    Some(pieces)
}

/// [`cut`] for any text, one line at a time.
fn cut_line_by_line(bytes: &[u8]) -> Option<Vec<Piece>> {
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
        match line_break(rest) {
            Some(i) => {
                at += i + if rest[i..].starts_with(b"\r\n") { 2 } else { 1 };
                line += 1;
            }
            None => at = bytes.len(),
        }
    }
    pieces.push((start..bytes.len(), start_line));
    Some(pieces)
}

/// The position of the first `\n` or `\r` in `bytes`.
fn line_break(bytes: &[u8]) -> Option<usize> {
    memchr::memchr2(b'\n', b'\r', bytes)
}

impl Chunks<'_> {
    /// The number of pieces.
    pub(crate) fn len(&self) -> usize {
        self.pieces.len()
    }

    /// Parses piece `index` on the calling thread (which must have [`super::READER_STACK_BYTES`] of
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
    pub(super) events: usize,
    pub(super) aliases: usize,
    pub(super) anchors: usize,
    pub(super) recorded_anchor_events: usize,
    pub(super) recorded_anchor_bytes: usize,
    pub(super) documents: usize,
    pub(super) nodes: usize,
    pub(super) total_scalar_bytes: usize,
    pub(super) merge_keys: usize,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::tests::input_files;
    use crate::parse::{READER_STACK_BYTES, parse};

    proptest::proptest! {
        #[test]
        fn finds_the_first_line_break_as_a_bytewise_search_does(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(vec![b'\n', b'\r', 0, 0x0b, 0x8a, 0x8d, 0xff]),
                    proptest::prelude::any::<u8>(),
                    proptest::strategy::Just(b'a'),
                ],
                0..40,
            )
        ) {
            let expected = bytes.iter().position(|&b| b == b'\n' || b == b'\r');
            proptest::prop_assert_eq!(line_break(&bytes), expected);
        }

        #[test]
        fn cuts_text_with_newlines_only_as_reading_it_line_by_line_does(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "---", "--- a", "---\t", "----", "-- -", "%YAML 1.2", "%", "\n", "\n", "\n",
                    "\n---", "a: b", " ", "\t", "-",
                ]),
                0..24,
            )
        ) {
            let text = parts.concat();
            proptest::prop_assert_eq!(cut(text.as_bytes()), cut_line_by_line(text.as_bytes()));
        }
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
        let inputs: Vec<Vec<u8>> = input_files()
            .into_iter()
            .filter_map(|(_, path)| std::fs::read(path).ok())
            .collect();
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
        if let Some(entries) =
            crate::parse::tests::kuberay_samples().and_then(|d| std::fs::read_dir(d).ok())
        {
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
