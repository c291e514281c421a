//! `raycc compile` and `raycc validate`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use raycc::compile::{Input, Output, compile};
use raycc::diagnostic::Severity;
use raycc::layout;
use raycc::normalize::Options;

use super::inputs::{SourceFile, read_inputs};
use super::outdir;
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
                return outdir::check(dir, &files);
            }
            outdir::write(dir, &files, args.prune)?;
        }
    }
    Ok(EXIT_OK)
}
