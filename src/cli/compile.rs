//! `raycc compile` and `raycc validate`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use raycc::compile::{Documents, Input, Keep, Output, Run, compile_with, mentions_raycluster};
use raycc::diagnostic::Severity;
use raycc::layout;
use raycc::normalize::Options;
use raycc::report;

use super::inputs::{SourceFile, read_inputs};
use super::options::OptionsArgs;
use super::outdir;
use super::render::{Style, human};
use super::{ColorChoice, EXIT_INVALID, EXIT_OK, threads, write_stdout};

/// How diagnostics are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text in the style of rustc, with the source lines, on stderr.
    #[default]
    Human,
    /// One JSON document with every diagnostic and a summary.
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// SARIF 2.1.0, for GitHub code scanning and SARIF viewers.
    Sarif,
    /// GitLab Code Quality report.
    Gitlab,
}

/// Options shared by compile and validate.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Files, directories (searched for *.yaml and *.yml) or - for standard input.
    #[arg(value_name = "PATH")]
    paths: Vec<String>,
    /// How to write diagnostics. Machine formats go to stdout for validate and to stderr for
    /// compile (whose stdout carries the manifests).
    #[arg(long, value_enum, default_value_t = Format::Human, value_name = "FORMAT")]
    format: Format,
    /// When to colour human diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Treat warnings as errors (exit 1).
    #[arg(long)]
    deny_warnings: bool,
    /// Skip input files that do not mention RayCluster (Helm templates, YAML lists, other
    /// tools' files) instead of checking them or passing them through.
    #[arg(long)]
    only_rayclusters: bool,
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
    /// With -o: also write DIR/kustomization.yaml listing every generated file.
    #[arg(long, requires = "output")]
    kustomization: bool,
    #[command(flatten)]
    options: OptionsArgs,
}

/// Arguments of `raycc validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    common: CommonArgs,
}

/// Which command runs the pipeline: it decides where a report goes and whether a clean run
/// prints a summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `validate`: the report is the product, so machine formats go to stdout, and the human
    /// summary is printed even when there is nothing to report.
    Validate,
    /// `compile`: stdout carries manifests only, so every report goes to stderr, and a clean
    /// human run is silent.
    Compile,
}

fn run_pipeline(
    common: &CommonArgs,
    opts: &Options,
    mode: Mode,
    keep: Keep,
) -> anyhow::Result<Output> {
    let mut files = read_inputs(&common.paths)?;
    if common.only_rayclusters {
        files.retain(|f| mentions_raycluster(&f.bytes));
    }
    let inputs: Vec<Input<'_>> = files.iter().map(SourceFile::as_input).collect();
    let run = Run {
        keep,
        threads: threads(),
    };
    let mut output = compile_with(&inputs, opts, run);
    if common.deny_warnings {
        for d in &mut output.diagnostics {
            d.severity = Severity::Error;
        }
    }
    let diags = &output.diagnostics;
    let text = match common.format {
        Format::Human => {
            if mode == Mode::Compile && diags.is_empty() {
                return Ok(output);
            }
            let sources: BTreeMap<String, Vec<u8>> = files
                .into_iter()
                .map(|SourceFile { name, bytes }| (name, bytes))
                .collect();
            human(
                diags,
                &sources,
                output.files,
                Style::for_stderr(common.color),
            )
        }
        Format::Json => report::json(diags, output.files),
        Format::Github => report::github(diags),
        Format::Sarif => report::sarif(diags),
        Format::Gitlab => report::gitlab(diags),
    };
    if common.format != Format::Human && mode == Mode::Validate {
        write_stdout(text.as_bytes())?;
    } else {
        write_stderr(text.as_bytes())?;
    }
    Ok(output)
}

/// Writes the compiled stream to stdout, piece by piece.
fn write_stream(documents: &Documents) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    for piece in documents.pieces() {
        out.write_all(piece.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

/// Writes diagnostics to stderr.
fn write_stderr(bytes: &[u8]) -> anyhow::Result<()> {
    let mut err = std::io::stderr().lock();
    err.write_all(bytes)
        .and_then(|()| err.flush())
        .context("cannot write diagnostics to stderr")
}

/// Runs `raycc validate`.
pub fn run_validate(args: &ValidateArgs) -> anyhow::Result<u8> {
    let output = run_pipeline(
        &args.common,
        &Options::default(),
        Mode::Validate,
        Keep::Diagnostics,
    )?;
    Ok(if output.has_errors() {
        EXIT_INVALID
    } else {
        EXIT_OK
    })
}

/// Runs `raycc compile`.
pub fn run_compile(args: &CompileArgs) -> anyhow::Result<u8> {
    let opts = args.options.to_options();
    // For stdout each document becomes YAML as soon as it is compiled, and its values are
    // dropped; the stream is written once every input compiled cleanly. A folder needs the
    // objects.
    let keep = if args.output.is_some() {
        Keep::Values
    } else {
        Keep::Yaml
    };
    let output = run_pipeline(&args.common, &opts, Mode::Compile, keep)?;
    if output.has_errors() {
        return Ok(EXIT_INVALID);
    }
    match &args.output {
        None => write_stream(&output.documents)?,
        Some(dir) => {
            let mut files = layout::plan(output.documents.values())?;
            if args.kustomization {
                files.push(layout::kustomization(&files));
            }
            if args.check {
                return outdir::check(dir, &files);
            }
            outdir::write(dir, &files, args.prune)?;
        }
    }
    Ok(EXIT_OK)
}
