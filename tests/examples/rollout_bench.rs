//! What a rollout costs: a 3-replica stack under steady load (4 clients: GET, POST, 0.3 s
//! GET), latency for 10 s of steady state, then during `trident rollout`; prints a Markdown
//! table for BENCHMARKS.md (`cargo run -p trident-e2e --example rollout_bench`).

use std::process::Command;
use std::time::{Duration, Instant};

use trident_e2e::{fast_latency as stats, trident_bin, Deployment, Steady};

fn main() {
    let dep = Deployment::new("home", 3, &[]);
    let mut run = dep.start();
    run.warm_up();
    let steady = Steady::start(dep.listen, 4, "steady", 20_000, Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(10));
    let steady = stats(&steady.stop());

    std::fs::write(dep.path("app/app/VERSION"), "2").unwrap();
    let load = Steady::start(dep.listen, 4, "rollout", 20_000, Duration::from_secs(300));
    let t = Instant::now();
    let o = Command::new(trident_bin())
        .arg("rollout")
        .args(&dep.spec_flags)
        .output()
        .expect("run trident rollout");
    let took = t.elapsed();
    let during = stats(&load.stop());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    println!("3 replicas (2 workers x 2 threads), 4 clients in a loop: GET /, POST /, GET /slow (0.3 s). Latency over the GETs and POSTs that do not sleep; the slow GETs count in requests and failures.\n");
    println!("| phase | duration | requests | failed | p50 | p99 | max |");
    println!("|---|---|---|---|---|---|---|");
    for (name, d, (n, failed, p50, p99, max)) in [
        ("steady state", Duration::from_secs(10), steady),
        ("during `trident rollout`", took, during),
    ] {
        println!(
            "| {name} | {:.1} s | {n} | {failed} | {p50:.1} ms | {p99:.1} ms | {max:.1} ms |",
            d.as_secs_f64()
        );
    }
    println!(
        "\nRollout per replica (its own report):\n\n```\n{}```",
        String::from_utf8_lossy(&o.stderr)
            .lines()
            .skip_while(|l| !l.starts_with("replica"))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    );
}
