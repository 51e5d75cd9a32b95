//! What each program knows, taken from the installed versions: nginx 1.22.1's directives
//! (every word of the binary that `nginx -t` does not call an unknown directive), uWSGI
//! 2.0.21's options with its python3 plugin (`uwsgi --plugin python3 --help`), supervisor
//! 4.2.5's keys (read from `supervisor/options.py`). `known/regen.sh` rebuilds the two lists;
//! an end-to-end test holds them to the installed programs.

use std::sync::OnceLock;

/// nginx 1.22.1's directives, one per line, sorted.
pub static NGINX: &str = include_str!("known/nginx-1.22.txt");
/// uWSGI 2.0.21's options with the python3 plugin, one per line, sorted.
pub static UWSGI: &str = include_str!("known/uwsgi-2.0.txt");
/// How many arguments each nginx 1.22.1 directive takes and whether it opens a block, as
/// `nginx -t` checks them in the first context that allows the directive
/// (`known/arity.py`): `NAME<TAB>COUNTS[<TAB>block]`, sorted by name.
pub static NGINX_ARGS: &str = include_str!("known/nginx-1.22-args.txt");

/// The argument counts a directive takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arity {
    /// Fewest arguments.
    pub min: usize,
    /// Most arguments (`usize::MAX`: no limit).
    pub max: usize,
    /// Whether it opens a block.
    pub block: bool,
}

impl Arity {
    /// Whether `n` arguments are accepted.
    pub fn takes(&self, n: usize) -> bool {
        (self.min..=self.max).contains(&n)
    }

    /// `1 argument`, `2 or 3 arguments`, `1 or more arguments`, as a message says it.
    pub fn describe(&self) -> String {
        let unit = |n: usize| if n == 1 { "argument" } else { "arguments" };
        match (self.min, self.max) {
            (lo, hi) if lo == hi => format!("{lo} {}", unit(lo)),
            (lo, usize::MAX) => format!("{lo} or more arguments"),
            (lo, hi) if hi == lo + 1 => format!("{lo} or {hi} arguments"),
            (lo, hi) => format!("{lo} to {hi} arguments"),
        }
    }
}

/// The arity of nginx directive `name`, when the table has it.
pub fn nginx_arity(name: &str) -> Option<Arity> {
    static CELL: OnceLock<Vec<(&'static str, Arity)>> = OnceLock::new();
    let table = CELL.get_or_init(|| {
        NGINX_ARGS
            .lines()
            .filter_map(|l| {
                let mut f = l.split('\t');
                let (name, counts) = (f.next()?, f.next()?);
                let block = f.next() == Some("block");
                let (min, max) = match counts.split_once('-') {
                    Some((lo, hi)) => (lo.parse().ok()?, hi.parse().ok()?),
                    None => match counts.strip_suffix('+') {
                        Some(lo) => (lo.parse().ok()?, usize::MAX),
                        None => {
                            // A list with gaps (`1,3`): its range (rare; nginx checks the rest).
                            let all: Vec<usize> =
                                counts.split(',').filter_map(|c| c.parse().ok()).collect();
                            (*all.first()?, *all.last()?)
                        }
                    },
                };
                Some((name, Arity { min, max, block }))
            })
            .collect()
    });
    table
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .map(|i| table[i].1)
}

/// Keys of `[program:x]`, and of `[eventlistener:x]` and `[fcgi-program:x]` with their own.
pub const SUPERVISOR_PROGRAM: &[&str] = &[
    "command",
    "process_name",
    "numprocs",
    "numprocs_start",
    "directory",
    "umask",
    "priority",
    "autostart",
    "autorestart",
    "startsecs",
    "startretries",
    "exitcodes",
    "stopsignal",
    "stopwaitsecs",
    "stopasgroup",
    "killasgroup",
    "user",
    "redirect_stderr",
    "stdout_logfile",
    "stdout_logfile_maxbytes",
    "stdout_logfile_backups",
    "stdout_capture_maxbytes",
    "stdout_events_enabled",
    "stdout_syslog",
    "stderr_logfile",
    "stderr_logfile_maxbytes",
    "stderr_logfile_backups",
    "stderr_capture_maxbytes",
    "stderr_events_enabled",
    "stderr_syslog",
    "environment",
    "serverurl",
];
const SUPERVISOR_EVENTLISTENER: &[&str] = &["buffer_size", "events", "result_handler"];
const SUPERVISOR_FCGI: &[&str] = &["socket", "socket_backlog", "socket_owner", "socket_mode"];
const SUPERVISOR_SUPERVISORD: &[&str] = &[
    "logfile",
    "logfile_maxbytes",
    "logfile_backups",
    "loglevel",
    "pidfile",
    "umask",
    "nodaemon",
    "silent",
    "minfds",
    "minprocs",
    "nocleanup",
    "childlogdir",
    "user",
    "directory",
    "strip_ansi",
    "environment",
    "identifier",
];
const SUPERVISOR_UNIX_HTTP: &[&str] = &["file", "chmod", "chown", "username", "password"];
const SUPERVISOR_INET_HTTP: &[&str] = &["port", "username", "password"];
const SUPERVISOR_CTL: &[&str] = &[
    "serverurl",
    "username",
    "password",
    "prompt",
    "history_file",
];

/// Keys supervisor reads in a section named `section`; `None` when the section itself is
/// not one supervisor reads, `Some(None)` when any key goes (`[rpcinterface:x]`).
pub fn supervisor_keys(section: &str) -> Option<Option<Vec<&'static str>>> {
    let (kind, _) = section.split_once(':').unwrap_or((section, ""));
    let with = |extra: &[&'static str]| {
        let mut all = SUPERVISOR_PROGRAM.to_vec();
        all.extend_from_slice(extra);
        Some(Some(all))
    };
    match kind {
        "program" => with(&[]),
        "eventlistener" => with(SUPERVISOR_EVENTLISTENER),
        "fcgi-program" => with(SUPERVISOR_FCGI),
        "supervisord" => Some(Some(SUPERVISOR_SUPERVISORD.to_vec())),
        "unix_http_server" => Some(Some(SUPERVISOR_UNIX_HTTP.to_vec())),
        "inet_http_server" => Some(Some(SUPERVISOR_INET_HTTP.to_vec())),
        "supervisorctl" => Some(Some(SUPERVISOR_CTL.to_vec())),
        "include" => Some(Some(vec!["files"])),
        "group" => Some(Some(vec!["programs", "priority"])),
        "rpcinterface" | "ctlplugin" => Some(None),
        _ => None,
    }
}

/// A list's lines, split once.
fn lines_of(
    list: &'static str,
    cell: &'static OnceLock<Vec<&'static str>>,
) -> &'static [&'static str] {
    cell.get_or_init(|| list.lines().collect())
}

/// nginx's directives.
pub fn nginx() -> &'static [&'static str] {
    static CELL: OnceLock<Vec<&'static str>> = OnceLock::new();
    lines_of(NGINX, &CELL)
}

/// uWSGI's options.
pub fn uwsgi() -> &'static [&'static str] {
    static CELL: OnceLock<Vec<&'static str>> = OnceLock::new();
    lines_of(UWSGI, &CELL)
}

/// Directives added after 1.22 that Trident writes for a newer nginx (`--nginx-version
/// 1.26`): `http2 on` replaced `listen ... http2` in 1.25.1.
const NGINX_LATER: &[&str] = &[
    "http2",
    "http3",
    "http3_hq",
    "quic_bpf",
    "quic_gso",
    "quic_host_key",
    "quic_retry",
];

/// Whether `name` is in `list` (a sorted list).
pub fn contains(list: &[&str], name: &str) -> bool {
    list.binary_search(&name).is_ok()
}

/// Whether nginx knows directive `name`: 1.22's, or one added since that Trident writes.
pub fn nginx_knows(name: &str) -> bool {
    contains(nginx(), name) || NGINX_LATER.contains(&name)
}

/// Names a user writes for another: other programs' spellings and common slips.
const ALIASES: &[(&str, &str)] = &[
    ("pidfile", "pid"),
    ("pid_file", "pid"),
    ("errorlog", "error_log"),
    ("accesslog", "access_log"),
    ("servername", "server_name"),
    ("proxy_pass_uwsgi", "uwsgi_pass"),
];

/// The known name nearest to `name`: an alias, the same name with `-`/`_` swapped, or one
/// within a small edit distance (1 for short names, 2 from 6 characters, 3 from 12).
pub fn did_you_mean<'k>(name: &str, known: impl Iterator<Item = &'k str>) -> Option<&'k str> {
    let known: Vec<&'k str> = known.collect();
    if let Some((_, to)) = ALIASES.iter().find(|(from, _)| *from == name) {
        if let Some(k) = known.iter().find(|k| *k == to) {
            return Some(k);
        }
    }
    let swapped: String = name
        .chars()
        .map(|c| match c {
            '-' => '_',
            '_' => '-',
            c => c,
        })
        .collect();
    if let Some(k) = known.iter().find(|k| **k == swapped) {
        return Some(k);
    }
    let limit = match name.chars().count() {
        0..=5 => 1,
        6..=11 => 2,
        _ => 3,
    };
    known
        .iter()
        .map(|k| (distance(name, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// two neighbours each count 1.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 3 {
        return usize::MAX;
    }
    let mut prev2 = vec![0usize; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("pidfile", NGINX.lines()), Some("pid"));
        assert_eq!(did_you_mean("uwsgi_pas", NGINX.lines()), Some("uwsgi_pass"));
        assert_eq!(did_you_mean("worker", UWSGI.lines()), Some("workers"));
        assert_eq!(did_you_mean("need_app", UWSGI.lines()), Some("need-app"));
        assert_eq!(did_you_mean("zzzzzzzz", UWSGI.lines()), None);
        assert!(contains(nginx(), "uwsgi_pass") && !contains(nginx(), "pidfile"));
        assert!(contains(uwsgi(), "need-app") && !contains(uwsgi(), "need_app"));
        let sorted = |l: &[&str]| l.windows(2).all(|w| w[0] < w[1]);
        assert!(sorted(nginx()) && sorted(uwsgi()));
        let names: Vec<&str> = NGINX_ARGS
            .lines()
            .filter_map(|l| l.split('\t').next())
            .collect();
        assert!(sorted(&names), "nginx-1.22-args.txt is not sorted");
        let one = nginx_arity("server_tokens").unwrap();
        assert!(one.takes(1) && !one.takes(3) && !one.block);
        assert_eq!(one.describe(), "1 argument");
        assert_eq!(
            nginx_arity("add_header").unwrap().describe(),
            "2 or 3 arguments"
        );
        assert!(nginx_arity("events").unwrap().block);
    }
}
