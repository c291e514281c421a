//! Reading RayCluster sources at a git revision, for `raycc diff --base REV`.
//!
//! Takes a revision and the source paths (relative to the current folder, as git takes them);
//! returns every `*.yaml`/`*.yml` file under them at that revision as a [`SourceFile`] named
//! `REV:path`, in path order. Lists the tree with `git ls-tree` and reads every blob in one
//! `git cat-file --batch`, by object name. Never touches the working tree, the index or a
//! checkout, and never writes to the repository.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use super::inputs::{SourceFile, is_yaml};

/// The `*.yaml`/`*.yml` files under `paths` at revision `rev`, read in one `git cat-file`.
pub fn files_at(rev: &str, paths: &[String]) -> anyhow::Result<Vec<SourceFile>> {
    let prefix = String::from_utf8(git(&["rev-parse", "--show-prefix"]).map_err(|_| {
        anyhow::anyhow!(
            "--base reads the sources from git, and {} is not in a git repository; \
             compare two folders with `raycc diff OLD NEW` instead",
            std::env::current_dir().map_or_else(|_| ".".into(), |d| d.display().to_string())
        )
    })?)?
    .trim()
    .to_string();
    let tree = format!("{rev}^{{tree}}");
    if git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        &tree,
    ])
    .is_err()
    {
        bail!(
            "--base {rev}: git knows no revision `{rev}`; check the name with `git branch -a`, \
             or fetch it first (`git fetch origin <branch>`; in GitHub Actions, check out with \
             `fetch-depth: 0`)"
        );
    }
    let mut ls = vec!["ls-tree", "-r", "-z", "--full-name", rev, "--"];
    ls.extend(paths.iter().map(String::as_str));
    let listing = git(&ls)?;
    // `<mode> SP <type> SP <object> TAB <path>`: blobs are requested by object name, which
    // spares git resolving `rev:path` through the trees once per file.
    let mut blobs: Vec<(String, String)> = listing
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let entry = String::from_utf8_lossy(entry);
            let (header, name) = entry.split_once('\t')?;
            let mut fields = header.split(' ');
            let (_mode, kind, object) = (fields.next()?, fields.next()?, fields.next()?);
            (kind == "blob" && is_yaml(Path::new(name)))
                .then(|| (name.to_string(), object.to_string()))
        })
        .collect();
    blobs.sort();
    if blobs.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run git cat-file")?;
    let mut stdin = child.stdin.take().context("git cat-file has no stdin")?;
    let request = blobs.iter().fold(String::new(), |mut acc, (_, object)| {
        let _ = writeln!(acc, "{object}");
        acc
    });
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut reader = BufReader::new(child.stdout.take().context("git cat-file has no stdout")?);
    let mut files = Vec::with_capacity(blobs.len());
    for (name, _) in blobs {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("git cat-file cannot read {rev}:{name}: {}", header.trim()))?;
        let mut bytes = vec![0; size];
        reader.read_exact(&mut bytes)?;
        let mut newline = [0u8; 1];
        reader.read_exact(&mut newline)?;
        let shown = name.strip_prefix(&prefix).unwrap_or(&name);
        files.push(SourceFile {
            name: format!("{rev}:{shown}"),
            bytes,
        });
    }
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("git cat-file writer failed"))??;
    child.wait()?;
    Ok(files)
}

/// Runs git with `args` in the current folder and returns its stdout; an error carries
/// git's stderr.
fn git(args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let out = Command::new("git")
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}
