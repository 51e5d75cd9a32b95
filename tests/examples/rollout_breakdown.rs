//! Where a rollout's latency comes from. Under the load of `rollout_bench` (3 replicas, 4
//! clients: GET, POST, 0.3 s GET), each ingredient of a rollout alone for the same time:
//! nginx reloads, one replica out of rotation, one replica restarting while out of rotation
//! (its app starting on the cores the others serve from), then `trident rollout` itself.
//! Prints a Markdown table (`cargo run --release -p trident-e2e --example rollout_breakdown`).

use std::process::Command;
use std::time::{Duration, Instant};

use trident_e2e::{fast_latency, trident_bin, Deployment, Steady};
use trident_live::probe::{self, Endpoint};

const PHASE: Duration = Duration::from_secs(10);

/// Runs `during` under the steady load; the load's figures and how long it ran.
fn measure(
    dep: &Deployment,
    tag: &str,
    during: impl FnOnce(),
) -> ((usize, usize, f64, f64, f64), Duration) {
    let load = Steady::start(dep.listen, 4, tag, 20_000, Duration::from_secs(300));
    let t = Instant::now();
    during();
    let took = t.elapsed();
    (fast_latency(&load.stop()), took)
}

/// nginx.conf with replica 0 marked `down`, as rollout writes it.
fn with_p0_down(conf: &str, port: u16) -> String {
    let server = format!("server 127.0.0.1:{port} ");
    conf.lines()
        .map(|l| {
            if l.trim_start().starts_with(&server) {
                l.replacen(";", " down;", 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn reload(dep: &Deployment) {
    let o = dep.ctl(&["signal", "HUP", "ngx"]);
    assert!(o.status.success(), "{o:?}");
}

/// Restarts p0 and waits until it answers through its own socket.
fn restart_p0(dep: &Deployment) {
    let o = dep.ctl(&["restart", "p0"]);
    assert!(o.status.success(), "{o:?}");
    let endpoint = Endpoint::Tcp(format!("127.0.0.1:{}", dep.base_port));
    let t = Instant::now();
    while !matches!(probe::status(&endpoint, "localhost", Duration::from_secs(5)), Ok(s) if s < 500)
    {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "p0 did not come back"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn main() {
    let dep = Deployment::new("home", 3, &[]);
    let mut run = dep.start();
    run.warm_up();
    let conf_path = dep.path("etc/nginx.conf");
    let conf = std::fs::read_to_string(&conf_path).unwrap();
    let mut rows = Vec::new();

    rows.push((
        "steady state",
        measure(&dep, "steady", || std::thread::sleep(PHASE)),
    ));
    rows.push((
        "nginx reloaded every 2 s (a rollout of 3 reloads 4 times)",
        measure(&dep, "reload", || {
            for _ in 0..5 {
                reload(&dep);
                std::thread::sleep(Duration::from_secs(2));
            }
        }),
    ));
    std::fs::write(&conf_path, with_p0_down(&conf, dep.base_port)).unwrap();
    reload(&dep);
    std::thread::sleep(Duration::from_secs(1));
    rows.push((
        "one replica out of rotation (2 of 3 serve)",
        measure(&dep, "out", || std::thread::sleep(PHASE)),
    ));
    rows.push((
        "that replica restarting, in a loop (its app starts beside the others)",
        measure(&dep, "restart", || {
            let t = Instant::now();
            while t.elapsed() < PHASE {
                restart_p0(&dep);
            }
        }),
    ));
    std::fs::write(&conf_path, &conf).unwrap();
    reload(&dep);
    std::thread::sleep(Duration::from_secs(2));
    rows.push((
        "`trident rollout`",
        measure(&dep, "rollout", || {
            let o = Command::new(trident_bin())
                .arg("rollout")
                .args(&dep.spec_flags)
                .output()
                .expect("run trident rollout");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }),
    ));

    println!("| phase | duration | requests | failed | p50 | p99 | max |");
    println!("|---|---|---|---|---|---|---|");
    for (name, ((n, failed, p50, p99, max), took)) in rows {
        println!(
            "| {name} | {:.1} s | {n} | {failed} | {p50:.1} ms | {p99:.1} ms | {max:.1} ms |",
            took.as_secs_f64()
        );
    }
}
