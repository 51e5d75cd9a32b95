//! `trident status`, decided without I/O: what supervisord, nginx.conf, nginx and each
//! replica's uWSGI stats say of a running stack, joined into one row per replica with a plain
//! word (serving, blocked, drained, failing, restarting, down), the numbers behind it and a
//! hint. `trident-live` gathers the [`Observed`] facts; this module judges them.
//!
//! The JSON form of [`Report`] is versioned by [`SCHEMA`]; `docs/status.schema.json` describes
//! it and a test holds the two together.

use serde::{Deserialize, Serialize};

use crate::golive::shell_quote;
use crate::validate::ValidSpec;
use crate::SUPERVISORD_CONF;

/// The version of the JSON report. A change that removes or renames a member, or changes
/// its meaning, raises it; added members do not.
pub const SCHEMA: u32 = 1;

/// Seconds every worker slot must have been busy before a replica counts as blocked, unless
/// the caller says otherwise (`--blocked-after`).
pub const BLOCKED_AFTER: u64 = 1;

/// What supervisord says of one program (`getAllProcessInfo`'s members that status reads).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Program {
    /// Program name.
    pub name: String,
    /// supervisord's state name: `RUNNING`, `STARTING`, `BACKOFF`, `STOPPED`, `EXITED`,
    /// `FATAL`, `STOPPING`, `UNKNOWN`.
    pub state: String,
    /// PID, 0 when not running.
    pub pid: u32,
    /// When it was last started (unix seconds, 0 if never).
    pub start: u64,
    /// supervisord's clock when it answered (unix seconds).
    pub now: u64,
    /// Exit status of its last exit.
    pub exitstatus: i64,
    /// Why it could not be spawned, if so.
    pub spawnerr: String,
}

/// One replica's uWSGI stats document (the members status reads; the rest, including each
/// running request's headers, is ignored).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct UwsgiStats {
    /// Connections waiting in the listen queue (the master samples it every second).
    pub listen_queue: u64,
    /// Times the queue was full.
    pub listen_queue_errors: u64,
    /// The master's PID.
    pub pid: u32,
    /// The sockets, with their queue and its maximum.
    pub sockets: Vec<StatsSocket>,
    /// The workers.
    pub workers: Vec<StatsWorker>,
}

/// A socket in [`UwsgiStats`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StatsSocket {
    /// Connections waiting.
    pub queue: u64,
    /// The queue's size (`listen`, capped by `net.core.somaxconn`).
    pub max_queue: u64,
}

/// A worker in [`UwsgiStats`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StatsWorker {
    /// PID.
    pub pid: u32,
    /// `idle`, `busy`, `cheap`, `pause`, `sig`.
    pub status: String,
    /// Requests served since it was spawned.
    pub requests: u64,
    /// Requests harakiri ended.
    pub harakiri_count: u64,
    /// Times it was spawned (1 for the first).
    pub respawn_count: u64,
    /// Its threads (cores).
    pub cores: Vec<StatsCore>,
}

/// A core (thread) in [`StatsWorker`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct StatsCore {
    /// 1 while it serves a request.
    pub in_request: u64,
    /// The running request, while there is one.
    pub req_info: Option<ReqInfo>,
}

/// The running request of a [`StatsCore`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ReqInfo {
    /// When it started (unix seconds).
    pub request_start: u64,
}

/// nginx's `stub_status` page, read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NginxCounters {
    /// Open client connections, idle ones included.
    pub active: u64,
    /// Client requests since nginx started.
    pub requests: u64,
    /// Connections nginx is reading a request from.
    pub reading: u64,
    /// Connections nginx is writing a response to (waiting on a replica included).
    pub writing: u64,
    /// Idle keep-alive connections.
    pub waiting: u64,
}

impl NginxCounters {
    /// Reads a `stub_status` body; `None` when it is not one.
    pub fn parse(text: &str) -> Option<NginxCounters> {
        let mut lines = text.lines();
        let active = lines
            .next()?
            .strip_prefix("Active connections:")?
            .trim()
            .parse()
            .ok()?;
        let _header = lines.next()?;
        let requests = lines.next()?.split_whitespace().nth(2)?.parse().ok()?;
        let mut rww = lines.next()?.split_whitespace();
        let mut field = |name: &str| -> Option<u64> {
            (rww.next()? == name).then_some(())?;
            rww.next()?.parse().ok()
        };
        Some(NginxCounters {
            active,
            requests,
            reading: field("Reading:")?,
            writing: field("Writing:")?,
            waiting: field("Waiting:")?,
        })
    }
}

/// A replica's answer to `GET /` through its own socket, in the uwsgi protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// It answered with this HTTP status.
    Answered(u16),
    /// It accepted the connection but gave no answer in time: its workers are all busy.
    NoAnswer(String),
    /// The connection failed (refused, unreachable, timed out).
    Refused(String),
}

/// Everything observed of one replica.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedReplica {
    /// Its stats, or why they could not be read; `None` where none are expected (app hosts,
    /// seen from the load balancer).
    pub stats: Option<Result<UwsgiStats, String>>,
    /// Its answer to the probe; `None` when it was not asked (blocked by its stats, or down).
    pub probe: Option<Probe>,
    /// Resident memory of its processes, in bytes.
    pub rss: Option<u64>,
}

/// Everything `trident status` observed, gathered by `trident-live`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    /// The time of the observation (unix seconds).
    pub now: u64,
    /// supervisord's programs.
    pub programs: Vec<Program>,
    /// The nginx.conf on disk (its `down` marks are the replicas out of rotation).
    pub nginx_conf: String,
    /// nginx's counters, or why they could not be read.
    pub nginx: Result<NginxCounters, String>,
    /// supervisord's own log, its last part: restarts are counted there.
    pub supervisord_log: String,
    /// Per replica, in the spec's order ([`replicas`]).
    pub replicas: Vec<ObservedReplica>,
}

/// A replica's condition, in one word; the table and the JSON spell it with [`Health::word`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// In rotation and answering.
    Serving,
    /// Every worker slot busy, with requests waiting in its queue or for longer than the
    /// threshold.
    Blocked,
    /// Out of nginx's rotation (`down` in nginx.conf).
    Drained,
    /// Running but answering 5xx, or not answering.
    Failing,
    /// supervisord is starting it or trying again.
    Restarting,
    /// Not running.
    Down,
}

impl Serialize for Health {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.word())
    }
}

impl Health {
    /// The word.
    pub fn word(self) -> &'static str {
        match self {
            Health::Serving => "serving",
            Health::Blocked => "blocked",
            Health::Drained => "drained",
            Health::Failing => "failing",
            Health::Restarting => "restarting",
            Health::Down => "down",
        }
    }
}

/// One replica's row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Program name.
    pub replica: String,
    /// The app host it runs on (with hosts), else `null`.
    pub host: Option<String>,
    /// Where nginx sends it requests (`HOST:PORT` or `unix:PATH`).
    pub endpoint: String,
    /// The word.
    pub health: Health,
    /// Why, with the numbers (empty when serving).
    pub reason: String,
    /// What to do, where its log is (empty when serving).
    pub hint: String,
    /// supervisord's state, `null` where this supervisord does not run it (app hosts).
    pub state: Option<String>,
    /// Its PID, while running.
    pub pid: Option<u32>,
    /// Seconds since it was started, while running.
    pub uptime_s: Option<u64>,
    /// Starts after its first, in supervisord's log since supervisord started.
    pub restarts: Option<u64>,
    /// Exit status of its last exit, when it is not running.
    pub last_exit: Option<i64>,
    /// True unless nginx.conf marks it `down`.
    pub in_rotation: bool,
    /// Worker slots (workers × threads) serving a request.
    pub busy: Option<u64>,
    /// Worker slots in all.
    pub slots: Option<u64>,
    /// Seconds the longest running request has run.
    pub longest_s: Option<u64>,
    /// When that request started (unix seconds).
    pub longest_since: Option<u64>,
    /// Requests its workers served (since each was spawned).
    pub requests: Option<u64>,
    /// Connections waiting in its listen queue.
    pub queue: Option<u64>,
    /// The queue's size.
    pub queue_max: Option<u64>,
    /// Requests harakiri ended.
    pub harakiri: Option<u64>,
    /// Resident memory of its processes, in bytes.
    pub rss_bytes: Option<u64>,
    /// Its answer to `GET /` through its own socket: an HTTP status, or why none.
    pub probe: Option<String>,
    /// Why its stats could not be read, if so.
    pub stats_error: Option<String>,
    /// Its log file.
    pub log: String,
}

/// nginx's row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NginxRow {
    /// supervisord's state of nginx's program.
    pub state: String,
    /// Its master's PID, while running.
    pub pid: Option<u32>,
    /// Its counters, when its status socket answered.
    pub counters: Option<NginxCounters>,
    /// Why the counters are missing.
    pub error: Option<String>,
    /// Its error log.
    pub log: String,
}

/// The summary line's numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Replicas in the spec.
    pub replicas: u64,
    /// Replicas serving.
    pub serving: u64,
    /// Replicas not serving, by word.
    pub blocked: u64,
    /// See [`Health::Drained`].
    pub drained: u64,
    /// See [`Health::Failing`].
    pub failing: u64,
    /// See [`Health::Restarting`].
    pub restarting: u64,
    /// See [`Health::Down`].
    pub down: u64,
    /// Connections waiting in the replicas' queues.
    pub queued: u64,
    /// Worker slots serving a request.
    pub busy: u64,
}

/// The whole report: `trident status --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: u32,
    /// When it was observed (unix seconds).
    pub at: u64,
    /// The stack's supervisord.conf.
    pub supervisord_conf: String,
    /// nginx.
    pub nginx: NginxRow,
    /// One row per replica, in the spec's order.
    pub replicas: Vec<Row>,
    /// Counts.
    pub summary: Summary,
}

impl Report {
    /// True when every replica serves and nginx runs (or is in its first second and
    /// answers on its status socket).
    pub fn healthy(&self) -> bool {
        self.summary.serving == self.summary.replicas && self.nginx_serves()
    }

    fn nginx_serves(&self) -> bool {
        self.nginx.state == "RUNNING"
            || self.nginx.state == "STARTING" && self.nginx.counters.is_some()
    }

    /// The summary line.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let mut parts = vec![format!("{} of {} replicas serving", s.serving, s.replicas)];
        for (n, word) in [
            (s.blocked, "blocked"),
            (s.drained, "drained"),
            (s.failing, "failing"),
            (s.restarting, "restarting"),
            (s.down, "down"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {word}"));
            }
        }
        let mut line = parts.join(", ");
        line.push_str(&format!(
            "; {} request{} waiting in queues, {} worker slot{} busy",
            s.queued,
            if s.queued == 1 { "" } else { "s" },
            s.busy,
            if s.busy == 1 { "" } else { "s" }
        ));
        match (&self.nginx.counters, self.nginx.state.as_str()) {
            (Some(c), "RUNNING" | "STARTING") => line.push_str(&format!(
                "; nginx: {} connection{}, {} requests since start",
                c.active,
                if c.active == 1 { "" } else { "s" },
                c.requests
            )),
            (_, "RUNNING") => line.push_str("; nginx running, its counters unread"),
            (_, state) => line.push_str(&format!("; nginx {state}")),
        }
        line
    }
}

/// Every replica of `valid`: (program name, app host name, endpoint), host by host, in order.
pub fn replicas(valid: &ValidSpec) -> Vec<(String, Option<String>, String)> {
    let layout = valid.layout();
    let mut out = Vec::new();
    if layout.hosts.is_empty() {
        for k in 0..layout.replicas {
            let mut e = String::new();
            layout.push_endpoint(&mut e, k);
            out.push((layout.program(k), None, e));
        }
    } else {
        for h in &layout.hosts {
            for k in 0..h.replicas {
                let mut e = String::new();
                h.push_endpoint(&mut e, k);
                out.push((layout.program(k), Some(h.name.clone()), e));
            }
        }
    }
    out
}

/// Starts of `program` in supervisord's log after supervisord's last start, minus the
/// first: how often supervisord restarted it. `None` when the log shows no start of it.
pub fn restarts(log: &str, program: &str) -> Option<u64> {
    let since = log
        .rfind("supervisord started with pid")
        .map_or(log, |i| &log[i..]);
    let needle = format!("spawned: '{program}' with pid");
    let n = since.matches(needle.as_str()).count() as u64;
    n.checked_sub(1)
}

/// Judges what was observed of `valid`'s stack. `blocked_after`: seconds every slot must
/// have been busy for a replica to count as blocked.
pub fn assess(valid: &ValidSpec, seen: &Observed, blocked_after: u64) -> Report {
    let layout = valid.layout();
    let spec = valid.spec();
    let conf = layout.conf(SUPERVISORD_CONF);
    let ctl = format!("supervisorctl -c {}", shell_quote(&conf));
    let down: Vec<String> = crate::read::NginxConf::parse(&seen.nginx_conf)
        .upstream_servers()
        .into_iter()
        .filter(|s| s.down)
        .map(|s| s.address.to_string())
        .collect();
    let log_of = |name: &str| format!("{}/{name}.log", layout.dirs.log);
    let mut rows = Vec::new();
    let mut summary = Summary::default();
    for (i, (name, host, endpoint)) in replicas(valid).into_iter().enumerate() {
        let in_rotation = !down.contains(&endpoint);
        let observed = seen.replicas.get(i).cloned().unwrap_or_default();
        let program = if host.is_none() {
            seen.programs.iter().find(|p| p.name == name)
        } else {
            None
        };
        let log = match &host {
            Some(h) => format!("{} on {h}", log_of(&name)),
            None => log_of(&name),
        };
        let mut row = Row {
            replica: name.clone(),
            host: host.clone(),
            endpoint,
            health: Health::Serving,
            reason: String::new(),
            hint: String::new(),
            state: program.map(|p| p.state.clone()),
            pid: program.and_then(|p| (p.pid > 0).then_some(p.pid)),
            uptime_s: program
                .filter(|p| p.pid > 0 && p.start > 0)
                .map(|p| p.now.saturating_sub(p.start)),
            restarts: program.and_then(|_| restarts(&seen.supervisord_log, &name)),
            last_exit: program
                .filter(|p| p.pid == 0 && p.start > 0)
                .map(|p| p.exitstatus),
            in_rotation,
            busy: None,
            slots: None,
            longest_s: None,
            longest_since: None,
            requests: None,
            queue: None,
            queue_max: None,
            harakiri: None,
            rss_bytes: observed.rss,
            probe: observed.probe.as_ref().map(|p| match p {
                Probe::Answered(code) => code.to_string(),
                Probe::NoAnswer(why) | Probe::Refused(why) => why.clone(),
            }),
            stats_error: None,
            log: log.clone(),
        };
        match &observed.stats {
            Some(Ok(stats)) => numbers(&mut row, stats, seen.now),
            Some(Err(e)) => row.stats_error = Some(e.clone()),
            None => {}
        }
        judge(&mut row, program, &observed, blocked_after, &ctl, &log);
        summary.replicas += 1;
        match row.health {
            Health::Serving => summary.serving += 1,
            Health::Blocked => summary.blocked += 1,
            Health::Drained => summary.drained += 1,
            Health::Failing => summary.failing += 1,
            Health::Restarting => summary.restarting += 1,
            Health::Down => summary.down += 1,
        }
        summary.queued += row.queue.unwrap_or(0);
        summary.busy += row.busy.unwrap_or(0);
        rows.push(row);
    }
    let nginx_program = seen.programs.iter().find(|p| p.name == spec.nginx_program);
    let nginx = NginxRow {
        state: nginx_program.map_or("absent".into(), |p| p.state.clone()),
        pid: nginx_program.and_then(|p| (p.pid > 0).then_some(p.pid)),
        counters: seen.nginx.as_ref().ok().cloned(),
        error: seen.nginx.as_ref().err().cloned(),
        log: log_of(&spec.nginx_program),
    };
    Report {
        schema: SCHEMA,
        at: seen.now,
        supervisord_conf: conf,
        nginx,
        replicas: rows,
        summary,
    }
}

/// Fills the stats columns.
fn numbers(row: &mut Row, stats: &UwsgiStats, now: u64) {
    let cores = stats.workers.iter().flat_map(|w| &w.cores);
    let slots = cores.clone().count() as u64;
    let busy = cores.clone().filter(|c| c.in_request > 0).count() as u64;
    let oldest = cores
        .filter(|c| c.in_request > 0)
        .filter_map(|c| c.req_info.as_ref().map(|r| r.request_start))
        .filter(|&t| t > 0)
        .min();
    row.slots = Some(slots);
    row.busy = Some(busy);
    row.longest_since = oldest;
    row.longest_s = oldest.map(|t| now.saturating_sub(t));
    row.requests = Some(stats.workers.iter().map(|w| w.requests).sum());
    row.harakiri = Some(stats.workers.iter().map(|w| w.harakiri_count).sum());
    row.queue = Some(
        stats
            .sockets
            .iter()
            .map(|s| s.queue)
            .max()
            .unwrap_or(0)
            .max(stats.listen_queue),
    );
    row.queue_max = stats.sockets.iter().map(|s| s.max_queue).max();
}

/// Picks the word, the reason and the hint.
fn judge(
    row: &mut Row,
    program: Option<&Program>,
    observed: &ObservedReplica,
    blocked_after: u64,
    ctl: &str,
    log: &str,
) {
    let name = row.replica.clone();
    let mut set = |health, reason: String, hint: String| {
        row.health = health;
        row.reason = reason;
        row.hint = hint;
    };
    // supervisord's word first: a replica it does not run serves nothing.
    if let Some(p) = program {
        match p.state.as_str() {
            // STARTING lasts `startsecs` (1 s) after the spawn: one that answers serves.
            "RUNNING" => {}
            "STARTING" if matches!(observed.probe, Some(Probe::Answered(c)) if c < 500) => {}
            // Out of rotation while supervisord stops and starts it: a rollout or apply at
            // work (one that failed leaves it BACKOFF or FATAL: down, below).
            "STARTING" | "STOPPING" | "STOPPED" | "EXITED" if !row.in_rotation => {
                return set(
                    Health::Drained,
                    format!(
                        "out of nginx's rotation while supervisord restarts it ({})",
                        p.state
                    ),
                    format!("a rollout or apply is at work; if none is, run it again to finish. Its log: {log}"),
                );
            }
            "STARTING" | "BACKOFF" | "STOPPING" if p.state != "BACKOFF" || row.in_rotation => {
                let why = if p.state == "BACKOFF" {
                    format!(
                        "supervisord is trying again: it exited too soon (exit status {})",
                        p.exitstatus
                    )
                } else {
                    format!("supervisord says {}", p.state)
                };
                return set(
                    Health::Restarting,
                    why,
                    format!("wait a few seconds; if it stays, see its log: {log}"),
                );
            }
            _ => {
                let why = if p.spawnerr.is_empty() {
                    format!(
                        "supervisord says {} (exit status {})",
                        p.state, p.exitstatus
                    )
                } else {
                    format!("supervisord says {}: {}", p.state, p.spawnerr)
                };
                let hint = if row.in_rotation {
                    format!("see its log: {log}; start it with {ctl} start {name}")
                } else {
                    format!("it failed to come back and stays out of nginx's rotation; see its log: {log}, fix the release, then run trident rollout again")
                };
                return set(Health::Down, why, hint);
            }
        }
    } else if row.host.is_none() {
        return set(
            Health::Down,
            "supervisord does not run it".into(),
            format!("{ctl} update adds it (the files on disk must name it)"),
        );
    }
    // uWSGI's master samples the queue once a second: a queue beside a free slot is a
    // connection being accepted (measured: a status probe of one run seen by the next),
    // not a blocked replica.
    let all_busy = matches!((row.busy, row.slots), (Some(b), Some(s)) if s > 0 && b == s);
    let blocked = match (row.busy, row.slots, row.longest_s, row.queue) {
        (_, _, _, Some(q)) if q > 0 && all_busy => Some(format!(
            "{q} request{} waiting in its queue; {}/{} worker slots busy",
            if q == 1 { "" } else { "s" },
            row.busy.unwrap_or(0),
            row.slots.unwrap_or(0)
        )),
        (Some(b), Some(s), Some(l), _) if s > 0 && b == s && l >= blocked_after => Some(format!(
            "every worker slot busy ({b}/{s}), the longest request for {l} s"
        )),
        _ => None,
    };
    let drained_hint = format!(
        "out of nginx's rotation (nginx.conf marks it down): a rollout or apply is at work, or stopped here; run it again to finish. Its log: {log}"
    );
    if let Some(why) = blocked {
        if !row.in_rotation {
            return set(
                Health::Drained,
                format!("out of rotation; {why}"),
                drained_hint,
            );
        }
        return set(
            Health::Blocked,
            why,
            format!("its requests wait until a slot frees; uwsgi_read_timeout or harakiri bound them (docs/guide.md, \"One replica blocked\"). Its log: {log}"),
        );
    }
    if !row.in_rotation {
        return set(
            Health::Drained,
            "nginx.conf marks it down".into(),
            drained_hint,
        );
    }
    match &observed.probe {
        Some(Probe::Answered(code)) if *code >= 500 => set(
            Health::Failing,
            format!("it answers GET / with {code}"),
            format!("the app fails: see its log: {log}"),
        ),
        Some(Probe::NoAnswer(why)) => set(
            Health::Blocked,
            format!("it accepts connections but does not answer: {why}"),
            format!("every worker is busy or hung; see its log: {log}"),
        ),
        Some(Probe::Refused(why)) => {
            let (health, hint) = if row.host.is_some() {
                (
                    Health::Down,
                    format!("is the host up, its supervisord running, its firewall loaded? On the host: {ctl} status"),
                )
            } else {
                (Health::Failing, format!("see its log: {log}"))
            };
            set(health, format!("its socket refuses: {why}"), hint)
        }
        Some(Probe::Answered(_)) => {}
        None => {
            // Running, no stats and not asked: say so without guessing.
            if let Some(e) = row.stats_error.clone() {
                set(
                    Health::Failing,
                    format!("its stats socket does not answer: {e}"),
                    format!("see its log: {log}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stub_status() {
        let c = NginxCounters::parse(
            "Active connections: 3 \nserver accepts handled requests\n 10 10 42 \nReading: 0 Writing: 2 Waiting: 1 \n",
        )
        .unwrap();
        assert_eq!(
            c,
            NginxCounters {
                active: 3,
                requests: 42,
                reading: 0,
                writing: 2,
                waiting: 1
            }
        );
        assert_eq!(NginxCounters::parse("<html>404</html>"), None);
        assert_eq!(NginxCounters::parse(""), None);
    }

    fn valid(hosts: bool) -> ValidSpec {
        let mut spec = crate::Spec::default();
        if hosts {
            spec.hosts = vec![
                crate::Host::parse("web1=10.0.0.11").unwrap(),
                crate::Host::parse("web2=10.0.0.12").unwrap(),
            ];
            spec.lb_address = Some("10.0.0.1".into());
        }
        crate::validate(&spec).unwrap()
    }

    fn program(name: &str, state: &str) -> Program {
        Program {
            name: name.into(),
            state: state.into(),
            pid: if state == "RUNNING" { 100 } else { 0 },
            start: 1_000,
            now: 1_060,
            exitstatus: 0,
            spawnerr: String::new(),
        }
    }

    /// Two workers of two threads; `busy` of the four slots in a request since `since`.
    fn stats(busy: usize, since: u64, queue: u64) -> UwsgiStats {
        let core = |i: usize| StatsCore {
            in_request: u64::from(i < busy),
            req_info: (i < busy).then_some(ReqInfo {
                request_start: since,
            }),
        };
        UwsgiStats {
            listen_queue: queue,
            sockets: vec![StatsSocket {
                queue,
                max_queue: 100,
            }],
            workers: (0..2)
                .map(|w| StatsWorker {
                    pid: 0,
                    requests: 5,
                    cores: (0..2).map(|t| core(w * 2 + t)).collect(),
                    ..StatsWorker::default()
                })
                .collect(),
            ..UwsgiStats::default()
        }
    }

    fn seen(valid: &ValidSpec, states: [&str; 3], replicas: Vec<ObservedReplica>) -> Observed {
        let mut programs: Vec<Program> = (0..3)
            .map(|k| program(&format!("p{k}"), states[k]))
            .collect();
        programs.push(program("ngx", "RUNNING"));
        Observed {
            now: 1_060,
            programs,
            nginx_conf: crate::render(valid)[2].contents.clone(),
            nginx: Ok(NginxCounters::default()),
            supervisord_log: String::new(),
            replicas,
        }
    }

    fn fine() -> ObservedReplica {
        ObservedReplica {
            stats: Some(Ok(stats(1, 1_059, 0))),
            probe: Some(Probe::Answered(200)),
            rss: Some(1 << 20),
        }
    }

    fn words(r: &Report) -> Vec<&'static str> {
        r.replicas.iter().map(|r| r.health.word()).collect()
    }

    #[test]
    fn each_word_from_what_was_seen() {
        let v = valid(false);
        let all = |states, replicas| assess(&v, &seen(&v, states, replicas), BLOCKED_AFTER);
        let r = all(["RUNNING"; 3], vec![fine(), fine(), fine()]);
        assert_eq!(words(&r), ["serving"; 3]);
        assert!(r.healthy());
        assert_eq!(r.replicas[0].busy, Some(1));
        // Every slot busy for 5 s; a queue; every slot busy for less than the threshold.
        let full = ObservedReplica {
            stats: Some(Ok(stats(4, 1_055, 0))),
            probe: None,
            rss: None,
        };
        let queued = ObservedReplica {
            stats: Some(Ok(stats(4, 1_060, 3))),
            ..fine()
        };
        let just_full = ObservedReplica {
            stats: Some(Ok(stats(4, 1_060, 0))),
            ..fine()
        };
        let r = all(["RUNNING"; 3], vec![full, queued, just_full]);
        assert_eq!(words(&r), ["blocked", "blocked", "serving"]);
        assert_eq!((r.summary.blocked, r.summary.queued), (2, 3));
        // A queue sampled beside a free slot: being accepted, not blocked.
        let stale = ObservedReplica {
            stats: Some(Ok(stats(0, 0, 1))),
            ..fine()
        };
        assert_eq!(
            words(&all(["RUNNING"; 3], vec![stale, fine(), fine()]))[0],
            "serving"
        );
        let r = all(
            ["RUNNING"; 3],
            vec![
                ObservedReplica {
                    stats: Some(Ok(stats(4, 1_055, 0))),
                    probe: None,
                    rss: None,
                },
                ObservedReplica {
                    stats: Some(Ok(stats(4, 1_060, 3))),
                    ..fine()
                },
                fine(),
            ],
        );
        assert_eq!(r.replicas[0].longest_s, Some(5));
        assert!(
            r.replicas[0].reason.contains("4/4"),
            "{}",
            r.replicas[0].reason
        );
        assert_eq!((r.summary.blocked, r.summary.queued), (2, 3));
        assert!(!r.healthy());
        // supervisord's word: stopped, starting, fatal.
        let r = all(
            ["STOPPED", "BACKOFF", "FATAL"],
            vec![fine(), fine(), fine()],
        );
        assert_eq!(words(&r), ["down", "restarting", "down"]);
        assert!(
            r.replicas[0].hint.contains("start p0"),
            "{}",
            r.replicas[0].hint
        );
        // 5xx and a refusing socket: failing.
        let five = ObservedReplica {
            probe: Some(Probe::Answered(502)),
            ..fine()
        };
        let refused = ObservedReplica {
            probe: Some(Probe::Refused("Connection refused".into())),
            stats: None,
            ..fine()
        };
        let r = all(["RUNNING"; 3], vec![five, refused, fine()]);
        assert_eq!(words(&r), ["failing", "failing", "serving"]);
    }

    #[test]
    fn out_of_rotation_is_drained_unless_it_failed() {
        let v = valid(false);
        let mut s = seen(
            &v,
            ["RUNNING", "STOPPING", "BACKOFF"],
            vec![fine(), fine(), fine()],
        );
        s.nginx_conf = crate::live::nginx_with_down(&v, &[0, 1, 2]);
        let r = assess(&v, &s, BLOCKED_AFTER);
        assert_eq!(words(&r), ["drained", "drained", "down"]);
        assert!(r.replicas.iter().all(|r| !r.in_rotation));
        assert!(
            r.replicas[2].hint.contains("log/p2.log"),
            "{}",
            r.replicas[2].hint
        );
    }

    #[test]
    fn app_hosts_are_judged_by_the_probe() {
        let v = valid(true);
        let probe = |p: Probe| ObservedReplica {
            stats: None,
            probe: Some(p),
            rss: None,
        };
        let s = Observed {
            programs: vec![program("ngx", "RUNNING")],
            nginx_conf: crate::render(&v)
                .into_iter()
                .find(|f| f.name == crate::NGINX_CONF)
                .unwrap()
                .contents,
            replicas: vec![
                probe(Probe::Answered(200)),
                probe(Probe::NoAnswer("no answer within 2.0 s".into())),
                probe(Probe::Refused("Connection timed out".into())),
                probe(Probe::Answered(500)),
                probe(Probe::Answered(200)),
                probe(Probe::Answered(200)),
            ],
            ..seen(&v, ["RUNNING"; 3], Vec::new())
        };
        let r = assess(&v, &s, BLOCKED_AFTER);
        assert_eq!(
            words(&r),
            ["serving", "blocked", "down", "failing", "serving", "serving"]
        );
        // Three replicas on each host, host by host.
        assert_eq!(r.replicas[2].host.as_deref(), Some("web1"));
        assert_eq!(r.replicas[2].endpoint, "10.0.0.11:8082");
        assert_eq!(r.replicas[3].endpoint, "10.0.0.12:8080");
        assert_eq!(r.replicas[0].state, None);
    }

    #[test]
    fn counts_restarts_since_supervisord_started() {
        let log = "2026-01-01 supervisord started with pid 1\nspawned: 'p0' with pid 5\nspawned: 'p0' with pid 6\n\
                   2026-01-02 supervisord started with pid 2\nspawned: 'p0' with pid 7\nspawned: 'p1' with pid 8\nspawned: 'p1' with pid 9\nspawned: 'p10' with pid 10\n";
        assert_eq!(restarts(log, "p0"), Some(0));
        assert_eq!(restarts(log, "p1"), Some(1));
        assert_eq!(restarts(log, "p2"), None);
    }
}
