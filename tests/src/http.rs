//! A tiny HTTP/1.1 client for 127.0.0.1, free ports, and bounded concurrent load.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// `n` consecutive free TCP ports on 127.0.0.1, plus one more free port apart from them.
pub fn free_ports(n: u16) -> (u16, u16) {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let seed = std::process::id() % 1000;
    loop {
        let k = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Spread test processes over 20000..32000, below Linux's ephemeral range (32768 and
        // up), where chromedriver, the static server's port 0 and every outgoing connection
        // take theirs: a port found free there could be taken before nginx binds it (seen
        // once: "bind() to 127.0.0.1:35304 failed (98: Address already in use)"). Each try
        // takes a fresh block.
        let base = 20_000 + ((seed * 37 + k * 97) % 120) as u16 * 100;
        let all_free = (base..base + n + 1).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok());
        if all_free {
            return (base, base + n);
        }
    }
}

/// True when something accepts on 127.0.0.1:`port`.
pub fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

/// One HTTP exchange.
#[derive(Clone, Debug)]
pub struct Reply {
    /// HTTP status, or 0 when the connection failed or timed out.
    pub status: u16,
    /// Response header lines (`Name: value`), as sent.
    pub headers: Vec<String>,
    /// Response body (de-chunked).
    pub body: String,
    /// Wall time of the exchange.
    pub took: Duration,
}

impl Reply {
    /// The replica that answered (`"replica": "..."` in the fixture's JSON).
    pub fn replica(&self) -> Option<String> {
        self.json_str("replica")
    }

    /// A string member of the fixture's JSON answer (`"key": "value"`).
    pub fn json_str(&self, key: &str) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        Some(v.get(key)?.as_str()?.to_string())
    }

    /// The value of response header `name` (case-insensitive), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find_map(|h| {
            let (n, v) = h.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Sends one request to 127.0.0.1:`port` on a new connection (`Connection: close`); a POST
/// carries a small form body.
pub fn http(method: &str, port: u16, path: &str, request_id: &str, timeout: Duration) -> Reply {
    let body: &[u8] = if method == "POST" { b"a=1&b=2" } else { b"" };
    http_with(
        method,
        port,
        path,
        &[("X-Request-Id", request_id)],
        body,
        timeout,
    )
}

/// Sends one request with extra `headers` and `body` to 127.0.0.1:`port`.
pub fn http_with(
    method: &str,
    port: u16,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Reply {
    http_at(
        ([127, 0, 0, 1], port).into(),
        method,
        path,
        headers,
        body,
        timeout,
    )
}

/// Sends one request with extra `headers` and `body` to `addr` (a test host's address in a
/// network namespace, or loopback).
pub fn http_at(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Reply {
    let start = Instant::now();
    let fail = |start: Instant| Reply {
        status: 0,
        headers: Vec::new(),
        body: String::new(),
        took: start.elapsed(),
    };
    let Ok(mut s) = TcpStream::connect_timeout(&addr, timeout) else {
        return fail(start);
    };
    let _ = s.set_read_timeout(Some(timeout));
    let _ = s.set_write_timeout(Some(timeout));
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        req.push_str("Host: 127.0.0.1\r\n");
    }
    for (name, value) in headers {
        req.push_str(&format!("{name}: {value}\r\n"));
    }
    req.push_str(&format!(
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    ));
    // A refused upload may be answered before the body is sent: keep what was answered.
    let _ = s.write_all(req.as_bytes()).and_then(|()| s.write_all(body));
    let mut raw = Vec::new();
    if s.read_to_end(&mut raw).is_err() && raw.is_empty() {
        let _ = s.shutdown(Shutdown::Both);
        return fail(start);
    }
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..end]);
    let body = raw.get(end + 4..).unwrap_or_default();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<String> = lines.map(str::to_string).collect();
    let chunked = headers.iter().any(|h| {
        h.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    Reply {
        status,
        headers,
        body: if chunked {
            dechunk(body)
        } else {
            String::from_utf8_lossy(body).into_owned()
        },
        took: start.elapsed(),
    }
}

/// Decodes a `Transfer-Encoding: chunked` body (as much of it as arrived).
fn dechunk(mut rest: &[u8]) -> String {
    let mut out = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&rest[..eol]);
        let Ok(n) = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16) else {
            break;
        };
        let after = &rest[eol + 2..];
        if n == 0 || after.len() < n {
            break;
        }
        out.extend_from_slice(&after[..n]);
        rest = after[n..].strip_prefix(b"\r\n").unwrap_or(&after[n..]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Sends `n` requests through `clients` concurrent clients; returns them in request order.
pub fn load(
    port: u16,
    n: usize,
    clients: usize,
    method: &str,
    path: &str,
    tag: &str,
    timeout: Duration,
) -> Vec<Reply> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out = std::sync::Mutex::new(vec![None; n]);
    std::thread::scope(|scope| {
        for _ in 0..clients {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let r = http(method, port, path, &format!("{tag}-{i}"), timeout);
                out.lock().unwrap()[i] = Some(r);
            });
        }
    });
    out.into_inner()
        .unwrap()
        .into_iter()
        .map(|r| r.expect("every request ran"))
        .collect()
}

/// Steady load for a rollout: `clients` threads, each in a loop, sending in turn a GET, a
/// POST and a slow GET (`/slow?who=any&secs=0.3`), every request with its own id, until
/// [`Steady::stop`], and at most `limit` requests or `max_time` in all.
pub struct Steady {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<Vec<(String, String, Reply)>>>,
    /// Requests answered so far, and the replicas that answered them.
    progress: std::sync::Arc<std::sync::Mutex<(usize, std::collections::BTreeSet<String>)>>,
}

impl Steady {
    /// Starts the clients against 127.0.0.1:`port`; ids start with `tag`.
    pub fn start(port: u16, clients: usize, tag: &str, limit: usize, max_time: Duration) -> Steady {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        use std::sync::Arc;
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicUsize::new(0));
        let progress = Arc::new(std::sync::Mutex::new((
            0,
            std::collections::BTreeSet::new(),
        )));
        let started = Instant::now();
        let threads = (0..clients)
            .map(|c| {
                let (stop, sent, tag) = (stop.clone(), sent.clone(), tag.to_string());
                let progress = progress.clone();
                std::thread::spawn(move || {
                    let mut out = Vec::new();
                    let mut i = 0usize;
                    while !stop.load(Ordering::Relaxed)
                        && sent.fetch_add(1, Ordering::Relaxed) < limit
                        && started.elapsed() < max_time
                    {
                        let (method, path) = match i % 3 {
                            0 => ("GET", "/"),
                            1 => ("POST", "/"),
                            _ => ("GET", "/slow?who=any&secs=0.3"),
                        };
                        let id = format!("{tag}-{c}-{i}");
                        let r = http(method, port, path, &id, Duration::from_secs(30));
                        {
                            let mut p = progress.lock().unwrap();
                            p.0 += 1;
                            p.1.extend(r.replica());
                        }
                        out.push((method.to_string(), id, r));
                        i += 1;
                    }
                    out
                })
            })
            .collect();
        Steady {
            stop,
            threads,
            progress,
        }
    }

    /// Waits (at most `limit`) until `done(answered, replicas that answered)` holds; panics
    /// with `what` if it does not.
    pub fn wait_for(
        &self,
        what: &str,
        limit: Duration,
        done: impl Fn(usize, &std::collections::BTreeSet<String>) -> bool,
    ) {
        let deadline = Instant::now() + limit;
        loop {
            {
                let p = self.progress.lock().unwrap();
                if done(p.0, &p.1) {
                    return;
                }
                assert!(
                    Instant::now() < deadline,
                    "the load did not reach {what} within {limit:?}: {} answered, by {:?}",
                    p.0,
                    p.1
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (at most 30 s) until `n` more requests have been answered.
    pub fn wait_answered(&self, n: usize) {
        let from = self.progress.lock().unwrap().0;
        self.wait_for(
            &format!("{n} more answers"),
            Duration::from_secs(30),
            |answered, _| answered >= from + n,
        );
    }

    /// Stops the clients and returns every exchange: (method, request id, reply).
    pub fn stop(self) -> Vec<(String, String, Reply)> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.threads
            .into_iter()
            .flat_map(|t| t.join().expect("a load client panicked"))
            .collect()
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// What [`Steady`] measured: (requests, failed, p50, p99, max), the times in ms over the
/// fast requests (GET / and POST /; every third request of a client is the slow one).
pub fn fast_latency(replies: &[(String, String, Reply)]) -> (usize, usize, f64, f64, f64) {
    let failed = replies.iter().filter(|(_, _, r)| r.status != 200).count();
    let mut ms: Vec<f64> = replies
        .iter()
        .filter(|(_, id, _)| {
            id.rsplit('-')
                .next()
                .and_then(|i| i.parse::<usize>().ok())
                .is_some_and(|i| i % 3 != 2)
        })
        .map(|(_, _, r)| r.took.as_secs_f64() * 1000.0)
        .collect();
    ms.sort_by(f64::total_cmp);
    (
        replies.len(),
        failed,
        percentile(&ms, 0.5),
        percentile(&ms, 0.99),
        ms.last().copied().unwrap_or(0.0),
    )
}
