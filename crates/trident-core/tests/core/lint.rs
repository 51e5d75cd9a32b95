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

/// The hand-written stack every rule case breaks once: seed-shaped, every defect fixed.
fn handwritten() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint/handwritten");
    ["supervisord.conf", "uwsgi.ini", "nginx.conf"]
        .iter()
        .map(|n| {
            let text = std::fs::read_to_string(dir.join(n)).unwrap();
            (format!("shop/{n}"), text)
        })
        .collect()
}

fn lint_texts(files: &[(String, String)], facts: &Facts) -> Vec<lint::Finding> {
    let mut sources: Vec<Source> = files
        .iter()
        .map(|(p, t)| Source::from_bytes(p.clone(), t.as_bytes()))
        .collect();
    let includes = lint::resolve_by_name(&mut sources);
    lint::lint(&sources, &includes, facts)
}

#[test]
fn the_hand_written_stack_lints_clean() {
    let findings = lint_texts(&handwritten(), &Facts::default());
    assert!(findings.is_empty(), "{findings:#?}");
    // Under a directory of its own in /tmp, its pid files are its own.
    let moved: Vec<(String, String)> = handwritten()
        .into_iter()
        .map(|(p, t)| (p, t.replace("/srv/shop", "/tmp/ci-1/shop")))
        .collect();
    let findings = lint_texts(&moved, &Facts::default());
    assert!(findings.is_empty(), "{findings:#?}");
}

/// One defect: in `file`, `find` becomes `replace` (or a file is added).
struct Case {
    rule: &'static str,
    file: &'static str,
    find: &'static str,
    replace: &'static str,
    /// Where the finding is: the edited file unless `found_in` says.
    line: u32,
    found_in: Option<&'static str>,
}

const fn case(
    rule: &'static str,
    file: &'static str,
    find: &'static str,
    replace: &'static str,
    line: u32,
) -> Case {
    Case {
        rule,
        file,
        find,
        replace,
        line,
        found_in: None,
    }
}

/// A case whose finding is in another file than the edit (the defect shows there).
const fn found_in(c: Case, file: &'static str) -> Case {
    Case {
        found_in: Some(file),
        ..c
    }
}

const S: &str = "shop/supervisord.conf";
const U: &str = "shop/uwsgi.ini";
const N: &str = "shop/nginx.conf";

/// Every rule, broken once in the hand-written stack: exactly that finding, at that line.
const CASES: &[Case] = &[
    case("input/unknown-kind", "shop/notes.txt", "", "deploy notes\n", 1),
    case("nginx/syntax", N, "worker_connections 512;", "worker_connections 512", 7),
    case("nginx/unknown-directive", N, "sendfile on;", "sendfiles on;", 16),
    case("nginx/unknown-upstream", N, "uwsgi_pass shop;", "uwsgi_pass shp;", 41),
    // A misspelled block or section is one finding, on its line.
    case("nginx/unknown-directive", N, "events {", "event {", 5),
    case("supervisord/no-rpcinterface", S, "[rpcinterface:supervisor]", "[rpcinterface:supervisr]", 12),
    case("supervisord/no-supervisorctl", S, "[supervisorctl]", "[supervisorct]", 15),
    case("nginx/arguments", N, "    sendfile on;", "    sendfile on", 16),
    case("nginx/no-events", N, "events {\n    worker_connections 512;\n}\n", "", 1),
    case("nginx/include-missing", N, "include /etc/nginx/uwsgi_params;", "include uwsgi_param;", 36),
    case("nginx/uwsgi-params", N, "            include /etc/nginx/uwsgi_params;\n", "", 40),
    case("nginx/error-log-null", N, "error_log stderr;", "error_log /dev/null;", 3),
    case("nginx/no-listen", N, "        listen 127.0.0.1:8000;\n", "", 26),
    case("nginx/temp-paths", N, "    client_body_temp_path /srv/shop/run/body;\n", "", 9),
    case("nginx/pid", N, "pid /srv/shop/run/nginx.pid;", "pid /tmp/nginx.pid;", 2),
    case("nginx/spoofable-scheme", N, "            uwsgi_param HTTP_X_FORWARDED_PROTO $scheme;\n", "", 40),
    case("nginx/header-buffers", N, "large_client_header_buffers 2 7k;", "large_client_header_buffers 4 8k;", 18),
    case("nginx/round-robin", N, "        least_conn;\n", "", 20),
    case("nginx/non-idempotent", N, "uwsgi_read_timeout 30s;", "uwsgi_next_upstream error timeout non_idempotent;", 42),
    case("nginx/buffering-off", N, "uwsgi_read_timeout 30s;", "uwsgi_buffering off;", 42),
    case("uwsgi/no-section", U, "[uwsgi]", "[uwgsi]", 1),
    case("uwsgi/unknown-option", U, "max-requests = 2000", "max-request = 2000", 14),
    case("uwsgi/no-plugin", U, "plugins = python3\n", "", 8),
    case("uwsgi/all-interfaces", U, "socket = 127.0.0.1:$(S_PORT)", "socket = :$(S_PORT)", 10),
    case("uwsgi/stats-exposed", U, "harakiri = 60", "stats = 127.0.0.1:9191", 15),
    found_in(case("uwsgi/workers-zero", S, "S_PORT=\"9001\",WORKERS=\"4\"", "S_PORT=\"9001\",WORKERS=\"0\"", 12), U),
    case("uwsgi/unset-var", U, "harakiri = 60", "harakiri = $(HARAKIRI)", 15),
    case("uwsgi/quoted-env", U, "env = LANG=en_US.UTF-8", "env = LANG='en_US.UTF-8'", 16),
    case("uwsgi/no-need-app", U, "need-app = true\n", "", 1),
    case("uwsgi/pidfile", U, "harakiri = 60", "pidfile = /tmp/uwsgi-$(S_PORT).pid", 15),
    case("uwsgi/die-on-term", U, "harakiri = 60", "die-on-term = true", 15),
    case("uwsgi/root", U, "uid = shop\ngid = shop\n", "", 1),
    case("supervisord/syntax", S, "S_PORT=\"9000\",WORKERS=\"4\"", "S_PORT=\"9000\",WORKERS", 21),
    case("supervisord/no-supervisord", S, "[supervisord]\nlogfile=/srv/shop/log/supervisord.log\npidfile=/srv/shop/run/supervisord.pid\nchildlogdir=/srv/shop/log\nenvironment=DJANGO_SETTINGS_MODULE=\"shop.settings\"\n", "", 1),
    case("supervisord/no-supervisorctl", S, "[supervisorctl]\nserverurl=unix:///srv/shop/run/supervisor.sock\n", "", 1),
    case("supervisord/no-server", S, "[unix_http_server]\nfile=/srv/shop/run/supervisor.sock\nchmod=0700\n", "", 1),
    case("supervisord/no-rpcinterface", S, "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n", "", 1),
    case("supervisord/default-paths", S, "logfile=/srv/shop/log/supervisord.log\n", "", 6),
    case("supervisord/percent", S, "\"shop.settings\"", "\"shop.settings\",DISCOUNT=\"50%\"", 10),
    case("supervisord/env-name", S, "directory=/srv/shop/app\nenvironment=S_PORT=\"9000\"", "directory=%(ENV_HOME)s/app\nenvironment=S_PORT=\"9000\"", 20),
    case("supervisord/command-path", S, "command=/usr/sbin/nginx", "command=nginx", 35),
    case("supervisord/unknown-key", S, "stdout_logfile=/srv/shop/log/web0.log", "stdout_log=/srv/shop/log/web0.log", 23),
    case("supervisord/stopsignal", S, "environment=S_PORT=\"9000\",WORKERS=\"4\"\nstopsignal=QUIT\n", "environment=S_PORT=\"9000\",WORKERS=\"4\"\n", 18),
    case("stack/upstream-not-replica", N, "        server 127.0.0.1:9001;\n", "        server 127.0.0.1:9001;\n        server 127.0.0.1:9002;\n", 24),
    case("stack/replica-not-in-upstream", N, "        server 127.0.0.1:9001;\n", "", 20),
    // One port mistyped: one finding, on the side whose ports stop counting up.
    case("stack/upstream-not-replica", N, "server 127.0.0.1:9001;", "server 127.0.0.1:9011;", 23),
    case("stack/replica-not-in-upstream", S, "S_PORT=\"9001\"", "S_PORT=\"9011\"", 29),
    case("stack/shared-socket", S, "[program:nginx]", "[program:web2]\ncommand=/usr/bin/uwsgi --ini /srv/shop/etc/uwsgi.ini\ndirectory=/srv/shop/app\nenvironment=S_PORT=\"9001\",WORKERS=\"4\"\nstopsignal=QUIT\nstdout_logfile=/srv/shop/log/web2.log\nredirect_stderr=true\n\n[program:nginx]", 37),
    case("stack/listen-on-replica", N, "listen 127.0.0.1:8000;", "listen 127.0.0.1:9001;", 27),
    case("stack/shared-pidfile", U, "harakiri = 60", "pidfile = /srv/shop/run/uwsgi.pid", 15),
];

#[test]
fn each_rule_finds_its_defect_at_its_line_and_nothing_else() {
    let mut failures = Vec::new();
    for c in CASES {
        let mut files = handwritten();
        match files.iter_mut().find(|(p, _)| p == c.file) {
            Some((_, text)) => {
                assert!(
                    text.contains(c.find),
                    "{}: {:?} not in {}",
                    c.rule,
                    c.find,
                    c.file
                );
                *text = text.replacen(c.find, c.replace, 1);
            }
            None => files.push((c.file.to_string(), c.replace.to_string())),
        }
        let found = lint_texts(&files, &Facts::default());
        let got: Vec<String> = found
            .iter()
            .map(|f| format!("{}:{} {}", f.file, f.line, f.rule))
            .collect();
        let want = format!("{}:{} {}", c.found_in.unwrap_or(c.file), c.line, c.rule);
        if got != [want.clone()] {
            failures.push(format!("want {want}\n got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Rules a one-line edit of the hand-written stack cannot break alone; each has its test.
const SPECIAL: &[&str] = &[
    "input/unreadable",
    "nginx/include-loop",
    "supervisord/missing-dir",
    "stack/no-firewall",
];

#[test]
fn every_rule_has_a_case() {
    for r in lint::RULES {
        assert!(
            CASES.iter().any(|c| c.rule == r.id) || SPECIAL.contains(&r.id),
            "rule {} has no case that breaks it",
            r.id
        );
    }
}

fn rules_of(findings: &[lint::Finding]) -> Vec<String> {
    findings
        .iter()
        .map(|f| format!("{}:{} {}", f.file, f.line, f.rule))
        .collect()
}

#[test]
fn binary_and_invalid_utf8_inputs_are_unreadable_not_a_panic() {
    let mut sources: Vec<Source> = handwritten()
        .iter()
        .map(|(p, t)| Source::from_text(p.clone(), t.clone()))
        .collect();
    sources.push(Source::from_bytes(
        "shop/core",
        b"[uwsgi]\nmaster = \xff\xfe\n",
    ));
    sources.push(Source::from_bytes("shop/blob", b"\x7fELF\0\0\x01"));
    let includes = lint::resolve_by_name(&mut sources);
    let found = lint::lint(&sources, &includes, &Facts::default());
    assert_eq!(
        rules_of(&found),
        [
            "shop/core:2 input/unreadable",
            "shop/blob:1 input/unreadable"
        ]
    );
}

#[test]
fn an_include_loop_is_found_once_and_reading_ends() {
    let mut files = handwritten();
    let n = &mut files[2].1;
    *n = n.replacen("    sendfile on;", "    include a.conf;", 1);
    files.push((
        "shop/a.conf".into(),
        "sendfile on;\ninclude b.conf;\n".into(),
    ));
    files.push(("shop/b.conf".into(), "include a.conf;\n".into()));
    let found = lint_texts(&files, &Facts::default());
    assert_eq!(rules_of(&found), ["shop/b.conf:1 nginx/include-loop"]);
}

#[test]
fn a_directory_that_does_not_exist_is_found_where_it_is_named() {
    let files = handwritten();
    let mut sources: Vec<Source> = files
        .iter()
        .map(|(p, t)| Source::from_text(p.clone(), t.clone()))
        .collect();
    let includes = lint::resolve_by_name(&mut sources);
    let mut facts = Facts::default();
    for p in lint::paths_to_check(&sources, &includes, &facts) {
        let state = if p == "/srv/shop/log" {
            lint::PathState::Missing
        } else if p.contains('.') {
            lint::PathState::File
        } else {
            lint::PathState::Dir
        };
        facts.paths.insert(p, state);
    }
    let found = lint::lint(&sources, &includes, &facts);
    assert!(!found.is_empty());
    for f in &found {
        assert_eq!(f.rule, "supervisord/missing-dir", "{found:#?}");
        assert!(f.message.contains("/srv/shop/log"), "{f:#?}");
    }
}

#[test]
fn replicas_on_a_routable_address_want_a_firewall() {
    let mut files = handwritten();
    files[1].1 = files[1]
        .1
        .replacen("127.0.0.1:$(S_PORT)", "10.0.0.5:$(S_PORT)", 1);
    files[2].1 = files[2].1.replace("server 127.0.0.1:", "server 10.0.0.5:");
    let found = lint_texts(&files, &Facts::default());
    assert_eq!(rules_of(&found), ["shop/uwsgi.ini:10 stack/no-firewall"]);
    // With the app host's nftables file beside it, nothing.
    files.push(("shop/nftables.conf".into(), "table inet shop {\n  chain input {\n    tcp dport 9000-9001 ip saddr 10.0.0.10 accept\n  }\n}\n".into()));
    assert_eq!(
        rules_of(&lint_texts(&files, &Facts::default())),
        Vec::<String>::new()
    );
}

fn seed(names: &[&str]) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed");
    names
        .iter()
        .map(|n| {
            (
                format!("seed/{n}"),
                std::fs::read_to_string(dir.join(n)).unwrap(),
            )
        })
        .collect()
}

fn report(findings: &[lint::Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let level = match f.severity {
            trident_core::Severity::Error => "error",
            trident_core::Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "{}:{}:{}: {level}[{}]: {}\n  hint: {}\n",
            f.file, f.line, f.column, f.rule, f.message, f.hint
        ));
    }
    out
}

/// The defects REAL-SERVERS.md measured on the seed's files, as rule and line: each found
/// once, at its line.
const SEED_DEFECTS: &[(&str, &str, u32)] = &[
    ("supervisord.conf", "supervisord/no-supervisord", 1),
    ("supervisord.conf", "supervisord/no-supervisorctl", 1),
    ("supervisord.conf", "supervisord/no-server", 1),
    ("supervisord.conf", "supervisord/no-rpcinterface", 1),
    ("supervisord.conf", "supervisord/command-path", 20),
    ("supervisord.conf", "supervisord/env-name", 3),
    ("supervisord.conf", "supervisord/env-name", 9),
    ("supervisord.conf", "supervisord/env-name", 15),
    ("supervisord.conf", "supervisord/env-name", 20),
    ("webapp.ini", "uwsgi/quoted-env", 4),
    ("webapp.ini", "uwsgi/no-plugin", 5),
    ("webapp.ini", "uwsgi/pidfile", 7),
    ("webapp.ini", "uwsgi/all-interfaces", 8),
    ("webapp.ini", "uwsgi/workers-zero", 10),
    ("nginx.conf", "nginx/no-events", 1),
    ("nginx.conf", "nginx/unknown-directive", 3),
    ("nginx.conf", "nginx/error-log-null", 4),
    ("nginx.conf", "nginx/temp-paths", 6),
    ("nginx.conf", "nginx/uwsgi-params", 21),
];

#[test]
fn the_seed_files_give_each_measured_defect_once_at_its_line() {
    for main in ["supervisord.conf", "slave.conf"] {
        let files = seed(&[main, "webapp.ini", "nginx.conf"]);
        let found = lint_texts(&files, &Facts::default());
        for (file, rule, line) in SEED_DEFECTS {
            let file = if *file == "supervisord.conf" {
                main
            } else {
                file
            };
            let path = format!("seed/{file}");
            // slave.conf has no [program:ngx]: the nginx command is the hand-written file's.
            if main == "slave.conf" && *line == 20 && path.ends_with("slave.conf") {
                continue;
            }
            let hits: Vec<_> = found
                .iter()
                .filter(|f| f.rule == *rule && f.file == path && f.line == *line)
                .collect();
            assert_eq!(
                hits.len(),
                1,
                "{main}: {rule} in {path}: {}",
                report(&found)
            );
            assert_eq!(hits[0].line, *line, "{main}: {rule}: {}", report(&found));
        }
        insta::assert_snapshot!(
            format!("seed_lint_{}", main.replace('.', "_")),
            report(&found)
        );
    }
}

#[test]
fn the_seed_imports_to_a_spec_that_generates() {
    let files = seed(&["supervisord.conf", "webapp.ini", "nginx.conf"]);
    let mut sources: Vec<Source> = files
        .iter()
        .map(|(p, t)| Source::from_text(p.clone(), t.clone()))
        .collect();
    let includes = lint::resolve_by_name(&mut sources);
    let im = import(&sources, &includes, &Facts::default());
    let out = generate(&im.spec).unwrap_or_else(|d| panic!("{d:#?}"));
    // The fixed stack lints clean but for the costs the seed chose (round-robin).
    let (s, i) = bundle(&im.spec);
    let rules: Vec<&str> = lint::lint(&s, &i, &Facts::default())
        .iter()
        .map(|f| f.rule)
        .collect();
    assert_eq!(rules, ["nginx/round-robin"]);
    assert_eq!(out.files.len(), 3);
    let notes: String = im
        .notes
        .iter()
        .map(|n| format!("{:?} {}:{} {}\n", n.kind, n.file, n.line, n.message))
        .collect();
    insta::assert_snapshot!(
        "seed_import",
        format!("{}\n{notes}", toml::to_string(&im.spec).unwrap())
    );
}

/// The corpus (`fixtures/lint/corpus`, sources named in its README): every file parses, and
/// the findings and the import are golden, as reviewed.
#[test]
fn the_corpus_parses_and_its_findings_are_as_reviewed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint/corpus");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 3, "{dirs:?}");
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let texts: Vec<(String, String)> = files
            .iter()
            .map(|p| {
                (
                    format!("{name}/{}", p.file_name().unwrap().to_string_lossy()),
                    std::fs::read_to_string(p).unwrap(),
                )
            })
            .collect();
        let found = lint_texts(&texts, &Facts::default());
        for f in &found {
            assert!(
                !matches!(
                    f.rule,
                    "input/unreadable"
                        | "input/unknown-kind"
                        | "nginx/syntax"
                        | "supervisord/syntax"
                        | "uwsgi/no-section"
                ),
                "{name}: {f:#?}"
            );
        }
        let mut sources: Vec<Source> = texts
            .iter()
            .map(|(p, t)| Source::from_text(p.clone(), t.clone()))
            .collect();
        let includes = lint::resolve_by_name(&mut sources);
        let im = import(&sources, &includes, &Facts::default());
        let notes: String = im
            .notes
            .iter()
            .filter(|n| n.kind != NoteKind::Defaulted)
            .map(|n| format!("{:?} {}:{} {}\n", n.kind, n.file, n.line, n.message))
            .collect();
        insta::assert_snapshot!(
            format!("corpus_{name}"),
            format!("{}\n{notes}", report(&found))
        );
    }
}

/// Fragments of the three grammars, so random files reach past the first line.
fn fragment() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        Just("[uwsgi]\n".to_string()),
        Just("[supervisord]\n".to_string()),
        Just("[program:p0]\ncommand = /usr/bin/uwsgi --ini webapp.ini\n".to_string()),
        Just("environment = S_PORT=\"8080\",A=\"%(ENV_HOME)s\"\n".to_string()),
        Just("socket = 127.0.0.1:$(S_PORT)\nworkers = $(W)\n".to_string()),
        Just("http {\n".to_string()),
        Just("server {\nlisten 80;\n".to_string()),
        Just("upstream u { server 127.0.0.1:8080; }\n".to_string()),
        Just("location / { uwsgi_pass u; include uwsgi_params; }\n".to_string()),
        Just("include *.conf;\n".to_string()),
        Just("}\n".to_string()),
        Just("\"".to_string()),
        Just("#".to_string()),
        Just("%".to_string()),
        "[ -~]{0,30}\n",
        any::<String>(),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 600, ..Default::default() })]

    /// Any bytes, and any mix of the grammars' pieces, in one to four files: lint and import
    /// end without a panic, and every finding points into a given file.
    #[test]
    fn lint_and_import_take_any_input(
        raw in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600), 0..2),
        mixed in proptest::collection::vec(proptest::collection::vec(fragment(), 0..12), 1..4),
    ) {
        let mut sources: Vec<Source> = raw
            .iter()
            .enumerate()
            .map(|(i, b)| Source::from_bytes(format!("in/raw{i}"), b))
            .collect();
        let names = ["supervisord.conf", "webapp.ini", "nginx.conf", "a.conf"];
        for (i, parts) in mixed.iter().enumerate() {
            sources.push(Source::from_text(format!("in/{}", names[i]), parts.concat()));
        }
        let includes = lint::resolve_by_name(&mut sources);
        let findings = lint::lint(&sources, &includes, &Facts::default());
        for f in &findings {
            proptest::prop_assert!(sources.iter().any(|s| s.path == f.file), "{:?}", f);
            proptest::prop_assert!(f.line >= 1 && f.column >= 1);
        }
        let _ = import(&sources, &includes, &Facts::default());
    }
}

#[test]
fn large_deep_and_self_including_inputs_end() {
    // 10 MB of directives, 100,000 nested blocks, a file that includes itself by a glob.
    let big = "worker_processes 1;\n".repeat(10 * 1024 * 1024 / 20);
    let deep = format!("{}{}", "http {".repeat(100_000), "}".repeat(100_000));
    let files = vec![
        ("big/nginx.conf".to_string(), big),
        ("deep/nginx.conf".to_string(), deep),
        (
            "loop/x.conf".to_string(),
            "include *.conf;\nhttp {}\n".to_string(),
        ),
    ];
    let found = lint_texts(&files, &Facts::default());
    assert!(
        found
            .iter()
            .any(|f| f.file == "deep/nginx.conf" && f.rule == "nginx/syntax"),
        "{:#?}",
        &found[..found.len().min(5)]
    );
    // Over the limit: refused as unreadable, not read.
    let huge = vec![b'#'; lint::MAX_FILE_BYTES + 1];
    let s = Source::from_bytes("huge.conf", &huge);
    assert!(s.text.is_err());
}
