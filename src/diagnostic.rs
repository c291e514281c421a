//! Diagnostics: what raycc tells users about their input.
//!
//! Stages below the CLI never know file names or line numbers. They report a [`Finding`]
//! that names the offending node by JSON Pointer (`/spec/workerGroupSpecs/0/minReplicas`).
//! [`locate`] then turns findings into [`Diagnostic`]s with `file:line:column`, using the span
//! table that [`crate::parse`] recorded for the document. Keeping locations out of the rules
//! keeps every rule a pure function of the typed cluster.

use std::fmt;

use serde::Serialize;

use crate::codes::Code;
use crate::parse::SpanMap;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input cannot be compiled; exit code 1.
    Error,
    /// The input compiles, but probably not as intended.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

/// A region of a source file. Lines and columns are 1-based and count characters;
/// `start`/`end` are byte offsets into the source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// First line.
    pub line: usize,
    /// First column.
    pub column: usize,
    /// Last line.
    pub end_line: usize,
    /// Column just past the end.
    pub end_column: usize,
    /// Byte offset of the start.
    pub start: usize,
    /// Byte offset just past the end.
    pub end: usize,
}

/// Which part of a node a finding points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// The node's value.
    Value,
    /// The key that introduces the node (for unknown fields).
    Key,
}

/// A problem found by a stage, located by JSON Pointer only.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Stable code.
    pub code: Code,
    /// Severity; usually the code's default.
    pub severity: Severity,
    /// One-line message, no trailing period.
    pub message: String,
    /// JSON Pointer of the offending node within its document.
    pub pointer: String,
    /// Whether to point at the key or the value.
    pub anchor: Anchor,
    /// How to fix it.
    pub help: Option<String>,
    /// A second location worth showing, with its label.
    pub related: Option<(String, String)>,
}

impl Finding {
    /// A finding with the code's default severity, pointing at the value at `pointer`.
    #[must_use]
    pub fn new(code: Code, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.severity(),
            message: message.into(),
            pointer: pointer.into(),
            anchor: Anchor::Value,
            help: None,
            related: None,
        }
    }

    /// Adds help text.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Points at the key rather than the value.
    #[must_use]
    pub fn at_key(mut self) -> Self {
        self.anchor = Anchor::Key;
        self
    }

    /// Adds a related location.
    #[must_use]
    pub fn related(mut self, pointer: impl Into<String>, label: impl Into<String>) -> Self {
        self.related = Some((pointer.into(), label.into()));
        self
    }

    /// True for errors.
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A located problem, ready to print.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Severity.
    pub severity: Severity,
    /// One-line message.
    pub message: String,
    /// The input name as given (`-` prints as `<stdin>`).
    pub file: String,
    /// Where in the file, when known.
    pub span: Option<Span>,
    /// The field path, `spec.workerGroupSpecs[0].minReplicas`; empty for the whole document.
    pub path: String,
    /// How to fix it.
    pub help: Option<String>,
    /// A second location with its label.
    pub related: Option<(Span, String)>,
}

/// How many errors and warnings a list of diagnostics holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Diagnostics of severity error.
    pub errors: usize,
    /// Diagnostics of severity warning.
    pub warnings: usize,
}

impl Counts {
    /// Counts the errors and warnings in `diagnostics`.
    #[must_use]
    pub fn of(diagnostics: &[Diagnostic]) -> Counts {
        let errors = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        Counts {
            errors,
            warnings: diagnostics.len() - errors,
        }
    }
}

/// Turns findings into diagnostics for `file`, using the document's span table.
/// A pointer with no recorded span falls back to its nearest recorded ancestor; a finding
/// without help gets its code's.
#[must_use]
pub fn locate(findings: Vec<Finding>, file: &str, spans: &SpanMap) -> Vec<Diagnostic> {
    findings
        .into_iter()
        .map(|f| {
            let span = match f.anchor {
                Anchor::Key => spans.key_or_value(&f.pointer),
                Anchor::Value => spans.value(&f.pointer),
            };
            let related = f
                .related
                .and_then(|(ptr, label)| spans.value(&ptr).map(|s| (s, label)));
            Diagnostic {
                code: f.code,
                severity: f.severity,
                message: f.message,
                file: file.to_string(),
                span,
                path: field_path(&f.pointer),
                help: Some(f.help.unwrap_or_else(|| f.code.help().to_string())),
                related,
            }
        })
        .collect()
}

/// Renders a JSON Pointer as a field path: `/spec/workerGroupSpecs/0/minReplicas` becomes
/// `spec.workerGroupSpecs[0].minReplicas`; keys that are not identifiers are bracketed.
#[must_use]
pub fn field_path(pointer: &str) -> String {
    let mut out = String::new();
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(&seg);
            out.push(']');
        } else if seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            && !seg.is_empty()
        {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        } else {
            out.push_str("[\"");
            out.push_str(&seg.replace('"', "\\\""));
            out.push_str("\"]");
        }
    }
    out
}

/// Appends one segment to a JSON Pointer, escaping `~` and `/`.
#[must_use]
pub fn child(pointer: &str, segment: impl fmt::Display) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(pointer.len() + 24);
    out.push_str(pointer);
    out.push('/');
    let start = out.len();
    // Writing to a String cannot fail.
    let _ = write!(out, "{segment}");
    if out[start..].contains(['~', '/']) {
        let escaped = out[start..].replace('~', "~0").replace('/', "~1");
        out.truncate(start);
        out.push_str(&escaped);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_errors_and_warnings() {
        let diagnostic = |code: Code| Diagnostic {
            code,
            severity: code.severity(),
            message: String::new(),
            file: String::new(),
            span: None,
            path: String::new(),
            help: None,
            related: None,
        };
        let diagnostics = [
            diagnostic(Code::UnknownField),
            diagnostic(Code::NameShortened),
            diagnostic(Code::UnknownField),
        ];
        assert_eq!(
            Counts::of(&diagnostics),
            Counts {
                errors: 2,
                warnings: 1
            }
        );
        assert_eq!(Counts::of(&[]), Counts::default());
    }

    #[test]
    fn field_path_renders_indexes_and_odd_keys() {
        assert_eq!(
            field_path("/spec/workerGroupSpecs/0/minReplicas"),
            "spec.workerGroupSpecs[0].minReplicas"
        );
        assert_eq!(
            field_path("/metadata/labels/app.kubernetes.io~1name"),
            "metadata.labels[\"app.kubernetes.io/name\"]"
        );
        assert_eq!(field_path(""), "");
    }

    #[test]
    fn child_escapes_pointer_syntax() {
        assert_eq!(child("/a", "b/c~d"), "/a/b~1c~0d");
        assert_eq!(child("/a", "~1/"), "/a/~01~1");
        assert_eq!(child("/a~1b", "c"), "/a~1b/c");
        assert_eq!(child("", 12), "/12");
        assert_eq!(child("/a", ""), "/a/");
    }
}
