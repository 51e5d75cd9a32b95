//! The field table covers every spec field, and its text form round-trips.

use std::collections::BTreeSet;

use trident_core::fields::{field, non_default};
use trident_core::{reproduce_command, Spec, FIELDS};

#[test]
fn every_spec_field_has_exactly_one_row() {
    let json = serde_json::to_value(Spec {
        app_dir: Some("/x".into()),
        conf_dir: Some("/x".into()),
        run_dir: Some("/x".into()),
        log_dir: Some("/x".into()),
        static_url: Some("/s/".into()),
        static_dir: Some("/x".into()),
        listen_backlog: Some(1),
        ..Spec::default()
    })
    .unwrap();
    let keys: BTreeSet<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let rows: BTreeSet<&str> = FIELDS.iter().map(|f| f.name).collect();
    assert_eq!(keys, rows);
    assert_eq!(rows.len(), FIELDS.len(), "a field has two rows");
    let labels: BTreeSet<&str> = FIELDS.iter().map(|f| f.label).collect();
    assert_eq!(labels.len(), FIELDS.len(), "two fields share a label");
}

#[test]
fn one_parser_per_enumeration_for_spec_files_flags_and_links() {
    // Every spelling a flag or link accepts is accepted in a spec file, and the reverse.
    for word in [
        "random",
        "random-two",
        "rr",
        "Least-Conn",
        "ip_hash",
        "round_robin",
    ] {
        let mut by_flag = Spec::default();
        field("balance").unwrap().set(&mut by_flag, word).unwrap();
        let by_file: Spec = toml::from_str(&format!("balance = {word:?}")).unwrap();
        let by_json: Spec = serde_json::from_str(&format!("{{\"balance\": {word:?}}}")).unwrap();
        assert_eq!(by_file.balance, by_flag.balance, "{word}");
        assert_eq!(by_json.balance, by_flag.balance, "{word}");
    }
    let by_file: Spec = toml::from_str("next_upstream = [\"error\", \"http-503\"]").unwrap();
    let mut by_flag = Spec::default();
    field("next_upstream")
        .unwrap()
        .set(&mut by_flag, "error,http-503")
        .unwrap();
    assert_eq!(by_file.next_upstream, by_flag.next_upstream);
    // One list of choices, in the table, the hint and the error of a spec file.
    let bad = toml::from_str::<Spec>("balance = \"fastest\"")
        .unwrap_err()
        .to_string();
    let hint = field("balance")
        .unwrap()
        .set(&mut Spec::default(), "fastest")
        .unwrap_err()
        .hint;
    for choice in field("balance").unwrap().choices {
        assert!(
            bad.contains(choice) && hint.contains(choice),
            "{choice}: {bad} / {hint}"
        );
    }
    // Written back in the canonical spelling.
    let text = toml::to_string(&by_flag).unwrap();
    assert!(
        text.contains("next_upstream = [\"error\", \"http_503\"]"),
        "{text}"
    );
}

#[test]
fn repeatable_fields_default_to_no_entries() {
    // Front ends rebuild a repeatable field by adding entries to the default.
    for (f, default) in FIELDS.iter().zip(trident_core::fields::default_values()) {
        if f.repeatable() {
            assert!(
                default.is_empty(),
                "{} has default entries {default:?}",
                f.name
            );
        }
    }
}

#[test]
fn lookup_by_key_flag_or_dashed_flag() {
    for name in ["base_port", "base-port", "--base-port"] {
        assert_eq!(field(name).unwrap().name, "base_port");
    }
    assert_eq!(field("base_port").unwrap().flag(), "base-port");
    assert!(field("nope").is_none());
}

#[test]
fn defaults_have_no_non_default_pairs() {
    assert!(non_default(&Spec::default()).is_empty());
    assert_eq!(reproduce_command(&Spec::default()), "trident generate");
}

#[test]
fn set_rejects_bad_text_with_field_named_error() {
    let mut spec = Spec::default();
    let d = field("replicas")
        .unwrap()
        .set(&mut spec, "three")
        .unwrap_err();
    assert_eq!(
        (d.code, d.field.as_str(), d.flag.as_str()),
        ("invalid-value", "replicas", "--replicas")
    );
    let d = field("balance")
        .unwrap()
        .set(&mut spec, "fastest")
        .unwrap_err();
    assert!(d.hint.contains("least_conn"), "{d}");
    let d = field("env")
        .unwrap()
        .set(&mut spec, "NOEQUALS")
        .unwrap_err();
    assert!(d.hint.contains("KEY=VALUE"), "{d}");
    assert_eq!(spec, Spec::default(), "a failed set changed the spec");
}

#[test]
fn balance_accepts_nginx_spellings() {
    let mut spec = Spec::default();
    for (text, want) in [
        ("least_conn", "least_conn"),
        ("least-conn", "least_conn"),
        ("ip_hash", "ip_hash"),
        ("round-robin", "round_robin"),
        ("random", "random_two_least_conn"),
    ] {
        field("balance").unwrap().set(&mut spec, text).unwrap();
        assert_eq!(spec.balance.as_str(), want);
    }
}

/// Applies the non-default pairs of `spec` to the defaults.
pub fn replay(spec: &Spec) -> Spec {
    let mut out = Spec::default();
    out.env.clear();
    for (f, v) in non_default(spec) {
        f.set(&mut out, &v).unwrap();
    }
    out
}

#[test]
fn non_default_pairs_rebuild_the_spec() {
    let mut spec = Spec {
        replicas: 7,
        home: "/srv/a b".into(),
        static_url: Some("/s/".into()),
        listen_backlog: Some(5),
        master: false,
        ..Spec::default()
    };
    spec.env.insert("A".into(), "x=y,z".into());
    spec.env.insert("B".into(), "it's".into());
    assert_eq!(replay(&spec), spec);
}

#[test]
fn each_range_in_the_table_is_what_validation_enforces() {
    // For every row with a range: its ends pass, one past either end fails on that field
    // with the hint that names the range.
    for f in trident_core::FIELDS {
        let Some(r) = f.range else { continue };
        let at = |v: u32| {
            let mut spec = trident_core::Spec::default();
            f.set(&mut spec, &v.to_string()).unwrap();
            trident_core::validate(&spec)
                .err()
                .unwrap_or_default()
                .into_iter()
                .filter(|d| d.field == f.name && d.code == "out-of-range")
                .collect::<Vec<_>>()
        };
        assert!(
            at(r.lo).is_empty() && at(r.hi).is_empty(),
            "{}: {r:?}",
            f.name
        );
        let over = at(r.hi + 1);
        assert!(
            over[0].hint.contains(&format!("from {} to {}", r.lo, r.hi)),
            "{}: {over:?}",
            f.name
        );
        if r.lo > 0 {
            assert_eq!(at(r.lo - 1).len(), 1, "{}", f.name);
        }
    }
    // Every slider stays inside what validation accepts.
    for f in trident_core::FIELDS {
        if let (Some((lo, hi)), Some(r)) = (f.slider, f.range) {
            assert!(r.lo <= lo && hi <= r.hi, "{}", f.name);
        }
    }
}
