//! `trident lint`: every finding of the core's rules on the files given, as text or JSON.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anstream::{eprintln, println};
use anstyle::{AnsiColor, Style};
use trident_core::lint::{self, Finding, RuleId, RULES};
use trident_core::Severity;

use super::out_err;
use crate::args::{CheckFormat, Level};
use crate::error::{Error, DIM, FAILURE, INVALID};
use crate::files;

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();

/// The options of `trident lint`.
pub struct Options<'a> {
    pub paths: &'a [PathBuf],
    pub format: CheckFormat,
    pub severity: Level,
    pub allow: &'a [String],
    pub prefix: Option<&'a Path>,
    pub this_host: bool,
}

/// Lints the files; exit 1 on a finding at error level, 2 when an input cannot be read.
pub fn run(o: &Options<'_>) -> Result<ExitCode, Error> {
    for a in o.allow {
        if RuleId::from_id(a).is_none() {
            let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
            return Err(Error::Usage(format!(
                "--allow {a}: no such rule (trident lint --rules lists them: {})",
                ids.join(", ")
            )));
        }
    }
    let loaded = files::load(o.paths, o.prefix)?;
    for s in &loaded.skipped {
        eprintln!("{}note{}: skipped {s}", DIM.render(), DIM.render_reset());
    }
    let facts = if o.this_host {
        files::facts(&loaded)
    } else {
        Default::default()
    };
    let all = lint::lint(&loaded.sources, &loaded.includes, &facts);
    let min = match o.severity {
        Level::Error => Severity::Error,
        Level::Warning => Severity::Warning,
    };
    let allowed: Vec<&str> = o.allow.iter().map(String::as_str).collect();
    let findings = lint::filter(all, min, &allowed);
    let unreadable = findings
        .iter()
        .any(|f| f.rule == RuleId::Unreadable.rule().id);
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    match o.format {
        CheckFormat::Json => {
            let files: Vec<_> = loaded
                .sources
                .iter()
                .map(|s| serde_json::json!({ "path": s.path, "kind": s.kind }))
                .collect();
            let report = serde_json::json!({
                "version": 1,
                "files": files,
                "errors": errors,
                "warnings": warnings,
                "findings": findings,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&report).expect("findings serialize")
            );
        }
        CheckFormat::Text => print_text(&findings, loaded.sources.len(), errors, warnings)?,
    }
    Ok(ExitCode::from(if unreadable {
        FAILURE
    } else if errors > 0 {
        INVALID
    } else {
        0
    }))
}

fn print_text(
    findings: &[Finding],
    files: usize,
    errors: usize,
    warnings: usize,
) -> Result<(), Error> {
    let mut out = anstream::stdout().lock();
    for f in findings {
        let (style, level) = match f.severity {
            Severity::Error => (ERROR, "error"),
            Severity::Warning => (WARNING, "warning"),
        };
        writeln!(
            out,
            "{}:{}:{}: {}{level}[{}]{}: {}",
            f.file,
            f.line,
            f.column,
            style.render(),
            f.rule,
            style.render_reset(),
            f.message
        )
        .map_err(out_err)?;
        writeln!(
            out,
            "  {}hint{}: {}",
            DIM.render(),
            DIM.render_reset(),
            f.hint
        )
        .map_err(out_err)?;
        writeln!(
            out,
            "  {}why{}: {}",
            DIM.render(),
            DIM.render_reset(),
            f.why
        )
        .map_err(out_err)?;
    }
    writeln!(
        out,
        "{files} file(s): {errors} error(s), {warnings} warning(s)"
    )
    .map_err(out_err)?;
    Ok(())
}

/// `trident lint --rules`: the table.
pub fn print_rules() -> Result<ExitCode, Error> {
    let mut out = anstream::stdout().lock();
    for r in RULES {
        let level = match r.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(out, "{:<32} {level:<7} {}", r.id, r.summary).map_err(out_err)?;
        writeln!(out, "{:<32} {:<7} why: {}", "", "", r.why).map_err(out_err)?;
    }
    Ok(ExitCode::SUCCESS)
}
