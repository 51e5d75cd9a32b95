//! The expert settings Trident decided by measurement (docs/guide.md, "Expert settings"):
//! each one against its alternative on a real stack, the generated file edited for the
//! alternative. Prints Markdown (`cargo run --release -p trident-e2e --example options_bench`).
//!
//! - `uwsgi_buffering` (nginx's default, kept) against off: a client that reads a 32 MiB
//!   answer slowly, and how long a second request waits for the replica's only worker;
//! - `worker_processes` 1 (nginx's default, kept) against `auto`: throughput and latency;
//! - `lazy-apps` (off, kept) against on: memory of a replica with 4 workers, start time;
//! - `enable-threads` (not written) against on with one thread per worker: whether a
//!   background thread of the app runs while the worker waits for requests, and whether the
//!   app runs in Python's main interpreter (what `single-interpreter` would ensure).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use trident_e2e::{http, load, Deployment};

const ROUNDS: usize = 2;

fn edit(dep: &Deployment, file: &str, from: &str, to: &str) {
    let path = dep.path(&format!("etc/{file}"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// A slow client holds a 32 MiB answer unread for `hold`; after 300 ms another request is
/// sent. Returns how long that one took, how long the slow client's answer took in all, and
/// how many bytes of it arrived.
fn slow_reader(buffering: bool) -> (Duration, Duration, usize) {
    let dep = Deployment::new("home", 1, &["--workers", "1", "--threads", "1"]);
    if !buffering {
        edit(
            &dep,
            "nginx.conf",
            "uwsgi_pass triple;",
            "uwsgi_pass triple;\n            uwsgi_buffering off;",
        );
    }
    let mut run = dep.start();
    run.warm_up();
    let hold = Duration::from_secs(3);
    let t = Instant::now();
    let mut slow = TcpStream::connect(("127.0.0.1", dep.listen)).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        slow,
        "GET /big?kb=32768 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let r = http("GET", dep.listen, "/", "after", Duration::from_secs(30));
    assert_eq!(r.status, 200, "{r:?}\n{}", run.logs());
    let waited = r.took;
    std::thread::sleep(hold.saturating_sub(t.elapsed()));
    let mut sink = Vec::new();
    let _ = slow.read_to_end(&mut sink);
    (waited, t.elapsed(), sink.len())
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// 6,000 GETs through 16 clients (a connection each): requests per second, p50, p99.
fn throughput(auto: bool) -> (f64, f64, f64) {
    let dep = Deployment::new("home", 3, &[]);
    if auto {
        edit(
            &dep,
            "nginx.conf",
            "daemon off;",
            "worker_processes auto;\ndaemon off;",
        );
    }
    let mut run = dep.start();
    run.warm_up();
    let n = 6_000;
    let t = Instant::now();
    let replies = load(dep.listen, n, 16, "GET", "/", "tp", Duration::from_secs(30));
    let took = t.elapsed();
    assert!(replies.iter().all(|r| r.status == 200), "{}", run.logs());
    let mut times: Vec<Duration> = replies.iter().map(|r| r.took).collect();
    times.sort();
    (
        n as f64 / took.as_secs_f64(),
        pct(&times, 0.5),
        pct(&times, 0.99),
    )
}

/// Sum of `Pss:` and `Rss:` over `pids`, in MiB.
fn memory(pids: &[u32]) -> (f64, f64) {
    let (mut pss, mut rss) = (0u64, 0u64);
    for pid in pids {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            continue;
        };
        for line in text.lines() {
            let kib = |l: &str| -> u64 {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0)
            };
            if line.starts_with("Pss:") {
                pss += kib(line);
            } else if line.starts_with("Rss:") {
                rss += kib(line);
            }
        }
    }
    (pss as f64 / 1024.0, rss as f64 / 1024.0)
}

/// One replica with 4 workers: (PSS MiB, RSS MiB, start to first 200).
fn lazy(on: bool) -> (f64, f64, Duration) {
    let dep = Deployment::new("home", 1, &["--workers", "4"]);
    if on {
        edit(
            &dep,
            "webapp.ini",
            "master = true",
            "master = true\nlazy-apps = true",
        );
    }
    let mut run = dep.start();
    let first = run.wait_ready(Duration::from_secs(30));
    // Every worker serves, so each has touched what a request touches.
    let replies = load(
        dep.listen,
        200,
        8,
        "GET",
        "/",
        "mem",
        Duration::from_secs(10),
    );
    assert!(replies.iter().all(|r| r.status == 200), "{}", run.logs());
    std::thread::sleep(Duration::from_millis(300));
    let (pss, rss) = memory(&run.program_pids("p0"));
    (pss, rss, first)
}

/// With one thread per worker: the ticks a background thread of the app counted in 1 s
/// while its worker waited for the next request, and whether the app ran in the main
/// interpreter.
fn ticker(threads: &str, enable: bool) -> (u64, String) {
    let dep = Deployment::new("home", 1, &["--workers", "1", "--threads", threads]);
    if enable {
        edit(
            &dep,
            "webapp.ini",
            "master = true",
            "master = true\nenable-threads = true",
        );
    }
    let mut run = dep.start();
    run.warm_up();
    let ask = || {
        let r = http(
            "GET",
            dep.listen,
            "/ticker",
            "tick",
            Duration::from_secs(10),
        );
        assert_eq!(r.status, 200, "{r:?}");
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        (
            v["ticks"].as_u64().unwrap(),
            v["main_interpreter"].as_str().unwrap_or("").to_string(),
        )
    };
    let (before, _) = ask();
    std::thread::sleep(Duration::from_secs(1));
    let (after, main) = ask();
    (after - before, main)
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// Whether `section` runs: all of them, or those `OPTIONS` lists (comma-separated).
fn wanted(section: &str) -> bool {
    std::env::var("OPTIONS").map_or(true, |v| v.split(',').any(|s| s == section))
}

fn main() {
    if wanted("buffering") {
        buffering();
    }
    if wanted("workers") {
        workers();
    }
    if wanted("lazy") {
        lazy_apps();
    }
    if wanted("threads") {
        threads();
    }
}

fn buffering() {
    println!("### `uwsgi_buffering`\n");
    println!("One replica with one worker of one thread. A client asks for a 32 MiB answer and reads nothing for 3 s; 300 ms after it, a second client sends `GET /`. {ROUNDS} rounds each.\n");
    println!("| nginx | second request waited | slow client's answer took | of it arrived |");
    println!("|---|---|---|---|");
    for _ in 0..ROUNDS {
        for on in [true, false] {
            let (waited, slow, bytes) = slow_reader(on);
            let name = if on {
                "`uwsgi_buffering on` (nginx's default)"
            } else {
                "`uwsgi_buffering off`"
            };
            let body = bytes.saturating_sub(200) as f64 / f64::from(1 << 20);
            println!(
                "| {name} | {} | {} | {body:.1} of 32 MiB |",
                ms(waited),
                ms(slow)
            );
        }
    }
}

fn workers() {
    println!("\n### `worker_processes`\n");
    println!("3 replicas (2 workers of 2 threads), 6,000 `GET /` through 16 clients, a new connection each. Alternating, {ROUNDS} rounds.\n");
    println!("| nginx | requests/s | p50 | p99 |");
    println!("|---|---|---|---|");
    for _ in 0..ROUNDS {
        for auto in [false, true] {
            let (rps, p50, p99) = throughput(auto);
            let name = if auto {
                "`worker_processes auto` (one per core)"
            } else {
                "`worker_processes 1` (nginx's default)"
            };
            println!("| {name} | {rps:.0} | {p50:.1} ms | {p99:.1} ms |");
        }
    }
}

fn lazy_apps() {
    println!("\n### `lazy-apps`\n");
    println!("One replica with 4 workers, after 200 requests; memory summed over the master and its workers from `/proc/PID/smaps_rollup` (PSS counts a shared page once in all).\n");
    println!("| uWSGI | PSS | RSS | start to first 200 |");
    println!("|---|---|---|---|");
    for _ in 0..ROUNDS {
        for on in [false, true] {
            let (pss, rss, first) = lazy(on);
            let name = if on {
                "`lazy-apps = true` (the app loaded in each worker)"
            } else {
                "app loaded once, workers forked (uWSGI's default)"
            };
            println!("| {name} | {pss:.1} MiB | {rss:.1} MiB | {} |", ms(first));
        }
    }
}

fn threads() {
    println!("\n### `enable-threads`\n");
    println!("One replica with one worker. The app starts a thread that counts every 10 ms (as a metrics or error-reporting thread does); the counts are what it counted during 1 s in which the worker waited for the next request (100 means it ran all the time).\n");
    println!("| uWSGI | ticks in 1 s idle | app in the main interpreter |");
    println!("|---|---|---|");
    for (threads, enable, name) in [
        (
            "1",
            false,
            "`threads = 1` (uWSGI logs \"Python threads support is disabled\")",
        ),
        ("1", true, "`threads = 1`, `enable-threads = true`"),
        ("2", false, "`threads = 2` (Trident's default)"),
    ] {
        let (ticks, main) = ticker(threads, enable);
        println!("| {name} | {ticks} | {main} |");
    }
}
