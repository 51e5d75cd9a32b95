//! The commands: read the spec (file, then flags), call the core, print or write the result.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anstream::{eprintln, println};
use clap::CommandFactory;
use trident_core::{Diagnostic, RenderedFile, Spec};

use crate::args::{CheckFormat, Cli, Cmd, Input, SpecFormat};
use crate::error::{print_diagnostics, Error, DIM, INVALID};
use crate::write;

fn out_err(e: io::Error) -> Error {
    Error::Io("cannot write to stdout".into(), e)
}

pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Cmd::Generate {
            input,
            out,
            only,
            force,
        } => generate(&input, out, only, force),
        Cmd::Check { input, format } => check(&input, format),
        Cmd::Spec { input, format } => {
            let spec = load(&input)?;
            let text = match format {
                SpecFormat::Toml => {
                    toml::to_string_pretty(&spec).expect("a Spec always serializes")
                }
                SpecFormat::Json => {
                    serde_json::to_string_pretty(&spec).expect("a Spec always serializes") + "\n"
                }
            };
            io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .map_err(out_err)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Rollout { input, dry_run } => {
            crate::live::run(&load_valid(&input)?, crate::live::Command::Rollout, dry_run)
        }
        Cmd::Apply { input, dry_run } => {
            crate::live::run(&load_valid(&input)?, crate::live::Command::Apply, dry_run)
        }
        Cmd::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "trident", &mut io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The spec's files and its validated form, or every diagnostic.
fn load_valid(input: &Input) -> Result<trident_core::Generated, Error> {
    let spec = load(input)?;
    if !spec.hosts.is_empty() {
        return Err(Error::Refused(
            "rollout and apply drive one host's supervisord; this spec has app hosts\n  hint: run `trident rollout` on each app host with that host's files (generate --only HOST/...), or roll hosts one at a time by stopping one host's supervisord: nginx skips it after connect_timeout".into(),
        ));
    }
    let generated = trident_core::generate(&spec).map_err(Error::Invalid)?;
    print_diagnostics(generated.warnings());
    Ok(generated)
}

/// Defaults, then the spec file, then flags. Every flag error is reported at once.
fn load(input: &Input) -> Result<Spec, Error> {
    let mut spec = match &input.spec {
        None => Spec::default(),
        Some(path) => read_spec(path)?,
    };
    let errors: Vec<Diagnostic> = input
        .flags
        .iter()
        .filter_map(|(field, value)| field.set(&mut spec, value).err())
        .collect();
    if errors.is_empty() {
        Ok(spec)
    } else {
        Err(Error::Invalid(errors))
    }
}

fn read_spec(path: &Path) -> Result<Spec, Error> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::Io("cannot read the spec from stdin".into(), e))?;
        s
    } else {
        fs::read_to_string(path)
            .map_err(|e| Error::Io(format!("cannot read {}", path.display()), e))?
    };
    let is_json =
        path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
    let parsed = if is_json {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        toml::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        let mut d = Diagnostic::error(
            "unreadable-spec",
            "spec",
            format!("{} is not a valid spec: {}", path.display(), e.trim_end()),
            "fix the file; `trident spec` prints a complete example with every field",
        );
        d.flag = "--spec".into();
        Error::Invalid(vec![d])
    })
}

fn check(input: &Input, format: CheckFormat) -> Result<ExitCode, Error> {
    let diags = match load(input) {
        Ok(spec) => match trident_core::generate(&spec) {
            Ok(g) => g.warnings().to_vec(),
            Err(d) => d,
        },
        Err(Error::Invalid(d)) => d,
        Err(e) => return Err(e),
    };
    let (errors, warnings) = trident_core::counts(&diags);
    match format {
        CheckFormat::Json => {
            let report = serde_json::json!({
                "valid": errors == 0,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": diags,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&report).expect("diagnostics serialize")
            );
        }
        CheckFormat::Text => {
            if errors == 0 {
                print_diagnostics(&diags);
                println!("valid: {warnings} warning(s)");
            } else {
                print_diagnostics(&diags);
            }
        }
    }
    Ok(ExitCode::from(if errors == 0 { 0 } else { INVALID }))
}

fn generate(
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
