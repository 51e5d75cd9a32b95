//! One file per command (as taplo-cli's `commands/`); `run` picks one.

mod check;
mod generate;
mod import;
mod lint;
mod live;
mod spec;
mod status;

use std::io;
use std::process::ExitCode;

use clap::CommandFactory;

use crate::args::{Cli, Cmd};
use crate::error::Error;
use crate::input::{load_any_valid, load_valid};

pub(crate) fn out_err(e: io::Error) -> Error {
    Error::Io("cannot write to stdout".into(), e)
}

/// Runs the command `cli` names.
pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Cmd::Generate {
            input,
            out,
            only,
            force,
        } => generate::run(&input, out, only, force),
        Cmd::Check { input, format } => check::run(&input, format),
        Cmd::Spec { input, format } => spec::run(&input, format),
        Cmd::Rollout { input, dry_run } => {
            live::run(&load_valid(&input)?, live::Command::Rollout, dry_run)
        }
        Cmd::Apply { input, dry_run } => {
            live::run(&load_valid(&input)?, live::Command::Apply, dry_run)
        }
        Cmd::Status {
            input,
            json,
            watch,
            blocked_after,
        } => status::run(&load_any_valid(&input)?, json, watch, blocked_after),
        Cmd::Lint { rules: true, .. } => lint::print_rules(),
        Cmd::Lint {
            paths,
            format,
            severity,
            allow,
            prefix,
            this_host,
            rules: false,
        } => lint::run(&lint::Options {
            paths: &paths,
            format,
            severity,
            allow: &allow,
            prefix: prefix.as_deref(),
            this_host,
        }),
        Cmd::Import {
            paths,
            format,
            diff,
            prefix,
        } => import::run(&paths, format, diff, prefix.as_deref()),
        Cmd::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "trident", &mut io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    }
}
