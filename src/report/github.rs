//! GitHub Actions workflow commands: one `::error` or `::warning` line per diagnostic, which
//! the runner turns into an annotation on the file and line in the pull request.
//!
//! The command syntax is `::error file=F,line=L,col=C,endLine=L,endColumn=C,title=T::message`.
//! Values are escaped as the runner unescapes them (`actions/toolkit`,
//! `packages/core/src/command.ts`): in the message `%`, CR and LF become `%25`, `%0D`, `%0A`;
//! in property values `:` and `,` become `%3A` and `%2C` as well. So no file name or message
//! can end a command early or start a new one. Columns are sent only when the region is on
//! one line, because the runner drops them otherwise.

use std::fmt::Write as _;

use crate::diagnostic::{Diagnostic, Severity};

/// Renders one workflow command per diagnostic. Standard input has no file to annotate, so
/// its diagnostics carry no `file` property.
#[must_use]
pub fn github(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props: Vec<(&str, String)> = Vec::new();
        if let Some(file) = super::repo_path(&d.file) {
            props.push(("file", file.to_string()));
        }
        if let Some(s) = d.span {
            props.push(("line", s.line.to_string()));
            match super::end_of(&s) {
                None => props.push(("col", s.column.to_string())),
                Some((end_line, end_column)) if end_line == s.line => {
                    props.push(("col", s.column.to_string()));
                    props.push(("endLine", end_line.to_string()));
                    props.push(("endColumn", end_column.to_string()));
                }
                Some((end_line, _)) => props.push(("endLine", end_line.to_string())),
            }
        }
        props.push(("title", format!("{} {}", d.code, d.code.info().name)));
        let props: Vec<String> = props
            .iter()
            .map(|(k, v)| format!("{k}={}", escape_property(v)))
            .collect();
        let _ = writeln!(
            out,
            "::{command} {}::{}",
            props.join(","),
            escape_data(&super::detail(d))
        );
    }
    out
}

/// Escapes a command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::super::tests::diag;
    use super::*;
    use crate::codes::Code;
    use crate::diagnostic::Span;

    #[test]
    fn escapes_percent_and_line_breaks_in_the_message() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(
            escape_data("%0A"),
            "%250A",
            "an escape sequence is escaped, not kept"
        );
        assert_eq!(
            escape_data("a: b, c"),
            "a: b, c",
            "colons and commas stay in data"
        );
    }

    #[test]
    fn escapes_colons_and_commas_in_properties() {
        assert_eq!(escape_property("a:b,c%d\ne"), "a%3Ab%2Cc%25d%0Ae");
    }

    #[test]
    fn writes_one_command_per_diagnostic() {
        let mut w = diag("./a.yaml", Code::UnknownRayStartParam, "unknown flag");
        w.help = None;
        assert_eq!(
            github(&[diag("a.yaml", Code::MinAboveMax, "min above max"), w]),
            "::error file=a.yaml,line=9,col=18,endLine=9,endColumn=19,title=RC201 min-replicas-above-max::min above max%0Afield: spec.workerGroupSpecs[0].minReplicas%0Ahelp: make minReplicas less than or equal to maxReplicas\n\
             ::warning file=a.yaml,line=9,col=18,endLine=9,endColumn=19,title=RC303 unknown-ray-start-param::unknown flag%0Afield: spec.workerGroupSpecs[0].minReplicas\n"
        );
    }

    #[test]
    fn multi_line_regions_have_no_columns() {
        let mut d = diag("a.yaml", Code::MinAboveMax, "m");
        d.span = Some(Span {
            line: 3,
            column: 5,
            end_line: 7,
            end_column: 1,
            start: 0,
            end: 0,
        });
        d.path.clear();
        d.help = None;
        assert_eq!(
            github(&[d]),
            "::error file=a.yaml,line=3,endLine=7,title=RC201 min-replicas-above-max::m\n"
        );
    }

    #[test]
    fn a_region_with_no_known_end_has_a_start_only() {
        let mut d = diag("a.yaml", Code::MinAboveMax, "m");
        d.span = Some(Span {
            line: 3,
            column: 5,
            end_line: 3,
            end_column: 5,
            start: 0,
            end: 0,
        });
        d.path.clear();
        d.help = None;
        assert_eq!(
            github(&[d]),
            "::error file=a.yaml,line=3,col=5,title=RC201 min-replicas-above-max::m\n"
        );
    }

    #[test]
    fn stdin_and_unknown_positions_leave_properties_out() {
        let mut d = diag("-", Code::InputLimit, "too big");
        d.span = None;
        d.path.clear();
        d.help = None;
        assert_eq!(github(&[d]), "::error title=RC004 input-limit::too big\n");
    }

    #[test]
    fn hostile_file_names_and_messages_cannot_break_out() {
        let d = diag(
            "x,line=1::error::injected\n::warning file=y.yaml",
            Code::MinAboveMax,
            "50% of\r\n::error::boom",
        );
        let out = github(&[d]);
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.starts_with(
            "::error file=x%2Cline=1%3A%3Aerror%3A%3Ainjected%0A%3A%3Awarning file=y.yaml,line=9,"
        ));
        assert!(
            out.contains("::50%25 of%0D%0A::error::boom%0Afield"),
            "{out}"
        );
    }
}
