//! The parallel scheduler of [`super::compile_with`].
//!
//! Takes the inputs, the options and the number of threads; returns the same [`Output`] the
//! sequential loop would, or `None` when there is no work to share (a single task) or no
//! thread could be started, so that the caller runs the loop itself. Each input is a task,
//! and so is each document of a stream that [`parse::chunks`] can cut at its `---` lines; a
//! stream whose pieces turn out not to parse alone, or to need the stream-wide budgets, is
//! parsed whole instead, for its exact error. Workers take tasks in order from a shared
//! counter, a few at a time when there are many, and send their results to the calling thread
//! a batch per message, which merges them in task order as they arrive. Never lets thread
//! timing reach the output.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use super::{Input, Keep, Output, Run, add_document, compile_input};
use crate::normalize::Options;
use crate::parse::{self, Usage};

/// Compiles every input on up to `run.threads` threads; `None` when fewer than two tasks
/// would run in parallel, or no thread could be started.
pub(super) fn compile(inputs: &[Input<'_>], opts: &Options, run: Run) -> Option<Output> {
    let chunks: Vec<Option<parse::Chunks<'_>>> = inputs
        .iter()
        .map(|input| parse::chunks(input.bytes))
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
    if workers > 1 {
        job.in_parallel(workers)
    } else {
        None
    }
}

/// How many consecutive tasks a worker takes at a time: one while there are few, so that the
/// work stays shared to the end, and up to [`MAX_BATCH`] when there are many, so that a stream
/// of thousands of small documents does not wake the merging thread for each one.
fn batch_size(tasks: usize, workers: usize) -> usize {
    (tasks / workers.max(1) / BATCHES_PER_WORKER).clamp(1, MAX_BATCH)
}

/// The most tasks a worker takes at a time.
const MAX_BATCH: usize = 16;

/// How many batches each worker takes at least, when there are enough tasks.
const BATCHES_PER_WORKER: usize = 64;

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
        let batch = batch_size(self.tasks.len(), workers);
        std::thread::scope(|scope| {
            let (sender, results) = mpsc::channel::<Vec<(usize, Done)>>();
            let mut started = 0;
            for _ in 0..workers {
                let sender = sender.clone();
                let next = &next;
                let worker = std::thread::Builder::new()
                    .name("raycc-compile".to_string())
                    .stack_size(parse::READER_STACK_BYTES)
                    .spawn_scoped(scope, move || {
                        loop {
                            let first = next.fetch_add(batch, Ordering::Relaxed);
                            let end = first.saturating_add(batch).min(self.tasks.len());
                            if first >= end {
                                break;
                            }
                            let done = (first..end)
                                .map(|index| (index, self.run(self.tasks[index])))
                                .collect();
                            if sender.send(done).is_err() {
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
                out: Output::new(self.keep),
                waiting: BTreeMap::new(),
                next: 0,
                pieces: None,
            };
            for (index, done) in results.into_iter().flatten() {
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
                    let mut out = Output::new(self.keep);
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

/// How much output there was when an input started, to go back to.
#[derive(Clone, Copy, Debug)]
struct Mark {
    documents: usize,
    diagnostics: usize,
    clusters: usize,
    placed: usize,
}

impl Output {
    /// How much output there is, to [`Output::truncate`] back to.
    fn mark(&self) -> Mark {
        Mark {
            documents: self.documents.len(),
            diagnostics: self.diagnostics.len(),
            clusters: self.clusters,
            placed: self.placed.len(),
        }
    }

    fn truncate(&mut self, mark: Mark) {
        self.documents.truncate(mark.documents);
        self.diagnostics.truncate(mark.diagnostics);
        self.clusters = mark.clusters;
        self.placed.truncate(mark.placed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;
    use crate::compile::{Documents, compile_with};
    use crate::emit;

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
        run_on(&inputs(), keep, threads)
    }

    fn run_on(inputs: &[(String, String)], keep: Keep, threads: usize) -> Output {
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
    fn compiles_streams_in_batches_the_same_as_alone() {
        // Enough documents that workers take several at a time, with an invalid cluster and
        // another object among them, and a stream that must be parsed whole after pieces of it
        // compiled.
        let renamed = |i: usize| CLUSTER.replace("name: c", &format!("name: c{i}"));
        let stream = |n: usize| -> String {
            (0..n)
                .flat_map(|i| ["---\n".to_string(), renamed(i)])
                .collect()
        };
        let long = [
            stream(600),
            "---\n".to_string(),
            CLUSTER.replace("maxReplicas: 2", "maxReplicas: -1"),
            format!("---\n{CONFIG_MAP}"),
        ]
        .concat();
        let broken = stream(300);
        let inputs = vec![
            ("long.yaml".to_string(), long),
            ("broken.yaml".to_string(), broken + "---\na: [1\n"),
            ("one.yaml".to_string(), CLUSTER.to_string()),
        ];
        assert!(batch_size(600, 2) > 1 && batch_size(900, 3) > 1);
        for keep in [Keep::Yaml, Keep::Values] {
            let one = run_on(&inputs, keep, 1);
            assert_eq!(one.files, 3);
            // The invalid cluster and the broken stream's are not compiled.
            assert_eq!(one.clusters, 601);
            assert!(one.has_errors());
            for threads in [2, 3] {
                assert_eq!(run_on(&inputs, keep, threads), one, "{threads} threads");
            }
        }
    }

    #[test]
    fn takes_tasks_one_at_a_time_until_there_are_many() {
        assert_eq!(batch_size(0, 2), 1);
        assert_eq!(batch_size(42, 2), 1);
        assert_eq!(batch_size(255, 2), 1);
        assert_eq!(batch_size(256, 2), 2);
        assert_eq!(batch_size(1_000, 2), 7);
        assert_eq!(batch_size(10_000, 2), MAX_BATCH);
        assert_eq!(batch_size(10_000, 0), MAX_BATCH);
        assert_eq!(batch_size(usize::MAX, 1), MAX_BATCH);
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
            let Documents::Yaml(stream) = &yaml.documents else {
                panic!("the documents are kept as YAML");
            };
            assert_eq!(
                stream.to_string(),
                emit::emit(
                    &values
                        .documents
                        .values()
                        .iter()
                        .map(|d| d.value.clone())
                        .collect::<Vec<_>>()
                )
            );
            assert_eq!(yaml.yaml(), values.yaml());
            assert!(yaml.documents.values().is_empty());
            let diagnostics = run(Keep::Diagnostics, threads);
            assert!(diagnostics.documents.is_empty());
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
                .values()
                .iter()
                .any(|d| d.source == "broken-later.yaml")
        );
    }
}
