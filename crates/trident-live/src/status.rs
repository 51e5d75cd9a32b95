//! Gathers what `trident status` judges: supervisord's programs, the nginx.conf on disk,
//! nginx's `stub_status`, supervisord's log, and per replica its uWSGI stats, its memory and
//! its answer to `GET /` through its own socket. Every read is bounded in time; replicas are
//! asked in parallel. The judging is `trident_core::status::assess`.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use trident_core::layout::NGINX_STATUS_PATH;
use trident_core::status::{self, NginxCounters, Observed, ObservedReplica, Program, UwsgiStats};
use trident_core::{ValidSpec, NGINX_CONF, SUPERVISORD_CONF};

use crate::probe::{self, Endpoint};
use crate::supervisor::Supervisor;

/// How long a probe or nginx's status socket may take (with app hosts: the connect timeout
/// nginx itself uses).
pub const ASK_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a stats socket may take: local, and answered by uWSGI's master (a stopped or
/// hung master leaves the probe to tell).
const STATS_TIMEOUT: Duration = Duration::from_secs(1);
/// How much of supervisord's log is read for restarts (its end).
const LOG_TAIL: u64 = 1 << 20;
/// A stats document larger than this is refused (64 replicas' worth is about 3 KiB each).
const STATS_LIMIT: u64 = 4 << 20;

/// Why status could not look at the stack: it is not running, or not the spec's.
#[derive(Debug)]
pub struct NotThisStack(pub String);

/// Observes `valid`'s running stack.
pub fn observe(valid: &ValidSpec) -> Result<Observed, NotThisStack> {
    let layout = valid.layout();
    let spec = valid.spec();
    let conf = layout.conf(SUPERVISORD_CONF);
    let sup = Supervisor::new(Path::new(&layout.supervisor_socket()));
    let programs = sup.programs().map_err(|e| {
        NotThisStack(format!(
            "{e}; start it with supervisord -c {}",
            trident_core::shell_quote(&conf)
        ))
    })?;
    let rows = status::replicas(valid);
    let running: BTreeSet<&str> = programs.iter().map(|p| p.name.as_str()).collect();
    let mut expected: BTreeSet<&str> = BTreeSet::new();
    if layout.hosts.is_empty() {
        expected.extend(rows.iter().map(|(name, _, _)| name.as_str()));
    }
    expected.insert(&spec.nginx_program);
    if running != expected {
        let list = |s: &BTreeSet<&str>| s.iter().copied().collect::<Vec<_>>().join(", ");
        return Err(NotThisStack(format!(
            "this stack is not the one the spec describes: supervisord runs {} but the spec has {}; give status the options the stack was generated with",
            list(&running),
            list(&expected)
        )));
    }
    let nginx_conf = fs::read_to_string(layout.conf(NGINX_CONF))
        .map_err(|e| NotThisStack(format!("cannot read {}: {e}", layout.conf(NGINX_CONF))))?;
    let host = spec
        .primary_server_name()
        .unwrap_or("localhost")
        .to_string();
    let (nginx, replicas) = std::thread::scope(|s| {
        let nginx = s.spawn(|| nginx_counters(&layout.nginx_status_socket()));
        let asks: Vec<_> = rows
            .iter()
            .map(|(name, on_host, endpoint)| {
                let program = programs.iter().find(|p| &p.name == name);
                let stats_socket = on_host.is_none().then(|| layout.stats_socket_of(name));
                let host = host.as_str();
                s.spawn(move || replica(stats_socket, program, endpoint, host))
            })
            .collect();
        (
            nginx.join().unwrap_or_else(|_| Err("panicked".into())),
            asks.into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect(),
        )
    });
    Ok(Observed {
        now: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        programs,
        nginx_conf,
        nginx,
        supervisord_log: tail(&layout.supervisord_log()),
        replicas,
    })
}

/// One replica: stats when it has a stats socket here, then a probe unless its stats show
/// every slot busy (a probe would only wait in its queue) or supervisord does not run it.
fn replica(
    stats_socket: Option<String>,
    program: Option<&Program>,
    endpoint: &str,
    host: &str,
) -> ObservedReplica {
    let stats = stats_socket.map(|path| stats_of(&path));
    let running = program.is_none_or(|p| matches!(p.state.as_str(), "RUNNING" | "STARTING"));
    let full = matches!(&stats, Some(Ok(s)) if all_busy(s));
    let probe =
        (running && !full).then(|| probe::ask(&Endpoint::parse(endpoint), host, ASK_TIMEOUT));
    let rss = match &stats {
        Some(Ok(s)) => {
            let pids = std::iter::once(s.pid).chain(s.workers.iter().map(|w| w.pid));
            let sum: u64 = pids.filter(|&p| p > 0).filter_map(crate::procfs::rss).sum();
            (sum > 0).then_some(sum)
        }
        _ => None,
    };
    ObservedReplica { stats, probe, rss }
}

fn all_busy(s: &UwsgiStats) -> bool {
    let mut cores = s.workers.iter().flat_map(|w| &w.cores).peekable();
    cores.peek().is_some() && cores.all(|c| c.in_request > 0)
}

/// Reads a uWSGI stats socket: it writes one JSON document and closes.
pub(crate) fn stats_of(path: &str) -> Result<UwsgiStats, String> {
    let s = UnixStream::connect(path).map_err(|e| format!("{path}: {e}"))?;
    let _ = s.set_read_timeout(Some(STATS_TIMEOUT));
    let mut raw = Vec::new();
    s.take(STATS_LIMIT)
        .read_to_end(&mut raw)
        .map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_slice(&raw).map_err(|e| format!("{path}: not uWSGI's stats: {e}"))
}

/// Asks nginx's status socket.
fn nginx_counters(path: &str) -> Result<NginxCounters, String> {
    let mut s = UnixStream::connect(path).map_err(|e| format!("{path}: {e}"))?;
    let _ = s.set_read_timeout(Some(ASK_TIMEOUT));
    let _ = s.set_write_timeout(Some(ASK_TIMEOUT));
    s.write_all(format!("GET {NGINX_STATUS_PATH} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .map_err(|e| format!("{path}: {e}"))?;
    let mut raw = String::new();
    s.take(64 * 1024)
        .read_to_string(&mut raw)
        .map_err(|e| format!("{path}: {e}"))?;
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    NginxCounters::parse(body).ok_or_else(|| format!("{path}: not nginx's stub_status"))
}

/// The end of a log file (empty when unreadable).
fn tail(path: &str) -> String {
    let Ok(mut f) = fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map_or(0, |m| m.len());
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(LOG_TAIL)));
    let mut raw = Vec::new();
    let _ = f.take(LOG_TAIL).read_to_end(&mut raw);
    String::from_utf8_lossy(&raw).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_uwsgi_stats_as_uwsgi_2_0_writes_them() {
        // Abridged from uWSGI 2.0.21's stats socket with a request running.
        let text = r#"{"version":"2.0.21-debian","listen_queue":2,"listen_queue_errors":0,"signal_queue":0,"load":2,"pid":8514,"uid":65534,"gid":65534,"cwd":"/tmp/app","locks":[{"user 0":0}],"sockets":[{"name":"127.0.0.1:18080","proto":"uwsgi","queue":2,"max_queue":100,"shared":1,"can_offload":0}],"workers":[{"id":1,"pid":8521,"accepting":1,"requests":0,"delta_requests":0,"exceptions":0,"harakiri_count":0,"signals":0,"signal_queue":0,"status":"busy","rss":0,"vsz":0,"running_time":0,"last_spawn":1796598995,"respawn_count":1,"tx":0,"avg_rt":0,"apps":[],"cores":[{"id":0,"requests":0,"static_requests":0,"routed_requests":0,"offloaded_requests":0,"write_errors":0,"read_errors":0,"in_request":1,"vars":["REQUEST_METHOD=GET","HTTP_COOKIE=secret",""],"req_info":{"request_start":1796599000}},{"id":1,"requests":3,"in_request":0,"vars":[]}]}]}"#;
        let s: UwsgiStats = serde_json::from_str(text).unwrap();
        assert_eq!(
            (s.listen_queue, s.pid, s.sockets[0].max_queue),
            (2, 8514, 100)
        );
        let cores = &s.workers[0].cores;
        assert_eq!(
            cores[0].req_info.as_ref().unwrap().request_start,
            1796599000
        );
        assert_eq!((cores[1].in_request, cores[1].req_info.clone()), (0, None));
        assert!(!all_busy(&s));
    }
}
