//! The `raycc` binary: parse arguments, run the command, map the result to an exit code.
//! Exit codes: 0 success (warnings allowed), 1 invalid input (for `diff`: differences), 2 usage
//! or I/O error, 130 interrupted by SIGINT or SIGTERM while `compile -o DIR` was writing
//! (nothing written). A closed stdout (`raycc compile x | head`) ends quietly with 0.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(cli::run())
}

/// mimalloc: the pipeline allocates many small trees, where glibc's malloc cost about a third
/// of the CPU time.
#[cfg(target_env = "gnu")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
