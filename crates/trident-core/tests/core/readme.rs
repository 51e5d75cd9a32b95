//! The spec-field reference (`docs/reference.md`) is generated from the field table; this
//! test fails when they drift. `TRIDENT_UPDATE_README=1 cargo test -p trident-core readme`
//! rewrites it.

use std::fmt::Write as _;

use trident_core::{Spec, FIELDS};

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/reference.md");
const START: &str = "<!-- fields:start -->\n";
const END: &str = "<!-- fields:end -->";

fn reference() -> String {
    let default = Spec::default();
    let mut out = String::from(
        "# Spec fields\n\nEvery field is optional in a spec file (TOML or JSON) and has a flag of the same name in\nkebab-case. `env` is a table in TOML (`[env]`) and `--env KEY=VALUE` on the command line.\n`hosts` is an array of tables in TOML (`[[hosts]]` with `name`, `address` and optional\n`replicas` and `base_port`) and `--host NAME=ADDRESS[:REPLICAS[:BASE_PORT]]` on the command line.\n\n| field | flag | default | meaning |\n|---|---|---|---|\n",
    );
    for f in FIELDS {
        let value = f.get(&default).join(",");
        let value = if value.is_empty() {
            "unset".to_string()
        } else {
            format!("`{value}`")
        };
        let choices = if f.choices.is_empty() || f.kind == trident_core::Kind::Switch {
            String::new()
        } else {
            format!(" ({})", f.choices.join(", "))
        };
        let _ = writeln!(
            out,
            "| `{}` | `--{} {}` | {value} | {}{choices} |",
            f.name,
            f.flag(),
            f.value_name,
            f.help.replace('|', "\\|")
        );
    }
    out
}

#[test]
fn readme_field_reference_is_current() {
    is_current(START, END, &reference());
}

/// Asserts that docs/reference.md holds `want` between `start` and `end` (or writes it
/// there with `TRIDENT_UPDATE_README`).
fn is_current(start: &str, end: &str, want: &str) {
    let text = std::fs::read_to_string(README).expect("docs/reference.md");
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} marker"))
        + start.len();
    let to = text.find(end).unwrap_or_else(|| panic!("{end:?} marker"));
    if std::env::var_os("TRIDENT_UPDATE_README").is_some() {
        std::fs::write(README, format!("{}{want}{}", &text[..from], &text[to..])).unwrap();
        return;
    }
    assert_eq!(
        &text[from..to],
        want,
        "docs/reference.md is stale: run TRIDENT_UPDATE_README=1 cargo test -p trident-core readme"
    );
}

const RULES_START: &str = "<!-- rules:start -->\n";
const RULES_END: &str = "<!-- rules:end -->";

fn rules_table() -> String {
    let mut out = String::from(
        "# Lint rules\n\n`trident lint` reports each finding with one of these ids (`--allow ID` accepts one;\n`trident lint --rules` prints this table). *Why* is what the real server does, as measured on\nnginx 1.22, uWSGI 2.0.21 and supervisor 4.2.5.\n\n| rule | level | finds | why |\n|---|---|---|---|\n",
    );
    for r in trident_core::lint::RULES {
        let level = match r.severity {
            trident_core::Severity::Error => "error",
            trident_core::Severity::Warning => "warning",
        };
        let _ = writeln!(
            out,
            "| `{}` | {level} | {} | {} |",
            r.id,
            r.summary.replace('|', "\\|"),
            r.why.replace('|', "\\|")
        );
    }
    out
}

#[test]
fn reference_rules_table_is_current() {
    is_current(RULES_START, RULES_END, &rules_table());
}
