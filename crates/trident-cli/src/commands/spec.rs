//! `trident spec`: the spec as TOML or JSON, to start a file from.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::args::{Input, SpecFormat};
use crate::error::Error;
use crate::input::load;

/// Prints the spec (defaults, file, flags) in `format`.
pub fn run(input: &Input, format: SpecFormat) -> Result<ExitCode, Error> {
    let spec = load(input)?;
    let text = match format {
        SpecFormat::Toml => toml::to_string_pretty(&spec).expect("a Spec always serializes"),
        SpecFormat::Json => {
            serde_json::to_string_pretty(&spec).expect("a Spec always serializes") + "\n"
        }
    };
    io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(super::out_err)?;
    Ok(ExitCode::SUCCESS)
}
