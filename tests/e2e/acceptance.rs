//! The real tools accept generated files unedited, for a matrix of specs, and reject the
//! seed's literal files for the documented reasons.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use trident_e2e::{require_tools, Deployment};

/// `nginx -t`, `uwsgi --strict --get socket` and supervisor's own parser on one deployment.
fn check_with_real_tools(dep: &Deployment) {
    let conf = dep.path("etc/nginx.conf");
    let o = Command::new("/usr/sbin/nginx")
        .arg("-t")
        .arg("-p")
        .arg(format!("{}/", dep.path("run").display()))
        .arg("-c")
        .arg(&conf)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "nginx -t rejected {}:\n{}\n{}",
        conf.display(),
        String::from_utf8_lossy(&o.stderr),
        dep.file("nginx.conf")
    );

    let ini = dep.file("webapp.ini");
    let (var, value) = if ini.contains("$(S_SOCKET)") {
        ("S_SOCKET", dep.path("run/p0.sock").display().to_string())
    } else {
        ("S_PORT", dep.base_port.to_string())
    };
    // With a user, the replica's socket is a shared socket (bound before uWSGI drops).
    let key = if ini.contains("\nshared-socket = ") {
        "shared-socket"
    } else {
        "socket"
    };
    let o = Command::new("/usr/bin/uwsgi")
        .args(["--strict", "--ini"])
        .arg(dep.path("etc/webapp.ini"))
        .args(["--get", key])
        .env(var, &value)
        .env("WORKER_COUNT", "2")
        .output()
        .unwrap();
    let got = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && got.contains(&value),
        "uwsgi rejected webapp.ini ({var}={value}): {got}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let o = supervisor_parse(&dep.path("etc/supervisord.conf"));
    assert!(
        o.status.success(),
        "supervisord rejected its config:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let programs = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        programs.lines().count(),
        usize::from(dep.replicas) + 1,
        "{programs}"
    );
}

/// supervisor's own config parser, as supervisord runs it, printing one program per line.
fn supervisor_parse(conf: &Path) -> Output {
    Command::new("/usr/bin/python3")
        .arg("-c")
        .arg("import sys\nfrom supervisor.options import ServerOptions\no = ServerOptions()\no.realize(['-c', sys.argv[1]])\nfor g in o.process_group_configs:\n    for p in g.process_configs:\n        print(p.name, p.command, sorted((p.environment or {}).items()))")
        .arg(conf)
        .output()
        .unwrap()
}

/// The matrix: (name, home directory name, replicas, extra flags).
pub const MATRIX: &[(&str, &str, u16, &[&str])] = &[
    ("defaults", "home", 3, &[]),
    ("one replica", "home", 1, &[]),
    (
        "sixteen replicas",
        "home",
        16,
        &["--workers", "1", "--threads", "1"],
    ),
    ("unix sockets", "home", 3, &["--socket", "unix"]),
    (
        "least_conn with failover settings",
        "home",
        3,
        &[
            "--balance",
            "least_conn",
            "--max-conns",
            "4",
            "--max-fails",
            "2",
            "--fail-timeout",
            "5",
            "--connect-timeout",
            "2",
            "--read-timeout",
            "20",
            "--harakiri",
            "20",
            "--listen-backlog",
            "8",
            "--next-upstream",
            "error,timeout,http_503",
        ],
    ),
    ("static files", "home", 2, &["--static-url", "/static/"]),
    (
        "custom names",
        "home",
        3,
        &[
            "--upstream",
            "django_pool",
            "--program-prefix",
            "web-",
            "--nginx-program",
            "frontend",
            "--balance",
            "random_two_least_conn",
        ],
    ),
    (
        "home with a space and a percent",
        "my web 50%",
        3,
        &["--balance", "round_robin"],
    ),
    (
        "ip_hash, no wait",
        "home",
        2,
        &["--balance", "ip_hash", "--wait-for-backends", "0"],
    ),
];

#[test]
fn real_tools_accept_every_matrix_spec() {
    for (name, home, replicas, args) in MATRIX {
        let dep = Deployment::new(home, *replicas, args);
        eprintln!("checking {name}");
        check_with_real_tools(&dep);
    }
}

#[test]
fn every_matrix_spec_boots_and_every_replica_serves() {
    for (name, home, replicas, args) in MATRIX {
        let dep = Deployment::new(home, *replicas, args);
        let mut run = dep.start();
        let ready = run.wait_ready(Duration::from_secs(30));
        let n = usize::from(*replicas);
        let seen = replicas_reached(&dep, args, n, &run);
        // ip_hash sends every request from one client address to one replica, by design.
        let want = if args.contains(&"ip_hash") { 1 } else { n };
        assert_eq!(
            seen.len(),
            want,
            "{name}: {seen:?} answered\n{}",
            run.logs()
        );
        let post = trident_e2e::http("POST", dep.listen, "/", "post", Duration::from_secs(10));
        assert!(
            post.status == 200 && post.body.contains("\"method\": \"POST\""),
            "{name}: {post:?}"
        );
        assert!(
            post.body.contains("\"fsenc\": \"utf-8\""),
            "{name}: LANG did not give UTF-8: {post:?}"
        );
        if args.contains(&"--static-url") {
            let css = trident_e2e::http(
                "GET",
                dep.listen,
                "/static/site.css",
                "css",
                Duration::from_secs(5),
            );
            assert_eq!(css.status, 200, "{css:?}");
            assert!(css.body.contains("color"), "{css:?}");
        }
        // supervisorctl reaches supervisord through the generated serverurl.
        run.wait_running(n + 1, Duration::from_secs(15));
        eprintln!("{name}: first 200 after {ready:?}");
    }
}

/// The replicas that answer sequential GETs, asserting what the balancing method promises.
/// Round-robin and least_conn (which, with no request open, falls back to round-robin) visit
/// every replica within N requests, so 3N must reach all of them. ip_hash and
/// random_two_least_conn promise nothing of the kind per request: ip_hash stays on one replica;
/// random two is sampled until every replica answered, at most 300 requests, where missing one
/// of 16 replicas has a chance below 16 x (15/16)^300, about 6e-8.
fn replicas_reached(
    dep: &Deployment,
    args: &[&str],
    n: usize,
    run: &trident_e2e::Running<'_>,
) -> std::collections::BTreeSet<String> {
    let random = args.contains(&"random_two_least_conn");
    let budget = if random { 300 } else { 3 * n };
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..budget {
        let r = trident_e2e::http(
            "GET",
            dep.listen,
            "/",
            &format!("m-{i}"),
            Duration::from_secs(10),
        );
        assert_eq!(r.status, 200, "{r:?}\n{}", run.logs());
        seen.extend(r.replica());
        if random && seen.len() == n {
            break;
        }
    }
    seen
}

fn seed(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/seed")
        .join(name)
}

#[test]
fn seed_nginx_conf_is_rejected_for_pidfile_then_events() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("nginx.conf");
    std::fs::copy(seed("nginx.conf"), &conf).unwrap();
    let o = Command::new("/usr/sbin/nginx")
        .args(["-t", "-c"])
        .arg(&conf)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("unknown directive \"pidfile\""),
        "{err}"
    );
    // With pidfile fixed, the next refusal is the missing events block.
    let fixed = std::fs::read_to_string(&conf).unwrap().replace(
        "pidfile /tmp/nginx.pid;",
        &format!("pid {}/nginx.pid;", dir.path().display()),
    );
    std::fs::write(&conf, fixed).unwrap();
    let o = Command::new("/usr/sbin/nginx")
        .args(["-t", "-c"])
        .arg(&conf)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("no \"events\" section"),
        "{err}"
    );
}

#[test]
fn seed_supervisord_conf_is_rejected_for_missing_supervisord_section() {
    require_tools();
    let o = supervisor_parse(&seed("supervisord.conf"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("does not include supervisord section"),
        "{err}"
    );
}

#[test]
fn seed_webapp_ini_ignores_module_binds_everywhere_and_has_no_workers() {
    require_tools();
    let get = |key: &str, strict: bool| {
        let mut cmd = Command::new("/usr/bin/uwsgi");
        if strict {
            cmd.arg("--strict");
        }
        let o = cmd
            .arg("--ini")
            .arg(seed("webapp.ini"))
            .args(["--get", key])
            .env("S_PORT", "18080")
            .env_remove("WORKER_COUNT")
            .output()
            .unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).trim().to_string(),
            String::from_utf8_lossy(&o.stderr).to_string(),
        )
    };
    // Without the python3 plugin, strict mode does not know `module` at all.
    let (ok, _, err) = get("socket", true);
    assert!(
        !ok && err.contains("unknown config directive: module"),
        "{err}"
    );
    // socket=:$(S_PORT) binds every interface; workers=$(WORKER_COUNT) stays literal.
    assert_eq!(get("socket", false).1, ":18080");
    assert_eq!(get("workers", false).1, "$(WORKER_COUNT)");
    assert_eq!(
        get("env", false).1,
        "LANG='en_US.UTF-8'",
        "uWSGI keeps the quotes"
    );
}

#[test]
fn seed_generator_stops_at_its_typos() {
    require_tools();
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new("/usr/bin/python3")
        .arg(seed("generator.py"))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "the seed's generator ran");
    // `os.apth` fails first, at import time of the `with` line; `.foramt` is behind it.
    assert!(err.contains("module 'os' has no attribute 'apth'"), "{err}");
    let typo = std::fs::read_to_string(seed("generator.py"))
        .unwrap()
        .replace("os.apth", "os.path");
    let fixed = dir.path().join("g.py");
    std::fs::write(&fixed, typo).unwrap();
    let o = Command::new("/usr/bin/python3")
        .arg(&fixed)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("FileNotFoundError"),
        "opened for reading: {err}"
    );
    // With the file present, slave_conf() runs and meets `.foramt`.
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    std::fs::write(dir.path().join("etc/slave.conf"), "").unwrap();
    let o = Command::new("/usr/bin/python3")
        .arg(&fixed)
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("'str' object has no attribute 'foramt'"),
        "{err}"
    );
}
