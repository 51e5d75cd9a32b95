//! A stack started by root: with a user, the app and nginx's workers run as that user and
//! it can write none of what the stack runs from; without one, the replicas refuse to start.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use trident_e2e::{
    as_user, http, running_as_root, stack_id, Deployment, Running, STACK_GROUP, STACK_USER,
};

/// The real uid of a process, from `/proc/PID/status`.
fn uid_of(pid: u32) -> Option<u32> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The command line of a process, spaces for NULs.
fn cmdline(pid: u32) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
        .unwrap_or_default()
}

/// Runs `args` as `user` (its own group, no supplementary groups), as `su` would.
fn require_root() {
    assert!(
        running_as_root(),
        "this test starts stacks as root, as the guide's path to port 80 does: run the suite as root (CI does)"
    );
}

#[test]
fn started_as_root_with_a_user_the_app_and_nginx_workers_run_as_it() {
    require_root();
    let (uid, gid) = (stack_id("-u"), stack_id("-g"));
    for args in [&[][..], &["--socket", "unix"][..]] {
        let dep = Deployment::new("home", 2, args);
        assert!(dep
            .file("webapp.ini")
            .contains(&format!("uid = {STACK_USER}\n")));
        let mut run = dep.start();
        run.warm_up();

        // The app answers as the user, from every replica.
        for i in 0..6 {
            let r = http(
                "GET",
                dep.listen,
                "/",
                &format!("who{i}"),
                Duration::from_secs(5),
            );
            assert_eq!(r.status, 200, "{args:?}: {r:?}\n{}", run.logs());
            assert_eq!(
                r.json_str("uid"),
                Some(uid.to_string()),
                "{args:?}: {}",
                r.body
            );
            assert_eq!(
                r.json_str("gid"),
                Some(gid.to_string()),
                "{args:?}: {}",
                r.body
            );
        }

        // No uWSGI process is root's; nginx's master is (port 80, the key), its workers not.
        check_processes(&mut run, uid, args);

        // uWSGI did not warn about root, and every replica dropped to the user.
        for k in 0..2 {
            let log = fs::read_to_string(dep.path(&format!("log/p{k}.log"))).unwrap();
            assert!(!log.contains("running uWSGI as root"), "p{k}: {log}");
            assert!(log.contains(&format!("setuid() to {uid}")), "p{k}: {log}");
        }

        // The user may use supervisord's control socket; another unprivileged user may not.
        run.wait_running(3, Duration::from_secs(10));
        let conf = dep.path("etc/supervisord.conf");
        let conf = conf.to_str().unwrap();
        let mine = as_user(
            STACK_USER,
            STACK_GROUP,
            &["supervisorctl", "-c", conf, "status"],
        );
        let text = String::from_utf8_lossy(&mine.stdout);
        assert_eq!(text.matches("RUNNING").count(), 3, "{args:?}: {mine:?}");
        let other = as_user("daemon", "daemon", &["supervisorctl", "-c", conf, "status"]);
        assert!(
            !String::from_utf8_lossy(&other.stdout).contains("RUNNING"),
            "{args:?}: daemon reached the control socket: {other:?}"
        );

        // The user writes nothing the stack runs from: code, config, run and log directories.
        for dir in ["app", "etc", "run", "log"] {
            let probe = dep.path(&format!("{dir}/written-by-the-app"));
            let o = as_user(STACK_USER, STACK_GROUP, &["touch", probe.to_str().unwrap()]);
            assert!(
                !o.status.success() && !probe.exists(),
                "{args:?}: {STACK_USER} could write {dir}/"
            );
        }
        let (_, survivors) = run.shutdown();
        assert!(survivors.is_empty(), "{args:?}: survivors {survivors:?}");
        // uWSGI, no longer root at exit, cannot remove a unix socket from root's run/ (it
        // logs "VACUUM WARNING"): the next start binds over the stale file and serves.
        let stale: Vec<_> = (0..2)
            .map(|k| dep.path(&format!("run/p{k}.sock")))
            .filter(|p| p.exists())
            .collect();
        eprintln!("{args:?}: sockets left after stop: {stale:?}");
        let mut again = dep.start();
        again.warm_up();
        let replies = trident_e2e::load(
            dep.listen,
            20,
            2,
            "GET",
            "/",
            "again",
            Duration::from_secs(10),
        );
        assert!(
            replies.iter().all(|r| r.status == 200),
            "{args:?}: restart over stale sockets failed:\n{}",
            again.logs()
        );
    }
}

fn check_processes(run: &mut Running<'_>, uid: u32, args: &[&str]) {
    let pids = run.track();
    let (mut uwsgi, mut nginx_workers) = (0, 0);
    for pid in pids {
        let (Some(owner), line) = (uid_of(pid), cmdline(pid)) else {
            continue;
        };
        if line.contains("uwsgi") {
            uwsgi += 1;
            assert_eq!(
                owner, uid,
                "{args:?}: uWSGI process {pid} ({line}) runs as {owner}"
            );
        } else if line.starts_with("nginx: worker") {
            nginx_workers += 1;
            assert_eq!(owner, uid, "{args:?}: nginx worker {pid} runs as {owner}");
        } else if line.starts_with("nginx: master") {
            assert_eq!(owner, 0, "{args:?}: nginx master {pid} should keep root");
        }
    }
    // 2 replicas: a master and 2 workers each; nginx: at least one worker.
    assert!(uwsgi >= 6, "{args:?}: saw {uwsgi} uWSGI processes");
    assert!(nginx_workers >= 1, "{args:?}: saw no nginx worker");
}

#[test]
fn started_as_root_without_a_user_the_replicas_refuse() {
    require_root();
    // An empty --user asks the harness for no user.
    let dep = Deployment::new("home", 1, &["--user", ""]);
    assert!(!dep.file("webapp.ini").contains("uid ="));
    let mut run = dep.start();
    let deadline = Instant::now() + Duration::from_secs(30);
    let log = dep.path("log/p0.log");
    loop {
        let status = String::from_utf8_lossy(&dep.ctl(&["status", "p0"]).stdout).into_owned();
        if status.contains("FATAL") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "p0 did not give up within 30 s: {status}\n{}",
            run.logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let text = fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("webapp.ini refuses to run the app as root: set user (trident --user NAME)"),
        "{}: {text}",
        Path::new(&log).display()
    );
    // It stopped before loading the app: nothing ever answered as root.
    assert!(
        !text.contains("WSGI app 0"),
        "the app was loaded as root: {text}"
    );
    for pid in run.track() {
        let line = cmdline(pid);
        assert!(
            !line.contains("uwsgi"),
            "a uWSGI process runs: {pid} {line}"
        );
    }
    let (_, survivors) = run.shutdown();
    assert!(survivors.is_empty(), "survivors {survivors:?}");
}
