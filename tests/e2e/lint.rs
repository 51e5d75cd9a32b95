//! `trident lint` and `trident import` against the real servers: the known-name lists are
//! the installed programs', each rule that claims a refusal is refused by the real program,
//! missing uwsgi params really give Django a KeyError and the client a 502, and the seed's
//! files imported give a stack that starts and serves.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use trident_core::lint::known;
use trident_e2e::{http, require_tools, trident, Deployment};

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn known_names_are_the_installed_programs() {
    require_tools();
    // Every listed directive is one nginx 1.22 knows (its own words, in a context where it
    // may be "not allowed here" or "invalid number of arguments", never "unknown").
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("t.conf");
    let mut unknown = Vec::new();
    for d in known::nginx() {
        fs::write(&conf, format!("events {{}}\n{d};\n")).unwrap();
        let o = Command::new("/usr/sbin/nginx")
            .arg("-t")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .arg("-g")
            .arg(format!("pid {}/t.pid;", dir.path().display()))
            .output()
            .unwrap();
        if text(&o).contains("unknown directive") {
            unknown.push(*d);
        }
    }
    assert!(unknown.is_empty(), "nginx does not know: {unknown:?}");
    assert!(known::nginx().len() > 500, "{}", known::nginx().len());
    // uWSGI's options are exactly what `uwsgi --plugin python3 --help` lists.
    let o = Command::new("/usr/bin/uwsgi")
        .args(["--plugin", "python3", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    let mut listed: Vec<&str> = help
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = match l.as_bytes() {
                [b'-', c, b'|', ..] if c.is_ascii_alphabetic() => &l[3..],
                _ => l,
            };
            let name = l.strip_prefix("--")?;
            let end = name
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
                .unwrap_or(name.len());
            Some(&name[..end])
        })
        .filter(|n| !n.is_empty())
        .collect();
    listed.sort_unstable();
    listed.dedup();
    assert_eq!(
        listed,
        known::uwsgi(),
        "uwsgi --help differs from uwsgi-2.0.txt"
    );
    // Every supervisor key lint accepts is a word supervisor 4.2's options reader names.
    let o = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import inspect, supervisor.options as o; print(inspect.getsource(o))",
        ])
        .output()
        .unwrap();
    let source = String::from_utf8_lossy(&o.stdout);
    for section in [
        "program:x",
        "supervisord",
        "unix_http_server",
        "inet_http_server",
        "supervisorctl",
        "eventlistener:x",
        "fcgi-program:x",
    ] {
        for key in known::supervisor_keys(section).unwrap().unwrap() {
            assert!(
                source.contains(&format!("'{key}'")) || source.contains(&format!("\"{key}\"")),
                "supervisor does not read {key} in [{section}]"
            );
        }
    }
}

/// A generated stack's `etc/` copied to a scratch directory, for one edit.
fn scratch(dep: &Deployment) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for n in ["supervisord.conf", "webapp.ini", "nginx.conf"] {
        fs::copy(dep.path(&format!("etc/{n}")), dir.path().join(n)).unwrap();
    }
    dir
}

fn edit(path: &Path, find: &str, replace: &str) {
    let t = fs::read_to_string(path).unwrap();
    assert!(t.contains(find), "{find:?} not in {}", path.display());
    fs::write(path, t.replacen(find, replace, 1)).unwrap();
}

fn nginx_t(dir: &Path, run: &Path) -> Output {
    Command::new("/usr/sbin/nginx")
        .arg("-t")
        .arg("-p")
        .arg(format!("{}/", run.display()))
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .output()
        .unwrap()
}

fn uwsgi_strict(dir: &Path, port: u16) -> Output {
    Command::new("/usr/bin/uwsgi")
        .arg("--strict")
        .arg("--ini")
        .arg(dir.join("webapp.ini"))
        .args(["--get", "socket"])
        .env("S_PORT", port.to_string())
        .env("WORKER_COUNT", "2")
        .output()
        .unwrap()
}

fn supervisor_parse(dir: &Path) -> Output {
    Command::new("/usr/bin/python3")
        .arg("-c")
        .arg("import sys\nfrom supervisor.options import ServerOptions\no = ServerOptions()\no.realize(['-c', sys.argv[1]])\nprint(len(o.process_group_configs))")
        .arg(dir.join("supervisord.conf"))
        .output()
        .unwrap()
}

#[test]
fn each_refusal_lint_claims_is_the_real_programs() {
    let dep = Deployment::new("lint-real", 2, &[]);
    assert_eq!(
        trident(&["lint", dep.path("etc").to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let run = dep.path("run");
    let cases: &[(&str, &str, &str, &str, &str)] = &[
        (
            "nginx/unknown-directive",
            "nginx.conf",
            "worker_rlimit_nofile 2048;",
            "worker_rlimit_nofiles 2048;",
            "unknown directive \"worker_rlimit_nofiles\"",
        ),
        (
            "nginx/no-events",
            "nginx.conf",
            "events {\n    worker_connections 1024;\n}\n",
            "",
            "no \"events\" section",
        ),
        (
            "nginx/include-missing",
            "nginx.conf",
            "            uwsgi_pass triple;\n",
            "            uwsgi_pass triple;\n            include uwsgi_params;\n",
            "uwsgi_params\" failed (2: No such file or directory)",
        ),
        (
            "nginx/arguments",
            "nginx.conf",
            "server_tokens off;",
            "server_tokens off",
            "invalid number of arguments in \"server_tokens\" directive",
        ),
        (
            "nginx/syntax",
            "nginx.conf",
            "events {\n",
            "events {{\n",
            "unexpected \"{\"",
        ),
        (
            "nginx/unknown-upstream",
            "nginx.conf",
            "uwsgi_pass triple;",
            "uwsgi_pass tripel;",
            "no port in upstream \"tripel\"",
        ),
        (
            "uwsgi/unknown-option",
            "webapp.ini",
            "threads = 2",
            "thread = 2",
            "unknown config directive: thread",
        ),
        (
            "uwsgi/no-plugin",
            "webapp.ini",
            "plugins = python3\n",
            "",
            "unknown config directive: module",
        ),
        (
            "supervisord/no-supervisord",
            "supervisord.conf",
            "[supervisord]\n",
            "[supervisord_]\n",
            "does not include supervisord section",
        ),
        (
            "supervisord/percent",
            "supervisord.conf",
            "WORKER_COUNT=\"2\"",
            "WORKER_COUNT=\"2\",DISCOUNT=\"50%\"",
            "Format string",
        ),
    ];
    let mut failures = Vec::new();
    for (rule, file, find, replace, refusal) in cases {
        let dir = scratch(&dep);
        edit(&dir.path().join(file), find, replace);
        let lint = trident(&["lint", dir.path().to_str().unwrap(), "--format", "json"]);
        let report: serde_json::Value = serde_json::from_slice(&lint.stdout).unwrap();
        let rules: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .collect();
        if !rules.contains(rule) || lint.status.code() != Some(1) {
            failures.push(format!("{rule}: lint gave {rules:?}"));
        }
        let real = match *file {
            "nginx.conf" => nginx_t(dir.path(), &run),
            "webapp.ini" => uwsgi_strict(dir.path(), dep.base_port),
            _ => supervisor_parse(dir.path()),
        };
        if real.status.success() || !text(&real).contains(refusal) {
            failures.push(format!("{rule}: the real program said: {}", text(&real)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn missing_uwsgi_params_give_django_a_key_error_and_the_client_a_502() {
    let dep = Deployment::new("lint-params", 1, &[]);
    let conf = dep.path("etc/nginx.conf");
    let t = fs::read_to_string(&conf).unwrap();
    let without: String = t
        .lines()
        .filter(|l| !l.trim_start().starts_with("uwsgi_param "))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&conf, without).unwrap();
    let lint = trident(&["lint", dep.path("etc").to_str().unwrap()]);
    assert!(
        text(&lint).contains("error[nginx/uwsgi-params]"),
        "{}",
        text(&lint)
    );
    let mut running = dep.start();
    running.wait_running(2, Duration::from_secs(20));
    let mut status = 0;
    for _ in 0..50 {
        let r = http("GET", dep.listen, "/", "params-1", Duration::from_secs(5));
        status = r.status;
        if status != 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(status, 502, "{}", running.logs());
    let logs = running.logs();
    assert!(logs.contains("KeyError: 'REQUEST_METHOD'"), "{logs}");
    running.shutdown();
}

fn seed(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/seed")
        .join(name)
}

#[test]
fn the_seeds_files_imported_give_a_stack_that_starts_and_serves() {
    require_tools();
    let files: Vec<PathBuf> = ["supervisord.conf", "webapp.ini", "nginx.conf"]
        .iter()
        .map(|n| seed(n))
        .collect();
    let mut args = vec!["import".to_string()];
    args.extend(files.iter().map(|p| p.display().to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = trident(&argv);
    assert!(o.status.success(), "{}", text(&o));
    let spec_dir = tempfile::tempdir().unwrap();
    let spec = spec_dir.path().join("imported.toml");
    fs::write(&spec, &o.stdout).unwrap();
    // Home and ports are this test's; everything else is the import's.
    let dep = Deployment::new("imported", 3, &["--spec", spec.to_str().unwrap()]);
    assert!(
        dep.file("nginx.conf").contains("upstream triple"),
        "{}",
        dep.file("nginx.conf")
    );
    let lint = trident(&["lint", "--this-host", dep.path("etc").to_str().unwrap()]);
    assert_eq!(lint.status.code(), Some(0), "{}", text(&lint));
    let mut running = dep.start();
    running.wait_ready(Duration::from_secs(30));
    let r = http("GET", dep.listen, "/", "imported-1", Duration::from_secs(5));
    assert_eq!(r.status, 200, "{}", running.logs());
    running.shutdown();
}
