//! Lint and import over generated bundles, the seed's files and hand-broken stacks.

use std::path::Path;

use trident_core::lint::import::{import, recorded, NoteKind};
use trident_core::lint::{self, Facts, Include, Source};
use trident_core::{generate, Spec};

/// The files of `spec`'s stack as sources, named as `generate --out` writes them.
pub fn bundle(spec: &Spec) -> (Vec<Source>, Vec<Include>) {
    let out = generate(spec).unwrap_or_else(|d| panic!("{d:#?}"));
    let mut sources: Vec<Source> = out
        .files
        .iter()
        .map(|f| {
            let path = if f.host.is_empty() {
                format!("out/{}", f.name)
            } else {
                format!("out/{}/{}", f.host, f.name)
            };
            Source::from_text(path, f.contents.clone())
        })
        .collect();
    let includes = lint::resolve_by_name(&mut sources);
    (sources, includes)
}

pub fn fixture_specs() -> Vec<(String, Spec)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<(String, Spec)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "toml").then(|| {
                let spec: Spec = toml::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                (p.file_stem().unwrap().to_string_lossy().into_owned(), spec)
            })
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The regenerated files of `spec` without their comment lines (the reproduce lines name
/// flags, which differ in spelling, not in effect).
fn files_of(spec: &Spec) -> Vec<(String, String)> {
    generate(spec)
        .unwrap_or_else(|d| panic!("{d:#?}"))
        .files
        .into_iter()
        .map(|f| {
            let body: Vec<&str> = f
                .contents
                .lines()
                .filter(|l| !l.starts_with('#') && !l.starts_with(';'))
                .collect();
            (format!("{}/{}", f.host, f.name), body.join("\n"))
        })
        .collect()
}

#[test]
fn generated_bundles_lint_clean_and_import_back() {
    for (name, spec) in fixture_specs() {
        let (sources, includes) = bundle(&spec);
        let findings = lint::lint(&sources, &includes, &Facts::default());
        assert!(findings.is_empty(), "{name}: {findings:#?}");
        let im = import(&sources, &includes, &Facts::default());
        let unmapped: Vec<_> = im
            .notes
            .iter()
            .filter(|n| n.kind == NoteKind::Unmapped || n.kind == NoteKind::Fixed)
            .collect();
        assert!(unmapped.is_empty(), "{name}: {unmapped:#?}");
        assert_eq!(
            files_of(&im.spec),
            files_of(&spec),
            "{name}: regenerated files differ"
        );
        assert_eq!(
            recorded(&im.spec),
            recorded(&spec),
            "{name}: imported spec differs"
        );
    }
}

/// Whether a warning on a generated stack is what the spec asked for: a choice whose cost
/// lint names (round-robin balancing, retrying non-idempotent requests, uWSGI on every
/// interface), each of which `validate` warns about or the README documents.
fn chosen(spec: &Spec, rule: &str) -> bool {
    use trident_core::{Balance, NextUpstream};
    match rule {
        "nginx/round-robin" => matches!(spec.balance, Balance::RoundRobin | Balance::IpHash),
        "nginx/non-idempotent" => spec.next_upstream.contains(&NextUpstream::NonIdempotent),
        "uwsgi/all-interfaces" => spec
            .bind
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_unspecified()),
        _ => false,
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 1000, ..Default::default() })]

    /// Every valid spec's stack lints clean and imports back: the same files, the same spec.
    #[test]
    fn property_specs_lint_clean_and_import_back(spec in crate::props::spec()) {
        if trident_core::validate(&spec).is_err() {
            return Ok(());
        }
        let (sources, includes) = bundle(&spec);
        let findings = lint::lint(&sources, &includes, &Facts::default());
        let unasked: Vec<_> = findings.iter().filter(|f| !chosen(&spec, f.rule)).collect();
        proptest::prop_assert!(unasked.is_empty(), "{:#?}", unasked);
        let im = import(&sources, &includes, &Facts::default());
        let odd: Vec<_> = im.notes.iter().filter(|n| matches!(n.kind, NoteKind::Unmapped | NoteKind::Fixed)).collect();
        proptest::prop_assert!(odd.is_empty(), "{:#?}", odd);
        proptest::prop_assert_eq!(files_of(&im.spec), files_of(&spec));
        proptest::prop_assert_eq!(recorded(&im.spec), recorded(&spec));
    }
}
