//! The whole pipeline over many inputs: bytes in, documents and diagnostics out.
//!
//! Takes named inputs (file contents, already read by the CLI) and [`Options`]; returns every
//! output document in input order (generated objects in place of each RayCluster, other
//! documents passed through where they were) and every diagnostic, located. Never does I/O.
//!
//! [`compile_with`] spreads the work over threads: each input is a task, and so is each
//! document of a stream that [`parse`] can cut at its `---` lines (a stream whose pieces turn
//! out not to parse alone, or to need the stream-wide budgets, is parsed whole instead). The
//! calling thread merges the results in input order as they arrive, so the output is the same
//! whatever the number of threads and their timing. With [`Keep::Yaml`] every document is
//! written out as soon as it is compiled and its values are dropped, so a large stream never
//! holds all of its values at once.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use serde_json::Value;

use crate::build;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Finding, Severity, locate};
use crate::emit;
use crate::normalize::{self, Options};
use crate::parse::{self, Document, ParseError, ParseErrorKind, Usage};
use crate::validate::{self, Validated};

/// One input: a display name (a path, or `-` for stdin) and its bytes.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// The name diagnostics use.
    pub name: &'a str,
    /// The contents.
    pub bytes: &'a [u8],
}

/// Where an output document came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Generated from a RayCluster.
    Generated,
    /// Passed through from the input.
    Passthrough,
}

/// One output document.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputDoc {
    /// The object.
    pub value: Value,
    /// Its origin.
    pub origin: Origin,
    /// The input it came from.
    pub source: String,
}

/// The result of compiling a set of inputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    /// Output documents, in order (with [`Keep::Values`]).
    pub documents: Vec<OutputDoc>,
    /// The output documents as one YAML stream, as [`emit::emit`] writes them (with
    /// [`Keep::Yaml`]).
    pub stream: emit::Stream,
    /// Every diagnostic, grouped by input in input order, sorted by position within one.
    pub diagnostics: Vec<Diagnostic>,
    /// Inputs read.
    pub files: usize,
    /// RayClusters compiled.
    pub clusters: usize,
}

impl Output {
    /// True when any diagnostic is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// The number of diagnostics of a severity.
    #[must_use]
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// The output documents as one YAML stream, whether they were kept as values or as YAML.
    #[must_use]
    pub fn yaml(&self) -> String {
        let mut out = self.stream.to_string();
        for doc in &self.documents {
            emit::write_document(&mut out, &doc.value);
        }
        out
    }

    /// Appends the output of later inputs.
    fn append(&mut self, other: Output) {
        self.documents.extend(other.documents);
        self.stream.append(other.stream);
        self.diagnostics.extend(other.diagnostics);
        self.files += other.files;
        self.clusters += other.clusters;
    }

    /// How much output there is, to [`Output::truncate`] back to.
    fn mark(&self) -> Mark {
        Mark {
            documents: self.documents.len(),
            stream: self.stream.mark(),
            diagnostics: self.diagnostics.len(),
            clusters: self.clusters,
        }
    }

    fn truncate(&mut self, mark: Mark) {
        self.documents.truncate(mark.documents);
        self.stream.truncate(mark.stream);
        self.diagnostics.truncate(mark.diagnostics);
        self.clusters = mark.clusters;
    }

    /// Keeps one output document as `keep` says.
    fn keep(&mut self, value: Value, origin: Origin, source: &str, keep: Keep) {
        match keep {
            Keep::Diagnostics => {}
            Keep::Values => self.documents.push(OutputDoc {
                value,
                origin,
                source: source.to_string(),
            }),
            Keep::Yaml => self.stream.push(&value),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Mark {
    documents: usize,
    stream: usize,
    diagnostics: usize,
    clusters: usize,
}

/// What [`compile_with`] keeps of the output documents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Keep {
    /// Diagnostics and counts only (`raycc validate`): RayClusters are validated and
    /// normalized, but no object is built.
    Diagnostics,
    /// The documents as values, in [`Output::documents`].
    #[default]
    Values,
    /// The documents as YAML text, in [`Output::stream`].
    Yaml,
}

/// How [`compile_with`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// What to keep of the output documents.
    pub keep: Keep,
    /// The most threads to compile on (the CLI passes the number of CPUs). With 1, inputs are
    /// compiled one after the other on the calling thread.
    pub threads: usize,
}

/// Compiles every input, one after the other, keeping the output documents as values.
#[must_use]
pub fn compile(inputs: &[Input<'_>], opts: &Options) -> Output {
    compile_with(
        inputs,
        opts,
        Run {
            keep: Keep::Values,
            threads: 1,
        },
    )
}

/// Compiles every input on up to `run.threads` threads. The output does not depend on the
/// number of threads.
#[must_use]
pub fn compile_with(inputs: &[Input<'_>], opts: &Options, run: Run) -> Output {
    let chunks: Vec<Option<parse::Chunks<'_>>> = inputs
        .iter()
        .map(|input| {
            if run.threads > 1 {
                parse::chunks(input.bytes)
            } else {
                None
            }
        })
        .collect();
    let mut tasks = Vec::new();
    for (input, pieces) in chunks.iter().enumerate() {
        match pieces {
            Some(pieces) => tasks.extend((0..pieces.len()).map(|piece| Task::Piece {
                input,
                piece,
                last: piece + 1 == pieces.len(),
            })),
            None => tasks.push(Task::Whole(input)),
        }
    }
    let job = Job {
        inputs,
        chunks: &chunks,
        tasks: &tasks,
        opts,
        keep: run.keep,
    };
    let workers = run.threads.min(tasks.len());
    if workers > 1
        && let Some(out) = job.in_parallel(workers)
    {
        return out;
    }
    let mut out = Output::default();
    for input in inputs {
        out.append(compile_input(input, opts, run.keep, parse::parse));
    }
    out
}

/// A unit of work: a whole input, or one piece of an input cut into pieces.
#[derive(Clone, Copy, Debug)]
enum Task {
    Whole(usize),
    Piece {
        input: usize,
        piece: usize,
        last: bool,
    },
}

/// What a task produced: a whole input's output, or a piece's output and usage (`None` when
/// the piece does not parse alone).
enum Done {
    Whole(Output),
    Piece(Option<(Output, Usage)>),
}

/// Everything the tasks share.
struct Job<'j, 'a> {
    inputs: &'j [Input<'a>],
    chunks: &'j [Option<parse::Chunks<'a>>],
    tasks: &'j [Task],
    opts: &'j Options,
    keep: Keep,
}

impl Job<'_, '_> {
    /// Runs the tasks on `workers` threads and merges their results on this one; `None` when
    /// no thread could be started.
    fn in_parallel(&self, workers: usize) -> Option<Output> {
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            let (sender, results) = mpsc::channel();
            let mut started = 0;
            for _ in 0..workers {
                let sender = sender.clone();
                let next = &next;
                let worker = std::thread::Builder::new()
                    .name("raycc-compile".to_string())
                    .stack_size(parse::READER_STACK_BYTES)
                    .spawn_scoped(scope, move || {
                        loop {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            let Some(task) = self.tasks.get(index) else {
                                break;
                            };
                            if sender.send((index, self.run(*task))).is_err() {
                                break;
                            }
                        }
                    });
                started += usize::from(worker.is_ok());
            }
            drop(sender);
            if started == 0 {
                return None;
            }
            let mut merge = Merge {
                job: self,
                out: Output::default(),
                waiting: BTreeMap::new(),
                next: 0,
                pieces: None,
            };
            for (index, done) in results {
                merge.add(index, done);
            }
            Some(merge.out)
        })
    }

    /// Runs one task on a worker thread (which has the parser's stack).
    fn run(&self, task: Task) -> Done {
        match task {
            Task::Whole(input) => Done::Whole(compile_input(
                &self.inputs[input],
                self.opts,
                self.keep,
                parse::parse_here,
            )),
            Task::Piece { input, piece, .. } => {
                let Some(chunks) = &self.chunks[input] else {
                    return Done::Piece(None);
                };
                Done::Piece(chunks.parse(piece).ok().map(|(docs, usage)| {
                    let mut out = Output::default();
                    for doc in docs {
                        add_document(&mut out, doc, self.inputs[input].name, self.opts, self.keep);
                    }
                    (out, usage)
                }))
            }
        }
    }
}

/// Merges task results in task order, whatever order they arrive in.
struct Merge<'m, 'j, 'a> {
    job: &'m Job<'j, 'a>,
    out: Output,
    /// Results that arrived before an earlier one.
    waiting: BTreeMap<usize, Done>,
    /// The next task to merge.
    next: usize,
    /// For the input being merged piece by piece: where its output starts, the usage of its
    /// pieces so far, and whether every piece so far parsed.
    pieces: Option<(Mark, Usage, bool)>,
}

impl Merge<'_, '_, '_> {
    fn add(&mut self, index: usize, done: Done) {
        self.waiting.insert(index, done);
        while let Some(done) = self.waiting.remove(&self.next) {
            self.merge(self.job.tasks[self.next], done);
            self.next += 1;
        }
    }

    fn merge(&mut self, task: Task, done: Done) {
        match (task, done) {
            (Task::Piece { input, piece, last }, Done::Piece(result)) => {
                if piece == 0 {
                    self.pieces = Some((self.out.mark(), Usage::default(), true));
                }
                let Some((mark, usage, parsed)) = &mut self.pieces else {
                    return;
                };
                match result {
                    Some((out, used)) if *parsed => {
                        usage.add(used);
                        self.out.append(out);
                    }
                    _ => *parsed = false,
                }
                if last {
                    let whole = !*parsed || !usage.fits();
                    let mark = *mark;
                    self.pieces = None;
                    if whole {
                        // Parse the whole stream, for its exact error or its stream-wide limits.
                        self.out.truncate(mark);
                        let input = &self.job.inputs[input];
                        let out = compile_input(input, self.job.opts, self.job.keep, parse::parse);
                        self.out.append(out);
                    } else {
                        self.out.files += 1;
                    }
                }
            }
            (_, Done::Whole(out)) => self.out.append(out),
            (Task::Whole(_), Done::Piece(_)) => {}
        }
    }
}

/// Compiles one input, one document after the other, keeping the output as `keep` says;
/// `parser` is [`parse::parse`], or [`parse::parse_here`] on a thread with the parser's stack.
fn compile_input(
    input: &Input<'_>,
    opts: &Options,
    keep: Keep,
    parser: fn(&[u8]) -> Result<Vec<Document>, ParseError>,
) -> Output {
    let mut out = Output {
        files: 1,
        ..Output::default()
    };
    match parser(input.bytes) {
        Ok(docs) => {
            for doc in docs {
                add_document(&mut out, doc, input.name, opts, keep);
            }
        }
        Err(e) => {
            let code = match e.kind() {
                ParseErrorKind::Syntax => Code::YamlSyntax,
                ParseErrorKind::DuplicateKey => Code::DuplicateKey,
                ParseErrorKind::Limit => Code::InputLimit,
                ParseErrorKind::Encoding => Code::InvalidEncoding,
            };
            out.diagnostics.push(Diagnostic {
                code,
                severity: Severity::Error,
                message: e.to_string(),
                file: input.name.to_string(),
                span: e.span(),
                path: String::new(),
                help: None,
                related: None,
            });
        }
    }
    out
}

/// Compiles one parsed document of input `name` into `out`: its output documents, kept as
/// `keep` says, and its diagnostics, located and sorted by position.
fn add_document(out: &mut Output, doc: Document, name: &str, opts: &Options, keep: Keep) {
    let (compiled, findings) = compile_value(doc.value, opts, keep != Keep::Diagnostics);
    match compiled {
        Compiled::Generated(objects) => {
            out.clusters += 1;
            for value in objects {
                out.keep(value, Origin::Generated, name, keep);
            }
        }
        Compiled::Passthrough(value) => out.keep(value, Origin::Passthrough, name, keep),
        Compiled::Invalid => {}
    }
    let mut located = locate(findings, name, &doc.spans);
    located.sort_by(|a, b| (a.span, a.code, &a.message).cmp(&(b.span, b.code, &b.message)));
    out.diagnostics.extend(located);
}

/// True when the bytes mention `RayCluster` in any letter case: a cheap test that lets hooks
/// run over every YAML file skip the ones that cannot hold a RayCluster (or a misspelled
/// `kind: Raycluster`) without parsing them.
#[must_use]
pub fn mentions_raycluster(bytes: &[u8]) -> bool {
    const WORD: &[u8] = b"raycluster";
    bytes
        .windows(WORD.len())
        .any(|w| w.eq_ignore_ascii_case(WORD))
}

/// What one document compiles to.
#[derive(Clone, Debug, PartialEq)]
pub enum Compiled {
    /// The objects generated from a RayCluster without errors, in output order.
    Generated(Vec<Value>),
    /// The document itself: it is not a RayCluster.
    Passthrough(Value),
    /// A RayCluster (or a document that is no object) with errors: nothing is emitted.
    Invalid,
}

/// Compiles one parsed document, with the findings of every stage (pointer-located, in the
/// order the stages found them).
#[must_use]
pub fn compile_document(doc: Value, opts: &Options) -> (Compiled, Vec<Finding>) {
    compile_value(doc, opts, true)
}

/// [`compile_document`]; without `build_objects`, a valid RayCluster gives `Generated` with no
/// objects (validation and normalization find every diagnostic; building finds none).
fn compile_value(doc: Value, opts: &Options, build_objects: bool) -> (Compiled, Vec<Finding>) {
    let (verdict, mut findings) = validate::validate(&doc);
    let compiled = match verdict {
        Validated::Cluster(cluster) => {
            let (resolved, warnings) = normalize::normalize(*cluster, opts);
            findings.extend(warnings);
            if findings.iter().any(Finding::is_error) {
                Compiled::Invalid
            } else if build_objects {
                let objects = build::build(&resolved).objects;
                Compiled::Generated(objects.iter().map(build::Object::to_value).collect())
            } else {
                Compiled::Generated(Vec::new())
            }
        }
        Validated::Passthrough => Compiled::Passthrough(doc),
        Validated::Invalid => Compiled::Invalid,
    };
    (compiled, findings)
}

/// Compiles one input.
#[must_use]
pub fn compile_one(input: &Input<'_>, opts: &Options) -> Output {
    compile_input(input, opts, Keep::Values, parse::parse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_raycluster_in_any_case_only() {
        assert!(mentions_raycluster(b"kind: RayCluster\n"));
        assert!(mentions_raycluster(b"kind: raycluster"));
        assert!(!mentions_raycluster(b"kind: ConfigMap\n"));
        assert!(!mentions_raycluster(b""));
    }

    #[test]
    fn compile_document_passes_other_objects_through_unchanged() {
        let cm =
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}});
        let (compiled, findings) = compile_document(cm.clone(), &Options::default());
        assert_eq!(compiled, Compiled::Passthrough(cm));
        assert!(findings.is_empty());
    }

    const CLUSTER: &str = "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata:\n  name: c\nspec:\n  rayVersion: \"2.52.0\"\n  workerGroupSpecs:\n  - groupName: g\n    minReplicas: 0\n    maxReplicas: 2\n";
    const CONFIG_MAP: &str =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\ndata:\n  k: v\n";

    /// Inputs that exercise every path: streams that cut into pieces, streams that must be
    /// parsed whole (a syntax error in a later document, an alias, a directive), errors,
    /// warnings, passthroughs and empty files.
    fn inputs() -> Vec<(String, String)> {
        let invalid = CLUSTER.replace("maxReplicas: 2", "maxReplicas: -1");
        let renamed = |i: usize| CLUSTER.replace("name: c", &format!("name: c{i}"));
        let stream = (0..12).fold(String::new(), |acc, i| acc + "---\n" + &renamed(i));
        vec![
            (
                "stream.yaml".into(),
                format!("{stream}---\n{CONFIG_MAP}---\n{invalid}"),
            ),
            ("one.yaml".into(), CLUSTER.into()),
            ("empty.yaml".into(), String::new()),
            (
                "broken-later.yaml".into(),
                format!("{CLUSTER}---\n{CONFIG_MAP}---\na: [1\n"),
            ),
            (
                "alias.yaml".into(),
                format!("{CLUSTER}---\nkind: ConfigMap\na: &x 1\nb: *x\n"),
            ),
            (
                "directive.yaml".into(),
                format!("%YAML 1.2\n---\n{CLUSTER}---\n{CONFIG_MAP}"),
            ),
            (
                "comments.yaml".into(),
                format!("# lead\n---\n# none\n---\n{CONFIG_MAP}...\n"),
            ),
        ]
    }

    fn run(keep: Keep, threads: usize) -> Output {
        let inputs = inputs();
        let inputs: Vec<Input<'_>> = inputs
            .iter()
            .map(|(name, text)| Input {
                name,
                bytes: text.as_bytes(),
            })
            .collect();
        compile_with(&inputs, &Options::default(), Run { keep, threads })
    }

    #[test]
    fn compiles_the_same_on_any_number_of_threads() {
        let one = run(Keep::Values, 1);
        assert_eq!(one.files, 7);
        assert!(one.clusters >= 13, "{}", one.clusters);
        assert!(one.has_errors());
        assert!(!one.documents.is_empty());
        for threads in [2, 3, 8, 64] {
            assert_eq!(run(Keep::Values, threads), one, "{threads} threads");
        }
    }

    #[test]
    fn keeps_yaml_or_only_diagnostics_with_the_same_diagnostics() {
        let values = run(Keep::Values, 1);
        for threads in [1, 2, 8] {
            let yaml = run(Keep::Yaml, threads);
            assert_eq!(
                yaml.stream.to_string(),
                emit::emit(
                    &values
                        .documents
                        .iter()
                        .map(|d| d.value.clone())
                        .collect::<Vec<_>>()
                )
            );
            assert_eq!(yaml.yaml(), values.yaml());
            assert!(yaml.documents.is_empty());
            let diagnostics = run(Keep::Diagnostics, threads);
            assert!(diagnostics.documents.is_empty() && diagnostics.stream.is_empty());
            for out in [yaml, diagnostics] {
                assert_eq!(out.diagnostics, values.diagnostics);
                assert_eq!((out.files, out.clusters), (values.files, values.clusters));
            }
        }
    }

    #[test]
    fn reports_the_whole_stream_error_when_a_piece_does_not_parse() {
        let out = run(Keep::Values, 4);
        let broken: Vec<_> = out
            .diagnostics
            .iter()
            .filter(|d| d.file == "broken-later.yaml")
            .collect();
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert_eq!(broken[0].code, Code::YamlSyntax);
        assert!(
            !out.documents
                .iter()
                .any(|d| d.source == "broken-later.yaml")
        );
    }
}
