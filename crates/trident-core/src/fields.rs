//! The table of spec fields as text: one row per field with its flag, help, and a getter and
//! setter that speak strings.
//!
//! The CLI builds its flags from this table, the rendered files' "reproduce with" line and the
//! web page's share links are the non-default rows, and the README's field reference is
//! checked against it. Adding a field to [`Spec`] means adding one row here.

use crate::diag::Diagnostic;
use crate::spec::{Balance, NextUpstream, SocketKind, Spec};

/// Which part of the deployment a field belongs to, for grouping in help and UIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Group {
    /// Replicas, ports, module, names visible to users.
    Basics,
    /// Directories and binaries.
    Paths,
    /// uWSGI process settings.
    Uwsgi,
    /// Load balancing and failover.
    Failover,
    /// Program and upstream names.
    Names,
}

/// One spec field seen as text.
pub struct Field {
    /// Spec key (`base_port`).
    pub name: &'static str,
    /// Flag (`--base-port`), without the dashes.
    pub flag: &'static str,
    /// Placeholder in help (`PORT`).
    pub value_name: &'static str,
    /// One-line description.
    pub help: &'static str,
    /// Grouping for help and UIs.
    pub group: Group,
    /// Accepted values, for enumerations.
    pub choices: &'static [&'static str],
    /// The flag may be given more than once (`--env K=V`).
    pub repeatable: bool,
    get: fn(&Spec) -> Vec<String>,
    set: fn(&mut Spec, &str) -> Result<(), String>,
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Field {
    /// The field's value as text: empty for an unset option, one item per entry for a map.
    pub fn get(&self, spec: &Spec) -> Vec<String> {
        (self.get)(spec)
    }

    /// Sets the field from text (for a repeatable field: adds one entry).
    ///
    /// The error names the field and flag and says which values are accepted; the value is
    /// not range-checked here, [`crate::validate`] does that.
    pub fn set(&self, spec: &mut Spec, text: &str) -> Result<(), Diagnostic> {
        (self.set)(spec, text).map_err(|hint| {
            Diagnostic::error(
                "invalid-value",
                self.name,
                format!("{} cannot be {}", self.name, quote_for_message(text)),
                hint,
            )
        })
    }
}

/// Shows user text in double quotes without letting it break the message's line: `\`, `"`
/// and control characters are escaped. (Hand-written: `{:?}` would pull Unicode tables into
/// the web page's wasm.)
pub(crate) fn quote_for_message(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars().take(200) {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    if text.chars().nth(200).is_some() {
        out.push_str("...");
    }
    out.push('"');
    out
}

/// Looks a field up by spec key or flag (`base_port`, `base-port`, `--base-port`).
pub fn field(name: &str) -> Option<&'static Field> {
    let name = name.trim_start_matches('-');
    FIELDS.iter().find(|f| f.name == name || f.flag == name)
}

/// Every field's value in `Spec::default()`, in table order, computed once: the page asks on
/// every slider move.
pub fn default_values() -> &'static [Vec<String>] {
    static DEFAULTS: std::sync::OnceLock<Vec<Vec<String>>> = std::sync::OnceLock::new();
    DEFAULTS.get_or_init(|| {
        let spec = Spec::default();
        FIELDS.iter().map(|f| f.get(&spec)).collect()
    })
}

/// The `(flag, value)` pairs that turn `Spec::default()` into `spec`, in table order.
pub fn non_default(spec: &Spec) -> Vec<(&'static Field, String)> {
    let mut out = Vec::new();
    for (f, default) in FIELDS.iter().zip(default_values()) {
        let ours = f.get(spec);
        if &ours == default {
            continue;
        }
        if f.repeatable {
            out.extend(ours.into_iter().map(|v| (f, v)));
        } else {
            out.push((f, ours.into_iter().next().unwrap_or_default()));
        }
    }
    out
}

fn parse_u32(text: &str) -> Result<u32, String> {
    text.trim()
        .parse()
        .map_err(|_| "give a whole number from 0 to 4294967295".to_string())
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err("give true or false".into()),
    }
}

fn parse_socket(text: &str) -> Result<SocketKind, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "tcp" => Ok(SocketKind::Tcp),
        "unix" => Ok(SocketKind::Unix),
        _ => Err("give tcp or unix".into()),
    }
}

fn parse_balance(text: &str) -> Result<Balance, String> {
    Balance::parse(text).ok_or_else(|| {
        "give least_conn, round_robin, ip_hash or random_two_least_conn (nginx's spellings; - works as _)"
            .into()
    })
}

fn parse_next_upstream(text: &str) -> Result<Vec<NextUpstream>, String> {
    let mut out = Vec::new();
    for word in text.split([',', ' ']).filter(|w| !w.is_empty()) {
        let word = word.to_ascii_lowercase().replace('-', "_");
        let found = NextUpstream::ALL
            .iter()
            .find(|n| n.as_str() == word)
            .ok_or_else(|| {
                format!(
                    "give a comma-separated list of: {}",
                    NextUpstream::ALL
                        .iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        if !out.contains(found) {
            out.push(*found);
        }
    }
    Ok(out)
}

fn parse_env(spec: &mut Spec, text: &str) -> Result<(), String> {
    let (key, value) = text.split_once('=').ok_or_else(|| {
        "give KEY=VALUE, e.g. --env DJANGO_SETTINGS_MODULE=app.settings".to_string()
    })?;
    spec.env.insert(key.to_string(), value.to_string());
    Ok(())
}

fn opt(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

macro_rules! row {
    ($name:ident, $flag:literal, $value_name:literal, $group:ident, $help:literal, $get:expr, $set:expr) => {
        row!(
            $name,
            $flag,
            $value_name,
            $group,
            $help,
            &[],
            false,
            $get,
            $set
        )
    };
    ($name:ident, $flag:literal, $value_name:literal, $group:ident, $help:literal, $choices:expr, $repeatable:expr, $get:expr, $set:expr) => {
        Field {
            name: stringify!($name),
            flag: $flag,
            value_name: $value_name,
            help: $help,
            group: Group::$group,
            choices: $choices,
            repeatable: $repeatable,
            get: $get,
            set: $set,
        }
    };
}

macro_rules! num {
    ($name:ident, $flag:literal, $vn:literal, $group:ident, $help:literal) => {
        row!(
            $name,
            $flag,
            $vn,
            $group,
            $help,
            |s| vec![s.$name.to_string()],
            |s, t| {
                s.$name = parse_u32(t)?;
                Ok(())
            }
        )
    };
}

macro_rules! text {
    ($name:ident, $flag:literal, $vn:literal, $group:ident, $help:literal) => {
        row!(
            $name,
            $flag,
            $vn,
            $group,
            $help,
            |s| vec![s.$name.clone()],
            |s, t| {
                s.$name = t.to_string();
                Ok(())
            }
        )
    };
}

macro_rules! opt_text {
    ($name:ident, $flag:literal, $vn:literal, $group:ident, $help:literal) => {
        row!(
            $name,
            $flag,
            $vn,
            $group,
            $help,
            |s| s.$name.iter().cloned().collect(),
            |s, t| {
                s.$name = opt(t);
                Ok(())
            }
        )
    };
}

macro_rules! boolean {
    ($name:ident, $flag:literal, $group:ident, $help:literal) => {
        row!(
            $name,
            $flag,
            "BOOL",
            $group,
            $help,
            &["true", "false"],
            false,
            |s| vec![s.$name.to_string()],
            |s, t| {
                s.$name = parse_bool(t)?;
                Ok(())
            }
        )
    };
}

/// Every spec field, in the order help and UIs show them.
pub static FIELDS: &[Field] = &[
    num!(
        replicas,
        "replicas",
        "N",
        Basics,
        "number of uWSGI instances"
    ),
    num!(
        base_port,
        "base-port",
        "PORT",
        Basics,
        "port of the first replica; replica K uses BASE_PORT+K"
    ),
    num!(listen, "listen", "PORT", Basics, "port nginx listens on"),
    text!(
        listen_address,
        "listen-address",
        "ADDR",
        Basics,
        "address nginx listens on (0.0.0.0 to serve other hosts)"
    ),
    text!(
        server_name,
        "server-name",
        "NAMES",
        Basics,
        "nginx server_name, names separated by spaces (_ matches any)"
    ),
    text!(
        module,
        "module",
        "MODULE:CALLABLE",
        Basics,
        "WSGI entry point, e.g. app.wsgi:application"
    ),
    num!(
        workers,
        "workers",
        "N",
        Basics,
        "uWSGI worker processes per replica"
    ),
    num!(threads, "threads", "N", Basics, "threads per uWSGI worker"),
    row!(
        socket,
        "socket",
        "KIND",
        Basics,
        "how nginx reaches the replicas: tcp ports or unix sockets in RUN_DIR",
        &["tcp", "unix"],
        false,
        |s| vec![s.socket.as_str().to_string()],
        |s, t| {
            s.socket = parse_socket(t)?;
            Ok(())
        }
    ),
    row!(
        balance,
        "balance",
        "METHOD",
        Failover,
        "nginx load balancing: least_conn, round_robin, ip_hash, random_two_least_conn",
        &[
            "least_conn",
            "round_robin",
            "ip_hash",
            "random_two_least_conn"
        ],
        false,
        |s| vec![s.balance.as_str().to_string()],
        |s, t| {
            s.balance = parse_balance(t)?;
            Ok(())
        }
    ),
    text!(
        home,
        "home",
        "DIR",
        Paths,
        "root directory of the deployment"
    ),
    opt_text!(
        app_dir,
        "app-dir",
        "DIR",
        Paths,
        "directory of the Python code [default: HOME/app]"
    ),
    opt_text!(
        conf_dir,
        "conf-dir",
        "DIR",
        Paths,
        "directory of the generated files [default: HOME/etc]"
    ),
    opt_text!(
        run_dir,
        "run-dir",
        "DIR",
        Paths,
        "pid files, sockets, nginx temp files [default: HOME/run]"
    ),
    opt_text!(
        log_dir,
        "log-dir",
        "DIR",
        Paths,
        "log files [default: HOME/log]"
    ),
    opt_text!(
        static_url,
        "static-url",
        "URL",
        Paths,
        "URL prefix nginx serves from STATIC_DIR, e.g. /static/ [default: off]"
    ),
    opt_text!(
        static_dir,
        "static-dir",
        "DIR",
        Paths,
        "directory behind STATIC_URL [default: APP_DIR/static]"
    ),
    text!(
        uwsgi_bin,
        "uwsgi-bin",
        "PATH",
        Paths,
        "absolute path of uwsgi"
    ),
    text!(
        nginx_bin,
        "nginx-bin",
        "PATH",
        Paths,
        "absolute path of nginx"
    ),
    text!(
        bind,
        "bind",
        "ADDR",
        Uwsgi,
        "address the uWSGI TCP sockets bind to (keep it loopback)"
    ),
    num!(
        max_requests,
        "max-requests",
        "N",
        Uwsgi,
        "recycle a worker after N requests (0 = never)"
    ),
    num!(
        harakiri,
        "harakiri",
        "SECS",
        Uwsgi,
        "kill a worker stuck in one request this long (0 = off)"
    ),
    row!(
        listen_backlog,
        "listen-backlog",
        "N",
        Uwsgi,
        "uWSGI listen backlog per replica [default: uWSGI's 100]",
        &[],
        false,
        |s| s.listen_backlog.iter().map(u32::to_string).collect(),
        |s, t| {
            s.listen_backlog = if t.is_empty() {
                None
            } else {
                Some(parse_u32(t)?)
            };
            Ok(())
        }
    ),
    boolean!(master, "master", Uwsgi, "run the uWSGI master process"),
    boolean!(vacuum, "vacuum", Uwsgi, "remove uWSGI sockets at exit"),
    boolean!(
        python_plugin,
        "python-plugin",
        Uwsgi,
        "load uWSGI's python3 plugin (Debian's uwsgi needs it, pip's does not)"
    ),
    text!(lang, "lang", "LOCALE", Uwsgi, "LANG for the app"),
    row!(
        env,
        "env",
        "KEY=VALUE",
        Uwsgi,
        "extra environment variable for every replica (repeatable)",
        &[],
        true,
        |s| s.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        parse_env
    ),
    num!(
        max_fails,
        "max-fails",
        "N",
        Failover,
        "failures within FAIL_TIMEOUT before nginx skips a replica (0 = never)"
    ),
    num!(
        fail_timeout,
        "fail-timeout",
        "SECS",
        Failover,
        "window for MAX_FAILS, and how long a failed replica is skipped"
    ),
    num!(
        max_conns,
        "max-conns",
        "N",
        Failover,
        "most connections nginx opens to one replica (0 = unlimited)"
    ),
    row!(
        next_upstream,
        "next-upstream",
        "LIST",
        Failover,
        "when nginx retries on the next replica, comma-separated (error,timeout,...)",
        &[],
        false,
        |s| vec![s
            .next_upstream
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(",")],
        |s, t| {
            s.next_upstream = parse_next_upstream(t)?;
            Ok(())
        }
    ),
    num!(
        connect_timeout,
        "connect-timeout",
        "SECS",
        Failover,
        "uwsgi_connect_timeout (at most 75)"
    ),
    num!(
        read_timeout,
        "read-timeout",
        "SECS",
        Failover,
        "uwsgi_read_timeout: how long nginx waits for an answer"
    ),
    num!(
        wait_for_backends,
        "wait-for-backends",
        "SECS",
        Failover,
        "nginx starts once every replica accepts, waiting at most this long (0 = at once)"
    ),
    text!(
        upstream,
        "upstream",
        "NAME",
        Names,
        "name of the nginx upstream block"
    ),
    text!(
        program_prefix,
        "program-prefix",
        "PREFIX",
        Names,
        "prefix of the replica program names (p gives p0, p1, ...)"
    ),
    text!(
        nginx_program,
        "nginx-program",
        "NAME",
        Names,
        "supervisord program name of nginx"
    ),
];
