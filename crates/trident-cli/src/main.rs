//! The `trident` binary: parse flags, run the command, print errors once, exit with a
//! documented status.

mod args;
mod commands;
mod error;
mod files;
mod input;
mod write;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            err.print();
            err.exit_code()
        }
    }
}
