//! The deployment spec: the one input every renderer and every front end shares.
//!
//! A [`Spec`] is plain data that serde fills from TOML, JSON or URL pairs; it may hold any
//! value, valid or not. [`crate::validate`] turns it into a [`crate::ValidSpec`].
//!
//! Each field is declared once, in the [`spec!`] invocation below: its type, default, help,
//! label, placeholder and group. The macro writes the struct, its `Default` and the field
//! table ([`crate::FIELDS`]) the CLI, the share links, the page and the README read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub mod fields;

use fields::{Field, Group, Range, Value};

// The bounds of numeric fields: the rows below, validation and the page's sliders read them.

/// Most replicas a spec may ask for.
pub const MAX_REPLICAS: u32 = 10_000;
/// Most uWSGI workers per replica.
pub const MAX_WORKERS: u32 = 512;
/// Most threads per uWSGI worker.
pub const MAX_THREADS: u32 = 256;
/// nginx caps `uwsgi_connect_timeout` at 75 s on most systems.
pub const MAX_CONNECT_TIMEOUT: u32 = 75;
/// Longest HSTS max-age accepted: two years.
pub const MAX_HSTS: u32 = 63_072_000;
/// uWSGI's largest `buffer-size` (it is a 16-bit packet size).
pub const MAX_BUFFER_SIZE: u32 = 65_535;
/// Smallest `buffer-size` that leaves nginx at least a 4 KiB header buffer.
pub const MIN_BUFFER_SIZE: u32 = UWSGI_VARS_ROOM + 4096;
/// Bytes of uWSGI's buffer kept for what nginx adds to the client's headers (about 15 CGI
/// variables, the URI again as `REQUEST_URI` and `PATH_INFO`).
pub const UWSGI_VARS_ROOM: u32 = 4096;

/// A field's flag when it is not the name's kebab-case form.
macro_rules! flag_name {
    () => {
        None
    };
    ($flag:literal) => {
        Some($flag)
    };
}

/// An optional `range(LO, HI, "why")` or `slider(LO, HI)` of a row, as a value.
macro_rules! opt {
    () => {
        None
    };
    ($($x:tt)+) => {
        Some($($x)+)
    };
}

/// Declares every spec field once: `name: Type = default, Group [range(LO, HI, "why")]
/// [slider(LO, HI)], "Label", "PLACEHOLDER", "help";`. Writes `Spec`, `impl Default for
/// Spec` and `FIELDS` (in declaration order).
macro_rules! spec {
    ($($name:ident $(as $flag:literal)?: $ty:ty = $default:expr, $group:ident $(range($lo:expr, $hi:expr, $why:literal))? $(slider($slo:expr, $shi:expr))?, $label:literal, $value_name:literal, $help:literal;)*) => {
        /// Everything Trident needs to render `supervisord.conf`, `webapp.ini` and
        /// `nginx.conf`.
        ///
        /// `Default` is the seed's deployment (3 replicas from port 8080,
        /// `app.wsgi:application`, upstream `triple`, programs `p0..p2` and `ngx`) with the
        /// fixes the real servers demanded.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Spec {
            $(#[doc = $help] pub $name: $ty,)*
        }

        impl Default for Spec {
            fn default() -> Self {
                Spec { $($name: $default,)* }
            }
        }

        /// Every spec field, in the order help and UIs show them.
        pub static FIELDS: &[Field] = &[
            $(Field {
                name: stringify!($name),
                flag_name: flag_name!($($flag)?),
                label: $label,
                value_name: $value_name,
                help: $help,
                group: Group::$group,
                range: opt!($(Range { lo: $lo, hi: $hi, why: $why })?),
                slider: opt!($(($slo, $shi))?),
                number: |s| Value::number(&s.$name),
                kind: <$ty as Value>::KIND,
                choices: <$ty as Value>::CHOICES,
                get: |s| Value::texts(&s.$name),
                set: |s, t| Value::set_text(&mut s.$name, t),
            },)*
        ];
    };
}

spec! {
    replicas: u32 = 3, Basics slider(1, 64), "Replicas", "N",
        "number of uWSGI instances";
    base_port: u32 = 8080, Basics slider(1024, 65535), "Base port", "PORT",
        "port of the first replica; replica K uses BASE_PORT+K";
    listen: u32 = 8000, Basics slider(1, 65535), "Listen port", "PORT",
        "port nginx listens on";
    listen_address: String = "127.0.0.1".into(), Basics, "Listen address", "ADDR",
        "address nginx listens on (0.0.0.0 to serve other hosts)";
    user: Option<String> = None, Basics, "Run as user", "USER",
        "unprivileged user the app and nginx's workers run as when the stack starts as root [default: none; started as root, the replicas then refuse to start]";
    group: Option<String> = None, Basics, "Run as group", "GROUP",
        "group of USER [default: the group named like USER, as nginx and useradd --user-group do]";
    server_name: String = "_".into(), Basics, "Server name", "NAMES",
        "nginx server_name, names separated by spaces (_ matches any)";
    module: String = "app.wsgi:application".into(), Basics, "Module", "MODULE:CALLABLE",
        "WSGI entry point, e.g. app.wsgi:application";
    workers: u32 = 2, Basics range(1, MAX_WORKERS, "processes per replica; 0 workers never answer") slider(1, 32), "Workers", "N",
        "uWSGI worker processes per replica";
    threads: u32 = 2, Basics range(1, MAX_THREADS, "threads per worker") slider(1, 32), "Threads", "N",
        "threads per uWSGI worker";
    socket: SocketKind = SocketKind::Tcp, Basics, "Socket", "KIND",
        "how nginx reaches the replicas: tcp ports or unix sockets in RUN_DIR";
    balance: Balance = Balance::LeastConn, Basics, "Load balancing", "METHOD",
        "nginx load balancing method";
    home: String = "/srv/webapp".into(), Basics, "Home directory", "DIR",
        "root directory of the deployment";
    app_dir: Option<String> = None, Paths, "App directory", "DIR",
        "directory of the Python code [default: HOME/app]";
    conf_dir: Option<String> = None, Paths, "Config directory", "DIR",
        "directory of the generated files [default: HOME/etc]";
    run_dir: Option<String> = None, Paths, "Run directory", "DIR",
        "pid files, sockets, nginx temp files [default: HOME/run]";
    log_dir: Option<String> = None, Paths, "Log directory", "DIR",
        "log files [default: HOME/log]";
    log_max_mb: u32 = 50, Paths range(1, 100_000, "megabytes per log file before supervisord rotates it; every log stays bounded"), "Log size", "MB",
        "supervisord rotates each log (its own, every replica's, nginx's access and error logs) at this size";
    log_backups: u32 = 10, Paths range(0, 1_000, "rotated copies kept; 0 truncates a log when it is full"), "Log backups", "N",
        "rotated copies kept of each log: one log takes at most LOG_MAX_MB x (LOG_BACKUPS + 1)";
    static_url: Option<String> = None, Paths, "Static URL", "URL",
        "URL prefix nginx serves from STATIC_DIR, e.g. /static/ [default: off]";
    static_dir: Option<String> = None, Paths, "Static directory", "DIR",
        "directory behind STATIC_URL [default: APP_DIR/static]";
    uwsgi_bin: String = "/usr/bin/uwsgi".into(), Paths, "uwsgi binary", "PATH",
        "absolute path of uwsgi";
    nginx_bin: String = "/usr/sbin/nginx".into(), Paths, "nginx binary", "PATH",
        "absolute path of nginx";
    bind: String = "127.0.0.1".into(), Uwsgi, "uWSGI bind address", "ADDR",
        "address the uWSGI TCP sockets bind to (keep it loopback)";
    max_requests: u32 = 5000, Uwsgi, "Max requests", "N",
        "recycle a worker after N requests (0 = never)";
    harakiri: u32 = 0, Uwsgi range(0, 86_400, "0 turns it off"), "Harakiri", "SECS",
        "kill a worker stuck in one request this long (0 = off)";
    listen_backlog: Option<u32> = None, Uwsgi range(0, 65_535, "above net.core.somaxconn uWSGI refuses to start"), "Listen backlog", "N",
        "uWSGI listen backlog per replica [default: uWSGI's 100]";
    master: bool = true, Uwsgi, "Master process", "BOOL",
        "run the uWSGI master process";
    vacuum: bool = true, Uwsgi, "Vacuum", "BOOL",
        "remove uWSGI sockets at exit";
    python_plugin: bool = true, Uwsgi, "Python 3 plugin", "BOOL",
        "load uWSGI's python3 plugin (Debian's uwsgi needs it, pip's does not)";
    lang: String = "C.UTF-8".into(), Uwsgi, "LANG", "LOCALE",
        "LANG for the app";
    env: BTreeMap<String, String> = BTreeMap::new(), Uwsgi, "Environment", "KEY=VALUE",
        "extra environment variable for every replica (repeatable)";
    max_fails: u32 = 1, Failover range(0, 1_000, "0 never marks a replica down"), "Max fails", "N",
        "failures within FAIL_TIMEOUT before nginx skips a replica (0 = never)";
    fail_timeout: u32 = 10, Failover range(1, 86_400, "seconds"), "Fail timeout", "SECS",
        "window for MAX_FAILS, and how long a failed replica is skipped";
    max_conns: u32 = 0, Failover range(0, 1_000_000, "0 is unlimited"), "Max connections", "N",
        "most connections nginx opens to one replica (0 = unlimited)";
    next_upstream: Vec<NextUpstream> = vec![NextUpstream::Error, NextUpstream::Timeout], Failover,
        "Next upstream", "LIST",
        "when nginx retries on the next replica, comma-separated";
    connect_timeout: Option<u32> = None, Failover range(1, MAX_CONNECT_TIMEOUT, "nginx caps it at 75 s"), "Connect timeout", "SECS",
        "uwsgi_connect_timeout, at most 75 [default: 60; 2 with hosts, so a vanished host is skipped fast]";
    read_timeout: u32 = 60, Failover range(1, 86_400, "seconds"), "Read timeout", "SECS",
        "uwsgi_read_timeout: how long nginx waits for an answer";
    wait_for_backends: u32 = 10, Failover range(0, 300, "seconds; 0 starts nginx at once"), "Wait for backends", "SECS",
        "nginx starts once every replica accepts, waiting at most this long (0 = at once)";
    grace: u32 = 30, Failover, "Grace", "SECS",
        "rollout and apply: how long a replica out of rotation may finish what it serves";
    tls_cert: Option<String> = None, Edge, "TLS certificate", "PATH",
        "PEM certificate chain; with TLS_KEY nginx serves HTTPS and the plain port redirects [default: plain HTTP]";
    tls_key: Option<String> = None, Edge, "TLS key", "PATH",
        "PEM private key of TLS_CERT";
    https_port: u32 = 443, Edge, "HTTPS port", "PORT",
        "port nginx serves HTTPS (HTTP/2) on, with TLS";
    acme_dir: Option<String> = None, Edge, "ACME webroot", "DIR",
        "served at /.well-known/acme-challenge/ on the plain port, for certbot --webroot [default: off]";
    hsts: u32 = 0, Edge range(0, MAX_HSTS, "seconds, two years at most; 0 turns it off"), "HSTS max-age", "SECS",
        "Strict-Transport-Security max-age, with TLS only (0 = off; never preload or includeSubDomains)";
    nginx_version: String = "1.22".into(), Edge, "nginx version", "X.Y[.Z]",
        "version of the nginx that runs the files (picks version-dependent spellings such as http2)";
    max_body: String = "16m".into(), Edge, "Max body size", "SIZE",
        "largest request body nginx accepts, in nginx's size syntax (k, m, g; 0 = unlimited)";
    buffer_size: u32 = 32768, Edge range(MIN_BUFFER_SIZE, MAX_BUFFER_SIZE, "uWSGI's buffer-size is 16-bit; nginx's header buffer is this minus 4 KiB"), "Header buffer size", "BYTES",
        "uWSGI buffer-size: largest request header block; nginx's header limit is derived from it";
    gzip: bool = true, Edge, "Gzip", "BOOL",
        "compress text responses (gzip_vary, from 1 KiB)";
    static_max_age: u32 = 0, Edge range(0, 10 * 31_536_000, "seconds; 0 sends no caching header"), "Static max-age", "SECS",
        "Cache-Control max-age (expires) of static files (0 = no caching header)";
    trusted_proxy: Vec<String> = Vec::new(), Edge, "Trusted proxies", "CIDR",
        "address range of a proxy in front of nginx whose X-Forwarded-For/-Proto are believed (repeatable)";
    hosts as "host": Vec<Host> = Vec::new(), Hosts, "App hosts", "NAME=ADDRESS[:REPLICAS[:BASE_PORT]]",
        "an app host running replicas behind the load balancer (repeatable; IPv6 in brackets) [default: one host]";
    lb_address: Option<String> = None, Hosts, "Load balancer address", "ADDR",
        "private IP address of the load balancer: app hosts admit uwsgi only from it (needed with hosts)";
    upstream: String = "triple".into(), Names, "Upstream name", "NAME",
        "name of the nginx upstream block";
    program_prefix: String = "p".into(), Names, "Program prefix", "PREFIX",
        "prefix of the replica program names (p gives p0, p1, ...)";
    nginx_program: String = "ngx".into(), Names, "nginx program name", "NAME",
        "supervisord program name of nginx";
}

/// One app host of a multi-host spec: its replicas run under its own supervisord and bind
/// its private address; nginx on the load balancer reaches them there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Name of the host's output directory and of its header in the files.
    pub name: String,
    /// Private address the replicas bind and nginx connects to: IPv4, IPv6 or a DNS name.
    pub address: String,
    /// Replicas on this host [default: the spec's `replicas`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    /// Port of this host's first replica [default: the spec's `base_port`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_port: Option<u32>,
}

impl Host {
    /// `NAME=ADDRESS[:REPLICAS[:BASE_PORT]]`, IPv6 in brackets; `NAME=ADDRESS::BASE_PORT`
    /// keeps the spec's replica count.
    pub fn parse(text: &str) -> Result<Host, String> {
        const HINT: &str = "give NAME=ADDRESS[:REPLICAS[:BASE_PORT]], e.g. --host web1=10.0.0.11:4 (IPv6 in brackets: web2=[fd00::12]:4)";
        let (name, rest) = text.trim().split_once('=').ok_or(HINT)?;
        let (address, counts) = match rest.strip_prefix('[') {
            Some(v6) => {
                let (address, after) = v6.split_once(']').ok_or(HINT)?;
                match after {
                    "" => (address, None),
                    _ => (address, Some(after.strip_prefix(':').ok_or(HINT)?)),
                }
            }
            None => match rest.split_once(':') {
                // Two colons or more and no brackets: an IPv6 address alone.
                Some((_, tail))
                    if tail.contains(':') && rest.parse::<std::net::Ipv6Addr>().is_ok() =>
                {
                    (rest, None)
                }
                Some((address, tail)) => (address, Some(tail)),
                None => (rest, None),
            },
        };
        let number = |t: &str| -> Result<Option<u32>, String> {
            if t.is_empty() {
                Ok(None)
            } else {
                fields::parse_u32(t).map(Some).map_err(|_| HINT.to_string())
            }
        };
        let (replicas, base_port) = match counts {
            None => (None, None),
            Some(c) => match c.split_once(':') {
                Some((r, p)) => (number(r)?, number(p)?),
                None => (number(c)?, None),
            },
        };
        if name.is_empty() || address.is_empty() {
            return Err(HINT.into());
        }
        Ok(Host {
            name: name.into(),
            address: address.into(),
            replicas,
            base_port,
        })
    }

    /// The text [`Host::parse`] reads back.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}=", self.name);
        if self.address.contains(':') {
            out.push('[');
            out.push_str(&self.address);
            out.push(']');
        } else {
            out.push_str(&self.address);
        }
        if self.replicas.is_some() || self.base_port.is_some() {
            out.push(':');
            if let Some(r) = self.replicas {
                out.push_str(&r.to_string());
            }
        }
        if let Some(p) = self.base_port {
            out.push(':');
            out.push_str(&p.to_string());
        }
        out
    }
}

impl Spec {
    /// The user and group the app and nginx's workers run as, when `user` is set; the group
    /// defaults to the user's name, as nginx's `user` directive and `useradd --user-group` do.
    pub fn run_as(&self) -> Option<(&str, &str)> {
        let user = self.user.as_deref()?;
        Some((user, self.group.as_deref().unwrap_or(user)))
    }

    /// The first literal host name of `server_name` (not `_`, not a `*.` wildcard), for
    /// certbot's `-d` and a readiness probe's Host.
    pub fn primary_server_name(&self) -> Option<&str> {
        self.server_name
            .split(' ')
            .find(|n| *n != "_" && !n.starts_with("*."))
    }
}

/// Declares an enumeration of spellings once: the variants, their canonical spelling and
/// aliases. Writes the enum, `ALL`, `NAMES`, `as_str`, `parse` and the serde conversions,
/// so specs, flags, share links and the page accept exactly the same words.
macro_rules! choices {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $spelling:literal $(| $alias:literal)*,)*
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every variant, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];
            /// The spelling of every variant, in display order.
            pub const NAMES: &'static [&'static str] = &[$($spelling,)*];

            /// The spelling used in specs, flags, URLs and the rendered files.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $spelling,)*
                }
            }

            /// Parses a spelling or an alias, in any case, with `-` for `_`.
            pub fn parse(text: &str) -> Option<$name> {
                let word = text.trim().to_ascii_lowercase().replace('-', "_");
                match word.as_str() {
                    $($spelling $(| $alias)* => Some($name::$variant),)*
                    _ => None,
                }
            }

            /// What to say when a word is none of the spellings.
            pub fn hint() -> String {
                format!("give one of: {} (- works as _)", Self::NAMES.join(", "))
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(text: String) -> Result<Self, String> {
                $name::parse(&text).ok_or_else(|| format!("{:?} is not accepted; {}", text, $name::hint()))
            }
        }

        impl From<$name> for &'static str {
            fn from(value: $name) -> &'static str {
                value.as_str()
            }
        }
    };
}

choices! {
    /// How nginx talks to the replicas.
    pub enum SocketKind {
        /// `bind:base_port+K`.
        Tcp = "tcp",
        /// `run_dir/pK.sock`.
        Unix = "unix",
    }
}

choices! {
    /// nginx's load-balancing methods, spelled as nginx spells them.
    pub enum Balance {
        /// The replica with the fewest open connections: skips a replica busy with earlier
        /// requests when clients are concurrent.
        LeastConn = "least_conn",
        /// nginx's default: each replica in turn, blind to how busy it is.
        RoundRobin = "round_robin" | "rr" | "roundrobin",
        /// The same client address always reaches the same replica.
        IpHash = "ip_hash",
        /// `random two least_conn`: two replicas at random, the less busy one wins.
        RandomTwoLeastConn = "random_two_least_conn" | "random_two" | "random",
    }
}

choices! {
    /// Conditions of `uwsgi_next_upstream`, in nginx's documentation order.
    pub enum NextUpstream {
        /// Connection refused or reset before the answer started.
        Error = "error",
        /// Connect or read timeout.
        Timeout = "timeout",
        /// The replica answered garbage.
        InvalidHeader = "invalid_header",
        /// The replica answered 500.
        Http500 = "http_500",
        /// The replica answered 503.
        Http503 = "http_503",
        /// The replica answered 403.
        Http403 = "http_403",
        /// The replica answered 404.
        Http404 = "http_404",
        /// The replica answered 429.
        Http429 = "http_429",
        /// Also retry POST, LOCK, PATCH: such a request may run twice.
        NonIdempotent = "non_idempotent",
        /// Never retry.
        Off = "off",
    }
}
