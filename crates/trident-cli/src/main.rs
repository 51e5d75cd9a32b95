//! The `trident` binary: parse flags, run the command, print errors once, exit with a
//! documented status.

mod app;
mod args;
mod error;
mod live;
mod write;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match app::run(cli) {
        Ok(code) => code,
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            err.print();
            err.exit_code()
        }
    }
}
