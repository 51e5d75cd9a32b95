//! Boot and serve: every replica serves from the first requests, a stopped replica costs no
//! request, and shutdown leaves nothing behind.

use std::collections::BTreeSet;
use std::time::Duration;

use trident_e2e::{listening, load, Deployment};

const T: Duration = Duration::from_secs(10);

/// Regression guard for the startup race: nginx used to start within milliseconds of the
/// replicas, and a request that reached a replica before it bound its socket marked it down
/// for fail_timeout (10 s), so some replicas served nothing at first.
#[test]
fn every_replica_serves_within_the_first_3n_requests_over_10_starts() {
    let dep = Deployment::new("home", 3, &[]);
    let n = usize::from(dep.replicas);
    let mut firsts = Vec::new();
    for start in 0..10 {
        let mut run = dep.start();
        firsts.push(run.wait_ready(Duration::from_secs(30)));
        let replies = load(dep.listen, 3 * n, 1, "GET", "/", &format!("s{start}"), T);
        let seen: BTreeSet<_> = replies.iter().filter_map(|r| r.replica()).collect();
        assert_eq!(
            seen.len(),
            n,
            "start {start}: only {seen:?} served in the first {} requests\n{}",
            3 * n,
            run.logs()
        );
        let (_, survivors) = run.shutdown();
        assert!(
            survivors.is_empty(),
            "start {start}: processes survived shutdown: {survivors:?}"
        );
    }
    firsts.sort();
    eprintln!(
        "supervisord start to first 200 over 10 starts: min {:?}, median {:?}, max {:?}",
        firsts[0], firsts[5], firsts[9]
    );
}

#[test]
fn stopping_one_replica_fails_no_request() {
    let dep = Deployment::new("home", 3, &[]);
    let mut run = dep.start();
    run.wait_ready(Duration::from_secs(30));
    let o = dep.ctl(&["stop", "p1"]);
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("p1: stopped"),
        "{o:?}"
    );
    assert!(!listening(dep.base_port + 1), "p1 still listens after stop");
    let replies = load(dep.listen, 100, 1, "GET", "/", "after-stop", T);
    let failed: Vec<_> = replies.iter().filter(|r| r.status != 200).collect();
    assert!(
        failed.is_empty(),
        "{} of 100 failed: {failed:?}\n{}",
        failed.len(),
        run.logs()
    );
    let stopped = (dep.base_port + 1).to_string();
    assert!(replies
        .iter()
        .all(|r| r.replica().as_deref() != Some(&stopped)));
    // POST too: nothing was sent to the stopped replica, so nginx may retry it safely.
    let posts = load(dep.listen, 20, 2, "POST", "/", "post-after-stop", T);
    assert!(posts.iter().all(|r| r.status == 200), "{posts:?}");
}

#[test]
fn shutdown_leaves_no_process_port_pid_file_or_socket() {
    for args in [&[][..], &["--socket", "unix"][..]] {
        let dep = Deployment::new("home", 3, args);
        let mut run = dep.start();
        run.wait_ready(Duration::from_secs(30));
        // Once every replica has served, every worker has been forked.
        let replies = load(dep.listen, 9, 1, "GET", "/", "up", T);
        assert_eq!(
            replies
                .iter()
                .filter_map(|r| r.replica())
                .collect::<BTreeSet<_>>()
                .len(),
            3
        );
        let pids = run.track();
        assert!(
            pids.len() >= 3 + 3 * 2 + 2,
            "expected supervisord's programs and their workers, got {pids:?}"
        );
        let (took, survivors) = run.shutdown();
        assert!(
            survivors.is_empty(),
            "{args:?}: still alive after shutdown: {survivors:?}"
        );
        assert!(
            pids.iter().all(|&p| !trident_e2e::alive(p)),
            "{args:?}: a process survived"
        );
        for port in (dep.base_port..dep.base_port + dep.replicas).chain([dep.listen]) {
            assert!(!listening(port), "{args:?}: port {port} still listens");
        }
        let mut leftovers: Vec<_> = std::fs::read_dir(dep.path("run"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".pid") || n.ends_with(".sock"))
            .collect();
        leftovers.sort();
        // Run as the stack user, uWSGI is no longer root at exit and cannot remove its unix
        // socket from root's run/ (docs/guide.md, "Started as root"); the next start binds over it
        // (tests/e2e/account.rs). Nothing else may stay.
        let expected: Vec<String> = if args.contains(&"unix") && trident_e2e::running_as_root() {
            (0..dep.replicas).map(|k| format!("p{k}.sock")).collect()
        } else {
            Vec::new()
        };
        assert_eq!(leftovers, expected, "{args:?}: left in run/");
        eprintln!("{args:?}: shutdown took {took:?}");
    }
}

#[test]
fn a_replica_without_s_port_refuses_to_start() {
    // Regression guard: with S_PORT unset the seed's socket=:$(S_PORT) bound a random port on
    // every interface.
    let dep = Deployment::new("home", 1, &[]);
    let o = std::process::Command::new("/usr/bin/uwsgi")
        .arg("--ini")
        .arg(dep.path("etc/webapp.ini"))
        .env_remove("S_PORT")
        .current_dir(dep.path("app"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(out.contains("webapp.ini needs S_PORT"), "{out}");
    assert!(
        !out.contains("bound to TCP address"),
        "it bound a socket: {out}"
    );
}

#[test]
fn a_replica_without_worker_count_refuses_to_start() {
    // Regression guard: the seed's workers=$(WORKER_COUNT) with the variable unset ran uWSGI
    // with 0 workers: the socket was bound and nobody ever answered.
    let dep = Deployment::new("home", 1, &[]);
    let o = std::process::Command::new("/usr/bin/uwsgi")
        .arg("--ini")
        .arg(dep.path("etc/webapp.ini"))
        .env("S_PORT", dep.base_port.to_string())
        .env_remove("WORKER_COUNT")
        .current_dir(dep.path("app"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(out.contains("webapp.ini needs WORKER_COUNT"), "{out}");
    assert!(
        !out.contains("bound to TCP address") && !out.contains("no-workers"),
        "{out}"
    );
}

/// What the `backlog-over-somaxconn` warning says: a `listen` above the host's
/// net.core.somaxconn stops uWSGI at start, and at somaxconn it starts.
#[test]
fn a_backlog_over_somaxconn_stops_the_replica_and_somaxconn_itself_starts() {
    let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .expect("read /proc/sys/net/core/somaxconn")
        .trim()
        .parse()
        .unwrap();
    assert!(
        somaxconn < 65_535,
        "somaxconn {somaxconn} leaves no larger backlog to try"
    );
    for (backlog, starts) in [(somaxconn + 1, false), (somaxconn, true)] {
        let b = backlog.to_string();
        let dep = Deployment::new("home", 1, &["--listen-backlog", &b]);
        let mut child = std::process::Command::new("/usr/bin/uwsgi")
            .arg("--ini")
            .arg(dep.path("etc/webapp.ini"))
            .env("S_PORT", dep.base_port.to_string())
            .env("WORKER_COUNT", "1")
            .env("SUPERVISOR_PROCESS_NAME", "p0")
            .current_dir(dep.path("app"))
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dep.path("log/p0.log")).unwrap())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + T;
        let mut exited = None;
        while exited.is_none() && !listening(dep.base_port) && std::time::Instant::now() < deadline
        {
            exited = child.try_wait().unwrap();
            std::thread::sleep(Duration::from_millis(50));
        }
        let up = listening(dep.base_port);
        trident_e2e::signal("QUIT", &[child.id()]);
        let _ = child.wait();
        let log = std::fs::read_to_string(dep.path("log/p0.log")).unwrap_or_default();
        assert_eq!(
            up, starts,
            "listen = {backlog}, somaxconn {somaxconn}:\n{log}"
        );
        if !starts {
            assert!(
                log.contains("greater than the system max net.core.somaxconn"),
                "{log}"
            );
        }
    }
}

#[test]
fn an_import_error_stops_the_replica_instead_of_serving_500() {
    // Regression guard: without need-app uWSGI served 500 for every request.
    let dep = Deployment::new("home", 1, &["--module", "app.missing:application"]);
    let o = std::process::Command::new("/usr/bin/uwsgi")
        .arg("--ini")
        .arg(dep.path("etc/webapp.ini"))
        .env("S_PORT", dep.base_port.to_string())
        .env("WORKER_COUNT", "1")
        .current_dir(dep.path("app"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && out.contains("GAME OVER"), "{out}");
}

/// Regression guard: the upstream's shared zone was 1 KiB per server (64 KiB at least), and
/// with 64 replicas nginx 1.22 logged "ngx_slab_alloc() failed: no memory in upstream zone"
/// and never answered. nginx alone, no replica running: it must answer 502 at once.
#[test]
fn nginx_serves_a_large_upstream_from_its_zone() {
    for (replicas, home, args) in [
        (64u16, "home", vec![]),
        (
            256,
            "a-home-with-a-rather-long-name-0123456789",
            vec!["--socket", "unix"],
        ),
    ] {
        let dep = Deployment::new(home, replicas, &args);
        // Its error log to a file: a pipe nobody reads would block nginx once full.
        let log_path = dep.path("log/nginx-alone.log");
        let mut nginx = std::process::Command::new("/usr/sbin/nginx")
            .arg("-p")
            .arg(format!("{}/", dep.path("run").display()))
            .arg("-c")
            .arg(dep.path("etc/nginx.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap())
            .spawn()
            .expect("start nginx");
        let deadline = std::time::Instant::now() + T;
        while !listening(dep.listen) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let r = trident_e2e::http("GET", dep.listen, "/", "zone", Duration::from_secs(5));
        trident_e2e::signal("QUIT", &[nginx.id()]);
        let _ = nginx.wait();
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        assert!(!log.contains("no memory"), "{replicas} replicas:\n{log}");
        assert_eq!(
            r.status, 502,
            "{replicas} replicas, none running: {r:?}\n{log}"
        );
    }
}

/// A killed nginx (SIGKILL, the OOM killer, power loss) leaves its status socket behind, and
/// nginx refuses to bind over it ("Address already in use"): the program's command clears
/// it first, so the stack starts and serves.
#[test]
fn a_stale_status_socket_does_not_keep_nginx_down() {
    let dep = Deployment::new("home", 2, &[]);
    let stale = dep.path("run/status/nginx.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    assert!(stale.exists());
    let mut run = dep.start();
    run.warm_up();
    let replies = load(dep.listen, 10, 2, "GET", "/", "stale", T);
    assert!(
        replies.iter().all(|r| r.status == 200),
        "{replies:?}\n{}",
        run.logs()
    );
}

/// nginx's own 502 and 504 pages end in `<hr><center>nginx</center>`: the generated ones name
/// no software, keep their status, and the app's own error answers pass through untouched.
#[test]
fn error_pages_name_no_software_and_the_apps_own_pass_through() {
    // The page nginx answered with: its own, titled `title`, naming no software.
    let ours = |r: &trident_e2e::Reply, title: &str| {
        assert!(
            r.body
                .starts_with(&format!("<!doctype html><title>{title}</title>")),
            "{r:?}"
        );
        assert!(
            !r.body.to_ascii_lowercase().contains("nginx"),
            "the {title} page names the software: {}",
            r.body
        );
    };
    let dep = Deployment::new("home", 1, &["--read-timeout", "1"]);
    let mut run = dep.start();
    run.warm_up();
    // The app's own 503 and 502 bodies are not replaced.
    for code in [502, 503] {
        let r = trident_e2e::http("GET", dep.listen, &format!("/fail?code={code}"), "own", T);
        assert_eq!(r.status, code, "{r:?}");
        assert_eq!(r.body, format!("the app says {code}"), "{r:?}");
    }
    // 504: the only replica answers after the read timeout.
    let r = trident_e2e::http("GET", dep.listen, "/slow?who=any&secs=3", "504", T);
    assert_eq!(r.status, 504, "{r:?}\n{}", run.logs());
    ours(&r, "504 Gateway Timeout");
    assert_eq!(r.header("Content-Type"), Some("text/html"), "{r:?}");
    // 502: the replica stopped; nginx has nowhere to send the request.
    let o = dep.ctl(&["stop", "p0"]);
    assert!(o.status.success(), "{o:?}");
    let r = trident_e2e::http("GET", dep.listen, "/", "502", T);
    assert_eq!(r.status, 502, "{r:?}\n{}", run.logs());
    ours(&r, "502 Bad Gateway");
}
