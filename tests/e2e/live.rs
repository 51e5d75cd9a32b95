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
    // The app's request log is written as each request finishes: give the last ones a moment.
    std::thread::sleep(Duration::from_millis(200));
    let runs = dep.runs("");
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
    std::thread::sleep(Duration::from_millis(500));
    let o = trident_live("rollout", &dep.spec_flags);
    std::thread::sleep(Duration::from_millis(500));
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
    let mut child = Command::new(trident_bin())
        .arg("rollout")
        .args(&dep.spec_flags)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Ctrl+C once the first replica answers again.
    let stderr = child.stderr.take().unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        let first_done = line.contains("p0") && line.contains("answers through its own socket");
        lines.push(line);
        if first_done {
            trident_e2e::signal("INT", &[child.id()]);
            break;
        }
    }
    let status = child.wait().unwrap();
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
    // Let the load reach the new replicas before they go again.
    std::thread::sleep(Duration::from_secs(2));
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
