//! Golden tests: every `fixtures/<group>/<case>.yaml` is compiled by the real binary and its
//! stdout, stderr and exit code are compared with `golden/<group>/<case>.yaml`, `.stderr` and
//! `.exit` (each present only when non-empty / non-zero, as every golden file in
//! [`crate::harness`]). A golden file without a fixture fails, and so does a missing one.
//! `UPDATE_GOLDEN=1 cargo test` rewrites them.
//!
//! A fixture whose first line is `# raycc-args: ...` passes those arguments to `raycc compile`.

use std::fs;
use std::path::{Path, PathBuf};

use raycc::codes::Code;

use crate::harness::{Goldens, exit_text, files_under, raycc_command, root};

struct Run {
    stdout: String,
    stderr: String,
    exit: i32,
}

fn run_fixture(rel: &Path) -> Run {
    let text = fs::read(root().join(rel)).unwrap();
    let first = String::from_utf8_lossy(&text)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    let mut cmd = raycc_command(&["compile", "--color=never"]);
    if let Some(args) = first.strip_prefix("# raycc-args:") {
        cmd.args(args.split_whitespace());
    }
    let out = cmd.arg(rel).output().unwrap();
    Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        exit: out.status.code().unwrap_or(-1),
    }
}

#[test]
fn every_fixture_matches_its_golden_files() {
    let fixtures: Vec<PathBuf> = files_under(&root().join("fixtures"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    assert!(!fixtures.is_empty());
    let mut goldens = Goldens::new();
    for fixture in &fixtures {
        let rel = fixture.strip_prefix(root()).unwrap();
        let case = fixture
            .strip_prefix(root().join("fixtures"))
            .unwrap()
            .with_extension("");
        let golden = root().join("golden").join(&case);
        let run = run_fixture(rel);
        let name = rel.display().to_string();
        goldens.check(&name, golden.with_extension("yaml"), &run.stdout);
        goldens.check(&name, golden.with_extension("stderr"), &run.stderr);
        goldens.check(&name, golden.with_extension("exit"), &exit_text(run.exit));
    }
    goldens.finish(&root().join("golden"));
}

#[test]
fn every_diagnostic_code_appears_in_a_golden_file() {
    let mut text = String::new();
    for p in files_under(&root().join("golden")) {
        if p.extension().is_some_and(|e| e == "stderr") {
            text.push_str(&fs::read_to_string(p).unwrap());
        }
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.id())
        .filter(|id| !text.contains(&format!("[{id}]")))
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}

/// Every diagnostic names the next step: each one in the golden files has a help line.
#[test]
fn every_golden_diagnostic_has_a_help_line() {
    let mut without = Vec::new();
    for p in files_under(&root().join("golden")) {
        if p.extension().is_none_or(|e| e != "stderr") {
            continue;
        }
        let text = fs::read_to_string(&p).unwrap();
        // Diagnostics are separated by a blank line; the summary line ends the file.
        for block in text.split("\n\n") {
            let head = block.lines().next().unwrap_or_default();
            let is_diagnostic = head.starts_with("error[") || head.starts_with("warning[");
            if is_diagnostic
                && !block
                    .lines()
                    .any(|l| l.trim_start().starts_with("= help: "))
            {
                without.push(format!("{}: {head}", p.display()));
            }
        }
    }
    assert!(
        without.is_empty(),
        "diagnostics without help:\n{}",
        without.join("\n")
    );
}

#[test]
fn golden_manifests_are_deterministic_across_runs() {
    let rel = Path::new("fixtures/compile/full-v1.yaml");
    let a = run_fixture(rel);
    let b = run_fixture(rel);
    assert_eq!(a.stdout, b.stdout);
    assert!(!a.stdout.is_empty());
}
