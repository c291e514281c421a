//! `raycc diff`: compile two versions of RayCluster sources and show what changes.
//!
//! `raycc diff OLD NEW` compares two files or folders; `--base REV [PATH...]` compares the
//! sources at a git revision (read by `git.rs`, no checkout touched) with the working tree;
//! `--against DIR [PATH...]` compares previously rendered manifests with what the sources
//! compile to now. Exit codes follow `kubectl diff`: 0 no difference, 1 differences, 2 an
//! error (including invalid input on either side).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, ValueEnum};
use raycc::compile::{Input, Keep, OutputDoc, Run, compile_with};
use raycc::diff::{DiffReport, diff, render_json, render_markdown, render_text};
use raycc::normalize::Options;
use serde_json::Value;

use super::git;
use super::inputs::{SourceFile, read_inputs};
use super::options::OptionsArgs;
use super::render::{Style, human};
use super::{ColorChoice, EXIT_ERROR, EXIT_INVALID, EXIT_OK, threads, write_stdout};

/// How to print the diff.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Headers, impact notes and unified diffs.
    #[default]
    Text,
    /// A pull-request comment: summary table and collapsible diffs.
    Markdown,
    /// `{"summary": ..., "objects": [...]}`.
    Json,
}

/// Arguments of `raycc diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// OLD and NEW (files or folders); with --base or --against, the source paths
    /// (default: the current folder).
    #[arg(value_name = "PATH")]
    paths: Vec<String>,
    /// Compare with the sources at this git revision (e.g. origin/main).
    #[arg(long, value_name = "REV", conflicts_with = "against")]
    base: Option<String>,
    /// Compare with manifests previously rendered into DIR.
    #[arg(long, value_name = "DIR")]
    against: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// When to colour the text output and diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(flatten)]
    options: OptionsArgs,
}

/// Runs `raycc diff`.
pub fn run(args: &DiffArgs) -> anyhow::Result<u8> {
    let opts = args.options.to_options();
    let style = Style::for_stdout(args.color);
    let diag_style = Style::for_stderr(args.color);
    let sources = || {
        if args.paths.is_empty() {
            vec![".".to_string()]
        } else {
            args.paths.clone()
        }
    };
    let (old, new) = if let Some(rev) = &args.base {
        (git::files_at(rev, &sources())?, read_inputs(&sources())?)
    } else if let Some(dir) = &args.against {
        // Rendered manifests hold no RayClusters: compiling them passes every object through.
        // The kustomization.yaml that `compile --kustomization` adds lists files; it is no
        // object of the cluster.
        let mut rendered = read_inputs(&[dir.to_string_lossy().into_owned()])?;
        let kustomization = dir.join(raycc::layout::KUSTOMIZATION);
        rendered.retain(|f| std::path::Path::new(&f.name) != kustomization);
        (rendered, read_inputs(&sources())?)
    } else {
        let [old_path, new_path] = args.paths.as_slice() else {
            bail!("give OLD and NEW, or --base REV, or --against DIR");
        };
        (
            read_inputs(std::slice::from_ref(old_path))?,
            read_inputs(std::slice::from_ref(new_path))?,
        )
    };
    let Some(report) = compare(&old, &new, &opts, diag_style) else {
        return Ok(EXIT_ERROR);
    };
    print_report(&report, args.format, style)
}

/// Prints the report; the exit code says whether anything differs.
fn print_report(report: &DiffReport, format: DiffFormat, style: Style) -> anyhow::Result<u8> {
    let text = match format {
        DiffFormat::Text => render_text(report, style.is_colored()),
        DiffFormat::Markdown => render_markdown(report),
        DiffFormat::Json => render_json(report),
    };
    write_stdout(text.as_bytes())?;
    Ok(if report.has_differences() {
        EXIT_INVALID
    } else {
        EXIT_OK
    })
}

/// Compiles `files` into output documents, each naming its source; on invalid input prints
/// the diagnostics and returns `None`.
fn compiled_docs(files: &[&SourceFile], opts: &Options, style: Style) -> Option<Vec<OutputDoc>> {
    let inputs: Vec<Input<'_>> = files.iter().map(|f| f.as_input()).collect();
    let run = Run {
        keep: Keep::Values,
        threads: threads(&inputs),
    };
    let out = compile_with(&inputs, opts, run);
    if out.has_errors() {
        let sources: BTreeMap<String, Vec<u8>> = files
            .iter()
            .map(|f| (f.name.clone(), f.bytes.clone()))
            .collect();
        eprint!("{}", human(&out.diagnostics, &sources, out.files, style));
        return None;
    }
    Some(out.documents.into_values())
}

/// Compiles both sides (old first; invalid input on either side prints its diagnostics and
/// gives `None`) and compares them. A file with the same bytes on both sides compiles to the
/// same objects, so of the old files only those unlike every new file are compiled; each of
/// the others counts with the objects of its new twin. With one file of a repository changed
/// (`--base`), that halves the work.
fn compare(
    old: &[SourceFile],
    new: &[SourceFile],
    opts: &Options,
    style: Style,
) -> Option<DiffReport> {
    let twins: BTreeMap<&[u8], &str> = new
        .iter()
        .map(|f| (f.bytes.as_slice(), f.name.as_str()))
        .collect();
    let changed: Vec<&SourceFile> = old
        .iter()
        .filter(|f| !twins.contains_key(f.bytes.as_slice()))
        .collect();
    let changed_docs = compiled_docs(&changed, opts, style)?;
    let new_files: Vec<&SourceFile> = new.iter().collect();
    let new_docs = compiled_docs(&new_files, opts, style)?;
    let changed_by_source = by_source(&changed_docs);
    let new_by_source = by_source(&new_docs);
    let old_values = old.iter().flat_map(|f| {
        match twins.get(f.bytes.as_slice()) {
            Some(twin) => new_by_source.get(twin),
            None => changed_by_source.get(f.name.as_str()),
        }
        .into_iter()
        .flatten()
        .copied()
    });
    let report = diff(old_values, new_docs.iter().map(|d| &d.value));
    // The process ends once the report is printed. Freeing thousands of object trees node by
    // node would take a seventh of a `--base` run over 1,000 clusters; the OS frees them at once.
    drop((changed_by_source, new_by_source));
    std::mem::forget((changed_docs, new_docs));
    Some(report)
}

/// Output documents grouped by the input they came from, each group in order.
fn by_source(docs: &[OutputDoc]) -> BTreeMap<&str, Vec<&Value>> {
    let mut groups: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for d in docs {
        groups.entry(d.source.as_str()).or_default().push(&d.value);
    }
    groups
}
