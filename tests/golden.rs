//! Golden tests: every `fixtures/<group>/<case>.yaml` is compiled by the real binary and its
//! stdout, stderr and exit code are compared with `golden/<group>/<case>.yaml`, `.stderr` and
//! `.exit` (each present only when non-empty / non-zero). A golden file without a fixture
//! fails, and so does a missing one. `UPDATE_GOLDEN=1 cargo test` rewrites them.
//!
//! A fixture whose first line is `# raycc-args: ...` passes those arguments to `raycc compile`.

// Test helpers panic on unexpected input by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use raycc::codes::Code;

use common::{files_under, root};

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
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_raycc"));
    cmd.current_dir(root()).arg("compile").arg("--color=never");
    if let Some(args) = first.strip_prefix("# raycc-args:") {
        cmd.args(args.split_whitespace());
    }
    cmd.arg(rel);
    cmd.env_remove("NO_COLOR");
    let out = cmd.output().unwrap();
    Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        exit: out.status.code().unwrap_or(-1),
    }
}

#[test]
fn every_fixture_matches_its_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let fixtures: Vec<PathBuf> = files_under(&root().join("fixtures"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    assert!(!fixtures.is_empty());
    let mut expected_files = BTreeSet::new();
    let mut failures = Vec::new();
    for fixture in &fixtures {
        let rel = fixture.strip_prefix(root()).unwrap();
        let case = fixture
            .strip_prefix(root().join("fixtures"))
            .unwrap()
            .with_extension("");
        let golden = root().join("golden").join(&case);
        let run = run_fixture(rel);
        let exit = if run.exit == 0 {
            String::new()
        } else {
            format!("{}\n", run.exit)
        };
        for (ext, actual) in [
            ("yaml", &run.stdout),
            ("stderr", &run.stderr),
            ("exit", &exit),
        ] {
            let path = golden.with_extension(ext);
            if update {
                if actual.is_empty() {
                    let _ = fs::remove_file(&path);
                } else {
                    fs::create_dir_all(path.parent().unwrap()).unwrap();
                    fs::write(&path, actual).unwrap();
                }
            }
            if !actual.is_empty() {
                expected_files.insert(path.clone());
            }
            let want = fs::read_to_string(&path).unwrap_or_default();
            if &want != actual {
                failures.push(format!(
                    "{}: {ext} differs (run UPDATE_GOLDEN=1 cargo test and review the diff)\n--- want\n{want}\n--- got\n{actual}",
                    rel.display()
                ));
            }
        }
    }
    let present: BTreeSet<PathBuf> = files_under(&root().join("golden")).into_iter().collect();
    for orphan in present.difference(&expected_files) {
        failures.push(format!(
            "{} has no fixture (or its output is now empty)",
            orphan.display()
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
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

#[test]
fn golden_manifests_are_deterministic_across_runs() {
    let rel = Path::new("fixtures/compile/full-v1.yaml");
    let a = run_fixture(rel);
    let b = run_fixture(rel);
    assert_eq!(a.stdout, b.stdout);
    assert!(!a.stdout.is_empty());
}
