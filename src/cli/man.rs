//! `raycc man`: the manual page, raycc(1), generated from the clap definition: every
//! subcommand with its options, and the exit codes.
//!
//! The page names the package version, not the commit (`raycc --version` does), so it changes
//! only with a release.

use clap::{Args, CommandFactory};
use clap_mangen::Man;

use super::{Cli, EXIT_OK, write_stdout};

/// Arguments of `raycc man`.
#[derive(Debug, Args)]
pub struct ManArgs {}

/// Runs `raycc man`.
pub fn run(_args: &ManArgs) -> anyhow::Result<u8> {
    write_stdout(page()?.as_bytes())?;
    Ok(EXIT_OK)
}

/// The page, in roff.
pub fn page() -> anyhow::Result<String> {
    let mut cmd = Cli::command().version(env!("CARGO_PKG_VERSION"));
    cmd.build();
    let man = Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    let subcommands: Vec<&clap::Command> = cmd
        .get_subcommands()
        .filter(|s| s.get_name() != "help")
        .collect();
    out.extend_from_slice(b".SH COMMANDS\n");
    for sub in &subcommands {
        let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
        out.extend_from_slice(
            format!(
                ".TP\n\\fBraycc {}\\fR\n{}\n",
                sub.get_name(),
                escape(&about)
            )
            .as_bytes(),
        );
    }
    for sub in subcommands {
        let name = format!("raycc {}", sub.get_name());
        out.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        let sub_man = Man::new(sub.clone().bin_name(&name));
        let mut section = Vec::new();
        sub_man.render_synopsis_section(&mut section)?;
        sub_man.render_description_section(&mut section)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            sub_man.render_options_section(&mut section)?;
        }
        // The subcommand's sections become subsections of its own.
        for line in String::from_utf8(section)?.lines() {
            match line.strip_prefix(".SH ") {
                Some("SYNOPSIS" | "DESCRIPTION") => out.extend_from_slice(b".PP\n"),
                Some(heading) => out.extend_from_slice(format!(".SS {heading}\n").as_bytes()),
                None => {
                    out.extend_from_slice(line.as_bytes());
                    out.push(b'\n');
                }
            }
        }
    }
    out.extend_from_slice(EXIT_STATUS.as_bytes());
    man.render_version_section(&mut out)?;
    // Every section renderer repeats the same preamble; once, at the top, is enough.
    let mut seen = std::collections::BTreeSet::new();
    let text = String::from_utf8(out)?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with(".ie ") && !l.starts_with(".el ") || seen.insert(*l))
        .fold(String::new(), |mut acc, l| {
            acc.push_str(l);
            acc.push('\n');
            acc
        }))
}

/// Text as roff reads it: backslashes and dashes escaped, no line starting with a control
/// character.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// The exit codes, as the README lists them.
const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success; warnings may have been printed. For \fBraycc diff\fR: no difference.
.TP
\fB1\fR
The input is invalid (at least one error) and nothing was written; for \fBcompile \-\-check\fR,
the folder is out of date; for \fBraycc diff\fR, the two sides differ.
.TP
\fB2\fR
A usage error, unreadable input, or an output folder that cannot be written.
.TP
\fB130\fR
Interrupted by SIGINT or SIGTERM; nothing was written.
"#;
