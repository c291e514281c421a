//! The command line as users drive it: inputs from stdin and directories, `-o DIR` written
//! atomically, exit codes, a closed stdout, `schema` and `explain`.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{
    assert_exit, raycc, raycc_command, raycc_stdin, root, spawn_with_stdin, temp_dir, tree,
};

/// The fixtures most tests compile: two clusters in different namespaces.
const FULL: &str = "fixtures/compile/full-v1.yaml";
const SUSPENDED: &str = "fixtures/compile/suspended.yaml";

/// Runs `raycc compile INPUT -o DIR`, which must succeed.
fn compile_into(dir: &str, input: &str) {
    assert_exit(&raycc(&["compile", input, "-o", dir]), 0);
}

/// A fresh scratch folder, and the folder `out` in it into which `input` was compiled.
fn scratch_output(name: &str, input: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let target = dir.join("out");
    compile_into(target.to_str().unwrap(), input);
    (dir, target)
}

/// `n` copies of [`FULL`] named `train0`, `train1`, ... in one stream.
fn many_clusters(n: usize) -> String {
    let one = fs::read_to_string(root().join(FULL)).unwrap();
    let mut many = String::new();
    for i in 0..n {
        many.push_str(&one.replace("name: train\n", &format!("name: train{i}\n")));
        many.push_str("\n---\n");
    }
    many
}

fn golden(name: &str) -> String {
    fs::read_to_string(root().join("golden").join(name)).unwrap()
}

#[test]
fn compile_reads_standard_input() {
    let input = fs::read(root().join(FULL)).unwrap();
    let out = raycc_stdin(&["compile", "-"], &input);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        golden("compile/full-v1.yaml")
    );
}

#[test]
fn a_directory_is_compiled_file_by_file_in_sorted_order() {
    let dir = temp_dir("tree");
    fs::create_dir_all(dir.join("b")).unwrap();
    fs::copy(root().join(SUSPENDED), dir.join("b/z.yml")).unwrap();
    fs::copy(root().join(FULL), dir.join("a.yaml")).unwrap();
    fs::write(dir.join("notes.txt"), "not yaml").unwrap();
    let out = raycc(&["compile", dir.to_str().unwrap()]);
    assert_exit(&out, 0);
    let want = golden("compile/full-v1.yaml") + &golden("compile/suspended.yaml");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
}

#[test]
fn files_without_a_raycluster_compile_to_nothing() {
    let out = raycc_stdin(&["compile", "-"], b"# only a comment\n---\n---\n");
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let out = raycc_stdin(&["validate", "-"], b"");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn output_folder_gets_one_file_per_object() {
    let dir = temp_dir("out");
    let target = dir.join("rendered");
    let out = raycc(&["compile", FULL, "-o", target.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert!(out.stdout.is_empty());
    assert_eq!(
        tree(&target),
        [
            "ml/service-train-gpu-worker.yaml",
            "ml/service-train-head-svc.yaml",
            "ml/statefulset-train-gpu-worker.yaml",
            "ml/statefulset-train-head.yaml",
        ]
    );
    let head = fs::read_to_string(target.join("ml/statefulset-train-head.yaml")).unwrap();
    assert!(head.starts_with(raycc::layout::HEADER));
    assert!(head.contains("name: train-head\n"));
    // Nothing is left beside the folder.
    assert_eq!(tree(&dir).len(), 4);
}

#[test]
fn output_folder_keeps_foreign_files_and_prunes_only_with_the_flag() {
    let (_, target) = scratch_output("prune", FULL);
    let t = target.to_str().unwrap();
    fs::write(target.join("kustomization.yaml"), "resources: []\n").unwrap();
    // The cluster disappears from the input: its files stay without --prune.
    compile_into(t, SUSPENDED);
    let files = tree(&target);
    assert!(files.contains(&"ml/statefulset-train-head.yaml".to_string()));
    assert!(files.contains(&"batch/statefulset-paused-head.yaml".to_string()));
    assert!(files.contains(&"kustomization.yaml".to_string()));
    // With --prune, files raycc wrote for objects that are gone are removed, others kept.
    let out = raycc(&["compile", SUSPENDED, "-o", t, "--prune"]);
    assert_eq!(out.status.code(), Some(0));
    let files = tree(&target);
    assert!(!files.iter().any(|f| f.starts_with("ml/")), "{files:?}");
    assert!(files.contains(&"kustomization.yaml".to_string()));
    assert!(files.contains(&"batch/statefulset-paused-head.yaml".to_string()));
}

#[test]
fn output_folder_is_untouched_when_any_input_has_an_error() {
    let (dir, target) = scratch_output("atomic", FULL);
    let t = target.to_str().unwrap();
    let before = tree(&target);
    let out = raycc(&[
        "compile",
        SUSPENDED,
        "fixtures/invalid/min-replicas-above-max.yaml",
        "-o",
        t,
        "--prune",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(tree(&target), before);
    assert_eq!(
        fs::read_dir(&dir).unwrap().count(),
        1,
        "no staging folder is left behind"
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(raycc(&["compile"]).status.code(), Some(2));
    let out = raycc(&["compile", "does/not/exist.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read does/not/exist.yaml"));
    assert_eq!(raycc(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(raycc(&["explain", "RC999"]).status.code(), Some(2));
}

#[test]
fn invalid_input_exits_1_with_nothing_on_stdout() {
    let out = raycc(&["compile", "fixtures/invalid/unknown-field.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let out = raycc(&["validate", FULL, "fixtures/invalid/wrong-type.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.ends_with("raycc: 2 files checked, 2 errors, 0 warnings\n"),
        "{err}"
    );
}

#[test]
fn warnings_pass_unless_denied() {
    let f = "fixtures/warnings/replicas-clamped.yaml";
    assert_eq!(raycc(&["validate", f]).status.code(), Some(0));
    assert_eq!(
        raycc(&["validate", "--deny-warnings", f]).status.code(),
        Some(1)
    );
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let many = many_clusters(300);
    let (mut child, writer) =
        spawn_with_stdin(&mut raycc_command(&["compile", "-"]), many.as_bytes());
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    writer.join().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn schema_prints_the_checked_in_schema() {
    let out = raycc(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        fs::read_to_string(root().join("schemas/raycluster.schema.json")).unwrap()
    );
}

#[test]
fn explain_documents_every_code() {
    let out = raycc(&["explain", "RC201"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for part in [
        "RC201 min-replicas-above-max",
        "## What it checks",
        "## Why it matters",
        "## Example",
        "## Fix",
    ] {
        assert!(text.contains(part), "{part} missing from:\n{text}");
    }
    let list = String::from_utf8(raycc(&["explain", "--list"]).stdout).unwrap();
    for code in raycc::codes::Code::ALL {
        assert!(list.contains(code.id()), "{code} not listed");
    }
}

#[cfg(unix)]
#[test]
fn output_folder_keeps_symlinks_without_following_them() {
    let (_, target) = scratch_output("links", FULL);
    let t = target.to_str().unwrap();
    std::os::unix::fs::symlink("/etc", target.join("outside")).unwrap();
    compile_into(t, FULL);
    let meta = fs::symlink_metadata(target.join("outside")).unwrap();
    assert!(meta.file_type().is_symlink());
    assert_eq!(
        fs::read_link(target.join("outside")).unwrap(),
        Path::new("/etc")
    );
}

#[test]
fn a_folder_left_aside_by_a_killed_run_is_restored_first() {
    let dir = temp_dir("recover");
    let target = dir.join("out");
    let aside = dir.join(".out.raycc-old-999999");
    fs::create_dir_all(&aside).unwrap();
    fs::write(aside.join("mine.yaml"), "kind: ConfigMap\n").unwrap();
    fs::create_dir_all(dir.join(".out.raycc-new-999999")).unwrap();
    let out = raycc(&["compile", SUSPENDED, "-o", target.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert!(
        target.join("mine.yaml").exists(),
        "the user's file came back"
    );
    assert!(target.join("batch/statefulset-paused-head.yaml").exists());
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "{:?}", tree(&dir));
}

#[cfg(unix)]
#[test]
fn a_terminated_write_leaves_the_old_folder_or_the_new_one_never_a_mix() {
    let many = many_clusters(400);
    let (dir, target) = scratch_output("sigterm", SUSPENDED);
    let t = target.to_str().unwrap().to_string();
    let before = tree(&target);
    let run = |delay: Option<std::time::Duration>| {
        let start = std::time::Instant::now();
        let (mut child, writer) = spawn_with_stdin(
            &mut raycc_command(&["compile", "-", "-o", &t, "--prune"]),
            many.as_bytes(),
        );
        if let Some(d) = delay {
            std::thread::sleep(d.saturating_sub(start.elapsed()));
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
        }
        let status = child.wait().unwrap();
        writer.join().unwrap();
        (status.code(), start.elapsed())
    };
    // Time one full run into a scratch folder, then interrupt runs at points spread over
    // the end of that time, where the files are being written.
    let scratch = temp_dir("sigterm-scratch").join("out");
    let full = {
        let start = std::time::Instant::now();
        let (mut child, writer) = spawn_with_stdin(
            &mut raycc_command(&["compile", "-", "-o", scratch.to_str().unwrap()]),
            many.as_bytes(),
        );
        assert_eq!(child.wait().unwrap().code(), Some(0));
        writer.join().unwrap();
        start.elapsed()
    };
    let mut codes = Vec::new();
    for percent in [0u32, 50, 80, 88, 93, 97, 100, 104] {
        let (code, _) = run(Some(full * percent / 100));
        codes.push(code);
        let files = tree(&target);
        let complete = files.len() == 400 * 4;
        assert!(
            files == before || complete,
            "exit {code:?}: a mix of {} files",
            files.len()
        );
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "leftovers: {leftovers:?}");
        if complete {
            break;
        }
    }
    println!("exit codes by interrupt time: {codes:?}");
}

#[test]
fn the_same_cluster_in_two_files_is_refused_in_both() {
    let dir = temp_dir("cross-file-duplicate");
    let one = fs::read_to_string(root().join(FULL)).unwrap();
    fs::write(dir.join("a.yaml"), &one).unwrap();
    fs::write(dir.join("b.yaml"), &one).unwrap();
    let out = raycc(&["compile", dir.to_str().unwrap()]);
    assert_exit(&out, 1);
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let a = dir.join("a.yaml");
    let b = dir.join("b.yaml");
    for (here, there) in [(&a, &b), (&b, &a)] {
        let at = format!("--> {}:", here.display());
        let other = format!("({}:", there.display());
        assert!(
            stderr.lines().any(|l| l.contains(&at)) && stderr.contains(&other),
            "no RC318 at {} naming {}:\n{stderr}",
            here.display(),
            there.display()
        );
    }
    assert!(stderr.contains("error[RC318]: StatefulSet "), "{stderr}");
    assert!(!stderr.contains("warning["), "{stderr}");
}

#[test]
fn explain_list_aligns_its_columns() {
    let out = raycc(&["explain", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let columns: BTreeSet<Vec<usize>> = text
        .lines()
        .map(|l| {
            // Where each column starts: after a run of two or more spaces.
            let b = l.as_bytes();
            (2..b.len())
                .filter(|&i| b[i] != b' ' && b[i - 1] == b' ' && b[i - 2] == b' ')
                .take(3)
                .collect()
        })
        .collect();
    assert_eq!(columns.len(), 1, "{columns:?}\n{text}");
}

#[test]
fn compile_check_prints_the_command_that_brings_the_folder_up_to_date() {
    let dir = temp_dir("check-fix");
    fs::create_dir_all(dir.join("my clusters")).unwrap();
    fs::copy(
        root().join("fixtures/compile/full-v1.yaml"),
        dir.join("my clusters/train.yaml"),
    )
    .unwrap();
    // Stale: the folder holds a file raycc wrote for an object that is gone.
    fs::create_dir_all(dir.join("rendered")).unwrap();
    fs::write(
        dir.join("rendered/configmap-gone.yaml"),
        format!("{}kind: ConfigMap\n", raycc::layout::HEADER),
    )
    .unwrap();
    let check = [
        "compile",
        "--check",
        "--kustomization",
        "--namespace",
        "ml",
        "-o",
        "rendered",
        "my clusters",
    ];
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_raycc"))
            .current_dir(&dir)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&check);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("  no longer generated: configmap-gone.yaml\n"),
        "{err}"
    );
    let (_, command) = err.split_once("to update it, run:\n  ").expect(&err);
    let command = command.trim_end();
    assert_eq!(
        command,
        format!(
            "{} compile --prune --kustomization --namespace ml -o rendered 'my clusters'",
            env!("CARGO_BIN_EXE_raycc")
        )
    );
    // Pasted into a shell, it brings the folder up to date.
    let fixed = Command::new("sh")
        .current_dir(&dir)
        .args(["-c", command])
        .output()
        .unwrap();
    assert_eq!(
        fixed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&fixed.stderr)
    );
    assert_eq!(run(&check).status.code(), Some(0));
}

#[test]
fn compile_to_a_folder_says_what_it_wrote() {
    let dir = temp_dir("summary");
    let target = dir.join("out");
    let t = target.to_str().unwrap();
    let summary = |args: &[&str]| {
        let mut all = vec!["compile"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-o", t]);
        let out = raycc(&all);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        String::from_utf8(out.stderr).unwrap()
    };
    let full = "fixtures/compile/full-v1.yaml";
    let suspended = "fixtures/compile/suspended.yaml";
    let first = summary(&[full]);
    let a = tree(&target).len();
    assert!(a > 1);
    assert_eq!(first, format!("raycc: wrote {a} files to {t} ({a} new)\n"));
    let with_kustomization = summary(&[full, "--kustomization"]);
    assert_eq!(
        with_kustomization,
        format!("raycc: wrote {} files to {t} (1 new)\n", a + 1)
    );
    // Another cluster: its files are new, the kustomization changes, the first cluster's
    // files stay without --prune, and the summary says how to remove them.
    let other = dir.join("other");
    assert!(
        raycc(&["compile", suspended, "-o", other.to_str().unwrap()])
            .status
            .success()
    );
    let b = tree(&other).len();
    assert_eq!(
        summary(&[suspended, "--kustomization"]),
        format!(
            "raycc: wrote {} files to {t} ({b} new, 1 changed); kept {a} files raycc wrote for \
             objects that are gone: add --prune to remove them\n",
            b + 1
        )
    );
    assert_eq!(
        summary(&[suspended, "--kustomization", "--prune"]),
        format!("raycc: wrote {} files to {t} ({a} removed)\n", b + 1)
    );
    assert_eq!(
        summary(&[suspended, "--kustomization"]),
        format!("raycc: wrote {} files to {t} (none changed)\n", b + 1)
    );
}

#[test]
fn a_mapping_that_is_no_kubernetes_object_is_an_error_like_a_list() {
    for input in [
        &b"image:\n  tag: latest\n"[..],
        b"- a\n- b\n",
        b"kind: ConfigMap\n",
    ] {
        for command in ["compile", "validate"] {
            let out = raycc_stdin(&[command, "--color=never", "-"], input);
            assert_eq!(out.status.code(), Some(1), "{command} {input:?}");
            assert!(out.stdout.is_empty() || command == "validate");
            let err = String::from_utf8(out.stderr).unwrap();
            assert!(err.contains("not a Kubernetes object"), "{err}");
            assert!(err.contains("= help: "), "{err}");
        }
    }
}

/// The first example of the README, as a new user runs it, compiles without a warning.
#[test]
fn the_readme_first_example_compiles_cleanly() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.trim_start().starts_with("raycc compile "))
        .expect("README has a `raycc compile` example");
    let args: Vec<&str> = line
        .split('#')
        .next()
        .unwrap()
        .split_whitespace()
        .skip(1)
        .collect();
    let out = raycc(&args);
    assert_eq!(out.status.code(), Some(0), "{line}");
    assert!(!out.stdout.is_empty(), "{line}");
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "", "{line}");
}

/// `raycc man` and `raycc completions SHELL` print what `golden-cli/` holds; after a change to
/// the command line, `UPDATE_GOLDEN=1 cargo test` rewrites them for review.
#[test]
fn man_page_and_completions_match_their_goldens() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    for (args, file) in [
        (&["man"][..], "raycc.1"),
        (&["completions", "bash"], "raycc.bash"),
        (&["completions", "zsh"], "_raycc.zsh"),
        (&["completions", "fish"], "raycc.fish"),
        (&["completions", "powershell"], "raycc.ps1"),
    ] {
        let out = raycc(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let got = String::from_utf8(out.stdout).unwrap();
        let path = root().join("golden-cli").join(file);
        if update {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, &got).unwrap();
        }
        let want = fs::read_to_string(&path).unwrap_or_default();
        if want != got {
            failures.push(format!(
                "raycc {} differs from {}",
                args.join(" "),
                path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} (UPDATE_GOLDEN=1 cargo test rewrites them)",
        failures.join("\n")
    );
}

#[test]
fn the_man_page_documents_every_command_flag_and_exit_code() {
    let page = String::from_utf8(raycc(&["man"]).stdout).unwrap();
    for needle in [
        ".TH raycc 1",
        "raycc compile",
        "raycc validate",
        "raycc diff",
        "raycc explain",
        "raycc krm",
        "raycc completions",
        r"\-\-kustomization",
        r"\-\-deny\-warnings",
        r"\-\-base",
        ".SH \"EXIT STATUS\"",
        "\\fB130\\fR",
    ] {
        assert!(page.contains(needle), "the man page lacks {needle}");
    }
    // The version, not the commit: the page changes only with a release.
    assert!(page.contains(&format!("raycc {}", env!("CARGO_PKG_VERSION"))));
}

/// The bash completion completes subcommands, flags and values when bash runs it.
#[test]
fn bash_completes_commands_flags_and_values() {
    let script = raycc(&["completions", "bash"]).stdout;
    let dir = temp_dir("bash-completion");
    let file = dir.join("raycc.bash");
    fs::write(&file, script).unwrap();
    let complete = |words: &str| {
        let program = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 )); \
             _raycc raycc \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display()
        );
        let out = Command::new("bash")
            .args(["-c", &program])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let commands = complete("raycc co");
    assert!(commands.lines().any(|l| l == "compile"), "{commands}");
    assert!(commands.lines().any(|l| l == "completions"), "{commands}");
    let flags = complete("raycc compile --kust");
    assert_eq!(flags.trim(), "--kustomization");
    let formats = complete("raycc validate --format s");
    assert_eq!(formats.trim(), "sarif");
}

/// `--version` names the commit when built from a git checkout (as here and in CI).
#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = raycc(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(root())
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8(o.stdout).unwrap().trim().to_string())
    };
    match (
        git(&["rev-parse", "--show-prefix"]),
        git(&["log", "-1", "--format=%H %cs"]),
    ) {
        (Some(prefix), Some(line)) if prefix.is_empty() => {
            let (hash, date) = line.split_once(' ').unwrap();
            assert_eq!(text, format!("raycc {version} ({} {date})\n", &hash[..12]));
        }
        _ => assert!(text.starts_with(&format!("raycc {version}")), "{text}"),
    }
}

#[test]
fn a_written_copy_of_a_generated_network_policy_ingress_certificate_or_serve_service_is_refused() {
    let input = r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: demo-head
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: demo-head-ingress
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: ray-ca-certificate-demo
---
apiVersion: v1
kind: Service
metadata:
  name: demo-serve-svc
---
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: demo
  annotations:
    ray.io/enable-serve-service: "true"
spec:
  rayVersion: "2.52.0"
  networkPolicy: {mode: DenyAllIngress}
  tlsOptions: {enabled: true}
  headGroupSpec:
    enableIngress: true
    template:
      spec:
        containers:
        - name: ray-head
          image: rayproject/ray:2.52.0
"#;
    let out = raycc_stdin(&["compile", "-"], input.as_bytes());
    assert_exit(&out, 1);
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for object in [
        "NetworkPolicy demo-head ",
        "Ingress demo-head-ingress ",
        "Certificate ray-ca-certificate-demo ",
        "Service demo-serve-svc ",
    ] {
        assert!(
            stderr.contains(&format!("error[RC318]: {object}")),
            "no RC318 for {object}:\n{stderr}"
        );
    }
    assert!(
        !stderr.contains("error[RC318]: Issuer "),
        "the Issuer is not written twice:\n{stderr}"
    );
}
