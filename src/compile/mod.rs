//! The whole pipeline over many inputs: bytes in, documents and diagnostics out.
//!
//! Takes named inputs (file contents, already read by the CLI) and [`Options`]; returns every
//! output document in input order (generated objects in place of each RayCluster, other
//! documents passed through where they were) and every diagnostic, located. Never does I/O.
//!
//! Each input goes through `compile_input`: parse it, then hand each document to
//! `add_document`, which runs validate → normalize → build (`compile_value`) and locates the
//! findings. [`compile_with`] runs that on as many threads as it is given; the scheduler is
//! `parallel.rs`, and the output is the same whatever the number of threads and their
//! timing. With [`Keep::Yaml`] every document is written out as soon as it is compiled and
//! its values are dropped, so a large stream never holds all of its values at once.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::build;
use crate::codes::Code;
use crate::diagnostic::{Counts, Diagnostic, Finding, Severity, locate};
use crate::emit;
use crate::normalize::{self, Options};
use crate::parse::{self, Document, ParseError, ParseErrorKind};
use crate::validate::{self, Validated};

mod identity;
mod parallel;

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
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// The output documents, in order, in the form [`Run::keep`] asked for.
    pub documents: Documents,
    /// Every diagnostic, grouped by input in input order, sorted by position within one.
    pub diagnostics: Vec<Diagnostic>,
    /// Inputs read.
    pub files: usize,
    /// RayClusters compiled.
    pub clusters: usize,
    /// Every output document at its source, to find two that are one object.
    placed: Vec<identity::Placed>,
}

/// The output documents of a run, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Documents {
    /// Each document as a value, with where it came from ([`Keep::Values`]); none with
    /// [`Keep::Diagnostics`].
    Values(Vec<OutputDoc>),
    /// The documents as one YAML stream, as [`emit::emit`] writes them ([`Keep::Yaml`]).
    Yaml(emit::Stream),
}

impl Documents {
    /// The documents kept as values; empty when they were kept as YAML.
    #[must_use]
    pub fn values(&self) -> &[OutputDoc] {
        match self {
            Self::Values(docs) => docs,
            Self::Yaml(_) => &[],
        }
    }

    /// [`Documents::values`], by value.
    #[must_use]
    pub fn into_values(self) -> Vec<OutputDoc> {
        match self {
            Self::Values(docs) => docs,
            Self::Yaml(_) => Vec::new(),
        }
    }

    /// The YAML stream, one piece per document, whichever form the documents were kept in.
    pub fn pieces(&self) -> impl Iterator<Item = Cow<'_, str>> {
        let (stream, values) = match self {
            Self::Values(docs) => (None, docs.as_slice()),
            Self::Yaml(stream) => (Some(stream), &[][..]),
        };
        let from_values = values.iter().map(|doc| {
            let mut piece = String::new();
            emit::write_document(&mut piece, &doc.value);
            Cow::Owned(piece)
        });
        stream
            .into_iter()
            .flat_map(|s| s.pieces().map(Cow::Borrowed))
            .chain(from_values)
    }

    /// The same text as [`Documents::pieces`], in as few runs as it is kept in: a block of
    /// documents at a time when kept as YAML, for writing it out.
    pub fn runs(&self) -> Box<dyn Iterator<Item = Cow<'_, str>> + '_> {
        match self {
            Self::Yaml(stream) => Box::new(stream.runs().map(Cow::Borrowed)),
            Self::Values(_) => Box::new(self.pieces()),
        }
    }

    /// True when there is no document.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Values(docs) => docs.is_empty(),
            Self::Yaml(stream) => stream.is_empty(),
        }
    }

    /// How many documents there are.
    fn len(&self) -> usize {
        match self {
            Self::Values(docs) => docs.len(),
            Self::Yaml(stream) => stream.mark(),
        }
    }

    /// Drops every document after the first `len`.
    fn truncate(&mut self, len: usize) {
        match self {
            Self::Values(docs) => docs.truncate(len),
            Self::Yaml(stream) => stream.truncate(len),
        }
    }

    /// Appends the documents of later inputs. Both are kept the same way in a run; were they
    /// not, the values would be written into the stream.
    fn append(&mut self, other: Documents) {
        match (&mut *self, other) {
            (Self::Values(docs), Self::Values(more)) => docs.extend(more),
            (Self::Yaml(stream), Self::Yaml(more)) => stream.append(&more),
            (Self::Yaml(stream), Self::Values(more)) => {
                for doc in &more {
                    stream.push(&doc.value);
                }
            }
            (Self::Values(docs), Self::Yaml(more)) => {
                let mut stream = emit::Stream::default();
                for doc in docs.iter() {
                    stream.push(&doc.value);
                }
                stream.append(&more);
                *self = Self::Yaml(stream);
            }
        }
    }
}

impl Output {
    /// An empty output that keeps documents as `keep` says.
    fn new(keep: Keep) -> Output {
        let documents = match keep {
            Keep::Diagnostics | Keep::Values => Documents::Values(Vec::new()),
            Keep::Yaml => Documents::Yaml(emit::Stream::default()),
        };
        Output {
            documents,
            diagnostics: Vec::new(),
            files: 0,
            clusters: 0,
            placed: Vec::new(),
        }
    }

    /// True when any diagnostic is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        Counts::of(&self.diagnostics).errors > 0
    }

    /// The output documents as one YAML stream, whether they were kept as values or as YAML.
    #[must_use]
    pub fn yaml(&self) -> String {
        self.documents.pieces().collect()
    }

    /// Appends the output of later inputs.
    fn append(&mut self, other: Output) {
        self.documents.append(other.documents);
        self.diagnostics.extend(other.diagnostics);
        self.files += other.files;
        self.clusters += other.clusters;
        self.placed.extend(other.placed);
    }

    /// Adds an error at each place of every object that is in the output twice (RC318),
    /// keeping the diagnostics grouped by input in input order and sorted within one.
    fn check_identities(&mut self, inputs: &[Input<'_>]) {
        let found = identity::collisions(&self.placed);
        if found.is_empty() {
            return;
        }
        let order: BTreeMap<&str, usize> = inputs
            .iter()
            .enumerate()
            .rev()
            .map(|(i, input)| (input.name, i))
            .collect();
        self.diagnostics.extend(found);
        self.diagnostics.sort_by(|a, b| {
            let input = |d: &Diagnostic| order.get(d.file.as_str()).copied().unwrap_or(usize::MAX);
            (input(a), a.span, a.code, &a.message).cmp(&(input(b), b.span, b.code, &b.message))
        });
    }

    /// Keeps one generated object as `keep` says: written straight into the stream, or as a
    /// value.
    fn keep_object(&mut self, object: &build::Object, source: &str, keep: Keep) {
        match (keep, &mut self.documents) {
            (Keep::Diagnostics, _) => {}
            (_, Documents::Yaml(stream)) => stream.push_serialized(object),
            (_, Documents::Values(_)) => {
                self.keep(object.to_value(), Origin::Generated, source, keep);
            }
        }
    }

    /// Keeps one output document as `keep` says.
    fn keep(&mut self, value: Value, origin: Origin, source: &str, keep: Keep) {
        match (keep, &mut self.documents) {
            (Keep::Diagnostics, _) => {}
            (_, Documents::Values(docs)) => docs.push(OutputDoc {
                value,
                origin,
                source: source.to_string(),
            }),
            (_, Documents::Yaml(stream)) => stream.push(&value),
        }
    }
}

/// What [`compile_with`] keeps of the output documents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Keep {
    /// Diagnostics and counts only (`raycc validate`): RayClusters are validated and
    /// normalized, but no object is built.
    Diagnostics,
    /// The documents as values, in [`Documents::Values`].
    #[default]
    Values,
    /// The documents as YAML text, in [`Documents::Yaml`].
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
    let parallel = (run.threads > 1)
        .then(|| parallel::compile(inputs, opts, run))
        .flatten();
    let mut out = parallel.unwrap_or_else(|| {
        let mut out = Output::new(run.keep);
        for input in inputs {
            out.append(compile_input(input, opts, run.keep, parse::parse));
        }
        out
    });
    out.check_identities(inputs);
    out
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
        ..Output::new(keep)
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
                help: Some(code.help().to_string()),
                related: None,
            });
        }
    }
    out
}

/// Compiles one parsed document of input `name` into `out`: its output documents, kept as
/// `keep` says, and its diagnostics, located and sorted by position.
fn add_document(out: &mut Output, doc: Document, name: &str, opts: &Options, keep: Keep) {
    let (compiled, findings, generated) = compile_value(doc.value, opts, keep != Keep::Diagnostics);
    let file: std::sync::Arc<str> = name.into();
    // Every object a document gives is placed at the document's name.
    let span = doc.spans.value("/metadata/name");
    let place = |key, cluster| identity::Placed::new(key, file.clone(), span, cluster);
    match compiled {
        Built::Objects(objects) => {
            out.clusters += 1;
            if let Some(g) = generated {
                let cluster: std::sync::Arc<str> = g.cluster.into();
                let namespace: Option<std::sync::Arc<str>> = g.namespace.map(Into::into);
                out.placed.extend(g.identities.iter().map(|id| {
                    place(
                        identity::Key::of_generated(id, namespace.as_ref()),
                        Some(cluster.clone()),
                    )
                }));
            }
            for object in &objects {
                out.keep_object(object, name, keep);
            }
        }
        Built::Passthrough(value) => {
            if let Some(key) = identity::Key::of_value(&value) {
                out.placed.push(place(key, None));
            }
            out.keep(value, Origin::Passthrough, name, keep);
        }
        Built::Invalid => {}
    }
    let mut located = locate(findings, name, &doc.spans);
    located.sort_by(|a, b| (a.span, a.code, &a.message).cmp(&(b.span, b.code, &b.message)));
    out.diagnostics.extend(located);
}

/// What a valid RayCluster generates, named without building it.
struct Generated {
    cluster: String,
    namespace: Option<String>,
    identities: Vec<build::Identity>,
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
    let (built, findings, _) = compile_value(doc, opts, true);
    let compiled = match built {
        Built::Objects(objects) => {
            Compiled::Generated(objects.iter().map(build::Object::to_value).collect())
        }
        Built::Passthrough(value) => Compiled::Passthrough(value),
        Built::Invalid => Compiled::Invalid,
    };
    (compiled, findings)
}

/// [`Compiled`], with the generated objects still typed, to be written or turned into values.
enum Built {
    Objects(Vec<build::Object>),
    Passthrough(Value),
    Invalid,
}

/// [`compile_document`], with the identities of what a valid RayCluster generates; without
/// `build_objects`, it gives `Objects` with no objects (validation and normalization find
/// every diagnostic; building finds none).
fn compile_value(
    doc: Value,
    opts: &Options,
    build_objects: bool,
) -> (Built, Vec<Finding>, Option<Generated>) {
    let (verdict, mut findings) = validate::validate(doc);
    let mut generated = None;
    let compiled = match verdict {
        Validated::Cluster(cluster) => {
            let (resolved, warnings) = normalize::normalize(*cluster, opts);
            findings.extend(warnings);
            if findings.iter().any(Finding::is_error) {
                Built::Invalid
            } else {
                generated = Some(Generated {
                    identities: build::identities(&resolved),
                    cluster: resolved.name.clone(),
                    namespace: resolved.namespace.clone(),
                });
                if build_objects {
                    Built::Objects(build::build(&resolved).objects)
                } else {
                    Built::Objects(Vec::new())
                }
            }
        }
        Validated::Passthrough(doc) => Built::Passthrough(doc),
        Validated::Invalid => Built::Invalid,
    };
    (compiled, findings, generated)
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

    fn doc(name: &str) -> OutputDoc {
        OutputDoc {
            value: serde_json::json!({"kind": "ConfigMap", "metadata": {"name": name}}),
            origin: Origin::Passthrough,
            source: "in.yaml".to_string(),
        }
    }

    #[test]
    fn documents_give_the_same_stream_in_either_form() {
        let docs = vec![doc("a"), doc("b")];
        let values: Vec<Value> = docs.iter().map(|d| d.value.clone()).collect();
        let mut stream = emit::Stream::default();
        for value in &values {
            stream.push(value);
        }
        let as_values = Documents::Values(docs.clone());
        let as_yaml = Documents::Yaml(stream);
        let whole = emit::emit(&values);
        assert_eq!(as_values.pieces().collect::<String>(), whole);
        assert_eq!(as_yaml.pieces().collect::<String>(), whole);
        assert_eq!(as_values.runs().collect::<String>(), whole);
        assert_eq!(as_yaml.runs().collect::<String>(), whole);
        assert_eq!(as_values.values(), docs.as_slice());
        assert!(as_yaml.values().is_empty());
        assert_eq!((as_values.len(), as_yaml.len()), (2, 2));
    }

    #[test]
    fn appending_documents_kept_the_other_way_keeps_them_all_as_yaml() {
        let all: Vec<Value> = ["a", "b", "c"].iter().map(|n| doc(n).value).collect();
        let mut yaml = Documents::Yaml(emit::Stream::default());
        yaml.append(Documents::Values(vec![doc("a")]));
        let mut values = Documents::Values(vec![doc("a")]);
        let mut rest = emit::Stream::default();
        rest.push(&all[1]);
        values.append(Documents::Yaml(rest));
        values.append(Documents::Values(vec![doc("c")]));
        assert!(matches!(values, Documents::Yaml(_)));
        assert_eq!(values.pieces().collect::<String>(), emit::emit(&all));
        assert_eq!(yaml.pieces().collect::<String>(), emit::emit(&all[..1]));
        values.truncate(1);
        assert_eq!(values.pieces().collect::<String>(), emit::emit(&all[..1]));
    }

    #[test]
    fn compile_document_passes_other_objects_through_unchanged() {
        let cm =
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}});
        let (compiled, findings) = compile_document(cm.clone(), &Options::default());
        assert_eq!(compiled, Compiled::Passthrough(cm));
        assert!(findings.is_empty());
    }
}
