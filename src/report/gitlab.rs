//! GitLab Code Quality reports: the JSON array a job publishes with
//! `artifacts: reports: codequality:`, which GitLab shows in the merge request.
//!
//! GitLab reads a subset of the Code Climate issue format: `description`, `check_name`,
//! `fingerprint`, `severity` and `location.path` with `location.lines.begin`. Errors are
//! `major` and warnings `minor`, GitLab's middle levels: raycc's errors stop a deploy but are
//! not security findings (`critical`, `blocker`). The fingerprint leaves out the line, so a
//! finding that only moved is not shown as fixed plus new. GitLab needs a line; a diagnostic
//! without a position is put on line 1.

use serde_json::{Value, json};

use crate::diagnostic::{Diagnostic, Severity};

/// Renders the Code Quality report.
#[must_use]
pub fn gitlab(diags: &[Diagnostic]) -> String {
    let fingerprints = super::fingerprints(diags);
    let issues: Vec<Value> = diags
        .iter()
        .zip(fingerprints)
        .map(|(d, fingerprint)| {
            let begin = d.span.map_or(1, |s| s.line.max(1));
            let end = d
                .span
                .as_ref()
                .and_then(super::end_of)
                .map_or(begin, |(line, _)| line.max(begin));
            json!({
                "description": d.message,
                "check_name": d.code.id(),
                "fingerprint": fingerprint,
                "severity": match d.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                "location": {
                    "path": super::repo_path(&d.file).unwrap_or(super::STDIN),
                    "lines": { "begin": begin, "end": end },
                },
                "engine_name": "raycc",
            })
        })
        .collect();
    format!("{:#}\n", Value::Array(issues))
}

#[cfg(test)]
mod tests {
    use super::super::tests::diag;
    use super::*;
    use crate::codes::Code;

    #[test]
    fn writes_one_issue_per_diagnostic() {
        let mut w = diag("./b.yaml", Code::HpaMinZero, "keeps one replica");
        w.span = None;
        let v: Value = serde_json::from_str(&gitlab(&[
            diag("a.yaml", Code::MinAboveMax, "min above max"),
            w,
        ]))
        .unwrap();
        let issues = v.as_array().unwrap();
        assert_eq!(issues.len(), 2);
        assert_eq!(issues[0]["description"], "min above max");
        assert_eq!(issues[0]["check_name"], "RC201");
        assert_eq!(issues[0]["severity"], "major");
        assert_eq!(
            issues[0]["location"],
            json!({ "path": "a.yaml", "lines": { "begin": 9, "end": 9 } })
        );
        assert_eq!(issues[1]["severity"], "minor");
        assert_eq!(
            issues[1]["location"],
            json!({ "path": "b.yaml", "lines": { "begin": 1, "end": 1 } })
        );
        assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
    }

    #[test]
    fn no_diagnostics_is_an_empty_array() {
        assert_eq!(gitlab(&[]), "[]\n");
    }
}
