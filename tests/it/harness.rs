//! What the integration tests share: the crate root, scratch folders and file walks; running
//! the raycc binary, always the same way; compiling and reading YAML through the library; and
//! golden files, compared and rewritten by one rule.
//!
//! The binary runs in the crate root (unless a test names another folder) with `NO_COLOR`
//! removed, so that colour depends only on the flags a test passes and on stderr being a pipe.
//!
//! A golden file records one output of one case: `UPDATE_GOLDEN=1 cargo test` rewrites it and
//! a reviewer reads the diff. An output that is empty (an exit code of 0 included) has no file:
//! updating removes it, so every golden file holds something. A file that no case produces is
//! an orphan, and fails the test.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

use raycc::compile::{Input, compile};
use raycc::normalize::Options;
use serde_json::Value;

/// The crate root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh, empty folder under the system temp dir, unique to this test process and call.
pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "raycc-{}-{}-{}-{name}",
        env!("CARGO_CRATE_NAME"),
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every file below `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every file below `dir` as a `/`-separated path relative to it, sorted as text.
pub fn tree(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = files_under(dir)
        .iter()
        .map(|p| {
            p.strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    out.sort();
    out
}

/// Starts `cmd` with every stream piped and `input` written to its stdin from another thread,
/// so that a command that answers before reading everything cannot deadlock the test. Join
/// the writer once the command is done.
pub fn spawn_with_stdin(cmd: &mut Command, input: &[u8]) -> (Child, JoinHandle<()>) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    (child, writer)
}

/// Runs `cmd` with `input` on stdin and collects its output.
pub fn with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    let (child, writer) = spawn_with_stdin(cmd, input);
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// The raycc binary under test with `args`, to run in the crate root without `NO_COLOR`.
pub fn raycc_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_raycc"));
    cmd.current_dir(root()).args(args).env_remove("NO_COLOR");
    cmd
}

/// Runs raycc in the crate root.
pub fn raycc(args: &[&str]) -> Output {
    raycc_command(args).output().unwrap()
}

/// Runs raycc in `dir`.
pub fn raycc_in(dir: &Path, args: &[&str]) -> Output {
    raycc_command(args).current_dir(dir).output().unwrap()
}

/// Runs raycc in the crate root with `input` on stdin.
pub fn raycc_stdin(args: &[&str], input: &[u8]) -> Output {
    with_stdin(&mut raycc_command(args), input)
}

/// A run's stdout or stderr as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Asserts that a run exited with `code`, showing its stderr when it did not.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Compiles `bytes` with the library as one input named `name`, keeping the documents as
/// values.
pub fn compile_bytes(name: &str, bytes: &[u8], opts: &Options) -> raycc::compile::Output {
    compile(&[Input { name, bytes }], opts)
}

/// Every document of a YAML stream, as raycc reads YAML.
pub fn documents(bytes: &[u8]) -> Vec<Value> {
    raycc::parse::parse(bytes)
        .unwrap()
        .into_iter()
        .map(|d| d.value)
        .collect()
}

/// The text of a golden file that records an exit code: nothing for 0, else the code.
pub fn exit_text(code: i32) -> String {
    if code == 0 {
        String::new()
    } else {
        format!("{code}\n")
    }
}

/// Compares outputs with their golden files (or rewrites the files under `UPDATE_GOLDEN=1`)
/// and collects every difference, so that one run reports them all.
pub struct Goldens {
    update: bool,
    expected: BTreeSet<PathBuf>,
    failures: Vec<String>,
}

impl Goldens {
    pub fn new() -> Goldens {
        Goldens {
            update: std::env::var_os("UPDATE_GOLDEN").is_some(),
            expected: BTreeSet::new(),
            failures: Vec::new(),
        }
    }

    /// Compares `actual`, an output of `case`, with the golden file `path`; an empty output
    /// expects no file. Under `UPDATE_GOLDEN=1` it first writes the file, or removes it.
    pub fn check(&mut self, case: &str, path: PathBuf, actual: &str) {
        if self.update {
            if actual.is_empty() {
                let _ = fs::remove_file(&path);
            } else {
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(&path, actual).unwrap();
            }
        }
        let want = fs::read_to_string(&path).unwrap_or_default();
        if want != actual {
            self.failures.push(format!(
                "{case}: {} differs (run UPDATE_GOLDEN=1 cargo test and review the diff)\n--- want\n{want}\n--- got\n{actual}",
                path.display()
            ));
        }
        if !actual.is_empty() {
            self.expected.insert(path);
        }
    }

    /// Records a problem of a case other than a golden difference.
    pub fn fail(&mut self, message: String) {
        self.failures.push(message);
    }

    /// Fails with every difference and problem, and with every file under `dir` that no case
    /// produced.
    pub fn finish(mut self, dir: &Path) {
        for orphan in files_under(dir) {
            if !self.expected.contains(&orphan) {
                self.failures.push(format!(
                    "{} has no case (or its output is now empty)",
                    orphan.display()
                ));
            }
        }
        assert!(self.failures.is_empty(), "{}", self.failures.join("\n\n"));
    }
}
