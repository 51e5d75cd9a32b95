//! `trident generate`: the files on stdout, or written to `--out` all or none.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anstream::eprintln;
use trident_core::RenderedFile;

use super::out_err;
use crate::args::Input;
use crate::error::{print_diagnostics, Error, DIM};
use crate::input::load;
use crate::write;

/// Prints or writes the files; nothing is written when the spec has errors.
pub fn run(
    input: &Input,
    out: Option<PathBuf>,
    only: Option<String>,
    force: bool,
) -> Result<ExitCode, Error> {
    let not_generated = |e| match e {
        Error::Invalid(d) => Error::NotGenerated(d),
        other => other,
    };
    let spec = load(input).map_err(not_generated)?;
    let generated = trident_core::generate(&spec).map_err(Error::NotGenerated)?;
    print_diagnostics(generated.warnings());
    let files: Vec<_> = generated
        .files
        .iter()
        .filter(|f| only.as_deref().is_none_or(|o| o == f.name || o == f.path()))
        .collect();
    if files.is_empty() {
        let names: Vec<String> = generated.files.iter().map(|f| f.path()).collect();
        return Err(Error::Usage(format!(
            "--only {} names no file of this spec\n  hint: give one of: {}",
            only.unwrap_or_default(),
            names.join(", ")
        )));
    }
    match out {
        None => print_files(&files, only.is_none() || files.len() > 1),
        Some(dir) => write_files(&dir, &files, force),
    }
}

/// Prints the files to stdout, each under a `==> NAME <==` header when `headers`.
fn print_files(files: &[&RenderedFile], headers: bool) -> Result<ExitCode, Error> {
    let mut stdout = io::stdout().lock();
    for (i, f) in files.iter().enumerate() {
        if headers {
            let sep = if i == 0 { "" } else { "\n" };
            writeln!(stdout, "{sep}==> {} <==", f.path()).map_err(out_err)?;
        }
        stdout.write_all(f.contents.as_bytes()).map_err(out_err)?;
    }
    stdout.flush().map_err(out_err)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the files into `dir`: all of them or none.
fn write_files(dir: &Path, files: &[&RenderedFile], force: bool) -> Result<ExitCode, Error> {
    // Decide everything before touching the disk, then write all or nothing.
    let steps = match write::plan(dir, files, force) {
        Ok(steps) => steps,
        Err(write::Refusal::Differs(paths)) => {
            let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            return Err(Error::Refused(format!(
                "{} already exist(s) with other content: {}\n  hint: compare with `trident generate --only NAME`, then pass --force to replace; nothing was written",
                paths.len(),
                list.join(", ")
            )));
        }
        Err(write::Refusal::Unreadable(path, e)) => {
            return Err(Error::Io(format!("cannot read {}", path.display()), e))
        }
    };
    write::apply(dir, &steps)
        .map_err(|e| Error::Io(format!("{}; nothing was changed", e.what), e.error))?;
    for step in &steps {
        let what = if step.changed { "wrote" } else { "unchanged" };
        eprintln!(
            "{}{what:>9}{} {}",
            DIM.render(),
            DIM.render_reset(),
            step.path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
