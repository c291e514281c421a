//! `raycc compile` and `raycc validate`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use raycc::compile::{Documents, Input, Keep, Output, Run, compile_with, mentions_raycluster};
use raycc::diagnostic::Severity;
use raycc::layout::{self, PlannedFile};
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

/// The inputs as read, and what compiling them gave.
struct Compiled {
    files: Vec<SourceFile>,
    output: Output,
}

/// Reads and compiles the inputs; with `--deny-warnings` every warning becomes an error.
fn compile_inputs(common: &CommonArgs, opts: &Options, keep: Keep) -> anyhow::Result<Compiled> {
    let mut files = read_inputs(&common.paths)?;
    if common.only_rayclusters {
        files.retain(|f| mentions_raycluster(&f.bytes));
    }
    let inputs: Vec<Input<'_>> = files.iter().map(SourceFile::as_input).collect();
    let run = Run {
        keep,
        threads: threads(&inputs),
    };
    let mut output = compile_with(&inputs, opts, run);
    if common.deny_warnings {
        for d in &mut output.diagnostics {
            d.severity = Severity::Error;
        }
    }
    Ok(Compiled { files, output })
}

/// Writes the diagnostics in the chosen format. The human format shows the source lines, so
/// it takes the files' bytes; nothing needs them after.
fn report(common: &CommonArgs, mode: Mode, compiled: &mut Compiled) -> anyhow::Result<()> {
    let files = std::mem::take(&mut compiled.files);
    let output = &compiled.output;
    let diags = &output.diagnostics;
    let text = match common.format {
        Format::Human => {
            if mode == Mode::Compile && diags.is_empty() {
                return Ok(());
            }
            let sources: BTreeMap<String, Vec<u8>> = files
                .into_iter()
                .map(|SourceFile { name, bytes }| (name, bytes))
                .collect();
            let text = human(
                diags,
                &sources,
                output.files,
                Style::for_stderr(common.color),
            );
            // Nothing reads the inputs again before the process ends (see `ended`).
            std::mem::forget(sources);
            text
        }
        Format::Json => report::json(diags, output.files),
        Format::Github => report::github(diags),
        Format::Sarif => report::sarif(diags),
        Format::Gitlab => report::gitlab(diags),
    };
    if common.format != Format::Human && mode == Mode::Validate {
        write_stdout(text.as_bytes())
    } else {
        write_stderr(text.as_bytes())
    }
}

/// Writes the compiled stream to stdout, run by run: a run longer than the buffer (a block of
/// documents) is written as it is.
fn write_stream(documents: &Documents) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    for piece in documents.runs() {
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

/// The exit code of a command whose work is done: what it compiled is left to the OS, which
/// frees a process's memory at once, instead of being freed object by object (on a
/// 10,000-cluster stream, 160 MB of YAML, an identity per object and every diagnostic took
/// about 15 ms of the run's 700 to free).
fn ended(compiled: Compiled, code: u8) -> u8 {
    std::mem::forget(compiled);
    code
}

/// Runs `raycc validate`.
pub fn run_validate(args: &ValidateArgs) -> anyhow::Result<u8> {
    let mut compiled = compile_inputs(&args.common, &Options::default(), Keep::Diagnostics)?;
    report(&args.common, Mode::Validate, &mut compiled)?;
    let code = if compiled.output.has_errors() {
        EXIT_INVALID
    } else {
        EXIT_OK
    };
    Ok(ended(compiled, code))
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
    let mut compiled = compile_inputs(&args.common, &opts, keep)?;
    // The folder's layout is checked even when some input has errors, so that one run
    // reports every problem.
    let planned = match &args.output {
        Some(_) => plan(&mut compiled, &opts, args.kustomization),
        None => None,
    };
    report(&args.common, Mode::Compile, &mut compiled)?;
    if compiled.output.has_errors() {
        return Ok(ended(compiled, EXIT_INVALID));
    }
    let (Some(dir), Some(files)) = (&args.output, planned) else {
        write_stream(&compiled.output.documents)?;
        return Ok(ended(compiled, EXIT_OK));
    };
    if args.check {
        let code = match outdir::check(dir, &files)? {
            None => EXIT_OK,
            Some(stale) => {
                eprint!("{}", stale_report(dir, &stale));
                EXIT_INVALID
            }
        };
        std::mem::forget(files);
        return Ok(ended(compiled, code));
    }
    let written = outdir::write(dir, &files, args.prune)?;
    eprintln!("raycc: {}", written.summary(dir));
    std::mem::forget(files);
    Ok(ended(compiled, EXIT_OK))
}

/// The files of `-o DIR`, or `None` with the reasons located among the diagnostics.
fn plan(compiled: &mut Compiled, opts: &Options, kustomization: bool) -> Option<Vec<PlannedFile>> {
    let docs = compiled.output.documents.values();
    match layout::plan(docs) {
        Ok(mut files) => {
            if kustomization {
                files.push(layout::kustomization(&files));
            }
            Some(files)
        }
        Err(errors) => {
            let inputs: Vec<Input<'_>> = compiled.files.iter().map(SourceFile::as_input).collect();
            let found = layout::diagnostics(&errors, docs, &inputs, opts);
            compiled.output.diagnostics.extend(found);
            None
        }
    }
}

/// What `--check` found stale, and the command that brings the folder up to date: this very
/// command line without `--check` (with `--prune` when files must go), so that it keeps the
/// inputs and every flag.
fn stale_report(dir: &Path, stale: &outdir::Stale) -> String {
    let mut out = format!("raycc: {} is out of date:\n", dir.display());
    for p in &stale.problems {
        let _ = writeln!(out, "  {p}");
    }
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let _ = writeln!(
        out,
        "to update it, run:\n  {}",
        fix_command(&args, stale.needs_prune)
    );
    out
}

/// `args` (a `compile --check` command line, program first) as the shell command that writes
/// the folder instead: `--check` dropped, `--prune` added after `compile` when asked for and
/// not given. Arguments after `--` are paths and stay as they are.
fn fix_command(args: &[String], prune: bool) -> String {
    let end = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let add_prune = prune && !args[..end].iter().any(|a| a == "--prune");
    let mut words: Vec<String> = Vec::with_capacity(args.len() + 1);
    for (i, a) in args.iter().enumerate() {
        if i < end && a == "--check" {
            continue;
        }
        words.push(shell_word(a));
        if i == 1 && add_prune {
            words.push("--prune".into());
        }
    }
    words.join(" ")
}

/// A word as a POSIX shell reads it back unchanged: bare when it has nothing special, in
/// single quotes otherwise.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn the_fix_command_is_the_check_command_without_check() {
        assert_eq!(
            fix_command(
                &words("raycc compile --check --kustomization -o rendered/ clusters/"),
                false
            ),
            "raycc compile --kustomization -o rendered/ clusters/"
        );
    }

    #[test]
    fn the_fix_command_prunes_when_files_must_go() {
        assert_eq!(
            fix_command(
                &words("/venv/bin/raycc compile --check -o out a.yaml"),
                true
            ),
            "/venv/bin/raycc compile --prune -o out a.yaml"
        );
        assert_eq!(
            fix_command(&words("raycc compile --prune --check -o out a.yaml"), true),
            "raycc compile --prune -o out a.yaml"
        );
    }

    #[test]
    fn the_fix_command_keeps_paths_after_a_double_dash() {
        assert_eq!(
            fix_command(
                &words("raycc compile --check -o out -- --check compile"),
                true
            ),
            "raycc compile --prune -o out -- --check compile"
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("rendered/ml-1.yaml"), "rendered/ml-1.yaml");
        assert_eq!(shell_word("my clusters"), "'my clusters'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
