//! Machine-readable diagnostic reports for CI systems and editors: a JSON document of raycc's
//! own ([`json`]), GitHub Actions workflow commands ([`github`]), SARIF 2.1.0 for code scanning
//! ([`sarif`]) and a GitLab Code Quality report ([`gitlab`]).
//!
//! Takes located [`Diagnostic`]s (and, for JSON, the number of files checked); returns the
//! report as text, ending in a newline. Every writer is a pure function of its arguments: it
//! never reads the files the diagnostics point into, never looks at the environment or the
//! clock, and writes no version or timestamp, so the same diagnostics give the same bytes on
//! every machine. The rustc-style human rendering is not here: it needs the source text and
//! the terminal, so it lives in the CLI.
//!
//! File names are written as the user gave them, except where a format wants a path relative
//! to the repository: there a leading `./` is dropped and standard input (`-`) is `stdin`.

mod github;
mod gitlab;
mod json;
mod sarif;

use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use github::github;
pub use gitlab::gitlab;
pub use json::json;
pub use sarif::sarif;

use crate::diagnostic::{Diagnostic, Span};

/// The name standard input has in reports that need a path.
const STDIN: &str = "stdin";

/// Where a span ends, when that is known. The parser records only the start of some nodes
/// (a block mapping, for one), which leaves a span that ends where it starts; reports then give
/// the start alone rather than claim an empty region. (The human output underlines the rest of
/// that line; SARIF's default end is the same.)
fn end_of(span: &Span) -> Option<(usize, usize)> {
    ((span.end_line, span.end_column) > (span.line, span.column))
        .then_some((span.end_line, span.end_column))
}

/// The path of a diagnostic's file for formats that want one relative to the repository:
/// `None` for standard input, otherwise the name without leading `./`.
fn repo_path(file: &str) -> Option<&str> {
    if file == "-" {
        return None;
    }
    let mut p = file;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest.trim_start_matches('/');
    }
    Some(p)
}

/// The message with what the human output shows around it, one item a line: the field path,
/// the related location and the help.
fn detail(d: &Diagnostic) -> String {
    let mut text = d.message.clone();
    if !d.path.is_empty() {
        text.push_str("\nfield: ");
        text.push_str(&d.path);
    }
    if let Some((span, label)) = &d.related {
        let _ = write!(text, "\nsee line {}: {label}", span.line);
    }
    if let Some(help) = &d.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    text
}

/// A stable identity for each diagnostic: 16 hex digits of the FNV-1a hash of its file, code,
/// field path and message. Line numbers are left out on purpose, so a finding keeps its
/// fingerprint when lines are added above it. Diagnostics that would share a fingerprint get
/// their occurrence number hashed in too, so fingerprints are unique within one report.
fn fingerprints(diags: &[Diagnostic]) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    diags
        .iter()
        .map(|d| {
            let key = format!(
                "{}\0{}\0{}\0{}",
                repo_path(&d.file).unwrap_or(STDIN),
                d.code,
                d.path,
                d.message
            );
            let n = seen.entry(key.clone()).or_insert(0);
            *n += 1;
            let hashed = if *n == 1 { key } else { format!("{key}\0{n}") };
            format!("{:016x}", crate::names::fnv1a(hashed.as_bytes()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Code;
    use crate::diagnostic::Span;

    pub(super) fn diag(file: &str, code: Code, message: &str) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.to_string(),
            file: file.to_string(),
            span: Some(Span {
                line: 9,
                column: 18,
                end_line: 9,
                end_column: 19,
                start: 120,
                end: 121,
            }),
            path: "spec.workerGroupSpecs[0].minReplicas".to_string(),
            help: Some("make minReplicas less than or equal to maxReplicas".to_string()),
            related: None,
        }
    }

    #[test]
    fn an_empty_span_has_no_known_end() {
        let s = |end_line, end_column| Span {
            line: 3,
            column: 5,
            end_line,
            end_column,
            start: 0,
            end: 0,
        };
        assert_eq!(end_of(&s(3, 5)), None);
        assert_eq!(end_of(&s(3, 6)), Some((3, 6)));
        assert_eq!(end_of(&s(4, 1)), Some((4, 1)));
        assert_eq!(end_of(&s(2, 9)), None);
    }

    #[test]
    fn repo_path_drops_leading_dot_slash_and_hides_stdin() {
        assert_eq!(repo_path("./a/b.yaml"), Some("a/b.yaml"));
        assert_eq!(repo_path(".//./a.yaml"), Some("a.yaml"));
        assert_eq!(repo_path("../a.yaml"), Some("../a.yaml"));
        assert_eq!(repo_path("/abs/a.yaml"), Some("/abs/a.yaml"));
        assert_eq!(repo_path("-"), None);
    }

    #[test]
    fn detail_lists_field_related_and_help_on_their_own_lines() {
        let mut d = diag("a.yaml", Code::MinAboveMax, "min above max");
        d.related = Some((
            Span {
                line: 10,
                ..Span::default()
            },
            "maxReplicas is set here".to_string(),
        ));
        assert_eq!(
            detail(&d),
            "min above max\nfield: spec.workerGroupSpecs[0].minReplicas\nsee line 10: maxReplicas is set here\nhelp: make minReplicas less than or equal to maxReplicas"
        );
    }

    #[test]
    fn fingerprints_ignore_lines_and_are_unique() {
        let a = diag("a.yaml", Code::MinAboveMax, "m");
        let mut moved = a.clone();
        moved.span = None;
        let other = diag("b.yaml", Code::MinAboveMax, "m");
        let fps = fingerprints(&[a.clone(), moved, other, a]);
        assert_eq!(fps[0].len(), 16);
        assert!(fps[0].bytes().all(|b| b.is_ascii_hexdigit()));
        let unique: std::collections::BTreeSet<_> = fps.iter().collect();
        assert_eq!(unique.len(), 4, "{fps:?}");
        assert_eq!(
            fingerprints(&[diag("./a.yaml", Code::MinAboveMax, "m")])[0],
            fps[0],
            "a line move or a ./ prefix does not change the fingerprint"
        );
    }
}
