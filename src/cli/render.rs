//! Human-readable diagnostics, rustc style: a header with the code, the location, the source
//! lines with the offending value underlined (and a second label on a related line), the
//! field path and the help.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::IsTerminal;

use raycc::diagnostic::{Counts, Diagnostic, Severity, Span};

use super::ColorChoice;

/// ANSI styles, or nothing.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    color: bool,
}

impl Style {
    /// Decides colour for stderr.
    pub fn for_stderr(choice: ColorChoice) -> Style {
        Style::decide(choice, std::io::stderr().is_terminal())
    }

    /// Decides colour for stdout.
    pub fn for_stdout(choice: ColorChoice) -> Style {
        Style::decide(choice, std::io::stdout().is_terminal())
    }

    fn decide(choice: ColorChoice, terminal: bool) -> Style {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && terminal
            }
        };
        Style { color }
    }

    /// True when output is coloured.
    pub fn is_colored(self) -> bool {
        self.color
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Renders diagnostics and the summary line.
pub fn human(
    diags: &[Diagnostic],
    sources: &BTreeMap<String, Vec<u8>>,
    files: usize,
    style: Style,
) -> String {
    // Only the lines the diagnostics show are decoded, each file read once up to the last of
    // them: a stream with thousands of warnings would otherwise take quadratic time, and
    // decoding a whole large file for a few lines is most of the work.
    let mut wanted: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    for d in diags {
        let lines = wanted.entry(d.file.as_str()).or_default();
        lines.extend(
            d.span
                .iter()
                .chain(d.related.iter().map(|(s, _)| s))
                .map(|s| s.line.max(1)),
        );
    }
    let lines: BTreeMap<&str, Lines<'_>> = wanted
        .iter()
        .map(|(file, numbers)| {
            let bytes = sources.get(*file).map_or(&[][..], Vec::as_slice);
            (*file, Lines::of(bytes, numbers))
        })
        .collect();
    let none = Lines::default();
    let mut out = String::new();
    for d in diags {
        let file_lines = lines.get(d.file.as_str()).unwrap_or(&none);
        render_one(&mut out, d, file_lines, style);
        out.push('\n');
    }
    let Counts { errors, warnings } = Counts::of(diags);
    let _ = writeln!(
        out,
        "raycc: {files} {} checked, {errors} {}, {warnings} {}",
        plural(files, "file", "files"),
        plural(errors, "error", "errors"),
        plural(warnings, "warning", "warnings"),
    );
    out
}

/// How many bytes [`Lines::of`] counts line breaks in at a time on its way to a wanted line.
const SKIPPED_BLOCK: usize = 4096;

/// Some lines of a file, by number (from 1), decoded as `String::from_utf8_lossy` decodes the
/// whole file and split as `str::lines` splits it.
#[derive(Default)]
struct Lines<'a> {
    /// The file has at least one line.
    any: bool,
    lines: BTreeMap<usize, Cow<'a, str>>,
}

impl<'a> Lines<'a> {
    /// The lines of `bytes` numbered in `wanted`; a number past the last line has none.
    fn of(bytes: &'a [u8], wanted: &BTreeSet<usize>) -> Lines<'a> {
        let mut lines = BTreeMap::new();
        // `start` is where line `number` starts.
        let (mut start, mut number) = (0, 1);
        for &target in wanted {
            // Whole blocks before the line are counted, not walked line by line.
            loop {
                let block = &bytes[start..(start + SKIPPED_BLOCK).min(bytes.len())];
                let breaks = memchr::memchr_iter(b'\n', block).count();
                if number + breaks >= target || breaks == 0 || block.len() < SKIPPED_BLOCK {
                    break;
                }
                // The block ends inside line `number + breaks`, so that line starts later.
                let last = memchr::memrchr(b'\n', block).map_or(0, |i| i + 1);
                (start, number) = (start + last, number + breaks);
            }
            while number < target && start < bytes.len() {
                start =
                    memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i + 1);
                number += 1;
            }
            if start >= bytes.len() {
                break;
            }
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            let line = &bytes[start..end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            lines.insert(number, String::from_utf8_lossy(line));
        }
        Lines {
            any: !bytes.is_empty(),
            lines,
        }
    }

    fn get(&self, number: usize) -> Option<&str> {
        self.lines.get(&number).map(AsRef::as_ref)
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn display_name(file: &str) -> &str {
    if file == "-" { "<stdin>" } else { file }
}

fn render_one(out: &mut String, d: &Diagnostic, lines: &Lines<'_>, style: Style) {
    let (label, color) = match d.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let _ = writeln!(
        out,
        "{}{} {}",
        style.paint(color, &format!("{label}[{}]", d.code)),
        style.paint("1", ":"),
        style.paint("1", &d.message)
    );
    let mut marks: Vec<(Span, char, String, &str)> = Vec::new();
    if let Some(s) = d.span {
        marks.push((s, '^', String::new(), color));
    }
    if let Some((s, l)) = &d.related {
        marks.push((*s, '-', l.clone(), "1;34"));
    }
    let width = marks
        .iter()
        .map(|(s, ..)| s.line.to_string().len())
        .max()
        .unwrap_or(1);
    let pad = " ".repeat(width);
    match d.span {
        Some(s) => {
            let _ = writeln!(
                out,
                "{pad}{} {}:{}:{}",
                style.paint("1;34", "-->"),
                display_name(&d.file),
                s.line,
                s.column
            );
        }
        None => {
            let _ = writeln!(
                out,
                "{pad}{} {}",
                style.paint("1;34", "-->"),
                display_name(&d.file)
            );
        }
    }
    if !marks.is_empty() && lines.any {
        let bar = style.paint("1;34", "|");
        let _ = writeln!(out, "{pad} {bar}");
        marks.sort_by_key(|(s, ..)| (s.line, s.column));
        for (s, ch, lbl, c) in &marks {
            let Some(line) = lines.get(s.line.max(1)) else {
                continue;
            };
            let line = line.trim_end_matches('\r');
            let _ = writeln!(
                out,
                "{} {bar} {line}",
                style.paint("1;34", &format!("{:>width$}", s.line))
            );
            let start = s.column.saturating_sub(1);
            let len = if s.end_line == s.line && s.end_column > s.column {
                s.end_column - s.column
            } else {
                line.chars().count().saturating_sub(start).max(1)
            };
            let prefix: String = line
                .chars()
                .take(start)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let underline: String = std::iter::repeat_n(*ch, len).collect();
            let tail = if lbl.is_empty() {
                String::new()
            } else {
                format!(" {lbl}")
            };
            let _ = writeln!(
                out,
                "{pad} {bar} {prefix}{}",
                style.paint(c, &format!("{underline}{tail}"))
            );
        }
    }
    if !d.path.is_empty() {
        let _ = writeln!(out, "{pad} {} field: {}", style.paint("1;34", "="), d.path);
    }
    if let Some(h) = &d.help {
        let _ = writeln!(out, "{pad} {} help: {h}", style.paint("1;34", "="));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_the_source_line_of_every_diagnostic_of_a_file() {
        let span = |line| Span {
            line,
            column: 1,
            end_line: line,
            end_column: 2,
            start: 0,
            end: 1,
        };
        let diag = |line, message: &str| Diagnostic {
            code: raycc::codes::Code::DuplicateObject,
            severity: Severity::Warning,
            message: message.to_string(),
            file: "f.yaml".to_string(),
            span: Some(span(line)),
            path: String::new(),
            help: None,
            related: None,
        };
        let sources = BTreeMap::from([("f.yaml".to_string(), b"first\nsecond\nthird\n".to_vec())]);
        // A span at line 0 is shown at line 1, as before, and hides no later line.
        let out = human(
            &[diag(0, "zero"), diag(3, "three")],
            &sources,
            1,
            Style { color: false },
        );
        assert!(out.contains("0 | first\n"), "{out}");
        assert!(out.contains("3 | third\n"), "{out}");
    }

    #[test]
    fn finds_lines_far_into_a_large_file() {
        // Lines of every length, one longer than a skipped block, `\r\n` and `\n` endings.
        let mut text = String::new();
        for n in 1..=3_000_usize {
            let width = if n == 1_234 {
                3 * SKIPPED_BLOCK
            } else {
                n % 97
            };
            let end = if n.is_multiple_of(5) { "\r\n" } else { "\n" };
            let _ = write!(text, "{n}:{}{end}", "x".repeat(width));
        }
        let expected: Vec<&str> = text.lines().collect();
        let numbers = [
            1, 2, 150, 1_233, 1_234, 1_235, 2_047, 2_999, 3_000, 3_001, 9_999,
        ];
        for from in 0..numbers.len() {
            let wanted: BTreeSet<usize> = numbers[from..].iter().step_by(2).copied().collect();
            let lines = Lines::of(text.as_bytes(), &wanted);
            for n in 1..=3_001 {
                let expected = expected.get(n - 1).filter(|_| wanted.contains(&n));
                assert_eq!(lines.get(n), expected.copied(), "line {n} of {wanted:?}");
            }
        }
    }

    #[test]
    fn reads_the_lines_a_whole_file_decode_would_give() {
        let files: [&[u8]; 7] = [
            b"a\nb\nc\n",
            b"a\r\nb\r\n\r\nc",
            b"x\xffy\n\xe2\x82\nz\n",
            b"\n\n",
            b"",
            b"only",
            b"\xef\xbb\xbfbom\nend\r",
        ];
        let sets: [&[usize]; 4] = [&[1, 2, 3, 4, 5, 6], &[2, 4], &[3], &[1, 5, 9]];
        for (bytes, numbers) in files.iter().flat_map(|f| sets.map(|n| (*f, n))) {
            let wanted: BTreeSet<usize> = numbers.iter().copied().collect();
            let whole = String::from_utf8_lossy(bytes);
            let expected: Vec<&str> = whole.lines().collect();
            let lines = Lines::of(bytes, &wanted);
            assert_eq!(lines.any, !expected.is_empty(), "{bytes:?}");
            for n in 1..=9 {
                let expected = expected.get(n - 1).filter(|_| wanted.contains(&n));
                assert_eq!(
                    lines.get(n).map(|l| l.trim_end_matches('\r')),
                    expected.map(|l| l.trim_end_matches('\r')),
                    "{bytes:?} line {n} of {numbers:?}"
                );
            }
        }
    }
}
