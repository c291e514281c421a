//! `raycc compile` and `raycc validate`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use raycc::compile::{Input, Output, compile};
use raycc::diagnostic::Severity;
use raycc::layout::{self, HEADER, PlannedFile};
use raycc::normalize::Options;

use super::inputs::{SourceFile, read_inputs};
use super::options::OptionsArgs;
use super::render::{Style, human};
use super::{ColorChoice, EXIT_INVALID, EXIT_OK, write_stdout};

/// Options shared by compile and validate.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Files, directories (searched for *.yaml and *.yml) or - for standard input.
    #[arg(value_name = "PATH")]
    paths: Vec<String>,
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Treat warnings as errors (exit 1).
    #[arg(long)]
    deny_warnings: bool,
}

/// Arguments of `raycc compile`.
#[derive(Debug, Args)]
pub struct CompileArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Write one file per object into DIR (atomically) instead of printing a stream.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: Option<PathBuf>,
    /// With -o: remove files raycc wrote earlier that no longer correspond to an object.
    #[arg(long, requires = "output")]
    prune: bool,
    /// With -o: write nothing; exit 1 when DIR is not what compile would write.
    #[arg(long, requires = "output")]
    check: bool,
    #[command(flatten)]
    options: OptionsArgs,
}

/// Arguments of `raycc validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    common: CommonArgs,
}

fn run_pipeline(
    common: &CommonArgs,
    opts: &Options,
    always_summary: bool,
) -> anyhow::Result<(Output, bool)> {
    let files = read_inputs(&common.paths)?;
    let inputs: Vec<Input<'_>> = files
        .iter()
        .map(|f| Input {
            name: &f.name,
            bytes: &f.bytes,
        })
        .collect();
    let mut output = compile(&inputs, opts);
    if common.deny_warnings {
        for d in &mut output.diagnostics {
            d.severity = Severity::Error;
        }
    }
    let sources: BTreeMap<String, Vec<u8>> = files
        .into_iter()
        .map(|SourceFile { name, bytes }| (name, bytes))
        .collect();
    if always_summary || !output.diagnostics.is_empty() {
        eprint!(
            "{}",
            human(
                &output.diagnostics,
                &sources,
                output.files,
                Style::for_stderr(common.color)
            )
        );
    }
    let failed = output.has_errors();
    Ok((output, failed))
}

/// Runs `raycc validate`.
pub fn run_validate(args: &ValidateArgs) -> anyhow::Result<u8> {
    let (_, failed) = run_pipeline(&args.common, &Options::default(), true)?;
    Ok(if failed { EXIT_INVALID } else { EXIT_OK })
}

/// Runs `raycc compile`.
pub fn run_compile(args: &CompileArgs) -> anyhow::Result<u8> {
    let opts = args.options.to_options();
    let (output, failed) = run_pipeline(&args.common, &opts, false)?;
    if failed {
        return Ok(EXIT_INVALID);
    }
    match &args.output {
        None => write_stdout(output.yaml().as_bytes())?,
        Some(dir) => {
            let files = layout::plan(&output.documents)?;
            if args.check {
                return check_dir(dir, &files);
            }
            write_dir(dir, &files, args.prune)?;
        }
    }
    Ok(EXIT_OK)
}

/// Writes the planned files into `dir` atomically: everything goes into a fresh folder beside
/// `dir`, which then replaces `dir` by rename. Files in `dir` that raycc did not write are
/// kept; files it wrote earlier are kept too unless `prune` is set.
fn write_dir(dir: &Path, files: &[PlannedFile], prune: bool) -> anyhow::Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = dir
        .file_name()
        .context("the output folder must have a name")?
        .to_string_lossy()
        .into_owned();
    let staging = parent.join(format!(".{base}.raycc-new-{}", std::process::id()));
    let retired = parent.join(format!(".{base}.raycc-old-{}", std::process::id()));
    let result = (|| -> anyhow::Result<()> {
        fs::create_dir(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
        let planned: std::collections::BTreeSet<&str> =
            files.iter().map(|f| f.path.as_str()).collect();
        if dir.exists() {
            if !dir.is_dir() || fs::symlink_metadata(dir)?.file_type().is_symlink() {
                bail!("{} exists and is not a folder", dir.display());
            }
            carry_over(dir, &staging, Path::new(""), &planned, prune)?;
        }
        for f in files {
            let target = staging.join(&f.path);
            if let Some(p) = target.parent() {
                fs::create_dir_all(p)?;
            }
            fs::write(&target, &f.contents)
                .with_context(|| format!("cannot write {}", target.display()))?;
        }
        if dir.exists() {
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
    result
}

/// Compares `dir` with the planned files: every planned file must be there with the same
/// contents, and no file raycc wrote may be left over.
fn check_dir(dir: &Path, files: &[PlannedFile]) -> anyhow::Result<u8> {
    let mut problems = Vec::new();
    let planned: std::collections::BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
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
            }
        }
    }
    if problems.is_empty() {
        return Ok(EXIT_OK);
    }
    problems.sort();
    eprintln!("raycc: {} is out of date:", dir.display());
    for p in &problems {
        eprintln!("  {p}");
    }
    eprintln!(
        "run `raycc compile -o {} --prune` to update it",
        dir.display()
    );
    Ok(EXIT_INVALID)
}

/// The files below `dir/rel`, as `/`-separated relative paths.
fn list_files(dir: &Path, rel: &Path, out: &mut Vec<String>) -> anyhow::Result<()> {
    for entry in fs::read_dir(dir.join(rel))? {
        let entry = entry?;
        let rel_path = rel.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            list_files(dir, &rel_path, out)?;
        } else {
            out.push(rel_path.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Copies the files of `from` that must survive into `to`.
fn carry_over(
    from: &Path,
    to: &Path,
    rel: &Path,
    planned: &std::collections::BTreeSet<&str>,
    prune: bool,
) -> anyhow::Result<()> {
    for entry in fs::read_dir(from.join(rel))? {
        let entry = entry?;
        let rel_path = rel.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            fs::create_dir_all(to.join(&rel_path))?;
            carry_over(from, to, &rel_path, planned, prune)?;
            continue;
        }
        let key = rel_path.to_string_lossy().replace('\\', "/");
        if planned.contains(key.as_str()) {
            continue;
        }
        if kind.is_symlink() {
            continue;
        }
        let bytes = fs::read(entry.path())?;
        if prune && bytes.starts_with(HEADER.as_bytes()) {
            continue;
        }
        fs::write(to.join(&rel_path), bytes)?;
    }
    Ok(())
}
