//! The error that ends a command, its exit status and how it prints: a leaf every command
//! module uses.

use std::io;
use std::process::ExitCode;

use anstream::eprintln;
use anstyle::{AnsiColor, Style};
use trident_core::{Diagnostic, Severity};

/// Exit status for invalid input (spec errors, refused overwrite).
pub const INVALID: u8 = 1;
/// Exit status for usage and I/O errors.
pub const FAILURE: u8 = 2;

/// An error that ends the command; printed once by `main`.
pub enum Error {
    /// Diagnostics about the spec (exit 1).
    Invalid(Vec<Diagnostic>),
    /// Diagnostics that stopped `generate` before it wrote anything (exit 1).
    NotGenerated(Vec<Diagnostic>),
    /// Something the user must fix that is not a spec field (exit 1).
    Refused(String),
    /// I/O and other failures (exit 2).
    Io(String, io::Error),
    /// A live command stopped: its message and exit status.
    Live(String, u8),
    /// A flag value the command cannot use (exit 2, as clap's usage errors).
    Usage(String),
}

impl Error {
    /// A closed stdout (`trident generate | head`): not worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io(_, e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The exit status: the one place the policy lives.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Error::Invalid(_) | Error::NotGenerated(_) | Error::Refused(_) => INVALID,
            Error::Io(..) | Error::Usage(_) => FAILURE,
            Error::Live(_, code) => *code,
        })
    }

    /// Prints the error once, on stderr.
    pub fn print(&self) {
        match self {
            Error::Invalid(diags) => print_diagnostics(diags),
            Error::NotGenerated(diags) => {
                print_diagnostics(diags);
                eprintln!("nothing was written");
            }
            Error::Refused(msg) | Error::Live(msg, _) | Error::Usage(msg) => {
                eprintln!("{}error{}: {msg}", ERROR.render(), ERROR.render_reset())
            }
            Error::Io(what, e) => {
                eprintln!(
                    "{}error{}: {what}: {e}",
                    ERROR.render(),
                    ERROR.render_reset()
                )
            }
        }
    }
}

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
pub const DIM: Style = AnsiColor::Cyan.on_default();
const BOLD: Style = Style::new().bold();

/// Prints diagnostics, then a count when there are errors.
pub fn print_diagnostics(diags: &[Diagnostic]) {
    for d in diags {
        let (style, level) = match d.severity {
            Severity::Error => (ERROR, "error"),
            Severity::Warning => (WARNING, "warning"),
        };
        eprintln!(
            "{}{level}[{}]{}: {}{}{} ({}): {}",
            style.render(),
            d.code,
            style.render_reset(),
            BOLD.render(),
            d.field,
            BOLD.render_reset(),
            d.flag,
            d.message
        );
        eprintln!("  {}hint{}: {}", DIM.render(), DIM.render_reset(), d.hint);
    }
    let (errors, warnings) = trident_core::counts(diags);
    if errors > 0 {
        eprintln!("{errors} error(s), {warnings} warning(s)");
    }
}

impl std::fmt::Display for Error {
    /// One line, uncoloured: for messages that quote the error (an include not followed).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Invalid(d) | Error::NotGenerated(d) => write!(f, "{} diagnostic(s)", d.len()),
            Error::Refused(msg) | Error::Live(msg, _) | Error::Usage(msg) => f.write_str(msg),
            Error::Io(what, e) => write!(f, "{what}: {e}"),
        }
    }
}
