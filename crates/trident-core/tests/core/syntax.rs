//! The readers of the three formats on hand-written files (the seed document's), on every
//! generated bundle, and on any input at all.

use proptest::prelude::*;
use trident_core::read::{NginxConf, SupervisordConf, UwsgiIni};
use trident_core::syntax::{ini, nginx};

const SEED_SUP: &str = include_str!("../fixtures/seed/supervisord.conf");
const SEED_SLAVE: &str = include_str!("../fixtures/seed/slave.conf");
const SEED_INI: &str = include_str!("../fixtures/seed/webapp.ini");
const SEED_NGINX: &str = include_str!("../fixtures/seed/nginx.conf");

#[test]
fn the_seed_files_read_as_the_servers_read_them() {
    for text in [SEED_SUP, SEED_SLAVE] {
        let sup = SupervisordConf::parse(text);
        assert!(sup.ini.errors.is_empty(), "{:?}", sup.ini.errors);
        let programs: Vec<&str> = sup.programs().map(|(n, _)| n).collect();
        assert_eq!(programs[..3], ["p0", "p1", "p2"]);
        let (_, p1) = sup.programs().nth(1).unwrap();
        let env = SupervisordConf::env(p1).unwrap();
        assert_eq!((env[0].0.as_ref(), env[0].1.as_ref()), ("S_PORT", "8081"));
        assert_eq!(p1.value("directory"), Some("%(ENV_HOME)s/app"));
        // No [supervisord] section: no pid file, and nothing for supervisorctl to talk to.
        assert!(sup.pid_file().is_none());
    }
    let sup = SupervisordConf::parse(SEED_SUP);
    assert_eq!(
        sup.programs()
            .last()
            .unwrap()
            .1
            .get("command")
            .unwrap()
            .at
            .line,
        20
    );

    let ini = UwsgiIni::parse(SEED_INI);
    assert_eq!(ini.vars(), ["S_PORT", "WORKER_COUNT"]);
    let uwsgi = ini.uwsgi().unwrap();
    // uWSGI keeps the quotes: LANG is `'en_US.UTF-8'`, quotes and all.
    assert_eq!(uwsgi.value("env"), Some("LANG='en_US.UTF-8'"));
    assert_eq!(uwsgi.value("socket"), Some(":$(S_PORT)"));
    assert_eq!(uwsgi.get("workers").unwrap().at.line, 10);

    let nginx = NginxConf::parse(SEED_NGINX);
    assert_eq!(nginx.conf.error, None);
    let servers = nginx.upstream_servers();
    assert_eq!(servers.len(), 3);
    assert_eq!(servers[2].address, "127.0.0.1:8082");
    assert_eq!((servers[2].at.line, servers[2].at.col), (14, 9));
    assert!(servers.iter().all(|s| !s.down && s.upstream == "triple"));
    // `pidfile` is no nginx directive (nginx's is `pid`), and there is no events block:
    // the grammar reads both; what they mean is lint's business.
    let top: Vec<&str> = nginx.conf.directives.iter().map(|d| d.name()).collect();
    assert_eq!(top, ["daemon", "pidfile", "error_log", "http"]);
    assert_eq!(nginx.pid_file(), None);
}

#[test]
fn every_generated_bundle_reads_without_a_refusal() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut read = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let spec: trident_core::Spec =
            toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for f in trident_core::generate(&spec).unwrap().files {
            match f.name {
                trident_core::SUPERVISORD_CONF => {
                    let sup = SupervisordConf::parse(&f.contents);
                    assert!(
                        sup.ini.errors.is_empty(),
                        "{}: {:?}",
                        f.path(),
                        sup.ini.errors
                    );
                    for (name, section) in sup.programs() {
                        assert!(
                            SupervisordConf::env(section).is_ok(),
                            "{}: {name}",
                            f.path()
                        );
                    }
                }
                trident_core::NGINX_CONF => {
                    let conf = NginxConf::parse(&f.contents);
                    assert_eq!(conf.conf.error, None, "{}", f.path());
                    assert!(!conf.upstream_servers().is_empty());
                }
                trident_core::UWSGI_INI => {
                    assert!(UwsgiIni::parse(&f.contents).uwsgi().is_some());
                }
                _ => continue,
            }
            read += 1;
        }
    }
    assert!(read >= 30, "only {read} files read");
}

#[test]
fn big_and_deep_inputs_end_with_an_answer() {
    let big = "server 127.0.0.1:1;\n".repeat(500_000);
    assert_eq!(nginx::parse(&big).directives.len(), 500_000);
    let deep = "a {".repeat(1_000_000);
    let conf = nginx::parse(&deep);
    assert!(conf.error.unwrap().message.contains("nested deeper"));
    let open = "\"".to_string() + &"x".repeat(10_000_000);
    assert!(nginx::parse(&open).error.is_some());
    let ini_big = "[x]\nk = v\n  more\n".repeat(200_000);
    let parsed = ini::parse(&ini_big, ini::Dialect::Supervisord);
    assert_eq!(parsed.sections.len(), 1);
}

fn noisy() -> impl Strategy<Value = String> {
    // The characters each grammar treats specially, and some that none does.
    proptest::collection::vec(
        prop_oneof![
            Just("{"),
            Just("}"),
            Just(";"),
            Just("#"),
            Just("\""),
            Just("'"),
            Just("\\"),
            Just("$"),
            Just("${"),
            Just("("),
            Just(")"),
            Just("["),
            Just("]"),
            Just("="),
            Just(":"),
            Just(","),
            Just("%"),
            Just("\n"),
            Just("\r\n"),
            Just(" "),
            Just("\t"),
            Just("server"),
            Just("upstream u"),
            Just("[program:a]"),
            Just("environment="),
            Just("é"),
            Just("\u{2028}"),
            Just("\0"),
            Just("x"),
        ],
        0..80,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Any text gets an answer from every reader, never a panic; every position is in the text.
    #[test]
    fn any_text_is_read_or_refused(text in noisy()) {
        let lines = text.split('\n').count() as u32;
        let conf = nginx::parse(&text);
        for (_, d) in conf.walk() {
            prop_assert!(d.name.at.line >= 1 && d.name.at.line <= lines);
        }
        if let Some(e) = conf.error {
            prop_assert!(e.at.line >= 1 && e.at.line <= lines);
        }
        for dialect in [ini::Dialect::Supervisord, ini::Dialect::Uwsgi] {
            let parsed = ini::parse(&text, dialect);
            for s in &parsed.sections {
                for e in &s.entries {
                    prop_assert!(e.at.line <= lines && e.value_at.line <= lines);
                }
            }
        }
        let sup = SupervisordConf::parse(&text);
        for (_, s) in sup.programs() {
            let _ = SupervisordConf::env(s);
        }
        let _ = UwsgiIni::parse(&text).vars();
        let _ = NginxConf::parse(&text).upstream_servers();
    }
}
