//! raycc's own JSON report: every diagnostic with its location, and a summary.
//!
//! The field names are a stable interface, documented in the README; new fields may be added,
//! none are renamed or removed. Unknown positions are `null`, never a made-up line 1; so is
//! the end of a region whose start alone is known.

use serde_json::{Value, json};

use crate::diagnostic::{Counts, Diagnostic, Span};

/// Renders the JSON report for `files` checked inputs:
/// `{"diagnostics": [...], "summary": {"files", "errors", "warnings"}}`.
#[must_use]
pub fn json(diags: &[Diagnostic], files: usize) -> String {
    let Counts { errors, warnings } = Counts::of(diags);
    let list: Vec<Value> = diags.iter().map(one).collect();
    let doc = json!({
        "diagnostics": list,
        "summary": { "files": files, "errors": errors, "warnings": warnings },
    });
    format!("{doc:#}\n")
}

fn one(d: &Diagnostic) -> Value {
    let mut v = position(d.span.as_ref());
    v["file"] = json!(d.file);
    v["severity"] = json!(d.severity);
    v["code"] = json!(d.code);
    v["message"] = json!(d.message);
    v["path"] = json!(d.path);
    v["help"] = json!(d.help);
    v["related"] = match &d.related {
        Some((span, label)) => {
            let mut r = position(Some(span));
            r["message"] = json!(label);
            r
        }
        None => Value::Null,
    };
    v
}

fn position(span: Option<&Span>) -> Value {
    let end = span.and_then(super::end_of);
    json!({
        "line": span.map(|s| s.line),
        "column": span.map(|s| s.column),
        "end_line": end.map(|(line, _)| line),
        "end_column": end.map(|(_, column)| column),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::diag;
    use super::*;
    use crate::codes::Code;

    #[test]
    fn writes_every_field_and_a_summary() {
        let mut d = diag("a.yaml", Code::MinAboveMax, "min above max");
        d.related = Some((
            Span {
                line: 10,
                column: 18,
                end_line: 10,
                end_column: 19,
                start: 0,
                end: 0,
            },
            "maxReplicas is set here".to_string(),
        ));
        let v: Value = serde_json::from_str(&json(&[d], 3)).unwrap();
        assert_eq!(
            v,
            json!({
                "diagnostics": [{
                    "file": "a.yaml", "line": 9, "column": 18, "end_line": 9, "end_column": 19,
                    "severity": "error", "code": "RC201", "message": "min above max",
                    "path": "spec.workerGroupSpecs[0].minReplicas",
                    "help": "make minReplicas less than or equal to maxReplicas",
                    "related": {
                        "line": 10, "column": 18, "end_line": 10, "end_column": 19,
                        "message": "maxReplicas is set here",
                    },
                }],
                "summary": { "files": 3, "errors": 1, "warnings": 0 },
            })
        );
    }

    #[test]
    fn unknown_positions_are_null() {
        let mut d = diag("-", Code::UnknownRayStartParam, "unknown flag");
        d.span = None;
        d.help = None;
        let v: Value = serde_json::from_str(&json(&[d], 1)).unwrap();
        let d = &v["diagnostics"][0];
        for key in [
            "line",
            "column",
            "end_line",
            "end_column",
            "help",
            "related",
        ] {
            assert_eq!(d[key], Value::Null, "{key}");
        }
        assert_eq!(d["file"], "-");
        assert_eq!(d["severity"], "warning");
        assert_eq!(
            v["summary"],
            json!({"files": 1, "errors": 0, "warnings": 1})
        );
    }

    #[test]
    fn no_diagnostics_is_an_empty_list() {
        assert_eq!(
            json(&[], 0),
            "{\n  \"diagnostics\": [],\n  \"summary\": {\n    \"errors\": 0,\n    \"files\": 0,\n    \"warnings\": 0\n  }\n}\n"
        );
    }
}
