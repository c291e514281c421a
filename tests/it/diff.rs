//! `raycc diff`: golden diffs for every `fixtures-diff/<case>/{old,new}.yaml` in each format
//! (`golden-diff/<case>.{txt,md,json}`, plus `.exit` when the exit code is not 0), and
//! `--base` against a temporary git repository, `--against` a rendered folder.
//! `UPDATE_GOLDEN=1 cargo test` rewrites the goldens.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use crate::harness::{Goldens, assert_exit, exit_text, raycc, raycc_in, root, temp_dir, text};

#[test]
fn every_diff_case_matches_its_golden_files() {
    let mut cases: Vec<String> = fs::read_dir(root().join("fixtures-diff"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert!(cases.len() >= 6);
    let mut goldens = Goldens::new();
    for case in &cases {
        let old = format!("fixtures-diff/{case}/old.yaml");
        let new = format!("fixtures-diff/{case}/new.yaml");
        for (format, ext) in [("text", "txt"), ("markdown", "md"), ("json", "json")] {
            let out = raycc(&["diff", "--color=never", "--format", format, &old, &new]);
            assert!(
                out.stderr.is_empty(),
                "{case}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let golden = root().join("golden-diff").join(case);
            goldens.check(case, golden.with_extension(ext), &text(&out.stdout));
            let exit = exit_text(out.status.code().unwrap());
            goldens.check(case, golden.with_extension("exit"), &exit);
        }
    }
    goldens.finish(&root().join("golden-diff"));
}

#[test]
fn reordered_but_equal_sources_do_not_differ() {
    let out = raycc(&[
        "diff",
        "fixtures-diff/reordered/old.yaml",
        "fixtures-diff/reordered/new.yaml",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "0 changed, 0 added, 0 removed\n"
    );
}

#[test]
fn scaling_a_group_changes_exactly_one_object() {
    let out = raycc(&[
        "diff",
        "--format=json",
        "fixtures-diff/scale/old.yaml",
        "fixtures-diff/scale/new.yaml",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["changed"], 1);
    assert_eq!(v["summary"]["added"], 0);
    assert_eq!(v["summary"]["removed"], 0);
    assert_eq!(v["objects"][0]["name"], "train-gpu-worker");
    assert_eq!(
        v["objects"][0]["impact"][0],
        "scales from 2 to 3 Pods (no restart)"
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=raycc",
            "-c",
            "user.email=raycc@example.com",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

#[test]
fn base_compares_a_git_revision_with_the_working_tree() {
    let repo = temp_dir("git");
    git(&repo, &["init", "-q"]);
    fs::create_dir_all(repo.join("clusters")).unwrap();
    fs::copy(
        root().join("fixtures-diff/scale/old.yaml"),
        repo.join("clusters/train.yaml"),
    )
    .unwrap();
    fs::write(repo.join("clusters/notes.txt"), "ignored").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "start"]);
    let out = raycc_in(&repo, &["diff", "--base", "HEAD", "clusters"]);
    assert_exit(&out, 0);
    fs::copy(
        root().join("fixtures-diff/scale/new.yaml"),
        repo.join("clusters/train.yaml"),
    )
    .unwrap();
    let out = raycc_in(
        &repo,
        &["diff", "--base", "HEAD", "--color=never", "clusters"],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("~ apps/v1 StatefulSet ml/train-gpu-worker (changed)"),
        "{text}"
    );
    assert!(text.ends_with("1 changed, 0 added, 0 removed\n"), "{text}");
    // From a subfolder, paths are relative to it, as git's are.
    let out = raycc_in(
        &repo.join("clusters"),
        &["diff", "--base", "HEAD", "--format=json", "."],
    );
    assert_eq!(out.status.code(), Some(1));
    let out = raycc_in(&repo, &["diff", "--base", "no-such-rev", "clusters"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn base_counts_unchanged_and_renamed_files_like_a_full_compile() {
    let repo = temp_dir("twins");
    git(&repo, &["init", "-q"]);
    fs::create_dir_all(repo.join("clusters")).unwrap();
    for (from, to) in [
        ("fixtures/compile/autoscaling.yaml", "clusters/a.yaml"),
        ("fixtures/compile/multi-group.yaml", "clusters/b.yaml"),
        ("fixtures-diff/scale/old.yaml", "clusters/c.yaml"),
    ] {
        fs::copy(root().join(from), repo.join(to)).unwrap();
    }
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "start"]);
    // a.yaml moves with the same bytes; c.yaml scales one group.
    git(&repo, &["mv", "clusters/a.yaml", "clusters/moved.yaml"]);
    fs::copy(
        root().join("fixtures-diff/scale/new.yaml"),
        repo.join("clusters/c.yaml"),
    )
    .unwrap();
    // The oracle: every object of the working tree, compiled from scratch.
    let compiled = raycc_in(&repo, &["compile", "clusters"]);
    assert_eq!(compiled.status.code(), Some(0));
    let objects = String::from_utf8(compiled.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("kind: "))
        .count();
    assert!(objects > 10, "{objects}");
    let out = raycc_in(
        &repo,
        &["diff", "--base", "HEAD", "--format=json", "clusters"],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["summary"],
        serde_json::json!({"added": 0, "removed": 0, "changed": 1, "unchanged": objects - 1}),
    );
    assert_eq!(report["objects"][0]["name"], "train-gpu-worker");
}

#[test]
fn base_reports_an_invalid_unchanged_file_once() {
    let repo = temp_dir("invalid-twin");
    git(&repo, &["init", "-q"]);
    fs::copy(
        root().join("fixtures/invalid/min-replicas-above-max.yaml"),
        repo.join("broken.yaml"),
    )
    .unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "start"]);
    let out = raycc_in(&repo, &["diff", "--base", "HEAD", "--color=never"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.matches("error[RC201]").count(), 1, "{stderr}");
    assert!(stderr.contains("--> ./broken.yaml:"), "{stderr}");
}

/// Runs `raycc compile --check -o DIR SOURCE`.
fn check_against(dir: &str, source: &str) -> Output {
    raycc(&["compile", "--check", "-o", dir, source])
}

#[test]
fn against_compares_rendered_manifests_with_the_sources() {
    let dir = temp_dir("against");
    let rendered = dir.join("rendered");
    let r = rendered.to_str().unwrap();
    let compile = raycc(&["compile", "fixtures-diff/scale/old.yaml", "-o", r]);
    assert_eq!(compile.status.code(), Some(0));
    let same = raycc(&["diff", "--against", r, "fixtures-diff/scale/old.yaml"]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );
    let changed = raycc(&["diff", "--against", r, "fixtures-diff/scale/new.yaml"]);
    assert_eq!(changed.status.code(), Some(1));
    assert!(
        String::from_utf8(changed.stdout)
            .unwrap()
            .ends_with("1 changed, 0 added, 0 removed\n")
    );
    let fresh = check_against(r, "fixtures-diff/scale/old.yaml");
    assert_eq!(fresh.status.code(), Some(0));
    for (source, why) in [
        (
            "fixtures-diff/scale/new.yaml",
            "changed: ml/statefulset-train-gpu-worker.yaml",
        ),
        (
            "fixtures/compile/suspended.yaml",
            "no longer generated: ml/statefulset-train-head.yaml",
        ),
    ] {
        let stale = check_against(r, source);
        assert_eq!(stale.status.code(), Some(1));
        assert!(text(&stale.stderr).contains(why), "{source}");
    }
}

#[test]
fn invalid_sources_are_an_error_not_a_difference() {
    let out = raycc(&[
        "diff",
        "fixtures-diff/scale/old.yaml",
        "fixtures/invalid/min-replicas-above-max.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("error[RC201]")
    );
}

#[test]
fn against_a_folder_rendered_with_a_kustomization_shows_no_false_change() {
    let dir = temp_dir("against-kustomization");
    let rendered = dir.join("rendered");
    let r = rendered.to_str().unwrap();
    let compile = raycc_in(
        &root(),
        &[
            "compile",
            "--kustomization",
            "-o",
            r,
            "fixtures-diff/scale/old.yaml",
        ],
    );
    assert_eq!(compile.status.code(), Some(0));
    assert!(rendered.join("kustomization.yaml").is_file());
    let same = raycc_in(
        &root(),
        &[
            "diff",
            "--color=never",
            "--against",
            r,
            "fixtures-diff/scale/old.yaml",
        ],
    );
    let text = String::from_utf8(same.stdout).unwrap();
    assert_eq!(same.status.code(), Some(0), "{text}");
    assert!(text.ends_with("0 changed, 0 added, 0 removed\n"), "{text}");
}

#[test]
fn base_with_an_unknown_revision_says_so_and_how_to_fetch_it() {
    let repo = temp_dir("git-unknown");
    git(&repo, &["init", "-q"]);
    fs::write(
        repo.join("a.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    )
    .unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "start"]);
    let out = raycc_in(&repo, &["diff", "--base", "origin/mian", "."]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("git knows no revision `origin/mian`"), "{err}");
    assert!(err.contains("git fetch"), "{err}");
    assert!(!err.contains("fatal:"), "git's own words stay out: {err}");

    let plain = temp_dir("not-git");
    let out = raycc_in(&plain, &["diff", "--base", "main", "."]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("is not in a git repository"), "{err}");
}
