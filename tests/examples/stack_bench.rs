//! Real-stack figures for BENCHMARKS.md (run by `cargo xtask bench`): time from
//! `supervisord -n` to the first 200 through nginx, and latency, failures and double
//! executions with one replica blocked, for the seed's round-robin and Trident's options.
//! Prints Markdown.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use trident_e2e::{load, signal, Deployment, Reply};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let starts: usize = std::env::var("STARTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    println!("### Start to first 200\n");
    let dep = Deployment::new("home", 3, &[]);
    let mut firsts = Vec::new();
    for _ in 0..starts {
        let mut run = dep.start();
        firsts.push(run.wait_ready(Duration::from_secs(30)));
        run.shutdown();
    }
    firsts.sort();
    println!(
        "`supervisord -n` to the first 200 through nginx (defaults, 3 replicas), {starts} starts: median **{}**, min {}, max {}.\n",
        ms(firsts[starts / 2]),
        ms(firsts[0]),
        ms(firsts[starts - 1])
    );

    println!("### One replica blocked\n");
    println!("3 replicas with 1 worker x 1 thread each (one request slot, as in REAL-SERVERS.md section 4), fresh stack per row. SLOW: p1's view sleeps 2 s per request. STOP: SIGSTOP to p1's master and workers after warm-up; SIGCONT after the traffic, then p1 drains its queue. \"ran twice\" counts requests the app completed on two replicas; \"failed but ran\" counts non-200 answers whose request still ran.\n");
    println!("| variant | blocking | traffic | total | p50 | p99 | non-200 | ran twice | failed but ran |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let variants: &[(&str, &[&str])] = &[
        ("seed: round-robin", &["--balance", "round_robin"]),
        ("Trident default: least_conn", &[]),
        ("+ --max-conns 1", &["--max-conns", "1"]),
        (
            "+ --listen-backlog 1 --connect-timeout 1",
            &["--listen-backlog", "1", "--connect-timeout", "1"],
        ),
        ("+ --read-timeout 5", &["--read-timeout", "5"]),
        ("+ --harakiri 1", &["--harakiri", "1"]),
    ];
    for (name, args) in variants {
        let mut rows: Vec<(&str, &str, usize, usize)> =
            vec![("SLOW", "GET", 30, 3), ("SLOW", "GET", 10, 1)];
        if !args.contains(&"--harakiri") {
            // harakiri is enforced by the uWSGI master, which SIGSTOP stops too.
            rows.push(("STOP", "GET", 30, 3));
        }
        if name.starts_with("Trident default") || args.contains(&"--read-timeout") {
            rows.push(("STOP", "POST", 10, 1));
        }
        for (blocking, method, n, clients) in rows {
            let mut all: Vec<&str> = vec!["--workers", "1", "--threads", "1"];
            all.extend_from_slice(args);
            let dep = Deployment::new("home", 3, &all);
            let mut run = dep.start();
            run.warm_up();
            let p1 = (dep.base_port + 1).to_string();
            let (path, hung) = if blocking == "SLOW" {
                (format!("/slow?who={p1}&secs=2"), Vec::new())
            } else {
                ("/".to_string(), run.freeze("p1"))
            };
            let tag = format!("b-{blocking}-{method}-{clients}");
            let t = Instant::now();
            let replies: Vec<Reply> = load(
                dep.listen,
                n,
                clients,
                method,
                &path,
                &tag,
                Duration::from_secs(200),
            );
            let total = t.elapsed();
            signal("CONT", &hung);
            // Let p1 finish what it had queued or was sleeping on.
            let deadline = Instant::now() + Duration::from_secs(15);
            let done = |dep: &Deployment| {
                dep.completed()
                    .iter()
                    .filter(|c| c.0.starts_with(&tag))
                    .count()
            };
            while done(&dep) < n && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            std::thread::sleep(Duration::from_millis(500));
            let runs = dep.runs(&tag);
            let mut took: Vec<Duration> = replies.iter().map(|r| r.took).collect();
            took.sort();
            let failed: Vec<usize> = replies
                .iter()
                .enumerate()
                .filter(|(_, r)| r.status != 200)
                .map(|(i, _)| i)
                .collect();
            let codes: BTreeMap<u16, usize> =
                replies
                    .iter()
                    .filter(|r| r.status != 200)
                    .fold(BTreeMap::new(), |mut m, r| {
                        *m.entry(r.status).or_default() += 1;
                        m
                    });
            let non200 = if failed.is_empty() {
                "0".to_string()
            } else {
                codes
                    .iter()
                    .map(|(c, k)| format!("{k}x{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let twice = runs.values().filter(|&&k| k > 1).count();
            let failed_but_ran = failed
                .iter()
                .filter(|i| runs.contains_key(&format!("{tag}-{i}")))
                .count();
            println!(
                "| {name} | {blocking} | {n} {method} x{clients} | {:.2} s | {} | {} | {non200} | {twice} | {failed_but_ran} |",
                total.as_secs_f64(),
                ms(pct(&took, 0.5)),
                ms(pct(&took, 0.99))
            );
            run.shutdown();
        }
    }
}
