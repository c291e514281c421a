//! The whole pipeline over many inputs: bytes in, documents and diagnostics out.
//!
//! Takes named inputs (file contents, already read by the CLI) and [`Options`]; returns every
//! output document in input order (generated objects in place of each RayCluster, other
//! documents passed through where they were) and every diagnostic, located. Never does I/O.

use serde_json::Value;

use crate::build;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Severity, locate};
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
        let (verdict, mut findings) = validate::validate(&doc.value);
        match verdict {
            Validated::Cluster(cluster) => {
                let (resolved, warnings) = normalize::normalize(&cluster, opts);
                findings.extend(warnings);
                if !findings.iter().any(crate::diagnostic::Finding::is_error) {
                    out.clusters += 1;
                    out.documents
                        .extend(build::build(&resolved).objects.iter().map(|o| OutputDoc {
                            value: o.to_value(),
                            origin: Origin::Generated,
                            source: input.name.to_string(),
                        }));
                }
            }
            Validated::Passthrough => out.documents.push(OutputDoc {
                value: doc.value,
                origin: Origin::Passthrough,
                source: input.name.to_string(),
            }),
            Validated::Invalid => {}
        }
        let mut located = locate(findings, input.name, &doc.spans);
        located.sort_by(|a, b| (a.span, a.code, &a.message).cmp(&(b.span, b.code, &b.message)));
        out.diagnostics.extend(located);
    }
    out
}
