//! Reading inputs: files, directories (recursive `*.yaml`/`*.yml`, sorted) and `-` for stdin.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use raycc::compile::Input;

/// One input read into memory.
#[derive(Debug)]
pub struct SourceFile {
    /// The display name: the path as given or found, or `-`.
    pub name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl SourceFile {
    /// The file as the library's pipeline takes it.
    pub fn as_input(&self) -> Input<'_> {
        Input {
            name: &self.name,
            bytes: &self.bytes,
        }
    }
}

/// Expands the arguments into files, in order, and reads them.
pub fn read_inputs(args: &[String]) -> anyhow::Result<Vec<SourceFile>> {
    if args.is_empty() {
        bail!("no input: give files, directories, or - for standard input");
    }
    let mut out = Vec::new();
    let mut stdin_used = false;
    for arg in args {
        if arg == "-" {
            if stdin_used {
                bail!("- (standard input) is given more than once");
            }
            stdin_used = true;
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read standard input")?;
            out.push(SourceFile {
                name: "-".into(),
                bytes,
            });
            continue;
        }
        let path = Path::new(arg);
        let meta = std::fs::metadata(path).with_context(|| format!("cannot read {arg}"))?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files).with_context(|| format!("cannot read directory {arg}"))?;
            files.sort();
            for f in files {
                let bytes =
                    std::fs::read(&f).with_context(|| format!("cannot read {}", f.display()))?;
                out.push(SourceFile {
                    name: f.display().to_string(),
                    bytes,
                });
            }
        } else {
            let bytes = std::fs::read(path).with_context(|| format!("cannot read {arg}"))?;
            out.push(SourceFile {
                name: arg.clone(),
                bytes,
            });
        }
    }
    Ok(out)
}

/// Collects `*.yaml`/`*.yml` files below `dir`; symlinked directories are not followed.
fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml")
            && (kind.is_file() || path.is_file())
        {
            files.push(path);
        }
    }
    Ok(())
}

/// True for a `*.yaml` or `*.yml` file name.
pub fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}
