//! The spec a command works on: defaults, then the spec file, then flags.

use std::fs;
use std::io::{self, Read};
use std::path::Path;

use trident_core::{Diagnostic, Spec};

use crate::args::Input;
use crate::error::{print_diagnostics, Error};

/// The spec validated, with app hosts or without (status reads either), or every diagnostic.
pub fn load_any_valid(input: &Input) -> Result<trident_core::ValidSpec, Error> {
    let spec = load(input)?;
    let valid = trident_core::validate(&spec).map_err(Error::Invalid)?;
    print_diagnostics(valid.warnings());
    Ok(valid)
}

/// The spec's files and its validated form, or every diagnostic; refused with app hosts
/// (rollout and apply drive one host).
pub fn load_valid(input: &Input) -> Result<trident_core::Generated, Error> {
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
pub fn load(input: &Input) -> Result<Spec, Error> {
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
