//! `raycc completions SHELL`: the shell completion script, generated from the clap definition,
//! so it always knows every subcommand, flag and value.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, EXIT_OK, write_stdout};

/// Arguments of `raycc completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: Shell,
}

/// Runs `raycc completions`.
pub fn run(args: &CompletionsArgs) -> anyhow::Result<u8> {
    write_stdout(&script(args.shell))?;
    Ok(EXIT_OK)
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "raycc", &mut out);
    out
}
