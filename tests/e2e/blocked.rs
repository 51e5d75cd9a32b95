//! One replica blocked, both ways REAL-SERVERS.md measured: its view sleeping (slow I/O) and
//! its processes stopped with SIGSTOP (hung). Requests one at a time and several at once,
//! GET and POST, under Trident's defaults. Timings are reported, not asserted; what is
//! asserted is what must hold on any machine.

use std::time::{Duration, Instant};

use trident_e2e::{load, signal, Deployment, Reply};

/// Sums up one run for the report lines.
fn summary(label: &str, replies: &[Reply], total: Duration) -> String {
    let mut took: Vec<Duration> = replies.iter().map(|r| r.took).collect();
    took.sort();
    let pct = |p: f64| took[((took.len() as f64 * p).ceil() as usize).clamp(1, took.len()) - 1];
    let failed = replies.iter().filter(|r| r.status != 200).count();
    format!(
        "{label}: {} requests in {total:.2?}, p50 {:.1?}, p99 {:.2?}, non-200 {failed}",
        replies.len(),
        pct(0.5),
        pct(0.99)
    )
}

#[test]
fn slow_replica_with_concurrent_clients_gets_no_new_request_while_busy() {
    let dep = Deployment::new("home", 3, &[]);
    let mut run = dep.start();
    run.wait_ready(Duration::from_secs(30));
    let slow = (dep.base_port + 1).to_string();
    let path = format!("/slow?who={slow}&secs=3");
    for method in ["GET", "POST"] {
        let t = Instant::now();
        let replies = load(
            dep.listen,
            30,
            3,
            method,
            &path,
            &format!("slow-{method}"),
            Duration::from_secs(30),
        );
        eprintln!(
            "{}",
            summary(
                &format!("least_conn, slow p1, {method} x3"),
                &replies,
                t.elapsed()
            )
        );
        assert!(
            replies.iter().all(|r| r.status == 200),
            "{method}: {replies:?}\n{}",
            run.logs()
        );
    }
    // The slow replica's requests never overlap: nginx sent it nothing new while it was busy.
    let mut on_slow: Vec<(f64, f64)> = dep
        .completed()
        .into_iter()
        .filter(|c| c.1 == slow && c.0.starts_with("slow-"))
        .map(|c| (c.2, c.3))
        .collect();
    on_slow.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(
        !on_slow.is_empty(),
        "the slow replica got no request at all"
    );
    for w in on_slow.windows(2) {
        assert!(
            w[1].0 >= w[0].1 - 0.05,
            "p1 got a request at {} while busy until {}",
            w[1].0,
            w[0].1
        );
    }
    eprintln!("slow replica served {} of 60 requests", on_slow.len());
}

#[test]
fn hung_replica_delays_only_requests_already_queued_on_it() {
    const READ_TIMEOUT: u64 = 4;
    let bound = Duration::from_secs(READ_TIMEOUT + 3);
    let mut report = Vec::new();
    // Each traffic pattern on a fresh stack: once nginx marks p1 down, later requests would
    // never meet the hung replica.
    for (method, clients) in [("GET", 3), ("POST", 3), ("GET", 1), ("POST", 1)] {
        let dep = Deployment::new("home", 3, &["--read-timeout", "4"]);
        let mut run = dep.start();
        // Every replica loaded, so only the stop is being measured.
        run.warm_up();
        let hung = run.freeze("p1");
        let tag = format!("hung-{method}-{clients}");
        let t = Instant::now();
        let replies = load(
            dep.listen,
            30,
            clients,
            method,
            "/",
            &tag,
            Duration::from_secs(60),
        );
        report.push(summary(
            &format!("least_conn, p1 SIGSTOP, {method} x{clients}"),
            &replies,
            t.elapsed(),
        ));
        let queued: Vec<&Reply> = replies
            .iter()
            .filter(|r| r.took >= Duration::from_secs(READ_TIMEOUT) - Duration::from_millis(200))
            .collect();
        for r in &replies {
            assert!(
                r.took < bound,
                "{tag}: a request took {:?}, beyond read_timeout {READ_TIMEOUT}s",
                r.took
            );
            if !queued.iter().any(|q| std::ptr::eq(*q, r)) {
                assert_eq!(
                    r.status,
                    200,
                    "{tag}: a request not queued on p1 failed: {r:?}\n{}",
                    run.logs()
                );
            }
        }
        for q in &queued {
            // A GET is retried on another replica; a POST is not (nginx never resends it).
            let want = if method == "GET" { 200 } else { 504 };
            assert_eq!(q.status, want, "{tag}: queued request ended {q:?}");
        }
        assert!(
            queued.len() <= 3,
            "{tag}: {} requests waited on the hung replica",
            queued.len()
        );
        // Resume it: the kernel had accepted the queued requests, and p1 now runs them.
        signal("CONT", &hung);
        let deadline = Instant::now() + Duration::from_secs(10);
        let ran = |dep: &Deployment| {
            dep.completed()
                .iter()
                .filter(|c| c.0.starts_with(&tag))
                .count()
        };
        while ran(&dep) < 30 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let runs = dep.runs(&tag);
        let twice = runs.values().filter(|&&n| n > 1).count();
        report.push(format!(
            "  {} queued on p1 (waited read_timeout); executed twice: {twice}; executed in all: {}",
            queued.len(),
            runs.len()
        ));
        if method == "POST" {
            assert_eq!(
                twice, 0,
                "{tag}: a POST ran twice: non_idempotent retries must stay off"
            );
        }
        assert_eq!(
            runs.len(),
            30,
            "{tag}: every request runs somewhere, eventually"
        );
    }
    for line in &report {
        eprintln!("{line}");
    }
}
