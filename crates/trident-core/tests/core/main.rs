//! The core's integration tests: one binary, one module per concern.

mod edge;
mod fields;
mod golden;
mod golive;
mod hosts;
mod injection;
mod lint;
mod live;
mod plan;
mod props;
mod readme;
mod rules;
mod structure;
mod syntax;

use trident_core::{validate, Diagnostic, Severity, Spec};

/// The spec with `f` applied to the defaults.
pub fn with(f: impl FnOnce(&mut Spec)) -> Spec {
    let mut spec = Spec::default();
    f(&mut spec);
    spec
}

/// Diagnostics of `spec` (errors and warnings), or an empty list.
pub fn diags(spec: &Spec) -> Vec<Diagnostic> {
    match validate(spec) {
        Ok(v) => v.warnings().to_vec(),
        Err(d) => d,
    }
}

/// Asserts that `spec` has an error with `code` on `field`, and returns it.
#[track_caller]
pub fn assert_error(spec: &Spec, code: &str, field: &str) -> Diagnostic {
    let all = diags(spec);
    all.iter()
        .find(|d| d.severity == Severity::Error && d.code == code && d.field == field)
        .cloned()
        .unwrap_or_else(|| panic!("expected error {code} on {field}, got:\n{all:#?}"))
}

/// Asserts that `spec` has a warning with `code` on `field` and no error.
#[track_caller]
pub fn assert_warning(spec: &Spec, code: &str, field: &str) {
    let v = validate(spec).unwrap_or_else(|d| panic!("expected valid, got:\n{d:#?}"));
    assert!(
        v.warnings()
            .iter()
            .any(|d| d.code == code && d.field == field),
        "expected warning {code} on {field}, got:\n{:#?}",
        v.warnings()
    );
}

/// Asserts that `spec` is valid and, unless `warnings_ok`, without warnings on `field`.
#[track_caller]
pub fn assert_clean(spec: &Spec, field: &str) {
    match validate(spec) {
        Ok(v) => {
            let on_field: Vec<_> = v.warnings().iter().filter(|d| d.field == field).collect();
            assert!(
                on_field.is_empty(),
                "unexpected warnings on {field}: {on_field:#?}"
            );
        }
        Err(d) => panic!("expected valid, got:\n{d:#?}"),
    }
}
