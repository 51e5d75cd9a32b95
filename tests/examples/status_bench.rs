//! What `trident status` costs: the whole process on an idle stack of 3 and of 64 replicas,
//! and what the stats server costs a replica's throughput (the same load with and without
//! the `stats` line); prints Markdown for BENCHMARKS.md
//! (`cargo run -p trident-e2e --example status_bench`).

use std::process::Command;
use std::time::{Duration, Instant};

use trident_e2e::{load, trident_bin, Deployment};

/// Runs `trident status` `n` times after 3 warm-up runs; (median, min, max) in ms.
fn time_status(dep: &Deployment, n: usize) -> (f64, f64, f64) {
    let once = || {
        let t = Instant::now();
        let o = Command::new(trident_bin())
            .arg("status")
            .args(&dep.spec_flags)
            .output()
            .expect("run trident status");
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        assert!(
            o.status.success(),
            "status did not say serving:\n{}",
            String::from_utf8_lossy(&o.stdout)
        );
        ms
    };
    for _ in 0..3 {
        once();
    }
    let mut ms: Vec<f64> = (0..n).map(|_| once()).collect();
    ms.sort_by(f64::total_cmp);
    (ms[n / 2], ms[0], ms[n - 1])
}

/// Waits (at most `limit`) until `trident status` exits 0: every replica serves.
fn wait_serving(dep: &Deployment, limit: Duration) {
    let t = Instant::now();
    loop {
        let o = Command::new(trident_bin())
            .arg("status")
            .args(&dep.spec_flags)
            .output()
            .unwrap();
        if o.status.success() {
            return;
        }
        assert!(
            t.elapsed() < limit,
            "not serving within {limit:?}:\n{}",
            String::from_utf8_lossy(&o.stdout)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Requests per second of `n` GETs through nginx from 8 clients.
fn throughput(dep: &Deployment, n: usize) -> f64 {
    let t = Instant::now();
    let replies = load(dep.listen, n, 8, "GET", "/", "tp", Duration::from_secs(30));
    let secs = t.elapsed().as_secs_f64();
    assert!(replies.iter().all(|r| r.status == 200));
    n as f64 / secs
}

fn main() {
    println!("Whole process (`trident status`, table on stdout), idle stack, 30 runs after 3 warm-ups. Each run asks supervisord, nginx's status socket, every replica's stats socket and every replica `GET /` (in parallel).\n");
    println!("| replicas | median | min | max |");
    println!("|---|---|---|---|");
    for (replicas, args) in [
        (3u16, vec![]),
        (64, vec!["--workers", "1", "--threads", "1"]),
    ] {
        let dep = Deployment::new("home", replicas, &args);
        let mut run = dep.start();
        run.warm_up();
        wait_serving(&dep, Duration::from_secs(180));
        let (median, min, max) = time_status(&dep, 30);
        let shape = if replicas == 64 {
            " (1 worker, 1 thread each)"
        } else {
            ""
        };
        println!("| {replicas}{shape} | {median:.1} ms | {min:.1} ms | {max:.1} ms |");
        run.shutdown();
    }

    println!("\nThe stats server's cost: 3 replicas (2 workers x 2 threads), 6,000 GET / through nginx from 8 clients (a new connection per request), the generated webapp.ini against the same file without its `stats` line; three rounds, alternating.\n");
    println!("| round | with stats | without stats |");
    println!("|---|---|---|");
    let with = Deployment::new("home", 3, &[]);
    let without = Deployment::new("home", 3, &[]);
    let ini = without.path("etc/webapp.ini");
    let text = std::fs::read_to_string(&ini).unwrap();
    let stripped: String = text
        .lines()
        .filter(|l| !l.starts_with("stats = "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(text, stripped, "webapp.ini has no stats line");
    std::fs::write(&ini, stripped).unwrap();
    let (mut sum_with, mut sum_without) = (0.0, 0.0);
    for round in 1..=3 {
        let mut rates = [0.0; 2];
        for (i, dep) in [&with, &without].into_iter().enumerate() {
            let mut run = dep.start();
            run.warm_up();
            throughput(dep, 600);
            rates[i] = throughput(dep, 6_000);
            run.shutdown();
        }
        sum_with += rates[0];
        sum_without += rates[1];
        println!(
            "| {round} | {:.0} req/s | {:.0} req/s |",
            rates[0], rates[1]
        );
    }
    println!(
        "\nMean: {:.0} req/s with stats, {:.0} without ({:+.1}%).",
        sum_with / 3.0,
        sum_without / 3.0,
        (sum_with / sum_without - 1.0) * 100.0
    );
}
