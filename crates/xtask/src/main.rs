//! `cargo xtask`: the project's commands. Each installs what it needs first, idempotently, so
//! a fresh machine with only Rust, node/npm, python3 and apt runs them unchanged.
//!
//! - `cargo xtask test`: set up, then format check, clippy, wasm check of the core, all tests.
//! - `cargo xtask serve`: the main job (prints the default files).
//! - `cargo xtask setup`: only install what is missing.

mod setup;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("serve") => serve(),
        Some("setup") => setup::all(),
        _ => {
            eprintln!("usage: cargo xtask <test|serve|setup>\n\n  test   install what is missing, then fmt, clippy, wasm check, every test\n  serve  the main job: print the default files\n  setup  install what is missing");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a command, failing with its command line if it fails.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("+ {}", show(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {}: {e}", show(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed with {status}", show(cmd)))
    }
}

fn show(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn test(extra: &[String]) -> Result<(), String> {
    setup::all()?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The core must stay free of I/O and build for the browser.
    run(cargo().args([
        "check",
        "-p",
        "trident-core",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;
    run(cargo()
        .args(["test", "--workspace"])
        .args(extra)
        .env("INSTA_UPDATE", "no"))
}

fn serve() -> Result<(), String> {
    run(cargo().args([
        "run",
        "--quiet",
        "--release",
        "-p",
        "trident-cli",
        "--",
        "generate",
    ]))
}
