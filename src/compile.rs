//! The whole pipeline over many inputs: bytes in, documents and diagnostics out.
//!
//! Takes named inputs (file contents, already read by the CLI) and [`Options`]; returns every
//! output document in input order (generated objects in place of each RayCluster, other
//! documents passed through where they were) and every diagnostic, located. Never does I/O.

use serde_json::Value;

use crate::build;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Finding, Severity, locate};
use crate::normalize::{self, Options};
use crate::parse::{self, ParseErrorKind};
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
    /// Output documents, in order.
    pub documents: Vec<OutputDoc>,
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

    /// The output documents as one YAML stream.
    #[must_use]
    pub fn yaml(&self) -> String {
        let values: Vec<Value> = self.documents.iter().map(|d| d.value.clone()).collect();
        crate::emit::emit(&values)
    }
}

/// Compiles every input.
#[must_use]
pub fn compile(inputs: &[Input<'_>], opts: &Options) -> Output {
    let mut out = Output::default();
    for input in inputs {
        let one = compile_one(input, opts);
        out.files += 1;
        out.clusters += one.clusters;
        out.documents.extend(one.documents);
        out.diagnostics.extend(one.diagnostics);
    }
    out
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
    let (verdict, mut findings) = validate::validate(&doc);
    let compiled = match verdict {
        Validated::Cluster(cluster) => {
            let (resolved, warnings) = normalize::normalize(&cluster, opts);
            findings.extend(warnings);
            if findings.iter().any(Finding::is_error) {
                Compiled::Invalid
            } else {
                let objects = build::build(&resolved).objects;
                Compiled::Generated(objects.iter().map(build::Object::to_value).collect())
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
    let mut out = Output {
        files: 1,
        ..Output::default()
    };
    let docs = match parse::parse(input.bytes) {
        Ok(d) => d,
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
            return out;
        }
    };
    for doc in docs {
        let (compiled, findings) = compile_document(doc.value, opts);
        match compiled {
            Compiled::Generated(objects) => {
                out.clusters += 1;
                out.documents
                    .extend(objects.into_iter().map(|value| OutputDoc {
                        value,
                        origin: Origin::Generated,
                        source: input.name.to_string(),
                    }));
            }
            Compiled::Passthrough(value) => out.documents.push(OutputDoc {
                value,
                origin: Origin::Passthrough,
                source: input.name.to_string(),
            }),
            Compiled::Invalid => {}
        }
        let mut located = locate(findings, input.name, &doc.spans);
        located.sort_by(|a, b| (a.span, a.code, &a.message).cmp(&(b.span, b.code, &b.message)));
        out.diagnostics.extend(located);
    }
    out
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
}
