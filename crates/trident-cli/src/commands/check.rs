//! `trident check`: every diagnostic, as text or JSON.

use std::process::ExitCode;

use anstream::println;

use crate::args::{CheckFormat, Input};
use crate::error::{print_diagnostics, Error, INVALID};
use crate::input::load;

/// Prints every diagnostic of the spec; exit 1 when any is an error.
pub fn run(input: &Input, format: CheckFormat) -> Result<ExitCode, Error> {
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
