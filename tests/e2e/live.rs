//! `trident rollout` and `trident apply` on a live stack under steady load (4 clients sending
//! GETs, POSTs and slow GETs), counting every request and every POST the app executed.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use trident_e2e::{http, trident_bin, Deployment, Reply, Running, Steady};

/// `trident SUBCOMMAND` with the deployment's spec flags (or `flags`).
fn trident_live(sub: &str, flags: &[String]) -> Output {
    Command::new(trident_bin())
        .arg(sub)
        .args(flags)
        .output()
        .expect("run trident")
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Starts the steady load: 4 clients, at most 20,000 requests or 5 minutes.
fn steady(dep: &Deployment, tag: &str) -> Steady {
    Steady::start(dep.listen, 4, tag, 20_000, Duration::from_secs(300))
}

/// Asserts that no request failed and that every POST ran exactly once; returns the count.
fn assert_no_loss(
    dep: &Deployment,
    replies: &[(String, String, Reply)],
    run: &Running<'_>,
) -> usize {
    let failed: Vec<_> = replies.iter().filter(|(_, _, r)| r.status != 200).collect();
    assert!(
        failed.is_empty(),
        "{} of {} requests failed, e.g. {:?}\n{}",
        failed.len(),
        replies.len(),
        failed.first(),
        run.logs()
    );
    // The app's request log is written as each request finishes: wait (at most 5 s) until
    // every POST that got its 200 is in it.
    let posts: Vec<&String> = replies
        .iter()
        .filter(|(m, _, _)| m == "POST")
        .map(|(_, id, _)| id)
        .collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let mut runs = dep.runs("");
    while !posts.iter().all(|id| runs.contains_key(*id)) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        runs = dep.runs("");
    }
    for (method, id, _) in replies {
        let n = runs.get(id).copied().unwrap_or(0);
        if method == "POST" {
            assert_eq!(n, 1, "POST {id} ran {n} times");
        }
    }
    replies.len()
}

/// (replica, version) of every answer to 6N sequential GETs through nginx.
fn versions(dep: &Deployment, n: usize) -> BTreeSet<(String, String)> {
    (0..6 * n)
        .map(|i| {
            http(
                "GET",
                dep.listen,
                "/",
                &format!("v-{i}"),
                Duration::from_secs(10),
            )
        })
        .map(|r| {
            assert_eq!(r.status, 200, "{r:?}");
            (r.replica().unwrap(), r.json_str("version").unwrap())
        })
        .collect()
}

fn programs(dep: &Deployment) -> BTreeSet<String> {
    let o = dep.ctl(&["status"]);
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn rollout_restarts_every_replica_without_a_failed_request() {
    let dep = Deployment::new("home", 3, &[]);
    let mut run = dep.start();
    run.warm_up();
    std::fs::write(dep.path("app/app/VERSION"), "2").unwrap();
    let load = steady(&dep, "roll");
    // Load before and after the rollout, not only during it.
    load.wait_answered(20);
    let o = trident_live("rollout", &dep.spec_flags);
    load.wait_answered(20);
    let replies = load.stop();
    assert!(o.status.success(), "{}", show(&o));
    let n = assert_no_loss(&dep, &replies, &run);
    assert!(n > 50, "only {n} requests during the rollout");
    let seen = versions(&dep, 3);
    assert_eq!(seen.len(), 3, "every replica answers: {seen:?}");
    assert!(
        seen.iter().all(|(_, v)| v == "2"),
        "not every replica runs the new version: {seen:?}"
    );
    // The files on disk are the generated ones again.
    assert!(
        !dep.file("nginx.conf").contains(" down;"),
        "{}",
        dep.file("nginx.conf")
    );
    eprintln!(
        "rollout: {n} requests, 0 failed\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_broken_release_stops_the_rollout_at_the_first_replica() {
    let dep = Deployment::new("home", 3, &[]);
    let mut run = dep.start();
    run.warm_up();
    std::fs::write(dep.path("app/app/BROKEN"), "").unwrap();
    let load = steady(&dep, "broken");
    let o = trident_live("rollout", &dep.spec_flags);
    let replies = load.stop();
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("p0") && err.contains("log/p0.log"), "{err}");
    assert_no_loss(&dep, &replies, &run);
    // p0 is out of rotation; p1 and p2 serve the old version.
    let seen = versions(&dep, 3);
    let replicas: BTreeSet<&str> = seen.iter().map(|(r, _)| r.as_str()).collect();
    let (p1, p2) = (
        (dep.base_port + 1).to_string(),
        (dep.base_port + 2).to_string(),
    );
    assert_eq!(
        replicas,
        BTreeSet::from([p1.as_str(), p2.as_str()]),
        "{seen:?}"
    );
    assert!(seen.iter().all(|(_, v)| v == "1"), "{seen:?}");
    // Fixed: the next rollout completes and puts p0 back.
    std::fs::remove_file(dep.path("app/app/BROKEN")).unwrap();
    let o = trident_live("rollout", &dep.spec_flags);
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(versions(&dep, 3).len(), 3);
}

#[test]
fn an_interrupted_rollout_serves_and_the_next_one_completes_it() {
    let dep = Deployment::new("home", 3, &[]);
    let mut run = dep.start();
    run.warm_up();
    std::fs::write(dep.path("app/app/VERSION"), "2").unwrap();
    let load = steady(&dep, "int");
    // Ctrl+C once the first replica answers again.
    let (status, lines) = interrupt_after_p0("rollout", &dep.spec_flags);
    assert_eq!(status.code(), Some(130), "{lines:#?}");
    assert!(
        !dep.file("nginx.conf").contains(" down;"),
        "an interrupted rollout left a replica out"
    );
    let o = trident_live("rollout", &dep.spec_flags);
    let replies = load.stop();
    assert!(o.status.success(), "{}", show(&o));
    assert_no_loss(&dep, &replies, &run);
    assert!(versions(&dep, 3).iter().all(|(_, v)| v == "2"));
}

#[test]
fn apply_grows_and_shrinks_a_live_stack_without_a_failed_request() {
    let dep = Deployment::with_room("home", 3, 5, &[]);
    let mut run = dep.start();
    run.warm_up();
    let load = steady(&dep, "apply");
    let five = dep.flags_with("--replicas", "5");
    let o = trident_live("apply", &five);
    assert!(o.status.success(), "3 -> 5: {}", show(&o));
    assert_eq!(programs(&dep).len(), 6, "after 3 -> 5");
    assert_eq!(
        dep.file("nginx.conf")
            .matches("        server 127.0.0.1:")
            .count(),
        5
    );
    // The load reaches the new replicas before they go again.
    let (p3, p4) = (
        (dep.base_port + 3).to_string(),
        (dep.base_port + 4).to_string(),
    );
    load.wait_for(
        "the added replicas",
        Duration::from_secs(30),
        |_, served| served.contains(&p3) && served.contains(&p4),
    );
    let two = dep.flags_with("--replicas", "2");
    let o = trident_live("apply", &two);
    assert!(o.status.success(), "5 -> 2: {}", show(&o));
    let replies = load.stop();
    assert_no_loss(&dep, &replies, &run);
    let served: BTreeSet<String> = replies.iter().filter_map(|(_, _, r)| r.replica()).collect();
    assert_eq!(served.len(), 5, "the added replicas served too: {served:?}");
    let seen = versions(&dep, 2);
    assert_eq!(seen.len(), 2, "after 5 -> 2: {seen:?}");
    // supervisord and nginx hold exactly the spec's replicas.
    assert_eq!(
        programs(&dep),
        BTreeSet::from(["ngx".into(), "p0".into(), "p1".into()])
    );
    assert_eq!(
        dep.file("nginx.conf")
            .matches("        server 127.0.0.1:")
            .count(),
        2
    );
    // Nothing left to do.
    let o = trident_live("apply", &two);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("nothing to do"),
        "{}",
        show(&o)
    );
}

/// Runs `trident SUB flags` and sends it SIGINT once `p0` answers again after its restart;
/// returns its exit status and everything it printed.
fn interrupt_after_p0(sub: &str, flags: &[String]) -> (std::process::ExitStatus, Vec<String>) {
    let mut child = Command::new(trident_bin())
        .arg(sub)
        .args(flags)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        let first_done = line.contains("p0") && line.contains("answers through its own socket");
        lines.push(line);
        if first_done {
            trident_e2e::signal("INT", &[child.id()]);
        }
    }
    (child.wait().unwrap(), lines)
}

#[test]
fn an_interrupted_apply_keeps_what_is_left_and_the_next_one_finishes_it() {
    let dep = Deployment::new("home", 3, &[]);
    let mut run = dep.start();
    run.warm_up();
    let load = steady(&dep, "iapply");
    // Every replica's webapp.ini changes: all three are to restart, one at a time.
    let three = dep.flags_with("--workers", "3");
    let (status, lines) = interrupt_after_p0("apply", &three);
    assert_eq!(status.code(), Some(130), "{lines:#?}");
    // The signal lands while p1 restarts (or, rarely, before): the apply finishes that
    // replica, stops at the next safe point and records the rest.
    let answered = |p: &str| {
        lines
            .iter()
            .any(|l| l.contains(p) && l.contains("answers through its own socket"))
    };
    let left: Vec<&str> = ["p1", "p2"].into_iter().filter(|p| !answered(p)).collect();
    assert!(left.contains(&"p2"), "{lines:#?}");
    let pending = dep.path("run/trident-apply.pending");
    assert_eq!(
        std::fs::read_to_string(&pending).unwrap_or_default(),
        left.iter().map(|p| format!("{p}\n")).collect::<String>(),
        "the replicas still to restart are recorded: {lines:#?}"
    );
    assert!(
        !dep.file("nginx.conf").contains(" down;"),
        "an interrupted apply left a replica out"
    );
    // The files on disk are already new; only the record says p1 and p2 still run the old.
    let o = trident_live("apply", &three);
    let replies = load.stop();
    assert!(o.status.success(), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    let restarted: Vec<&str> = ["p0", "p1", "p2"]
        .into_iter()
        .filter(|p| {
            err.lines()
                .any(|l| l.contains(p) && l.contains("out of rotation"))
        })
        .collect();
    assert_eq!(
        restarted, left,
        "the second apply restarts exactly what was left:\n{err}"
    );
    assert!(!pending.exists(), "the record is gone once done");
    assert_no_loss(&dep, &replies, &run);
    assert_eq!(versions(&dep, 3).len(), 3, "every replica serves");
    let o = trident_live("apply", &three);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("nothing to do"),
        "{}",
        show(&o)
    );
}

#[test]
fn apply_refuses_when_supervisord_reads_the_change_differently_and_puts_the_files_back() {
    let dep = Deployment::with_room("home", 3, 4, &[]);
    let mut run = dep.start();
    run.warm_up();
    // supervisord runs a hand-edited p1, while the file on disk is the generated one again.
    let generated = dep.file("supervisord.conf");
    let (at, _) = generated.match_indices("[program:p1]").next().unwrap();
    let edited = format!(
        "{}{}",
        &generated[..at],
        generated[at..].replacen("stopwaitsecs = 10", "stopwaitsecs = 11", 1)
    );
    assert_ne!(edited, generated);
    std::fs::write(dep.path("etc/supervisord.conf"), &edited).unwrap();
    let o = dep.ctl(&["update"]);
    assert!(o.status.success(), "{}", show(&o));
    std::fs::write(dep.path("etc/supervisord.conf"), &generated).unwrap();
    let ini = dep.file("webapp.ini");
    let o = trident_live("apply", &dep.flags_with("--replicas", "4"));
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("differently from Trident's plan")
            && err.contains("p1 changed, which the plan keeps"),
        "{err}"
    );
    // Nothing changed: the old files, the old programs, no record of pending work.
    assert_eq!(dep.file("supervisord.conf"), generated);
    assert_eq!(dep.file("webapp.ini"), ini);
    assert_eq!(
        programs(&dep),
        BTreeSet::from(["ngx".into(), "p0".into(), "p1".into(), "p2".into()])
    );
    assert!(!dep.path("run/trident-apply.pending").exists());
    assert_eq!(versions(&dep, 3).len(), 3, "every replica still serves");
}

#[test]
fn live_commands_refuse_a_stack_that_is_not_running_or_not_the_spec() {
    let dep = Deployment::with_room("home", 3, 4, &[]);
    let o = trident_live("rollout", &dep.spec_flags);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("not running") && err.contains("nothing was changed"),
        "{err}"
    );
    let mut run = dep.start();
    run.warm_up();
    let o = trident_live("rollout", &dep.flags_with("--replicas", "4"));
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("trident apply"),
        "{}",
        show(&o)
    );
}
