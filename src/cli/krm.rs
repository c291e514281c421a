//! `raycc krm`: run as a KRM function for kustomize (`--enable-alpha-plugins --enable-exec`)
//! and kpt. Reads one `ResourceList` on stdin, writes one on stdout, and prints the
//! diagnostics of its `results` on stderr too (kustomize shows stderr, not `results`).
//! Exit 0 (warnings allowed), 1 when a result is an error, 2 when stdin is no `ResourceList`
//! or `functionConfig` has an option raycc does not know.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use clap::Args;
use raycc::{emit, krm, parse};

use super::inputs::read_inputs;
use super::render::{Style, human};
use super::{ColorChoice, EXIT_INVALID, EXIT_OK, write_stdout};

/// Arguments of `raycc krm`.
#[derive(Debug, Args)]
pub struct KrmArgs {
    /// When to colour the diagnostics on stderr.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

/// Runs `raycc krm`.
pub fn run(args: &KrmArgs) -> anyhow::Result<u8> {
    let stdin = read_inputs(&["-".to_string()])?;
    let bytes = stdin.first().map_or(&[][..], |f| f.bytes.as_slice());
    let docs = parse::parse(bytes).context("standard input is not a YAML ResourceList")?;
    let [doc] = docs.as_slice() else {
        bail!(
            "standard input holds {} YAML documents; a KRM function reads one ResourceList",
            docs.len()
        );
    };
    let processed = krm::process(&doc.value)?;
    if !processed.diagnostics.is_empty() {
        eprint!(
            "{}",
            human(
                &processed.diagnostics,
                &BTreeMap::new(),
                processed.files,
                Style::for_stderr(args.color)
            )
        );
    }
    write_stdout(emit::to_yaml(&processed.list).as_bytes())?;
    Ok(if processed.has_errors() {
        EXIT_INVALID
    } else {
        EXIT_OK
    })
}
