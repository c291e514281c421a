//! Build script: names the commit raycc is built from, for `raycc --version`.
//!
//! `RAYCC_VERSION` becomes `0.1.0 (0123456789ab 2026-01-31)`: the package version, then the
//! commit's first 12 hex digits and its commit date, both read from git when the crate is the
//! top of a git work tree (a clone, pre-commit's checkout, the Docker and wheel builds). A
//! crate packaged by `cargo package` (crates.io, an sdist) carries the commit in
//! `.cargo_vcs_info.json`, without a date. Anywhere else (a plain source tarball, a crate
//! vendored inside another repository) the version stands alone. Only the commit is read, never
//! the time of the build or the state of the work tree, so a build stays reproducible.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=.cargo_vcs_info.json");
    // Rebuild when HEAD moves: HEAD itself, the branch it points at, and packed refs.
    for file in git_files(&dir) {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let described = match describe(&dir) {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo:rustc-env=RAYCC_VERSION={described}");
}

/// `0123456789ab 2026-01-31` from git, or `0123456789ab` from `.cargo_vcs_info.json`; `None`
/// when neither knows the commit.
#[must_use]
pub fn describe(dir: &Path) -> Option<String> {
    if is_work_tree_top(dir) {
        let line = git(
            dir,
            &["log", "-1", "--no-show-signature", "--format=%H %cs"],
        )?;
        let (hash, date) = line.split_once(' ')?;
        if is_hash(hash) {
            return Some(format!("{} {date}", &hash[..12]));
        }
    }
    let info = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let hash = info.split("\"sha1\"").nth(1)?.split('"').nth(1)?;
    is_hash(hash).then(|| hash[..12].to_string())
}

/// True when `dir` is the top folder of a git work tree (not a folder inside another project's
/// repository).
fn is_work_tree_top(dir: &Path) -> bool {
    git(dir, &["rev-parse", "--show-prefix"]).is_some_and(|p| p.is_empty())
}

fn is_hash(s: &str) -> bool {
    s.len() >= 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The files whose change moves HEAD, when `dir` is the top of a work tree.
fn git_files(dir: &Path) -> Vec<PathBuf> {
    if !is_work_tree_top(dir) {
        return Vec::new();
    }
    let mut names = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        names.push(branch);
    }
    names
        .iter()
        .filter_map(|n| git(dir, &["rev-parse", "--git-path", n]))
        .map(|p| dir.join(p))
        .filter(|p| p.exists())
        .collect()
}

/// A git command's trimmed stdout, or `None` when git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let mut command = Command::new("git");
    command.current_dir(dir).args(args);
    // A git hook (pre-commit installing raycc) exports GIT_DIR and friends for the user's
    // repository; raycc's own is the one in `dir`.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("GIT_") && !name.starts_with("GIT_CONFIG") && name != "GIT_EXEC_PATH" {
            command.env_remove(&*name);
        }
    }
    let out = command.output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}
