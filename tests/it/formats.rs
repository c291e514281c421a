//! Diagnostic output formats, end to end through the real binary.
//!
//! Golden reports: every `fixtures/invalid/<case>.yaml` and the warning fixtures listed in
//! [`WARNING_CASES`] are validated with each machine format, and stdout is compared with
//! `golden-formats/<format>/<group>/<case>.<ext>`. A report file without a case fails, and so
//! does a missing one. `UPDATE_GOLDEN=1 cargo test` rewrites them.
//!
//! Beside the goldens: the SARIF logs are checked against the structure SARIF 2.1.0 requires,
//! the GitHub workflow commands are parsed the way the Actions runner parses them, and the
//! human format's colour choice, `--deny-warnings` and where each report goes are checked.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use raycc::codes::Code;
use raycc::diagnostic::{Diagnostic, Span};
use serde_json::Value;

use crate::harness::{Goldens, files_under, raycc, raycc_command, raycc_stdin, root, text};

/// Warning fixtures that get format goldens too (every invalid fixture does).
const WARNING_CASES: &[&str] = &["hpa-warnings", "operator-only"];

/// Each machine format and the extension of its golden files.
const FORMATS: &[(&str, &str)] = &[
    ("json", "json"),
    ("github", "txt"),
    ("sarif", "sarif"),
    ("gitlab", "json"),
];

/// The fixtures with format goldens, as paths relative to the crate root.
fn cases() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = files_under(&root().join("fixtures/invalid"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.strip_prefix(root()).unwrap().to_path_buf())
        .collect();
    out.extend(
        WARNING_CASES
            .iter()
            .map(|c| PathBuf::from(format!("fixtures/warnings/{c}.yaml"))),
    );
    assert!(out.len() > WARNING_CASES.len());
    out
}

/// The report of one format for a fixture: `validate`'s stdout, or for a fixture whose first
/// line is `# raycc-args: ...` (problems only `compile -o DIR` finds), `compile`'s stderr.
fn report(format: &str, fixture: &Path) -> (std::process::Output, String) {
    let fixture_arg = fixture.to_str().unwrap();
    let bytes = fs::read(root().join(fixture)).unwrap();
    let first = String::from_utf8_lossy(&bytes);
    let first = first.lines().next().unwrap_or_default();
    match first.strip_prefix("# raycc-args:") {
        None => {
            let out = raycc(&["validate", "--format", format, fixture_arg]);
            let got = text(&out.stdout);
            (out, got)
        }
        Some(args) => {
            let mut command = vec!["compile", "--format", format];
            command.extend(args.split_whitespace());
            command.push(fixture_arg);
            let out = raycc(&command);
            let got = text(&out.stderr);
            (out, got)
        }
    }
}

/// The exit code the human golden records for a fixture.
fn golden_exit(fixture: &Path) -> i32 {
    let case = fixture
        .strip_prefix("fixtures")
        .unwrap()
        .with_extension("exit");
    fs::read_to_string(root().join("golden").join(case)).map_or(0, |s| s.trim().parse().unwrap())
}

#[test]
fn every_format_matches_its_golden_files() {
    let mut goldens = Goldens::new();
    for fixture in cases() {
        let fixture_arg = fixture.to_str().unwrap();
        let case = fixture.strip_prefix("fixtures").unwrap();
        for (format, ext) in FORMATS {
            let (out, got) = report(format, &fixture);
            let exit = out.status.code().unwrap();
            if exit != golden_exit(&fixture) {
                goldens.fail(format!(
                    "{fixture_arg} --format {format}: exit {exit}, the human golden says {}",
                    golden_exit(&fixture)
                ));
            }
            if !out.stdout.is_empty() && !out.stderr.is_empty() {
                goldens.fail(format!(
                    "{fixture_arg} --format {format}: a report on both streams\n{}{}",
                    text(&out.stdout),
                    text(&out.stderr)
                ));
            }
            let path = root()
                .join("golden-formats")
                .join(format)
                .join(case)
                .with_extension(ext);
            let name = format!("{fixture_arg} --format {format}");
            goldens.check(&name, path, &got);
        }
    }
    goldens.finish(&root().join("golden-formats"));
}

/// Reads every golden of one format.
fn goldens(format: &str) -> Vec<(PathBuf, String)> {
    let out: Vec<_> = files_under(&root().join("golden-formats").join(format))
        .into_iter()
        .map(|p| {
            let t = fs::read_to_string(&p).unwrap();
            (p, t)
        })
        .collect();
    assert!(!out.is_empty(), "no {format} goldens");
    out
}

/// The golden report of one format for one fixture.
fn golden_report(format: &str, fixture: &Path) -> String {
    let ext = FORMATS.iter().find(|(f, _)| *f == format).unwrap().1;
    let case = fixture
        .strip_prefix("fixtures")
        .unwrap()
        .with_extension(ext);
    fs::read_to_string(root().join("golden-formats").join(format).join(case)).unwrap()
}

/// The string `key` of every object in the array `list`.
fn strings_at<'v>(list: &'v Value, key: &str) -> Vec<&'v str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item[key].as_str().unwrap())
        .collect()
}

/// Every format reports the same diagnostics in the same order as the human output. Reads
/// the goldens, which the test above keeps equal to the binary's output.
#[test]
fn the_formats_report_the_same_diagnostics() {
    for fixture in cases() {
        let f = fixture.to_str().unwrap();
        let json: Value = serde_json::from_str(&golden_report("json", &fixture)).unwrap();
        let diags = json["diagnostics"].as_array().unwrap();
        let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
        assert!(!codes.is_empty(), "{f}");
        assert_eq!(
            json["summary"]["errors"].as_u64().unwrap()
                + json["summary"]["warnings"].as_u64().unwrap(),
            codes.len() as u64
        );

        let sarif: Value = serde_json::from_str(&golden_report("sarif", &fixture)).unwrap();
        let sarif_codes = strings_at(&sarif["runs"][0]["results"], "ruleId");
        assert_eq!(sarif_codes, codes, "{f}: sarif");

        let gitlab: Value = serde_json::from_str(&golden_report("gitlab", &fixture)).unwrap();
        let gitlab_codes = strings_at(&gitlab, "check_name");
        assert_eq!(gitlab_codes, codes, "{f}: gitlab");

        let github = golden_report("github", &fixture);
        let github_codes: Vec<String> = github
            .lines()
            .map(|l| parse_command(l).props["title"][..5].to_string())
            .collect();
        assert_eq!(github_codes, codes, "{f}: github");

        let stderr = fixture
            .strip_prefix("fixtures")
            .unwrap()
            .with_extension("stderr");
        let human = fs::read_to_string(root().join("golden").join(stderr)).unwrap();
        let human_codes: Vec<&str> = human
            .lines()
            .filter_map(|l| {
                let rest = l
                    .strip_prefix("error[")
                    .or_else(|| l.strip_prefix("warning["))?;
                rest.get(..5)
            })
            .collect();
        assert_eq!(human_codes, codes, "{f}: human");
    }
}

#[test]
fn the_format_goldens_cover_every_error_code() {
    let mut seen = BTreeSet::new();
    for (_, t) in goldens("json") {
        let v: Value = serde_json::from_str(&t).unwrap();
        for d in v["diagnostics"].as_array().unwrap() {
            seen.insert(d["code"].as_str().unwrap().to_string());
        }
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| c.severity() == raycc::diagnostic::Severity::Error)
        .map(|c| c.id())
        .filter(|id| !seen.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "error codes without a format golden: {missing:?}"
    );
}

// ---- SARIF 2.1.0 structure ----------------------------------------------------------------

/// Checks a SARIF log against the parts of SARIF 2.1.0 (OASIS standard, and the subset
/// GitHub code scanning reads) that raycc writes: required properties, their types and
/// ranges, the allowed property names of each object, and the links between results and
/// rules. Returns every problem found.
fn sarif_problems(log: &Value) -> Vec<String> {
    let mut p = Problems::default();
    p.object(
        log,
        "log",
        &["$schema", "version", "runs"],
        &["version", "runs"],
    );
    p.string(&log["$schema"], "log.$schema");
    if log["version"] != "2.1.0" {
        p.push("log.version must be \"2.1.0\"");
    }
    let Some(runs) = log["runs"].as_array() else {
        p.push("log.runs must be an array");
        return p.0;
    };
    if runs.len() != 1 {
        p.push("raycc writes exactly one run");
    }
    for (ri, run) in runs.iter().enumerate() {
        let at = format!("runs[{ri}]");
        p.object(run, &at, &["tool", "results", "columnKind"], &["tool"]);
        p.one_of(
            &run["columnKind"],
            &format!("{at}.columnKind"),
            &["utf16CodeUnits", "unicodeCodePoints"],
        );
        p.object(
            &run["tool"],
            &format!("{at}.tool"),
            &["driver"],
            &["driver"],
        );
        let driver = &run["tool"]["driver"];
        p.object(
            driver,
            &format!("{at}.tool.driver"),
            &[
                "name",
                "rules",
                "informationUri",
                "version",
                "semanticVersion",
            ],
            &["name"],
        );
        p.non_empty(&driver["name"], &format!("{at}.tool.driver.name"));
        let rules = driver["rules"].as_array().cloned().unwrap_or_default();
        let mut ids = BTreeSet::new();
        for (i, rule) in rules.iter().enumerate() {
            sarif_rule(
                &mut p,
                rule,
                &format!("{at}.tool.driver.rules[{i}]"),
                &mut ids,
            );
        }
        let Some(results) = run["results"].as_array() else {
            p.push(format!("{at}.results must be an array"));
            continue;
        };
        for (i, result) in results.iter().enumerate() {
            sarif_result(&mut p, result, &format!("{at}.results[{i}]"), &rules);
        }
    }
    p.0
}

/// One `tool.driver.rules` entry of a SARIF log.
fn sarif_rule(p: &mut Problems, rule: &Value, at: &str, ids: &mut BTreeSet<String>) {
    p.object(
        rule,
        at,
        &[
            "id",
            "name",
            "shortDescription",
            "fullDescription",
            "help",
            "defaultConfiguration",
        ],
        &["id"],
    );
    let id = rule["id"].as_str().unwrap_or_default();
    if !ids.insert(id.to_string()) {
        p.push(format!("{at}.id {id} is not unique"));
    }
    if Code::lookup(id).is_none() {
        p.push(format!("{at}.id {id} is not a raycc code"));
    }
    let name = rule["name"].as_str().unwrap_or_default();
    if name.is_empty()
        || !name.chars().all(|c| c.is_ascii_alphanumeric())
        || !name.starts_with(|c: char| c.is_ascii_uppercase())
    {
        p.push(format!(
            "{at}.name {name:?} is not a Pascal-case identifier"
        ));
    }
    for key in ["shortDescription", "fullDescription"] {
        p.message(&rule[key], &format!("{at}.{key}"));
    }
    // A multiformatMessageString: `text`, and `markdown` for viewers that render it.
    p.object(
        &rule["help"],
        &format!("{at}.help"),
        &["text", "markdown"],
        &["text", "markdown"],
    );
    p.non_empty(&rule["help"]["text"], &format!("{at}.help.text"));
    p.non_empty(&rule["help"]["markdown"], &format!("{at}.help.markdown"));
    p.object(
        &rule["defaultConfiguration"],
        &format!("{at}.defaultConfiguration"),
        &["level"],
        &["level"],
    );
    p.one_of(
        &rule["defaultConfiguration"]["level"],
        &format!("{at}.defaultConfiguration.level"),
        &["none", "note", "warning", "error"],
    );
    if let Some(code) = Code::lookup(id) {
        if rule["shortDescription"]["text"] != code.info().summary {
            p.push(format!("{at}.shortDescription is not the code's summary"));
        }
        if rule["help"]["text"] != code.explain_text() {
            p.push(format!("{at}.help.text is not the code's plain-text doc"));
        }
        if rule["help"]["markdown"] != code.explain_markdown() {
            p.push(format!("{at}.help.markdown is not the code's Markdown doc"));
        }
        if rule["help"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("## "))
        {
            p.push(format!("{at}.help.text has Markdown headings"));
        }
    }
}

/// One `results` entry of a SARIF log, whose rules are `rules`.
fn sarif_result(p: &mut Problems, result: &Value, at: &str, rules: &[Value]) {
    p.object(
        result,
        at,
        &[
            "ruleId",
            "ruleIndex",
            "level",
            "message",
            "locations",
            "relatedLocations",
            "partialFingerprints",
        ],
        &["message"],
    );
    p.one_of(
        &result["level"],
        &format!("{at}.level"),
        &["none", "note", "warning", "error"],
    );
    p.message(&result["message"], &format!("{at}.message"));
    let rule_id = result["ruleId"].as_str().unwrap_or_default();
    match result["ruleIndex"]
        .as_u64()
        .and_then(|n| rules.get(usize::try_from(n).unwrap()))
    {
        Some(rule) if rule["id"] == rule_id => {}
        _ => p.push(format!("{at}.ruleIndex does not point at rule {rule_id}")),
    }
    match result["locations"].as_array() {
        Some(locs) if (1..=10).contains(&locs.len()) => {
            for (li, loc) in locs.iter().enumerate() {
                let at = format!("{at}.locations[{li}]");
                p.object(
                    loc,
                    &at,
                    &["physicalLocation", "logicalLocations"],
                    &["physicalLocation"],
                );
                p.physical(&loc["physicalLocation"], &format!("{at}.physicalLocation"));
                if let Some(logical) = loc["logicalLocations"].as_array() {
                    for (gi, l) in logical.iter().enumerate() {
                        let at = format!("{at}.logicalLocations[{gi}]");
                        p.object(l, &at, &["fullyQualifiedName"], &["fullyQualifiedName"]);
                        p.non_empty(
                            &l["fullyQualifiedName"],
                            &format!("{at}.fullyQualifiedName"),
                        );
                    }
                }
            }
        }
        _ => p.push(format!("{at}.locations must hold 1 to 10 locations")),
    }
    if let Some(related) = result["relatedLocations"].as_array() {
        for (li, loc) in related.iter().enumerate() {
            let at = format!("{at}.relatedLocations[{li}]");
            p.object(
                loc,
                &at,
                &["id", "physicalLocation", "message"],
                &["physicalLocation"],
            );
            if loc["id"].as_i64().is_none_or(|id| id < -1) {
                p.push(format!("{at}.id must be an integer >= -1"));
            }
            p.physical(&loc["physicalLocation"], &format!("{at}.physicalLocation"));
            p.message(&loc["message"], &format!("{at}.message"));
        }
    }
    match result["partialFingerprints"].as_object() {
        Some(fps)
            if fps
                .values()
                .all(|v| v.as_str().is_some_and(|s| !s.is_empty())) => {}
        _ => p.push(format!(
            "{at}.partialFingerprints must map names to strings"
        )),
    }
}

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, s: impl Into<String>) {
        self.0.push(s.into());
    }

    fn object(&mut self, v: &Value, at: &str, allowed: &[&str], required: &[&str]) {
        let Some(map) = v.as_object() else {
            self.push(format!("{at} must be an object"));
            return;
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                self.push(format!("{at} has unexpected property {key}"));
            }
        }
        for key in required {
            if !map.contains_key(*key) {
                self.push(format!("{at} lacks required property {key}"));
            }
        }
    }

    fn string(&mut self, v: &Value, at: &str) {
        if !v.is_string() {
            self.push(format!("{at} must be a string"));
        }
    }

    fn non_empty(&mut self, v: &Value, at: &str) {
        if v.as_str().is_none_or(str::is_empty) {
            self.push(format!("{at} must be a non-empty string"));
        }
    }

    fn one_of(&mut self, v: &Value, at: &str, allowed: &[&str]) {
        if !v.as_str().is_some_and(|s| allowed.contains(&s)) {
            self.push(format!("{at} must be one of {allowed:?}, found {v}"));
        }
    }

    fn message(&mut self, v: &Value, at: &str) {
        self.object(v, at, &["text"], &["text"]);
        self.non_empty(&v["text"], &format!("{at}.text"));
    }

    fn int_at_least(&mut self, v: &Value, at: &str, min: u64) -> Option<u64> {
        match v.as_u64() {
            Some(n) if n >= min => Some(n),
            _ => {
                self.push(format!("{at} must be an integer >= {min}, found {v}"));
                None
            }
        }
    }

    fn physical(&mut self, v: &Value, at: &str) {
        self.object(
            v,
            at,
            &["artifactLocation", "region"],
            &["artifactLocation"],
        );
        let artifact = &v["artifactLocation"];
        self.object(
            artifact,
            &format!("{at}.artifactLocation"),
            &["uri"],
            &["uri"],
        );
        let uri = artifact["uri"].as_str().unwrap_or_default();
        if !is_uri_reference(uri) {
            self.push(format!(
                "{at}.artifactLocation.uri {uri:?} is not a URI reference"
            ));
        }
        let region = &v["region"];
        if region.is_null() {
            return;
        }
        let at = format!("{at}.region");
        self.object(
            region,
            &at,
            &["startLine", "startColumn", "endLine", "endColumn"],
            &["startLine"],
        );
        let start_line = self.int_at_least(&region["startLine"], &format!("{at}.startLine"), 1);
        let start_col = if region["startColumn"].is_null() {
            Some(1)
        } else {
            self.int_at_least(&region["startColumn"], &format!("{at}.startColumn"), 1)
        };
        let end_line = if region["endLine"].is_null() {
            start_line
        } else {
            self.int_at_least(&region["endLine"], &format!("{at}.endLine"), 1)
        };
        let end_col = if region["endColumn"].is_null() {
            None
        } else {
            self.int_at_least(&region["endColumn"], &format!("{at}.endColumn"), 1)
        };
        if let (Some(sl), Some(el)) = (start_line, end_line) {
            if el < sl {
                self.push(format!("{at} ends before it starts"));
            }
            if let (Some(sc), Some(ec)) = (start_col, end_col)
                && el == sl
                && ec < sc
            {
                self.push(format!("{at} ends before it starts"));
            }
        }
    }
}

/// An RFC 3986 URI reference as raycc writes them: a relative path or a `file://` URI, every
/// other character percent-encoded, no scheme-like colon in a relative path.
fn is_uri_reference(uri: &str) -> bool {
    let path = uri.strip_prefix("file://").unwrap_or(uri);
    let bytes = path.as_bytes();
    !uri.is_empty()
        && bytes.iter().enumerate().all(|(i, b)| {
            b.is_ascii_alphanumeric()
                || b"-._~/".contains(b)
                || (*b == b'%'
                    && bytes
                        .get(i + 1..i + 3)
                        .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)))
        })
}

#[test]
fn sarif_goldens_follow_the_sarif_2_1_0_structure() {
    for (path, t) in goldens("sarif") {
        let log: Value = serde_json::from_str(&t).unwrap();
        let problems = sarif_problems(&log);
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            path.display(),
            problems.join("\n")
        );
    }
}

#[test]
fn sarif_over_many_files_links_every_result_to_its_rule() {
    // `compile -o` finds what `validate` finds, and the problems of the output folder too.
    let dir = crate::harness::temp_dir("sarif-all");
    let out_dir = dir.join("never-written");
    let out = raycc(&[
        "compile",
        "--format",
        "sarif",
        "-o",
        out_dir.to_str().unwrap(),
        "fixtures",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!out_dir.exists());
    let log: Value = serde_json::from_slice(&out.stderr).unwrap();
    let problems = sarif_problems(&log);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let run = &log["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut sorted = rules.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(rules, sorted, "rules are unique and in code order");
    assert_eq!(rules.len(), Code::ALL.len(), "the fixtures use every code");
}

#[test]
fn the_structure_check_catches_broken_sarif() {
    let good: Value = serde_json::from_slice(
        &raycc(&[
            "validate",
            "--format",
            "sarif",
            "fixtures/invalid/min-replicas-above-max.yaml",
        ])
        .stdout,
    )
    .unwrap();
    assert!(sarif_problems(&good).is_empty());
    let breakages: &[(&str, Value)] = &[
        ("/version", Value::from("2.0.0")),
        ("/runs/0/results/0/ruleIndex", Value::from(7)),
        ("/runs/0/results/0/level", Value::from("fatal")),
        (
            "/runs/0/results/0/locations/0/physicalLocation/region/startLine",
            Value::from(0),
        ),
        (
            "/runs/0/results/0/locations/0/physicalLocation/region/endColumn",
            Value::from(2),
        ),
        (
            "/runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri",
            Value::from("a b.yaml"),
        ),
        ("/runs/0/results/0/message", serde_json::json!({"txt": "x"})),
        (
            "/runs/0/tool/driver/rules/0/name",
            Value::from("min-replicas-above-max"),
        ),
    ];
    for (pointer, value) in breakages {
        let mut bad = good.clone();
        *bad.pointer_mut(pointer).unwrap() = value.clone();
        assert!(
            !sarif_problems(&bad).is_empty(),
            "{pointer} = {value} passed"
        );
    }
}

// ---- GitHub workflow commands -------------------------------------------------------------

struct WorkflowCommand {
    command: String,
    props: BTreeMap<String, String>,
    data: String,
}

/// Parses one line as the Actions runner does (`ActionCommand.TryParseV2`): `::`, the command
/// up to a space or `::`, comma-separated `key=value` properties up to the next `::`, then the
/// message; then unescapes properties and message.
fn parse_command(line: &str) -> WorkflowCommand {
    let rest = line
        .strip_prefix("::")
        .unwrap_or_else(|| panic!("not a command: {line}"));
    let end = rest
        .find("::")
        .unwrap_or_else(|| panic!("no data separator: {line}"));
    let (head, data) = (&rest[..end], &rest[end + 2..]);
    let (command, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .unwrap_or_else(|| panic!("bad property {p}: {line}"));
            (k.to_string(), unescape_property(v))
        })
        .collect();
    WorkflowCommand {
        command: command.to_string(),
        props,
        data: unescape_data(data),
    }
}

fn unescape_data(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

fn unescape_property(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

fn span(line: usize, column: usize, end_line: usize, end_column: usize) -> Span {
    Span {
        line,
        column,
        end_line,
        end_column,
        start: 0,
        end: 0,
    }
}

fn diagnostic(file: &str, message: &str, help: Option<&str>) -> Diagnostic {
    Diagnostic {
        code: Code::UnknownField,
        severity: Code::UnknownField.severity(),
        message: message.to_string(),
        file: file.to_string(),
        span: Some(span(4, 3, 4, 9)),
        path: "spec.a".to_string(),
        help: help.map(str::to_string),
        related: None,
    }
}

#[test]
fn github_commands_survive_hostile_file_names_and_messages() {
    let awkward = [
        ("clusters/a,b:c%d.yaml", "plain message"),
        ("x.yaml", "100% sure: a, b and c\nsecond line\r\nthird"),
        ("new\nline.yaml", "::error file=evil.yaml::injected"),
        ("%0A%3A%2C.yaml", "%0A is not a line break"),
        ("a=b.yaml", "key=value, too"),
    ];
    for (file, message) in awkward {
        let d = diagnostic(file, message, Some("fix: it, 100%"));
        let out = raycc::report::github(std::slice::from_ref(&d));
        assert_eq!(
            out.matches('\n').count(),
            1,
            "one line per diagnostic: {out:?}"
        );
        let line = out.strip_suffix('\n').unwrap();
        assert!(!line.contains('\r'));
        let cmd = parse_command(line);
        assert_eq!(cmd.command, "error");
        assert_eq!(cmd.props["file"], file, "{line}");
        assert_eq!(cmd.props["line"], "4");
        assert_eq!(cmd.props["col"], "3");
        assert_eq!(cmd.props["endLine"], "4");
        assert_eq!(cmd.props["endColumn"], "9");
        assert_eq!(cmd.props["title"], "RC101 unknown-field");
        assert_eq!(
            cmd.data,
            format!("{message}\nfield: spec.a\nhelp: fix: it, 100%"),
            "{line}"
        );
    }
}

#[test]
fn github_goldens_parse_back_to_the_fixture_locations() {
    for (path, t) in goldens("github") {
        let case = path.file_stem().unwrap().to_str().unwrap();
        let group = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        let json: Value = serde_json::from_str(
            &fs::read_to_string(root().join(format!("golden-formats/json/{group}/{case}.json")))
                .unwrap(),
        )
        .unwrap();
        let diags = json["diagnostics"].as_array().unwrap();
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), diags.len(), "{}", path.display());
        for (line, d) in lines.iter().zip(diags) {
            let cmd = parse_command(line);
            assert_eq!(cmd.command, d["severity"].as_str().unwrap());
            assert_eq!(cmd.props["file"], d["file"].as_str().unwrap());
            assert_eq!(cmd.props["line"], d["line"].to_string());
            assert!(
                cmd.data.starts_with(d["message"].as_str().unwrap()),
                "{line}"
            );
            if d["end_line"].is_null() {
                assert_eq!(cmd.props["col"], d["column"].to_string());
                assert!(!cmd.props.contains_key("endLine"), "{line}");
                assert!(!cmd.props.contains_key("endColumn"), "{line}");
            } else if d["line"] == d["end_line"] {
                assert_eq!(cmd.props["col"], d["column"].to_string());
                assert_eq!(cmd.props["endColumn"], d["end_column"].to_string());
            } else {
                assert_eq!(cmd.props["endLine"], d["end_line"].to_string());
                assert!(
                    !cmd.props.contains_key("col"),
                    "columns only on one-line regions"
                );
            }
        }
    }
}

#[test]
fn github_annotations_name_awkward_files_exactly() {
    let dir = std::env::temp_dir().join(format!("raycc-formats-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let name = "team a,b: 100%.yaml";
    fs::copy(
        root().join("fixtures/invalid/min-replicas-above-max.yaml"),
        dir.join(name),
    )
    .unwrap();
    let file = dir.join(name);
    let out = raycc(&["validate", "--format", "github", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let cmd = parse_command(text(&out.stdout).lines().next().unwrap());
    assert_eq!(cmd.props["file"], file.to_str().unwrap());
    let sarif: Value = serde_json::from_slice(
        &raycc(&["validate", "--format", "sarif", file.to_str().unwrap()]).stdout,
    )
    .unwrap();
    let uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        uri.starts_with("file:///") && uri.ends_with("/team%20a%2Cb%3A%20100%25.yaml"),
        "{uri}"
    );
    assert!(is_uri_reference(uri));
    fs::remove_dir_all(&dir).unwrap();
}

// ---- where reports go ---------------------------------------------------------------------

#[test]
fn validate_writes_machine_reports_on_stdout_and_nothing_else() {
    let f = "fixtures/warnings/replicas-clamped.yaml";
    for (format, _) in FORMATS {
        let out = raycc(&["validate", "--format", format, f]);
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert!(out.stderr.is_empty(), "{format}: {}", text(&out.stderr));
        assert!(!out.stdout.is_empty(), "{format}");
    }
}

#[test]
fn compile_keeps_stdout_for_manifests_and_reports_on_stderr() {
    let f = "fixtures/warnings/replicas-clamped.yaml";
    let plain = raycc(&["compile", f]);
    assert_eq!(plain.status.code(), Some(0));
    for (format, _) in FORMATS {
        let out = raycc(&["compile", "--format", format, f]);
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert_eq!(
            out.stdout, plain.stdout,
            "{format}: stdout is the manifests only"
        );
        let report = text(&out.stderr);
        if *format == "github" {
            assert!(
                report.starts_with("::warning file=fixtures/warnings/replicas-clamped.yaml,"),
                "{report}"
            );
        } else {
            let v: Value = serde_json::from_str(&report).unwrap();
            assert!(!v.is_null());
        }
    }
    let wrong_type = "fixtures/invalid/wrong-type.yaml";
    let out = raycc(&["compile", "--format", "json", wrong_type]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let v: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(v["summary"]["errors"], 2);
}

#[test]
fn a_clean_run_still_writes_a_complete_report() {
    let f = "fixtures/compile/full-v1.yaml";
    let json: Value =
        serde_json::from_slice(&raycc(&["validate", "--format", "json", f]).stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"diagnostics": [], "summary": {"files": 1, "errors": 0, "warnings": 0}})
    );
    let sarif: Value =
        serde_json::from_slice(&raycc(&["validate", "--format", "sarif", f]).stdout).unwrap();
    assert!(sarif_problems(&sarif).is_empty());
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(
        text(&raycc(&["validate", "--format", "gitlab", f]).stdout),
        "[]\n"
    );
    assert_eq!(
        text(&raycc(&["validate", "--format", "github", f]).stdout),
        ""
    );
    let out = raycc(&["compile", "--format", "json", f]);
    assert_eq!(out.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(json["summary"]["files"], 1);
}

#[test]
fn standard_input_is_named_in_each_format() {
    let input = fs::read(root().join("fixtures/invalid/wrong-type.yaml")).unwrap();
    let json: Value =
        serde_json::from_slice(&raycc_stdin(&["validate", "--format", "json", "-"], &input).stdout)
            .unwrap();
    assert_eq!(json["diagnostics"][0]["file"], "-");
    let sarif: Value = serde_json::from_slice(
        &raycc_stdin(&["validate", "--format", "sarif", "-"], &input).stdout,
    )
    .unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "stdin"
    );
    let gitlab: Value = serde_json::from_slice(
        &raycc_stdin(&["validate", "--format", "gitlab", "-"], &input).stdout,
    )
    .unwrap();
    assert_eq!(gitlab[0]["location"]["path"], "stdin");
    let github = text(&raycc_stdin(&["validate", "--format", "github", "-"], &input).stdout);
    let cmd = parse_command(github.lines().next().unwrap());
    assert!(!cmd.props.contains_key("file"), "{github}");
    assert!(cmd.props.contains_key("line"), "{github}");
}

#[test]
fn an_unknown_format_is_a_usage_error() {
    let out = raycc(&[
        "validate",
        "--format",
        "xml",
        "fixtures/compile/short-form.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("possible values: human, json, github, sarif, gitlab"));
}

// ---- human output and severity --------------------------------------------------------------

const ESC: &str = "\x1b[";

#[test]
fn color_always_paints_and_never_does_not() {
    let f = "fixtures/invalid/min-replicas-above-max.yaml";
    let always = text(&raycc(&["validate", "--color", "always", f]).stderr);
    assert!(
        always.contains("\x1b[1;31merror[RC201]\x1b[0m"),
        "{always:?}"
    );
    let never = text(&raycc(&["validate", "--color", "never", f]).stderr);
    assert!(!never.contains(ESC), "{never:?}");
    assert!(never.starts_with("error[RC201]: "));
    let strip = |s: &str| {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find(ESC) {
            out.push_str(&rest[..i]);
            rest = &rest[i..];
            rest = &rest[rest.find('m').unwrap() + 1..];
        }
        out + rest
    };
    assert_eq!(
        strip(&always),
        never,
        "colour changes nothing but the escapes"
    );
}

#[test]
fn auto_colour_is_off_when_stderr_is_not_a_terminal_or_no_color_is_set() {
    let f = "fixtures/invalid/min-replicas-above-max.yaml";
    let piped = text(&raycc(&["validate", f]).stderr);
    assert!(!piped.contains(ESC), "{piped:?}");
    let no_color = text(
        &raycc_command(&["validate", "--color", "auto", f])
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
            .stderr,
    );
    assert!(!no_color.contains(ESC));
    let forced = text(
        &raycc_command(&["validate", "--color", "always", f])
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
            .stderr,
    );
    assert!(forced.contains(ESC), "--color always wins over NO_COLOR");
}

#[test]
fn machine_formats_never_contain_colour() {
    let f = "fixtures/invalid/min-replicas-above-max.yaml";
    for (format, _) in FORMATS {
        let out = raycc(&["validate", "--color", "always", "--format", format, f]);
        assert!(!text(&out.stdout).contains(ESC), "{format}");
    }
}

#[test]
fn deny_warnings_fails_compile_and_raises_warnings_to_errors_in_every_format() {
    let f = "fixtures/warnings/hpa-warnings.yaml";
    let out = raycc(&["compile", f]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!out.stdout.is_empty());
    let out = raycc(&["compile", "--deny-warnings", "--color=never", f]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing is compiled when warnings are denied"
    );
    let err = text(&out.stderr);
    assert!(err.starts_with("error[RC306]"), "{err}");
    assert!(
        err.ends_with("raycc: 1 file checked, 3 errors, 0 warnings\n"),
        "{err}"
    );

    let out = raycc(&["validate", "--deny-warnings", "--format", "json", f]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["summary"],
        serde_json::json!({"files": 1, "errors": 3, "warnings": 0})
    );
    let sarif: Value = serde_json::from_slice(
        &raycc(&["validate", "--deny-warnings", "--format", "sarif", f]).stdout,
    )
    .unwrap();
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        assert_eq!(r["level"], "error");
    }
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert!(
        rules
            .iter()
            .all(|r| r["defaultConfiguration"]["level"] == "warning"),
        "the rules keep their default level"
    );
    let github = text(&raycc(&["validate", "--deny-warnings", "--format", "github", f]).stdout);
    assert!(
        github.lines().all(|l| l.starts_with("::error ")),
        "{github}"
    );
    let gitlab: Value = serde_json::from_slice(
        &raycc(&["validate", "--deny-warnings", "--format", "gitlab", f]).stdout,
    )
    .unwrap();
    assert!(
        gitlab
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["severity"] == "major")
    );
}
