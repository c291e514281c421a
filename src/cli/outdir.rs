//! The output folder of `raycc compile -o DIR`: atomic writes, `--prune`, and `--check`.
//!
//! Every file goes into a staging folder beside `DIR` (`.DIR.raycc-new-PID`), which then
//! replaces `DIR` by rename, so Argo CD or Flux never see a half-written folder. Files in `DIR`
//! that raycc did not write (no [`HEADER`]) are carried over, symlinks as symlinks (never
//! followed); files raycc wrote earlier are carried over unless `prune` is set. SIGINT and
//! SIGTERM during the write remove the staging folder and leave `DIR` as it was. A run killed
//! outright between the two renames leaves `DIR` at `.DIR.raycc-old-PID`; the next run puts it
//! back before it starts.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, bail};
use raycc::layout::{HEADER, PlannedFile};
use signal_hook::SigId;

use super::Interrupted;

/// SIGINT and SIGTERM turned into a flag for as long as this value lives.
struct Interrupts {
    flag: Arc<AtomicBool>,
    ids: Vec<SigId>,
}

impl Interrupts {
    fn catch() -> Interrupts {
        let flag = Arc::new(AtomicBool::new(false));
        let ids = [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM]
            .into_iter()
            .filter_map(|sig| signal_hook::flag::register(sig, Arc::clone(&flag)).ok())
            .collect();
        Interrupts { flag, ids }
    }

    fn check(&self) -> anyhow::Result<()> {
        if self.flag.load(Ordering::SeqCst) {
            return Err(Interrupted.into());
        }
        Ok(())
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// Sibling paths used while writing `dir`.
struct Siblings {
    parent: PathBuf,
    base: String,
}

impl Siblings {
    fn of(dir: &Path) -> anyhow::Result<Siblings> {
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let base = dir
            .file_name()
            .context("the output folder must have a name")?
            .to_string_lossy()
            .into_owned();
        Ok(Siblings { parent, base })
    }

    fn staging(&self) -> PathBuf {
        self.parent
            .join(format!(".{}.raycc-new-{}", self.base, std::process::id()))
    }

    fn retired(&self) -> PathBuf {
        self.parent
            .join(format!(".{}.raycc-old-{}", self.base, std::process::id()))
    }

    /// Puts back a folder a killed run left aside, and removes abandoned staging folders.
    fn recover(&self, dir: &Path) -> anyhow::Result<()> {
        let Ok(entries) = fs::read_dir(&self.parent) else {
            return Ok(());
        };
        let new_prefix = format!(".{}.raycc-new-", self.base);
        let old_prefix = format!(".{}.raycc-old-", self.base);
        let mut leftovers: Vec<PathBuf> = Vec::new();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&new_prefix) {
                fs::remove_dir_all(e.path())?;
            } else if name.starts_with(&old_prefix) {
                leftovers.push(e.path());
            }
        }
        leftovers.sort();
        for old in leftovers {
            if dir.exists() {
                fs::remove_dir_all(&old)?;
            } else {
                fs::rename(&old, dir)
                    .with_context(|| format!("cannot restore {}", dir.display()))?;
            }
        }
        Ok(())
    }
}

/// What a write changed, for the one-line summary on stderr.
#[derive(Debug, Default)]
pub struct Written {
    /// Files raycc wrote.
    pub files: usize,
    /// Of those, files that were not there before.
    pub created: usize,
    /// Files whose contents changed.
    pub changed: usize,
    /// Files raycc wrote earlier that `--prune` removed.
    pub removed: usize,
    /// Files raycc wrote earlier that no longer correspond to an object, kept without
    /// `--prune`.
    pub stale: usize,
}

impl Written {
    /// `wrote 7 files to rendered/ (2 new, 1 changed, 1 removed)`, and the next step when stale
    /// files were kept.
    pub fn summary(&self, dir: &Path) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut parts = Vec::new();
        if self.created > 0 {
            parts.push(format!("{} new", self.created));
        }
        if self.changed > 0 {
            parts.push(format!("{} changed", self.changed));
        }
        if self.removed > 0 {
            parts.push(format!("{} removed", self.removed));
        }
        if parts.is_empty() {
            parts.push("none changed".into());
        }
        let mut line = format!(
            "wrote {} to {} ({})",
            plural(self.files, "file", "files"),
            dir.display(),
            parts.join(", ")
        );
        if self.stale > 0 {
            let _ = write!(
                line,
                "; kept {} raycc wrote for objects that are gone: add --prune to remove {}",
                plural(self.stale, "file", "files"),
                if self.stale == 1 { "it" } else { "them" }
            );
        }
        line
    }
}

/// Writes the planned files into `dir` atomically.
pub fn write(dir: &Path, files: &[PlannedFile], prune: bool) -> anyhow::Result<Written> {
    let paths = Siblings::of(dir)?;
    paths.recover(dir)?;
    if fs::symlink_metadata(dir).is_ok_and(|m| !m.is_dir()) {
        bail!("{} exists and is not a folder", dir.display());
    }
    let interrupts = Interrupts::catch();
    let staging = paths.staging();
    let mut written = Written {
        files: files.len(),
        ..Written::default()
    };
    let result = (|| -> anyhow::Result<()> {
        fs::create_dir(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
        let planned: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
        if dir.exists() {
            let left = carry_over(dir, &staging, Path::new(""), &planned, prune)?;
            if prune {
                written.removed = left;
            } else {
                written.stale = left;
            }
        }
        for f in files {
            interrupts.check()?;
            match fs::read(dir.join(&f.path)) {
                Ok(old) if old == f.contents.as_bytes() => {}
                Ok(_) => written.changed += 1,
                Err(_) => written.created += 1,
            }
            let target = staging.join(&f.path);
            if let Some(p) = target.parent() {
                fs::create_dir_all(p)?;
            }
            fs::write(&target, &f.contents)
                .with_context(|| format!("cannot write {}", target.display()))?;
        }
        interrupts.check()?;
        if dir.exists() {
            let retired = paths.retired();
            fs::rename(dir, &retired)
                .with_context(|| format!("cannot move {} aside", dir.display()))?;
            if let Err(e) = fs::rename(&staging, dir) {
                let _ = fs::rename(&retired, dir);
                return Err(e)
                    .with_context(|| format!("cannot move the new files into {}", dir.display()));
            }
            fs::remove_dir_all(&retired)?;
        } else {
            fs::rename(&staging, dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    drop(interrupts);
    result.map(|()| written)
}

/// Copies the entries of `from` that must survive into `to`; symlinks are recreated, never
/// followed. Returns how many files raycc wrote earlier are no longer planned (removed with
/// `prune`, carried over without).
fn carry_over(
    from: &Path,
    to: &Path,
    rel: &Path,
    planned: &BTreeSet<&str>,
    prune: bool,
) -> anyhow::Result<usize> {
    let mut left = 0;
    for entry in fs::read_dir(from.join(rel))? {
        let entry = entry?;
        let rel_path = rel.join(entry.file_name());
        let kind = entry.file_type()?;
        let key = rel_path.to_string_lossy().replace('\\', "/");
        if kind.is_symlink() {
            if !planned.contains(key.as_str()) {
                copy_symlink(&entry.path(), &to.join(&rel_path))?;
            }
        } else if kind.is_dir() {
            fs::create_dir_all(to.join(&rel_path))?;
            left += carry_over(from, to, &rel_path, planned, prune)?;
        } else if !planned.contains(key.as_str()) {
            let bytes = fs::read(entry.path())?;
            let ours = bytes.starts_with(HEADER.as_bytes());
            left += usize::from(ours);
            if !(prune && ours) {
                fs::write(to.join(&rel_path), bytes)?;
            }
        }
    }
    Ok(left)
}

#[cfg(unix)]
fn copy_symlink(link: &Path, to: &Path) -> anyhow::Result<()> {
    std::os::unix::fs::symlink(fs::read_link(link)?, to)?;
    Ok(())
}

#[cfg(not(unix))]
fn copy_symlink(link: &Path, _to: &Path) -> anyhow::Result<()> {
    bail!("cannot carry over the symlink {}", link.display())
}

/// What `--check` found: one line per stale file, and whether bringing the folder up to date
/// needs `--prune` (files raycc wrote earlier must go).
#[derive(Debug)]
pub struct Stale {
    /// `changed: x.yaml`, `missing: y.yaml`, `no longer generated: z.yaml`, sorted.
    pub problems: Vec<String>,
    /// A file raycc wrote is no longer generated.
    pub needs_prune: bool,
}

/// Compares `dir` with the planned files: every planned file must be there with the same
/// contents, and no file raycc wrote may be left over. `None` when the folder is up to date.
pub fn check(dir: &Path, files: &[PlannedFile]) -> anyhow::Result<Option<Stale>> {
    let mut problems = Vec::new();
    let mut needs_prune = false;
    let planned: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for f in files {
        match fs::read(dir.join(&f.path)) {
            Ok(bytes) if bytes == f.contents.as_bytes() => {}
            Ok(_) => problems.push(format!("changed: {}", f.path)),
            Err(_) => problems.push(format!("missing: {}", f.path)),
        }
    }
    if dir.is_dir() {
        let mut existing = Vec::new();
        list_files(dir, Path::new(""), &mut existing)?;
        for rel in existing {
            let bytes = fs::read(dir.join(&rel))?;
            if bytes.starts_with(HEADER.as_bytes()) && !planned.contains(rel.as_str()) {
                problems.push(format!("no longer generated: {rel}"));
                needs_prune = true;
            }
        }
    }
    if problems.is_empty() {
        return Ok(None);
    }
    problems.sort();
    Ok(Some(Stale {
        problems,
        needs_prune,
    }))
}

/// The regular files below `dir/rel`, as `/`-separated relative paths.
fn list_files(dir: &Path, rel: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    for entry in fs::read_dir(dir.join(rel))? {
        let entry = entry?;
        let rel_path = rel.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            list_files(dir, &rel_path, out)?;
        } else if kind.is_file() {
            out.push(rel_path.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}
