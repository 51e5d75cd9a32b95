//! Where everything of a deployment lives and what it is called, resolved once from a spec:
//! directories, program names, the variables supervisord hands each replica, socket paths
//! and the address nginx connects to.
//!
//! Validation, the renderers, the cross-file check and the page all read these from one
//! [`Layout`] (a [`crate::ValidSpec`] carries it), so each name is spelled in one place.

use std::net::IpAddr;

use crate::spec::{SocketKind, Spec, UWSGI_VARS_ROOM};

/// `uwsgi_connect_timeout` on one host.
pub const CONNECT_TIMEOUT_ONE_HOST: u32 = 60;
/// `uwsgi_connect_timeout` with app hosts: within a LAN a connection is set up in well under
/// a millisecond; 2 s allows one lost SYN (retransmitted after 1 s) and skips a host that
/// drops packets after 2 s instead of 60.
pub const CONNECT_TIMEOUT_HOSTS: u32 = 2;
/// Name of the load balancer's output directory with hosts.
pub const LB_DIR: &str = "lb";

/// One app host, resolved: its replicas, ports and the address nginx connects to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostLayout {
    /// The host's name (its output directory).
    pub name: String,
    /// Its private address as given (the replicas bind it).
    pub address: String,
    /// The address in `HOST:PORT` form: IPv6 in brackets.
    pub connect_host: String,
    /// Replicas on the host.
    pub replicas: u32,
    /// Port of its first replica.
    pub base_port: u32,
}

impl HostLayout {
    /// Appends `ADDRESS:PORT` of the host's replica `k`.
    pub fn push_endpoint(&self, out: &mut String, k: u32) {
        out.push_str(&self.connect_host);
        out.push(':');
        push_u32(out, self.base_port + k);
    }
}

/// The variable holding a TCP replica's port.
pub const PORT_VAR: &str = "S_PORT";
/// The variable holding a unix replica's socket path.
pub const SOCKET_VAR: &str = "S_SOCKET";
/// The variable holding each replica's worker count, read by `webapp.ini`.
pub const WORKERS_VAR: &str = "WORKER_COUNT";
/// The locale variable, set from the spec's `lang`.
pub const LANG_VAR: &str = "LANG";
/// Environment names Trident sets itself, with the field to use instead.
pub const RESERVED_ENV: &[(&str, &str)] = &[
    (
        PORT_VAR,
        "it tells each replica where to listen; rename your variable",
    ),
    (
        SOCKET_VAR,
        "it tells each replica where to listen; rename your variable",
    ),
    (WORKERS_VAR, "set the workers field instead"),
    (LANG_VAR, "set the lang field instead"),
];
/// File name of supervisord's control socket in the run directory.
pub const SUPERVISOR_SOCKET: &str = "supervisor.sock";
/// The run directory's subdirectory for what only the stack's user may read (mode 0700):
/// each replica's uWSGI stats socket and nginx's `stub_status` socket. nginx makes its unix
/// sockets 0666 and uWSGI's stats carry each running request's headers (cookies included),
/// so the directory is the boundary.
pub const STATUS_DIR: &str = "status";
/// The variable supervisord sets to each child's program name (supervisor 4.2's
/// `process.py`), which `webapp.ini` reads to name the replica's stats socket.
pub const PROCESS_NAME_VAR: &str = "SUPERVISOR_PROCESS_NAME";
/// File name of nginx's `stub_status` socket in [`STATUS_DIR`].
pub const NGINX_STATUS_SOCKET: &str = "nginx.sock";
/// The location nginx serves `stub_status` at, on [`NGINX_STATUS_SOCKET`] only.
pub const NGINX_STATUS_PATH: &str = "/nginx_status";

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

/// Every resolved name and path of a deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The directories.
    pub dirs: Dirs,
    /// How replicas are reached.
    pub socket: SocketKind,
    /// Prefix of the replica program names.
    pub program_prefix: String,
    /// Number of replicas.
    pub replicas: u32,
    /// Port of replica 0 (TCP).
    pub base_port: u32,
    /// The host nginx connects to for TCP replicas: the bind address, or loopback when uWSGI
    /// binds every address; IPv6 in brackets.
    pub connect_host: String,
    /// The target nginx's version, when `nginx_version` reads as one.
    pub nginx_version: Option<(u32, u32, u32)>,
    /// True when nginx serves HTTPS (a certificate and a key are given).
    pub tls: bool,
    /// The size, in KiB, of nginx's one large header buffer, derived from uWSGI's
    /// `buffer-size` so that any header block nginx accepts fits uWSGI's buffer.
    pub header_buffer_kib: u32,
    /// `uwsgi_connect_timeout` in seconds (the spec's, or the default for one host or many).
    pub connect_timeout: u32,
    /// The app hosts; empty when nginx and the replicas share one host.
    pub hosts: Vec<HostLayout>,
}

/// The first nginx release that spells HTTP/2 as `http2 on;` (before: `listen ... http2`).
pub const HTTP2_DIRECTIVE_SINCE: (u32, u32, u32) = (1, 25, 1);

/// Parses `X.Y` or `X.Y.Z`.
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.trim().split('.');
    let mut next = || -> Option<u32> {
        let p = parts.next()?;
        (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse().ok())
            .flatten()
    };
    let (major, minor) = (next()?, next()?);
    let patch = match parts.next() {
        None => 0,
        Some(p) if !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse().ok()?
        }
        Some(_) => return None,
    };
    parts.next().is_none().then_some((major, minor, patch))
}

impl Layout {
    /// Resolves `spec`. Works on any spec, valid or not (validation uses it too).
    pub fn new(spec: &Spec) -> Layout {
        let under = |own: &Option<String>, name: &str| match own {
            Some(dir) => dir.clone(),
            None => join(&spec.home, name),
        };
        let app = under(&spec.app_dir, "app");
        let static_files = spec.static_url.as_ref().map(|_| match &spec.static_dir {
            Some(dir) => dir.clone(),
            None => join(&app, "static"),
        });
        Layout {
            dirs: Dirs {
                conf: under(&spec.conf_dir, "etc"),
                run: under(&spec.run_dir, "run"),
                log: under(&spec.log_dir, "log"),
                app,
                static_files,
            },
            socket: spec.socket,
            program_prefix: spec.program_prefix.clone(),
            replicas: spec.replicas,
            base_port: spec.base_port,
            connect_host: connect_host(&spec.bind),
            nginx_version: parse_version(&spec.nginx_version),
            tls: spec.tls_cert.is_some() && spec.tls_key.is_some(),
            header_buffer_kib: spec.buffer_size.saturating_sub(UWSGI_VARS_ROOM) / 1024,
            connect_timeout: spec.connect_timeout.unwrap_or(if spec.hosts.is_empty() {
                CONNECT_TIMEOUT_ONE_HOST
            } else {
                CONNECT_TIMEOUT_HOSTS
            }),
            hosts: spec
                .hosts
                .iter()
                .map(|h| HostLayout {
                    name: h.name.clone(),
                    address: h.address.clone(),
                    connect_host: bracket_v6(&h.address),
                    replicas: h.replicas.unwrap_or(spec.replicas),
                    base_port: h.base_port.unwrap_or(spec.base_port),
                })
                .collect(),
        }
    }

    /// The layout of app host `host` seen on its own: its replicas, its ports, its address
    /// bound, no hosts.
    pub fn for_host(&self, host: &HostLayout) -> Layout {
        Layout {
            replicas: host.replicas,
            base_port: host.base_port,
            connect_host: host.connect_host.clone(),
            hosts: Vec::new(),
            ..self.clone()
        }
    }

    /// True when the target nginx spells HTTP/2 as its own `http2 on;` directive.
    pub fn http2_directive(&self) -> bool {
        self.nginx_version
            .is_some_and(|v| v >= HTTP2_DIRECTIVE_SINCE)
    }

    /// The variable that tells a replica where to listen.
    pub fn replica_var(&self) -> &'static str {
        match self.socket {
            SocketKind::Tcp => PORT_VAR,
            SocketKind::Unix => SOCKET_VAR,
        }
    }

    /// Appends the program name of replica `k`: `PREFIX` + `k`.
    pub fn push_program(&self, out: &mut String, k: u32) {
        out.push_str(&self.program_prefix);
        push_u32(out, k);
    }

    /// The program name of replica `k`.
    pub fn program(&self, k: u32) -> String {
        let mut out = String::new();
        self.push_program(&mut out, k);
        out
    }

    /// Appends the unix socket path of replica `k`: `RUN_DIR/PROGRAM.sock`.
    pub fn push_socket_path(&self, out: &mut String, k: u32) {
        let mut digits = String::new();
        push_u32(&mut digits, k);
        self.push_socket_path_with(out, &digits, "");
    }

    /// Appends a socket path with `index` (text, such as a shell brace range) for the replica
    /// number, and the directory and suffix wrapped in `quote` (for a shell pattern).
    pub fn push_socket_path_with(&self, out: &mut String, index: &str, quote: &str) {
        for part in [
            quote,
            &self.dirs.run,
            "/",
            &self.program_prefix,
            quote,
            index,
        ] {
            out.push_str(part);
        }
        for part in [quote, ".sock", quote] {
            out.push_str(part);
        }
    }

    /// The unix socket path of replica `k`.
    pub fn socket_path(&self, k: u32) -> String {
        let mut out = String::new();
        self.push_socket_path(&mut out, k);
        out
    }

    /// Appends the value of [`Layout::replica_var`] for replica `k`: its port or socket path.
    pub fn push_replica_value(&self, out: &mut String, k: u32) {
        match self.socket {
            SocketKind::Tcp => push_u32(out, self.base_port + k),
            SocketKind::Unix => self.push_socket_path(out, k),
        }
    }

    /// The value of [`Layout::replica_var`] for replica `k`.
    pub fn replica_value(&self, k: u32) -> String {
        let mut out = String::new();
        self.push_replica_value(&mut out, k);
        out
    }

    /// Appends the address nginx's upstream names replica `k` by, unquoted: `HOST:PORT`, or
    /// `unix:PATH`.
    pub fn push_endpoint(&self, out: &mut String, k: u32) {
        match self.socket {
            SocketKind::Tcp => {
                out.push_str(&self.connect_host);
                out.push(':');
                push_u32(out, self.base_port + k);
            }
            SocketKind::Unix => {
                out.push_str("unix:");
                self.push_socket_path(out, k);
            }
        }
    }

    /// Path of supervisord's control socket.
    pub fn supervisor_socket(&self) -> String {
        join(&self.dirs.run, SUPERVISOR_SOCKET)
    }

    /// supervisord's own log: `LOG/supervisord.log`.
    pub fn supervisord_log(&self) -> String {
        join(&self.dirs.log, "supervisord.log")
    }

    /// The directory of the status sockets: `RUN/status` (see [`STATUS_DIR`]).
    pub fn status_dir(&self) -> String {
        join(&self.dirs.run, STATUS_DIR)
    }

    /// The uWSGI stats socket of the replica named `program`: `RUN/status/PROGRAM.stats`.
    pub fn stats_socket_of(&self, program: &str) -> String {
        join(&self.status_dir(), &format!("{program}.stats"))
    }

    /// The uWSGI stats socket of replica `k`.
    pub fn stats_socket(&self, k: u32) -> String {
        self.stats_socket_of(&self.program(k))
    }

    /// nginx's `stub_status` socket.
    pub fn nginx_status_socket(&self) -> String {
        join(&self.status_dir(), NGINX_STATUS_SOCKET)
    }

    /// Path of a file in the conf directory.
    pub fn conf(&self, name: &str) -> String {
        join(&self.dirs.conf, name)
    }

    /// The replica a program name belongs to: `PREFIX` + `k` with `k` below the replica
    /// count, written without leading zeros.
    pub fn replica_of_program(&self, name: &str) -> Option<u32> {
        let digits = name.strip_prefix(self.program_prefix.as_str())?;
        let k: u32 = digits.parse().ok()?;
        (k < self.replicas && (digits == "0" || !digits.starts_with('0'))).then_some(k)
    }

    /// The replica a [`Layout::replica_var`] value belongs to.
    pub fn replica_of_value(&self, value: &str) -> Option<u32> {
        match self.socket {
            SocketKind::Tcp => {
                let k = value.parse::<u32>().ok()?.checked_sub(self.base_port)?;
                (k < self.replicas).then_some(k)
            }
            SocketKind::Unix => {
                let name = value
                    .strip_prefix(self.dirs.run.as_str())?
                    .strip_prefix('/')?
                    .strip_suffix(".sock")?;
                self.replica_of_program(name)
            }
        }
    }

    /// The replica an upstream endpoint (see [`Layout::push_endpoint`]) belongs to.
    pub fn replica_of_endpoint(&self, endpoint: &str) -> Option<u32> {
        match self.socket {
            SocketKind::Tcp => self.replica_of_value(
                endpoint
                    .strip_prefix(self.connect_host.as_str())?
                    .strip_prefix(':')?,
            ),
            SocketKind::Unix => self.replica_of_value(endpoint.strip_prefix("unix:")?),
        }
    }
}

/// The host nginx connects to for a uWSGI bind address.
fn connect_host(bind: &str) -> String {
    match bind.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) if ip.is_unspecified() => "127.0.0.1".into(),
        Ok(IpAddr::V6(ip)) if ip.is_unspecified() => "[::1]".into(),
        _ => bracket_v6(bind),
    }
}

/// An address as `HOST:PORT` takes it: IPv6 in brackets.
pub fn bracket_v6(address: &str) -> String {
    if address.contains(':') {
        format!("[{address}]")
    } else {
        address.to_string()
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

/// Appends `n` in decimal, without the formatting machinery (the renderers call this once
/// or twice per replica).
pub(crate) fn push_u32(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_u32_writes_decimal() {
        for n in [0, 7, 9, 10, 65_535, 1_000_000, u32::MAX] {
            let mut s = String::from("p");
            push_u32(&mut s, n);
            assert_eq!(s, format!("p{n}"));
        }
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("1.22"), Some((1, 22, 0)));
        assert_eq!(parse_version("1.25.1"), Some((1, 25, 1)));
        for bad in ["", "1", "1.", "1.x", "1.22.1.1", "1.22.", " 1 .2", "v1.22"] {
            assert_eq!(parse_version(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn names_and_their_inverses_agree() {
        for socket in [SocketKind::Tcp, SocketKind::Unix] {
            let l = Layout::new(&Spec {
                socket,
                replicas: 12,
                bind: "::1".into(),
                ..Spec::default()
            });
            for k in 0..12 {
                assert_eq!(l.replica_of_program(&l.program(k)), Some(k));
                assert_eq!(l.replica_of_value(&l.replica_value(k)), Some(k));
                let mut e = String::new();
                l.push_endpoint(&mut e, k);
                assert_eq!(l.replica_of_endpoint(&e), Some(k), "{e}");
            }
            assert_eq!(l.replica_of_program("p12"), None);
            assert_eq!(l.replica_of_program("p01"), None);
        }
    }
}
