//! The deployment spec: the one input every renderer and every front end shares.
//!
//! A [`Spec`] is plain data that serde fills from TOML, JSON or URL pairs; it may hold any
//! value, valid or not. [`crate::validate`] turns it into a [`crate::ValidSpec`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Everything Trident needs to render `supervisord.conf`, `webapp.ini` and `nginx.conf`.
///
/// `Default` is the seed's deployment (3 replicas from port 8080, `app.wsgi:application`,
/// upstream `triple`, programs `p0..p2` and `ngx`) with the fixes the real servers demanded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Spec {
    /// Number of uWSGI instances (supervisord programs `p0..p{N-1}`).
    pub replicas: u32,
    /// TCP port of the first replica; replica K listens on `base_port + K`.
    pub base_port: u32,
    /// How nginx reaches the replicas: TCP ports or unix sockets in `run_dir`.
    pub socket: SocketKind,
    /// Address the uWSGI TCP sockets bind to. Keep it loopback: the uwsgi protocol has no
    /// authentication and lets a client choose what to run.
    pub bind: String,
    /// Port nginx listens on.
    pub listen: u32,
    /// Address nginx listens on (`0.0.0.0` to serve other hosts).
    pub listen_address: String,
    /// nginx `server_name`: one or more host names separated by spaces (`_` matches any).
    pub server_name: String,
    /// Root directory of the deployment; the other directories default to folders in it.
    pub home: String,
    /// Directory of the Python code (uWSGI `chdir`); default `HOME/app`.
    pub app_dir: Option<String>,
    /// Directory holding the three generated files; default `HOME/etc`.
    pub conf_dir: Option<String>,
    /// Directory for pid files, sockets and nginx temp files; default `HOME/run`.
    pub run_dir: Option<String>,
    /// Directory for logs; default `HOME/log`.
    pub log_dir: Option<String>,
    /// WSGI entry point as `dotted.module:callable`.
    pub module: String,
    /// uWSGI worker processes per replica.
    pub workers: u32,
    /// Threads per uWSGI worker.
    pub threads: u32,
    /// Recycle a worker after this many requests (0 = never).
    pub max_requests: u32,
    /// Run the uWSGI master process (needed for `max-requests`, `harakiri` and clean stops).
    pub master: bool,
    /// Remove uWSGI sockets and pid files at exit.
    pub vacuum: bool,
    /// `LANG` for the app. `C.UTF-8` exists on every Debian image; quotes are not stripped by
    /// uWSGI, so none are written.
    pub lang: String,
    /// Seconds after which uWSGI kills a worker stuck in one request (0 = off).
    pub harakiri: u32,
    /// uWSGI `listen` backlog per replica; unset keeps uWSGI's default of 100.
    pub listen_backlog: Option<u32>,
    /// Load uWSGI's `python3` plugin (Debian's plugin-based uwsgi needs it; pip's does not).
    pub python_plugin: bool,
    /// Absolute path of the uwsgi binary (supervisord looks commands up in its own PATH).
    pub uwsgi_bin: String,
    /// Absolute path of the nginx binary (`/usr/sbin` is not on a normal user's PATH).
    pub nginx_bin: String,
    /// Name of the nginx upstream block.
    pub upstream: String,
    /// Prefix of the replica program names in supervisord (`p` gives `p0`, `p1`, ...).
    pub program_prefix: String,
    /// supervisord program name of nginx.
    pub nginx_program: String,
    /// nginx load-balancing method.
    pub balance: Balance,
    /// Failed attempts within `fail_timeout` before nginx marks a replica down (0 = never).
    pub max_fails: u32,
    /// Seconds in which `max_fails` count, and for which a failed replica is skipped.
    pub fail_timeout: u32,
    /// Most connections nginx opens to one replica at once (0 = unlimited).
    pub max_conns: u32,
    /// When nginx retries a request on the next replica (`uwsgi_next_upstream`).
    pub next_upstream: Vec<NextUpstream>,
    /// Seconds nginx waits to connect to a replica (`uwsgi_connect_timeout`, at most 75).
    pub connect_timeout: u32,
    /// Seconds nginx waits for a replica's answer (`uwsgi_read_timeout`).
    pub read_timeout: u32,
    /// Seconds nginx's start waits for every replica's socket to accept (0 = start at once).
    pub wait_for_backends: u32,
    /// URL prefix nginx serves from `static_dir` without uWSGI, such as `/static/`.
    pub static_url: Option<String>,
    /// Directory behind `static_url`; default `APP_DIR/static`.
    pub static_dir: Option<String>,
    /// Extra environment variables for every replica.
    pub env: BTreeMap<String, String>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            replicas: 3,
            base_port: 8080,
            socket: SocketKind::Tcp,
            bind: "127.0.0.1".into(),
            listen: 8000,
            listen_address: "127.0.0.1".into(),
            server_name: "_".into(),
            home: "/srv/webapp".into(),
            app_dir: None,
            conf_dir: None,
            run_dir: None,
            log_dir: None,
            module: "app.wsgi:application".into(),
            workers: 2,
            threads: 2,
            max_requests: 5000,
            master: true,
            vacuum: true,
            lang: "C.UTF-8".into(),
            harakiri: 0,
            listen_backlog: None,
            python_plugin: true,
            uwsgi_bin: "/usr/bin/uwsgi".into(),
            nginx_bin: "/usr/sbin/nginx".into(),
            upstream: "triple".into(),
            program_prefix: "p".into(),
            nginx_program: "ngx".into(),
            balance: Balance::LeastConn,
            max_fails: 1,
            fail_timeout: 10,
            max_conns: 0,
            next_upstream: vec![NextUpstream::Error, NextUpstream::Timeout],
            connect_timeout: 60,
            read_timeout: 60,
            wait_for_backends: 10,
            static_url: None,
            static_dir: None,
            env: BTreeMap::new(),
        }
    }
}

/// How nginx talks to the replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SocketKind {
    /// `bind:base_port+K`.
    Tcp,
    /// `run_dir/pK.sock`.
    Unix,
}

/// nginx's load-balancing methods, spelled as nginx spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Balance {
    /// nginx's default: each replica in turn, blind to how busy it is.
    #[serde(alias = "round-robin", alias = "rr")]
    RoundRobin,
    /// The replica with the fewest open connections: skips a replica busy with earlier
    /// requests when clients are concurrent.
    #[serde(alias = "least-conn")]
    LeastConn,
    /// The same client address always reaches the same replica.
    #[serde(alias = "ip-hash")]
    IpHash,
    /// `random two least_conn`: two replicas at random, the less busy one wins.
    #[serde(alias = "random-two-least-conn", alias = "random_two")]
    RandomTwoLeastConn,
}

/// Conditions of `uwsgi_next_upstream`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NextUpstream {
    /// Connection refused or reset before the answer started.
    Error,
    /// Connect or read timeout.
    Timeout,
    /// The replica answered garbage.
    InvalidHeader,
    /// The replica answered 500.
    #[serde(rename = "http_500")]
    Http500,
    /// The replica answered 503.
    #[serde(rename = "http_503")]
    Http503,
    /// The replica answered 403.
    #[serde(rename = "http_403")]
    Http403,
    /// The replica answered 404.
    #[serde(rename = "http_404")]
    Http404,
    /// The replica answered 429.
    #[serde(rename = "http_429")]
    Http429,
    /// Also retry POST, LOCK, PATCH: such a request may run twice.
    NonIdempotent,
    /// Never retry.
    Off,
}

impl SocketKind {
    /// Every variant, in display order.
    pub const ALL: &'static [SocketKind] = &[SocketKind::Tcp, SocketKind::Unix];
    /// The spelling used in specs, flags and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            SocketKind::Tcp => "tcp",
            SocketKind::Unix => "unix",
        }
    }
}

impl Balance {
    /// Every variant, in display order.
    pub const ALL: &'static [Balance] = &[
        Balance::LeastConn,
        Balance::RoundRobin,
        Balance::IpHash,
        Balance::RandomTwoLeastConn,
    ];
    /// The spelling used in specs, flags and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Balance::RoundRobin => "round_robin",
            Balance::LeastConn => "least_conn",
            Balance::IpHash => "ip_hash",
            Balance::RandomTwoLeastConn => "random_two_least_conn",
        }
    }
    /// Parses nginx's own spellings, with `-` or `_`, plus `rr` and `random`.
    pub fn parse(s: &str) -> Option<Balance> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "round_robin" | "rr" | "roundrobin" => Some(Balance::RoundRobin),
            "least_conn" => Some(Balance::LeastConn),
            "ip_hash" => Some(Balance::IpHash),
            "random_two_least_conn" | "random_two" | "random" => Some(Balance::RandomTwoLeastConn),
            _ => None,
        }
    }
}

impl NextUpstream {
    /// Every variant, in nginx's documentation order.
    pub const ALL: &'static [NextUpstream] = &[
        NextUpstream::Error,
        NextUpstream::Timeout,
        NextUpstream::InvalidHeader,
        NextUpstream::Http500,
        NextUpstream::Http503,
        NextUpstream::Http403,
        NextUpstream::Http404,
        NextUpstream::Http429,
        NextUpstream::NonIdempotent,
        NextUpstream::Off,
    ];
    /// nginx's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NextUpstream::Error => "error",
            NextUpstream::Timeout => "timeout",
            NextUpstream::InvalidHeader => "invalid_header",
            NextUpstream::Http500 => "http_500",
            NextUpstream::Http503 => "http_503",
            NextUpstream::Http403 => "http_403",
            NextUpstream::Http404 => "http_404",
            NextUpstream::Http429 => "http_429",
            NextUpstream::NonIdempotent => "non_idempotent",
            NextUpstream::Off => "off",
        }
    }
}

/// The directories a spec resolves to, with `HOME/...` defaults applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dirs {
    /// uWSGI `chdir` and supervisord `directory`.
    pub app: String,
    /// Where the generated files live.
    pub conf: String,
    /// Pid files, sockets, nginx temp paths.
    pub run: String,
    /// Logs.
    pub log: String,
    /// Directory behind `static_url`, if static files are served.
    pub static_files: Option<String>,
}

impl Spec {
    /// Resolves the directory fields against `home`.
    pub fn dirs(&self) -> Dirs {
        let under = |own: &Option<String>, name: &str| match own {
            Some(dir) => dir.clone(),
            None => join(&self.home, name),
        };
        let app = under(&self.app_dir, "app");
        let static_files = self.static_url.as_ref().map(|_| match &self.static_dir {
            Some(dir) => dir.clone(),
            None => join(&app, "static"),
        });
        Dirs {
            conf: under(&self.conf_dir, "etc"),
            run: under(&self.run_dir, "run"),
            log: under(&self.log_dir, "log"),
            app,
            static_files,
        }
    }

    /// supervisord program name of replica `k`.
    pub fn program(&self, k: u32) -> String {
        format!("{}{k}", self.program_prefix)
    }
}

/// Joins an absolute directory and a relative name without doubling `/`.
pub(crate) fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}
