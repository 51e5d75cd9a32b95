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
    let text = std::fs::read_to_string(README).expect("docs/reference.md");
    let start = text.find(START).expect("fields:start marker") + START.len();
    let end = text.find(END).expect("fields:end marker");
    let want = reference();
    if std::env::var_os("TRIDENT_UPDATE_README").is_some() {
        std::fs::write(README, format!("{}{want}{}", &text[..start], &text[end..])).unwrap();
        return;
    }
    assert_eq!(
        &text[start..end],
        want,
        "docs/reference.md is stale: run TRIDENT_UPDATE_README=1 cargo test -p trident-core readme"
    );
}
