//! App hosts behind one load balancer, proven on real hosts on one machine: network
//! namespaces joined by a bridge stand in for a load balancer, three app hosts and a client.
//! Each host runs its own bundle under its own supervisord with its own view of the home
//! directory, and the app hosts load their generated nftables rules.

use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use trident_e2e::netns::{Net, NETNS_NEEDS};
use trident_e2e::{copy_tree, django_fixture, http_at, require_tools, trident, Reply};

const LB: &str = "10.77.0.10";
const CLIENT: &str = "10.77.0.100";
/// `(role, address, base port)`; two replicas each.
const APP_HOSTS: [(&str, &str, u16); 3] = [
    ("web1", "10.77.0.11", 9000),
    ("web2", "10.77.0.12", 9100),
    ("web3", "10.77.0.13", 9200),
];
const LISTEN: u16 = 8000;
/// The spec's connect timeout with hosts (its default): how long a host that drops packets
/// can hold a request before nginx tries the next replica and marks it failed.
const DETECTION: Duration = Duration::from_secs(2);

fn site() -> SocketAddr {
    format!("{LB}:{LISTEN}").parse().unwrap()
}

fn get(tag: &str, timeout: Duration) -> Reply {
    http_at(site(), "GET", "/", &[("X-Request-Id", tag)], b"", timeout)
}

/// Polls until `addr` accepts a TCP connection, at most `limit`.
fn wait_accepts(addr: SocketAddr, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// `clients` concurrent clients sending GET / for `length`, each pausing 10 ms between
/// requests (at most `limit` requests in all); every request as (seconds after the window began, reply).
fn window(clients: usize, length: Duration, limit: usize, tag: &str) -> Vec<(f64, Reply)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let sent = AtomicUsize::new(0);
    let began = Instant::now();
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..clients)
            .map(|c| {
                let (sent, began) = (&sent, began);
                s.spawn(move || {
                    let mut out = Vec::new();
                    while began.elapsed() < length && sent.fetch_add(1, Ordering::Relaxed) < limit {
                        let at = began.elapsed().as_secs_f64();
                        let r = get(&format!("{tag}-{c}-{}", out.len()), Duration::from_secs(20));
                        out.push((at, r));
                        // Paced, so the window spans its whole length.
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    out
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    })
}

/// `(count, failed, p50, p99, max)` of the replies' latency, in milliseconds.
fn summary(replies: &[&(f64, Reply)]) -> (usize, usize, f64, f64, f64) {
    let mut ms: Vec<f64> = replies
        .iter()
        .map(|(_, r)| r.took.as_secs_f64() * 1e3)
        .collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| {
        ms.get(((ms.len() as f64 * q) as usize).min(ms.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    let failed = replies.iter().filter(|(_, r)| r.status != 200).count();
    (ms.len(), failed, at(0.5), at(0.99), at(1.0))
}

/// Requests that started at least `after` into the window must all succeed; reports the
/// latency before and after.
fn assert_no_failure_after(what: &str, replies: &[(f64, Reply)], after: Duration) {
    let (early, late): (Vec<_>, Vec<_>) = replies
        .iter()
        .partition(|(at, _)| *at < after.as_secs_f64());
    let e = summary(&early);
    let l = summary(&late);
    eprintln!(
        "{what}: before {after:?}: {} requests, {} failed, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; after: {} requests, {} failed, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        e.0, e.1, e.2, e.3, e.4, l.0, l.1, l.2, l.3, l.4
    );
    assert!(
        l.0 >= 20,
        "{what}: too few requests after {after:?} to judge: {}",
        l.0
    );
    let failed: Vec<_> = late
        .iter()
        .filter(|(_, r)| r.status != 200)
        .map(|(at, r)| (*at, r.status, r.body.chars().take(200).collect::<String>()))
        .collect();
    assert!(
        failed.is_empty(),
        "{what}: requests failed later than {after:?} after it began: {failed:?}"
    );
    // No request, early or late, waits much past the connect timeout: that is the bound on
    // detection (a 60 s timeout makes some wait for the client's 20 s and fail). The slack
    // is for a loaded 2-core machine; unaffected requests take milliseconds.
    let bound = after + Duration::from_secs(3);
    let slow: Vec<_> = replies
        .iter()
        .filter(|(_, r)| r.took > bound)
        .map(|(at, r)| (*at, r.status, r.took))
        .collect();
    assert!(
        slow.is_empty(),
        "{what}: requests waited past {bound:?}: {slow:?}"
    );
}

fn connect_refused(addr: SocketAddr) -> Result<(), String> {
    match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
        Ok(_) => Err(format!("{addr} accepted a connection")),
        Err(e) => {
            eprintln!("client -> {addr}: {e}");
            Ok(())
        }
    }
}

#[test]
fn app_hosts_behind_one_load_balancer_survive_a_stopped_and_a_cut_host() {
    require_tools();
    for (path, what) in [("/usr/sbin/nft", "nftables"), ("/usr/sbin/ip", "iproute2")] {
        assert!(
            Path::new(path).exists(),
            "{path} ({what}) is missing; the test needs {NETNS_NEEDS}"
        );
    }
    let mut roles: Vec<(&str, &str)> = vec![("lb", LB), ("client", CLIENT)];
    roles.extend(APP_HOSTS.iter().map(|(r, a, _)| (*r, *a)));
    let mut net = Net::new(&roles, 24);

    let dir = tempfile::Builder::new()
        .prefix("trident-hosts-")
        .tempdir()
        .unwrap();
    let home = dir.path().join("home");
    let out = dir.path().join("out");
    fs::create_dir_all(&home).unwrap();
    let home_s = home.to_str().unwrap();
    let hosts: Vec<String> = APP_HOSTS
        .iter()
        .map(|(r, a, p)| format!("{r}={a}:2:{p}"))
        .collect();
    let listen = LISTEN.to_string();
    let request_log = format!("TRIDENT_TEST_LOG={home_s}/log/requests.log");
    let mut args = vec![
        "generate",
        "--home",
        home_s,
        "--listen-address",
        LB,
        "--listen",
        &listen,
        "--lb-address",
        LB,
        // In-flight requests to a host that is cut off wait this long, then go elsewhere.
        "--read-timeout",
        "5",
        "--env",
        &request_log,
        "--out",
        out.to_str().unwrap(),
    ];
    for h in &hosts {
        args.extend(["--host", h]);
    }
    args.extend_from_slice(trident_e2e::stack_user_flags());
    let o = trident(&args);
    assert!(
        o.status.success(),
        "trident {args:?}:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut listing: Vec<String> = Vec::new();
    for role in ["lb", "web1", "web2", "web3"] {
        for e in fs::read_dir(out.join(role)).unwrap() {
            listing.push(format!(
                "{role}/{}",
                e.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    listing.sort();
    assert_eq!(
        listing,
        [
            "lb/nginx.conf",
            "lb/supervisord.conf",
            "web1/nftables.conf",
            "web1/supervisord.conf",
            "web1/webapp.ini",
            "web2/nftables.conf",
            "web2/supervisord.conf",
            "web2/webapp.ini",
            "web3/nftables.conf",
            "web3/supervisord.conf",
            "web3/webapp.ini",
        ]
    );

    // Each host's own filesystem: its bundle in etc/, its app, run and log directories.
    for role in ["lb", "web1", "web2", "web3"] {
        let root = dir.path().join(role);
        copy_tree(&out.join(role), &root.join("etc"));
        for sub in ["run", "log"] {
            fs::create_dir_all(root.join(sub)).unwrap();
        }
        if role != "lb" {
            copy_tree(&django_fixture(), &root.join("app"));
            trident_e2e::app_writable(&root.join("log/requests.log"));
        }
    }
    // nginx workers run as nobody when the suite runs as root: let them traverse.
    let _ = std::process::Command::new("chmod")
        .args(["-R", "a+rX", dir.path().to_str().unwrap()])
        .status();
    for role in ["lb", "web1", "web2", "web3"] {
        trident_e2e::status_dir(&dir.path().join(role).join("run/status"));
    }

    for (role, _, _) in APP_HOSTS {
        net.start_supervisord(role, &dir.path().join(role), &home);
    }
    let web1_port: SocketAddr = "10.77.0.11:9000".parse().unwrap();
    // Without the firewall the client reaches a replica directly: the rules below are what
    // keeps it out.
    assert!(
        net.on("client", || wait_accepts(
            web1_port,
            Duration::from_secs(40)
        )),
        "web1's replica never accepted from the client:\n{}",
        logs(dir.path())
    );
    for (role, address, port) in APP_HOSTS {
        let rules = dir.path().join(role).join("etc/nftables.conf");
        // Twice: loading again replaces the table instead of adding a second one.
        for _ in 0..2 {
            net.exec_ok(
                role,
                "load the host's nftables rules",
                &["nft", "-f", rules.to_str().unwrap()],
            );
        }
        let listed = net.exec_ok(role, "list the rules", &["nft", "list", "ruleset"]);
        let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
        assert_eq!(
            listed.matches("table inet trident_triple").count(),
            1,
            "{listed}"
        );
        assert_eq!(
            listed.matches("reject with tcp reset").count(),
            1,
            "{listed}"
        );
        for p in [port, port + 1] {
            let addr: SocketAddr = format!("{address}:{p}").parse().unwrap();
            net.on("client", || connect_refused(addr))
                .unwrap_or_else(|e| panic!("the firewall let the client in: {e}"));
        }
    }
    // The load balancer is admitted.
    assert!(net.on("lb", || wait_accepts(web1_port, Duration::from_secs(5))));

    net.start_supervisord("lb", &dir.path().join("lb"), &home);
    let ready = net.on("client", || {
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            let r = get("ready", Duration::from_secs(3));
            if r.status == 200 || Instant::now() > deadline {
                return r;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    assert_eq!(
        ready.status,
        200,
        "nginx on the load balancer never answered:\n{}",
        logs(dir.path())
    );

    // Every replica on every host answers through nginx.
    let seen = net.on("client", || {
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..60 {
            let r = get(&format!("each-{i}"), Duration::from_secs(10));
            assert_eq!(r.status, 200, "{r:?}");
            seen.insert(r.replica().unwrap_or_default());
            if seen.len() == 6 {
                break;
            }
        }
        seen
    });
    let want: std::collections::BTreeSet<String> = APP_HOSTS
        .iter()
        .flat_map(|(_, _, p)| [p.to_string(), (p + 1).to_string()])
        .collect();
    assert_eq!(seen, want, "not every replica answered");

    // `trident status` on the load balancer: every host's replicas, through the uwsgi probe.
    let mut status_args: Vec<&str> = vec![trident_e2e::trident_bin().to_str().unwrap(), "status"];
    let out_s = out.to_str().unwrap();
    status_args.extend(
        args[1..]
            .iter()
            .copied()
            .filter(|a| *a != "--out" && *a != out_s),
    );
    status_args.push("--json");
    let lb_status = |net: &Net| {
        let t = Instant::now();
        let o = net.exec_mounted("lb", &dir.path().join("lb"), &home, &status_args);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("status on the lb ({e}): {o:?}"));
        (v, o.status.code(), t.elapsed())
    };
    let host_health = |v: &serde_json::Value, host: &str| -> Vec<String> {
        v["replicas"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["host"] == host)
            .map(|r| r["health"].as_str().unwrap().to_string())
            .collect()
    };
    let (v, code, _) = lb_status(&net);
    assert_eq!(
        (code, &v["summary"]["serving"]),
        (Some(0), &serde_json::Value::from(6)),
        "{v:#}"
    );
    // The stats stay on each host: a unix socket in run/status, no TCP port but the
    // replicas' own.
    for (role, _, port) in APP_HOSTS {
        let listening = net.exec_ok(role, "list listening sockets", &["ss", "-Hltn"]);
        let ports: std::collections::BTreeSet<String> = String::from_utf8_lossy(&listening.stdout)
            .lines()
            .filter_map(|l| {
                l.split_whitespace()
                    .nth(3)?
                    .rsplit(':')
                    .next()
                    .map(str::to_string)
            })
            .collect();
        let want: std::collections::BTreeSet<String> =
            [port.to_string(), (port + 1).to_string()].into();
        assert_eq!(
            ports, want,
            "{role} listens on more than its replicas' ports"
        );
        assert!(
            dir.path().join(role).join("run/status/p0.stats").exists(),
            "{role}: no stats socket"
        );
    }
    for (role, _, _) in APP_HOSTS {
        let served =
            fs::read_to_string(dir.path().join(role).join("log/requests.log")).unwrap_or_default();
        assert!(
            served.lines().any(|l| l.starts_with("each-")),
            "{role} served nothing"
        );
    }

    // One whole app host stopped.
    net.stop_supervisord("web3", Duration::from_secs(30));
    let stopped = net.on("client", || {
        window(4, Duration::from_secs(5), 3000, "stopped")
    });
    assert_no_failure_after("web3 stopped", &stopped, DETECTION);
    assert!(
        stopped
            .iter()
            .all(|(_, r)| !r.replica().is_some_and(|p| p.starts_with("92"))),
        "a stopped host answered"
    );
    let (v, code, took) = lb_status(&net);
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(host_health(&v, "web3"), ["down", "down"], "{v:#}");
    assert_eq!(host_health(&v, "web1"), ["serving", "serving"], "{v:#}");
    eprintln!("status with web3 stopped took {:.2} s", took.as_secs_f64());

    // One app host cut off: its packets are dropped without an answer.
    net.cut("web2");
    let cut = net.on("client", || window(4, Duration::from_secs(8), 4000, "cut"));
    assert_no_failure_after("web2 cut off", &cut, DETECTION);
    let late_from_web2 = cut
        .iter()
        .filter(|(at, r)| *at > 1.0 && r.replica().is_some_and(|p| p.starts_with("91")))
        .count();
    assert_eq!(late_from_web2, 0, "a cut-off host answered");
    let (v, code, took) = lb_status(&net);
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(host_health(&v, "web2"), ["down", "down"], "{v:#}");
    assert_eq!(v["summary"]["serving"], 2, "{v:#}");
    // Probes run in parallel, each bounded by the 2 s connect timeout.
    eprintln!("status with web2 cut off took {:.2} s", took.as_secs_f64());
    assert!(net.running("lb"), "the load balancer's supervisord exited");
}

/// The tail of every host's logs, for failure messages.
fn logs(root: &Path) -> String {
    let mut out = String::new();
    for role in ["lb", "web1", "web2", "web3"] {
        let Ok(entries) = fs::read_dir(root.join(role).join("log")) else {
            continue;
        };
        for e in entries.flatten() {
            let text = fs::read_to_string(e.path()).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(10).collect();
            out.push_str(&format!("--- {role}/{}\n", e.file_name().to_string_lossy()));
            for l in tail.into_iter().rev() {
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    out
}
