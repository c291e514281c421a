//! SARIF 2.1.0, the format of GitHub code scanning and of editors' SARIF viewers.
//!
//! One log with one run. The tool's `rules` are the codes that occur in the results, in code
//! order, each with its `raycc explain` documentation and its name in Pascal case, as SARIF
//! recommends; listing only those keeps the log small and `ruleIndex` stable for the same
//! diagnostics. Each result has its code as `ruleId`, its
//! severity as `level`, the file as a relative URI reference, the region (columns count
//! Unicode code points, so the run says `columnKind: unicodeCodePoints`; end columns are
//! exclusive, as SARIF defines them), the field path as a logical location, the related
//! location, and a fingerprint that survives lines moving. A diagnostic without a position
//! has no region, which SARIF reads as the whole file; one whose end is unknown has a start
//! only, which SARIF reads as "to the end of the line".
//!
//! Nothing in the log depends on the machine or the time: no tool version, no timestamps, no
//! absolute paths beyond those the user gave.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Severity, Span};

/// The schema URI GitHub's documentation uses.
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Renders the SARIF log.
#[must_use]
pub fn sarif(diags: &[Diagnostic]) -> String {
    let codes: Vec<Code> = diags
        .iter()
        .map(|d| d.code)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rules: Vec<Value> = codes.iter().map(|c| rule(*c)).collect();
    let fingerprints = super::fingerprints(diags);
    let results: Vec<Value> = diags
        .iter()
        .zip(&fingerprints)
        .map(|(d, fp)| {
            let index = codes.iter().position(|c| *c == d.code).unwrap_or_default();
            result(d, index, fp)
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "raycc", "rules": rules } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    format!("{log:#}\n")
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn rule(code: Code) -> Value {
    let info = code.info();
    json!({
        "id": info.id,
        "name": pascal_case(info.name),
        "shortDescription": { "text": info.summary },
        "fullDescription": { "text": format!("{} {}", info.what, info.why) },
        "help": { "text": code.explain_text(), "markdown": code.explain_markdown() },
        "defaultConfiguration": { "level": level(info.severity) },
    })
}

fn result(d: &Diagnostic, rule_index: usize, fingerprint: &str) -> Value {
    let artifact = json!({ "uri": uri(&d.file) });
    let mut location = json!({ "physicalLocation": physical(&artifact, d.span.as_ref()) });
    if !d.path.is_empty() {
        location["logicalLocations"] = json!([{ "fullyQualifiedName": d.path }]);
    }
    let mut v = json!({
        "ruleId": d.code.id(),
        "ruleIndex": rule_index,
        "level": level(d.severity),
        "message": { "text": super::detail(d) },
        "locations": [location],
        "partialFingerprints": { "raycc/v1": fingerprint },
    });
    if let Some((span, label)) = &d.related {
        v["relatedLocations"] = json!([{
            "id": 1,
            "physicalLocation": physical(&artifact, Some(span)),
            "message": { "text": label },
        }]);
    }
    v
}

fn physical(artifact: &Value, span: Option<&Span>) -> Value {
    let mut v = json!({ "artifactLocation": artifact });
    if let Some(s) = span.filter(|s| s.line >= 1 && s.column >= 1) {
        let mut region = json!({ "startLine": s.line, "startColumn": s.column });
        if let Some((end_line, end_column)) = super::end_of(s) {
            region["endLine"] = json!(end_line);
            region["endColumn"] = json!(end_column);
        }
        v["region"] = region;
    }
    v
}

/// SARIF's rule names are Pascal-case identifiers: `min-replicas-above-max` becomes
/// `MinReplicasAboveMax`.
fn pascal_case(name: &str) -> String {
    name.split('-')
        .flat_map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
        })
        .collect()
}

/// The file as a URI reference: a relative path stays relative (GitHub resolves it against
/// the repository), an absolute one becomes a `file://` URI, and standard input is `stdin`.
/// Every byte outside the unreserved set and `/` is percent-encoded.
fn uri(file: &str) -> String {
    let path = super::repo_path(file).unwrap_or(super::STDIN);
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::diag;
    use super::*;

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn uris_are_relative_references_or_file_uris() {
        assert_eq!(uri("clusters/a.yaml"), "clusters/a.yaml");
        assert_eq!(uri("./clusters/a b%.yaml"), "clusters/a%20b%25.yaml");
        assert_eq!(uri("c:d,#?é.yaml"), "c%3Ad%2C%23%3F%C3%A9.yaml");
        assert_eq!(uri("/srv/a.yaml"), "file:///srv/a.yaml");
        assert_eq!(uri("-"), "stdin");
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("min-replicas-above-max"), "MinReplicasAboveMax");
        assert_eq!(pascal_case("yaml-syntax"), "YamlSyntax");
    }

    #[test]
    fn rules_are_the_codes_used_in_code_order() {
        let diags = [
            diag("a.yaml", Code::HpaMinZero, "w"),
            diag("a.yaml", Code::MinAboveMax, "e"),
            diag("b.yaml", Code::HpaMinZero, "w"),
        ];
        let log = parse(&sarif(&diags));
        let run = &log["runs"][0];
        let ids: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["RC201", "RC305"]);
        let indexes: Vec<u64> = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["ruleIndex"].as_u64().unwrap())
            .collect();
        assert_eq!(indexes, [1, 0, 1]);
        assert_eq!(run["results"][0]["level"], "warning");
        assert_eq!(
            run["tool"]["driver"]["rules"][1]["defaultConfiguration"]["level"],
            "warning"
        );
    }

    #[test]
    fn a_result_carries_region_field_path_and_related_location() {
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
        let log = parse(&sarif(&[d]));
        let r = &log["runs"][0]["results"][0];
        assert_eq!(
            r["locations"][0],
            json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": "a.yaml" },
                    "region": { "startLine": 9, "startColumn": 18, "endLine": 9, "endColumn": 19 },
                },
                "logicalLocations": [{ "fullyQualifiedName": "spec.workerGroupSpecs[0].minReplicas" }],
            })
        );
        assert_eq!(r["relatedLocations"][0]["id"], 1);
        assert_eq!(
            r["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
            10
        );
        assert_eq!(
            r["relatedLocations"][0]["message"]["text"],
            "maxReplicas is set here"
        );
    }

    #[test]
    fn a_diagnostic_without_position_points_at_the_whole_file() {
        let mut d = diag("-", Code::InputLimit, "too big");
        d.span = None;
        d.path.clear();
        let log = parse(&sarif(&[d]));
        let loc = &log["runs"][0]["results"][0]["locations"][0];
        assert_eq!(
            *loc,
            json!({ "physicalLocation": { "artifactLocation": { "uri": "stdin" } } })
        );
    }

    #[test]
    fn an_empty_report_is_a_valid_log_with_no_results() {
        let log = parse(&sarif(&[]));
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["runs"][0]["results"], json!([]));
        assert_eq!(log["runs"][0]["tool"]["driver"]["rules"], json!([]));
    }
}
