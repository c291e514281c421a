//! Command-line interface: argument parsing and everything that touches files, standard
//! streams, the environment or exit codes. One file per subcommand; the work itself is done
//! by the `raycc` library.

mod compile;
mod completions;
mod diff;
mod explain;
mod git;
mod inputs;
mod krm;
mod man;
mod options;
mod outdir;
mod render;
mod schema;

use std::io::Write;

use clap::{Parser, Subcommand, ValueEnum};
use raycc::compile::Input;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: invalid input.
pub const EXIT_INVALID: u8 = 1;
/// Exit code: usage or I/O error.
pub const EXIT_ERROR: u8 = 2;
/// Exit code: interrupted by SIGINT or SIGTERM (128 + 2), nothing written.
pub const EXIT_INTERRUPTED: u8 = 130;

/// The run was interrupted by a signal and undid what it had started.
#[derive(Debug, thiserror::Error)]
#[error("interrupted; nothing was written")]
pub struct Interrupted;

/// raycc compiles KubeRay RayCluster YAML into plain, deterministic Kubernetes manifests.
#[derive(Debug, Parser)]
#[command(name = "raycc", version = env!("RAYCC_VERSION"), about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile RayClusters into Kubernetes manifests (stdout, or one file per object with -o).
    Compile(compile::CompileArgs),
    /// Check RayClusters without writing anything.
    Validate(compile::ValidateArgs),
    /// Show what a change to RayCluster sources does to the cluster.
    Diff(diff::DiffArgs),
    /// Print the RayCluster JSON Schema that raycc validates against.
    Schema,
    /// Explain a diagnostic code (`raycc explain RC201`), or list them all.
    Explain(explain::ExplainArgs),
    /// Run as a KRM function (kustomize, kpt): a resource list on stdin, one on stdout.
    Krm(krm::KrmArgs),
    /// Print the shell completion script for bash, zsh, fish, PowerShell or elvish.
    Completions(completions::CompletionsArgs),
    /// Print the manual page (`raycc man | man -l -`).
    Man(man::ManArgs),
}

/// When to colour diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Runs the CLI and returns the exit code.
pub fn run() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Compile(a) => compile::run_compile(&a),
        Command::Validate(a) => compile::run_validate(&a),
        Command::Diff(a) => diff::run(&a),
        Command::Schema => schema::run(),
        Command::Explain(a) => explain::run(&a),
        Command::Krm(a) => krm::run(&a),
        Command::Completions(a) => completions::run(&a),
        Command::Man(a) => man::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return EXIT_OK;
            }
            if e.is::<Interrupted>() {
                let _ = writeln!(std::io::stderr(), "raycc: {e}");
                return EXIT_INTERRUPTED;
            }
            let _ = writeln!(std::io::stderr(), "raycc: error: {e:#}");
            EXIT_ERROR
        }
    }
}

/// True when the error is a closed stdout.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Below this many input bytes, compiling on one thread is faster than starting more.
const PARALLEL_FROM_BYTES: usize = 64 << 10;

/// Threads to compile `inputs` on: one for a small run, else the CPUs this process may use
/// (asking the OS, which reads the cgroup's CPU quota, costs more than a small run).
pub fn threads<'a>(inputs: impl IntoIterator<Item = &'a Input<'a>>) -> usize {
    let bytes: usize = inputs.into_iter().map(|i| i.bytes.len()).sum();
    if bytes < PARALLEL_FROM_BYTES {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// Writes to stdout, reporting a broken pipe as an error the caller maps to exit 0.
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

// The build script, as a module of the tests: its fallbacks are plain functions.
#[cfg(test)]
#[allow(dead_code, clippy::unwrap_used)]
#[path = "../../build.rs"]
mod build_script;

#[cfg(test)]
mod tests {
    use std::fs;

    use super::build_script;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("raycc-build-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_source_tree_without_git_gives_no_commit() {
        let dir = scratch("plain");
        fs::write(dir.join("Cargo.toml"), "").unwrap();
        assert_eq!(build_script::describe(&dir), None);
    }

    #[test]
    fn a_packaged_crate_names_the_commit_cargo_recorded() {
        let dir = scratch("packaged");
        fs::write(
            dir.join(".cargo_vcs_info.json"),
            "{\n  \"git\": {\n    \"sha1\": \"0123456789abcdef0123456789abcdef01234567\"\n  },\n  \"path_in_vcs\": \"\"\n}",
        )
        .unwrap();
        assert_eq!(
            build_script::describe(&dir).as_deref(),
            Some("0123456789ab")
        );
    }
}
