//! `raycc explain CODE` and `raycc explain --list`.

use std::fmt::Write as _;

use clap::Args;
use raycc::codes::Code;

use super::{EXIT_ERROR, EXIT_OK, write_stdout};

/// Arguments of `raycc explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A code (`RC201`) or its name (`min-replicas-above-max`).
    #[arg(required_unless_present = "list")]
    code: Option<String>,
    /// List every code with its severity and summary.
    #[arg(long)]
    list: bool,
}

/// Runs `raycc explain`.
pub fn run(args: &ExplainArgs) -> anyhow::Result<u8> {
    if args.list {
        let width = Code::ALL
            .iter()
            .map(|c| c.info().name.len())
            .max()
            .unwrap_or_default();
        let mut out = String::new();
        for c in Code::ALL {
            let i = c.info();
            let _ = writeln!(
                out,
                "{}  {:<7}  {:<width$}  {}",
                i.id,
                i.severity.to_string(),
                i.name,
                i.summary
            );
        }
        write_stdout(out.as_bytes())?;
        return Ok(EXIT_OK);
    }
    let text = args.code.as_deref().unwrap_or_default();
    let Some(code) = Code::lookup(text) else {
        eprintln!("raycc: error: unknown code `{text}`; `raycc explain --list` lists them");
        return Ok(EXIT_ERROR);
    };
    write_stdout(code.explain().as_bytes())?;
    Ok(EXIT_OK)
}
