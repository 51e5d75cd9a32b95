//! Rules a spec must satisfy before anything is rendered, reported all at once.
//!
//! Every free-text value ends up inside a file with its own grammar (INI for supervisord and
//! uWSGI, nginx's directive syntax, a shell command line). The rules below reject every value
//! that could end a line, a value, a section or a directive in any of them; what those grammars
//! can escape (`%` in supervisord and uWSGI) is escaped by the renderers instead.

use std::net::IpAddr;

use crate::diag::quote_for_message;
use crate::diag::{Diagnostic, Severity};
use crate::layout::{Layout, RESERVED_ENV, SUPERVISOR_SOCKET};
use crate::spec::{Balance, NextUpstream, SocketKind, Spec, FIELDS, MAX_REPLICAS};

mod edge;
mod hosts;

/// Longest unix socket path Linux accepts (`sun_path` is 108 bytes with the NUL).
pub const MAX_UNIX_SOCKET_PATH: usize = 107;

/// A spec whose every rule holds. Only [`validate`] makes one, so renderers cannot be handed
/// bad input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidSpec {
    spec: Spec,
    layout: Layout,
    warnings: Vec<Diagnostic>,
}

impl ValidSpec {
    /// The validated spec.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }
    /// Its directories, names and paths, resolved once.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }
    /// Warnings: the spec renders, but these deserve a look.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

/// Checks every rule; returns the valid spec, or every diagnostic (errors and warnings) at once.
pub fn validate(spec: &Spec) -> Result<ValidSpec, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let layout = Layout::new(spec);
    ports(spec, &mut out);
    ranges(spec, &mut out);
    processes(spec, &mut out);
    failover(spec, &mut out);
    let names_ok = names(spec, &layout, &mut out);
    paths(spec, &layout, names_ok, &mut out);
    addresses(spec, &mut out);
    texts(spec, &mut out);
    edge::check(spec, &layout, &mut out);
    hosts::check(spec, &layout, &mut out);
    let mut out = crate::spec::fields::with_flags(out);
    if out.iter().any(Diagnostic::is_error) {
        crate::diag::errors_first(&mut out);
        Err(out)
    } else {
        Ok(ValidSpec {
            spec: spec.clone(),
            layout,
            warnings: out,
        })
    }
}

/// Every numeric field within the range its row in the field table gives.
fn ranges(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for f in FIELDS {
        if let (Some(r), Some(value)) = (f.range, f.number(spec)) {
            range(out, f.name, value, r.lo, r.hi, r.why);
        }
    }
}

pub(crate) fn range(
    out: &mut Vec<Diagnostic>,
    field: &str,
    value: u32,
    lo: u32,
    hi: u32,
    why: &str,
) {
    if value < lo || value > hi {
        out.push(Diagnostic::error(
            "out-of-range",
            field,
            format!("{field} is {value}; it must be from {lo} to {hi}"),
            format!("set {field} to a value from {lo} to {hi} ({why})"),
        ));
    }
}

fn ports(spec: &Spec, out: &mut Vec<Diagnostic>) {
    if spec.replicas == 0 {
        out.push(Diagnostic::error(
            "no-replicas",
            "replicas",
            "replicas is 0; at least one uWSGI instance is needed",
            "set replicas to 1 or more (the seed runs 3)",
        ));
    } else if spec.replicas > MAX_REPLICAS {
        out.push(Diagnostic::error(
            "too-many-replicas",
            "replicas",
            format!("replicas is {}; Trident renders at most {MAX_REPLICAS}", spec.replicas),
            format!("set replicas to {MAX_REPLICAS} or fewer, and use workers/threads for more capacity per replica"),
        ));
    }
    if spec.socket == SocketKind::Tcp {
        let n = u64::from(spec.replicas.clamp(1, MAX_REPLICAS));
        let base = u64::from(spec.base_port);
        let last = base + n - 1;
        if spec.base_port == 0 || spec.base_port > 65535 {
            out.push(Diagnostic::error(
                "port-out-of-range",
                "base_port",
                format!("base_port is {}; ports go from 1 to 65535", spec.base_port),
                format!("set base_port from 1 to {}", 65536 - n),
            ));
        } else if last > 65535 {
            out.push(Diagnostic::error(
                "port-out-of-range",
                "base_port",
                format!("base_port {base} with {n} replicas needs ports up to {last}, past 65535"),
                format!(
                    "the highest base_port for {n} replicas is {}; or use fewer replicas",
                    65536 - n
                ),
            ));
        } else if base < 1024 {
            out.push(Diagnostic::warning(
                "privileged-port",
                "base_port",
                format!("base_port {base} is below 1024; only root may bind it"),
                "use a base_port of 1024 or more so uWSGI can run as an ordinary user",
            ));
        }
        if (base..=last).contains(&u64::from(spec.listen)) {
            out.push(Diagnostic::error(
                "listen-clashes-with-replica",
                "listen",
                format!(
                    "listen port {} is also the port of replica {}",
                    spec.listen,
                    u64::from(spec.listen) - base
                ),
                format!("choose a listen port outside {base}-{last}, or move base_port"),
            ));
        }
    }
    if spec.listen == 0 || spec.listen > 65535 {
        out.push(Diagnostic::error(
            "port-out-of-range",
            "listen",
            format!("listen is {}; ports go from 1 to 65535", spec.listen),
            "set listen to a port from 1 to 65535, e.g. 8000 (or 80 as root)",
        ));
    }
}

/// `net.core.somaxconn` on Linux since 5.4 (128 before): uWSGI 2.0.21 refuses to start with a
/// larger `listen` (measured).
const DEFAULT_SOMAXCONN: u32 = 4096;

fn processes(spec: &Spec, out: &mut Vec<Diagnostic>) {
    if let Some(backlog) = spec.listen_backlog {
        if backlog == 0 {
            out.push(Diagnostic::warning(
                "tiny-backlog",
                "listen_backlog",
                "listen_backlog 0 queues a single connection; two requests arriving together at a healthy replica can mark it down",
                "use 1 or more (measured: 0 marked healthy replicas down for fail_timeout)",
            ));
        }
        if backlog > DEFAULT_SOMAXCONN {
            out.push(Diagnostic::warning(
                "backlog-over-somaxconn",
                "listen_backlog",
                format!("listen_backlog {backlog} is above {DEFAULT_SOMAXCONN}, Linux's default net.core.somaxconn, above which uWSGI refuses to start"),
                format!("first raise net.core.somaxconn to {backlog} on every host (sysctl), or use at most {DEFAULT_SOMAXCONN}"),
            ));
        }
    }
    if spec.harakiri > 0 && spec.harakiri > spec.read_timeout {
        out.push(Diagnostic::warning(
            "harakiri-after-read-timeout",
            "harakiri",
            format!(
                "harakiri {} s is longer than read_timeout {} s: nginx gives up before uWSGI frees the worker",
                spec.harakiri, spec.read_timeout
            ),
            "set harakiri at or below read_timeout",
        ));
    }
    if !spec.master && (spec.harakiri > 0 || spec.max_requests > 0) {
        out.push(Diagnostic::warning(
            "needs-master",
            "master",
            "without the master process uWSGI ignores harakiri and max_requests",
            "set master to true",
        ));
    }
    if !spec.python_plugin && spec.uwsgi_bin == "/usr/bin/uwsgi" {
        out.push(Diagnostic::warning(
            "no-python-plugin",
            "python_plugin",
            "Debian's /usr/bin/uwsgi is plugin-based: without the python3 plugin it ignores module and serves nothing",
            "set python_plugin to true, or point uwsgi_bin at a pip-installed uwsgi",
        ));
    }
}

fn failover(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let nu = &spec.next_upstream;
    if nu.is_empty() {
        out.push(Diagnostic::error(
            "empty-next-upstream",
            "next_upstream",
            "next_upstream is empty",
            "give error,timeout (nginx's default), or off to never retry",
        ));
    } else if nu.contains(&NextUpstream::Off) && nu.len() > 1 {
        out.push(Diagnostic::error(
            "next-upstream-off-with-others",
            "next_upstream",
            "next_upstream lists off together with other conditions",
            "give either off alone, or a list without off",
        ));
    }
    if let Some(dup) = nu.iter().enumerate().find(|(i, n)| nu[..*i].contains(n)) {
        out.push(Diagnostic::error(
            "next-upstream-duplicate",
            "next_upstream",
            format!("next_upstream lists {} twice", dup.1.as_str()),
            "list each condition once",
        ));
    }
    if nu.contains(&NextUpstream::NonIdempotent) {
        out.push(Diagnostic::warning(
            "non-idempotent-retries",
            "next_upstream",
            "non_idempotent lets nginx resend a POST to another replica: measured, a POST ran twice",
            "remove non_idempotent unless the app de-duplicates POST requests",
        ));
    }
    if spec.max_conns > 0
        && u64::from(spec.max_conns) < u64::from(spec.workers) * u64::from(spec.threads)
    {
        out.push(Diagnostic::warning(
            "max-conns-below-capacity",
            "max_conns",
            format!(
                "max_conns {} is below a replica's {} request slots (workers x threads)",
                spec.max_conns,
                spec.workers.saturating_mul(spec.threads)
            ),
            "set max_conns to workers x threads, or 0",
        ));
    }
    if spec.balance == Balance::IpHash && spec.max_conns > 0 {
        out.push(Diagnostic::warning(
            "ip-hash-with-max-conns",
            "balance",
            "with ip_hash a client whose replica is full gets a 502 instead of another replica",
            "use least_conn with max_conns, or drop max_conns",
        ));
    }
}

pub(crate) fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && s.len() <= 64
}

/// Returns whether the names nginx and supervisord read (upstream, program names) are usable.
fn names(spec: &Spec, layout: &Layout, out: &mut Vec<Diagnostic>) -> bool {
    let mut ok = true;
    for (field, value, what) in [
        ("upstream", &spec.upstream, "an nginx upstream name"),
        (
            "program_prefix",
            &spec.program_prefix,
            "a supervisord program name prefix",
        ),
        (
            "nginx_program",
            &spec.nginx_program,
            "a supervisord program name",
        ),
    ] {
        if !is_name(value) {
            ok = false;
            out.push(Diagnostic::error(
                "invalid-name",
                field,
                format!("{field} {} is not usable as {what}", quote_for_message(value)),
                "use 1 to 64 ASCII letters, digits, _ or -, starting with a letter (supervisord forbids space, : and /; nginx would read . or : as a host)",
            ));
        }
    }
    if let Some(k) = layout.replica_of_program(&spec.nginx_program) {
        out.push(Diagnostic::error(
            "duplicate-program",
            "nginx_program",
            format!(
                "nginx_program {} is also the name of replica {k}",
                quote_for_message(&spec.nginx_program)
            ),
            "choose an nginx_program name that is not program_prefix followed by a number",
        ));
    }
    if !is_module(&spec.module) {
        out.push(Diagnostic::error(
            "invalid-module",
            "module",
            format!(
                "module {} is not dotted.path:callable",
                quote_for_message(&spec.module)
            ),
            "give the WSGI entry point as package.module:callable, e.g. app.wsgi:application",
        ));
    }
    if !is_server_name(&spec.server_name) {
        out.push(Diagnostic::error(
            "invalid-server-name",
            "server_name",
            format!("server_name {} is not a list of host names", quote_for_message(&spec.server_name)),
            "give host names separated by single spaces (letters, digits, . - _ and a leading *.), or _ to match any",
        ));
    }
    run_as(spec, out);
    if !is_lang(&spec.lang) {
        out.push(Diagnostic::error(
            "invalid-lang",
            "lang",
            format!(
                "lang {} is not a locale name",
                quote_for_message(&spec.lang)
            ),
            "give a locale such as C.UTF-8, without quotes (uWSGI would keep them)",
        ));
    }
    ok
}

/// The stack user and group: names `useradd`, nginx's `user` and uWSGI's `uid`/`gid` all
/// accept, and never root (which would undo the point of the field).
fn run_as(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (field, value) in [("user", &spec.user), ("group", &spec.group)] {
        let Some(value) = value.as_deref() else {
            continue;
        };
        if !is_account_name(value) {
            out.push(Diagnostic::error(
                "invalid-account-name",
                field,
                format!("{field} {} is not a user or group name", quote_for_message(value)),
                "use 1 to 32 ASCII letters, digits, _, - or ., starting with a letter or _ (what useradd accepts; nginx and uWSGI take names, not numbers)",
            ));
        } else if value == "root" {
            out.push(Diagnostic::error(
                "run-as-root",
                field,
                format!("{field} is root: the app would run with every privilege"),
                format!("set {field} to an unprivileged account, e.g. webapp (the go-live steps create it)"),
            ));
        }
    }
    let privileged = spec.listen < 1024 || (spec.tls_cert.is_some() && spec.https_port < 1024);
    if privileged && spec.user.is_none() {
        out.push(Diagnostic::warning(
            "root-without-user",
            "user",
            "nginx listens on a port below 1024, so supervisord starts as root, and without user the replicas refuse to start as root",
            "set user to the unprivileged account the app runs as, e.g. webapp (the go-live steps create it)",
        ));
    }
    if spec.group.is_some() && spec.user.is_none() {
        out.push(Diagnostic::error(
            "group-without-user",
            "group",
            "group is set but user is not: nothing would run as that group",
            "set user too, or leave group unset",
        ));
    }
}

fn is_account_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        && s.len() <= 32
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_module(s: &str) -> bool {
    match s.split_once(':') {
        Some((path, callable)) => {
            s.len() <= 256 && path.split('.').all(is_identifier) && is_identifier(callable)
        }
        None => false,
    }
}

fn is_server_name(s: &str) -> bool {
    s.len() <= 1024
        && !s.is_empty()
        && s.split(' ').all(|name| {
            let body = name.strip_prefix("*.").unwrap_or(name);
            !body.is_empty()
                && name.len() <= 253
                && body
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        })
}

fn is_lang(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-'))
}

/// Characters no path may hold: each ends a value, a directive or a quoted string in one of
/// the files, starts a comment, or starts an expansion that cannot be escaped there.
const PATH_FORBIDDEN: &[char] = &['"', '\'', '\\', '`', '$', ';', '#', '{', '}', '@'];

/// Why `path` cannot be written as an absolute, clean path into the three files, if it cannot.
fn path_problem(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return Some("it is not absolute".into());
    }
    if let Some(c) = path.chars().find(|c| c.is_control()) {
        return Some(format!(
            "it holds the control character {}",
            quote_for_message(&c.to_string())
        ));
    }
    if let Some(c) = path.chars().find(|c| PATH_FORBIDDEN.contains(c)) {
        return Some(format!(
            "it holds {}, which ends a value or a directive in one of the files",
            quote_for_message(&c.to_string())
        ));
    }
    if path.len() > 1 && path.ends_with('/') {
        return Some("it ends with /".into());
    }
    if path.ends_with(' ') {
        return Some("it ends with a space, which INI readers drop".into());
    }
    if path.len() > 1
        && path[1..]
            .split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Some("it has an empty, . or .. segment".into());
    }
    if path.len() > 1024 {
        return Some("it is longer than 1024 bytes".into());
    }
    None
}

fn paths(spec: &Spec, layout: &Layout, names_ok: bool, out: &mut Vec<Diagnostic>) {
    let mut bad = |field: &str, value: &str| {
        if let Some(why) = path_problem(value) {
            out.push(Diagnostic::error(
                "invalid-path",
                field,
                format!("{field} {} is not usable: {why}", quote_for_message(value)),
                "give an absolute path without trailing /, . or .. segments, control characters, quotes, \\ ` $ ; # { } @",
            ));
            true
        } else {
            false
        }
    };
    let mut any_bad = bad("home", &spec.home);
    for (field, value) in [
        ("app_dir", &spec.app_dir),
        ("conf_dir", &spec.conf_dir),
        ("run_dir", &spec.run_dir),
        ("log_dir", &spec.log_dir),
        ("static_dir", &spec.static_dir),
        ("tls_cert", &spec.tls_cert),
        ("tls_key", &spec.tls_key),
        ("acme_dir", &spec.acme_dir),
    ] {
        if let Some(v) = value {
            any_bad |= bad(field, v);
        }
    }
    bad("uwsgi_bin", &spec.uwsgi_bin);
    bad("nginx_bin", &spec.nginx_bin);
    if spec.home == "/" {
        out.push(Diagnostic::warning(
            "home-is-root",
            "home",
            "home is /: logs, sockets and configs go to /log, /run and /etc",
            "use a directory of its own, e.g. /srv/webapp",
        ));
    }
    if let Some(url) = &spec.static_url {
        let ok = url.len() > 1
            && url.len() <= 256
            && url.starts_with('/')
            && url.ends_with('/')
            && !url.contains("//")
            && !url.split('/').any(|s| s == "." || s == "..")
            && url
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~'));
        if !ok {
            out.push(Diagnostic::error(
                "invalid-static-url",
                "static_url",
                format!("static_url {} is not a URL prefix nginx can serve", quote_for_message(url)),
                "give a prefix that starts and ends with /, other than / itself, e.g. /static/ (letters, digits, - _ . ~)",
            ));
        }
    } else if spec.static_dir.is_some() {
        out.push(Diagnostic::warning(
            "static-dir-unused",
            "static_dir",
            "static_dir is set but static_url is not, so nginx serves no static files",
            "set static_url, e.g. /static/",
        ));
    }
    if !any_bad && names_ok {
        socket_paths(spec, layout, out);
    }
}

/// Unix socket paths must fit `sun_path`. Blames the field that makes a path long: the run
/// directory (or home, when the run directory is its default) for supervisord's socket, the
/// program prefix when shortening it alone fixes a replica's socket.
fn socket_paths(spec: &Spec, layout: &Layout, out: &mut Vec<Diagnostic>) {
    let run_field = if spec.run_dir.is_some() {
        "run_dir"
    } else {
        "home"
    };
    let too_long = |path: &str| {
        format!(
            "the unix socket {} is {} bytes; Linux allows {MAX_UNIX_SOCKET_PATH}",
            quote_for_message(path),
            path.len()
        )
    };
    let run = &layout.dirs.run;
    let sup = layout.supervisor_socket();
    if sup.len() > MAX_UNIX_SOCKET_PATH {
        out.push(Diagnostic::error(
            "socket-path-too-long",
            run_field,
            too_long(&sup),
            format!(
                "use a run directory of at most {} bytes (set run_dir, or shorten home)",
                MAX_UNIX_SOCKET_PATH.saturating_sub(SUPERVISOR_SOCKET.len() + 1)
            ),
        ));
        return;
    }
    if spec.socket != SocketKind::Unix {
        return;
    }
    let last = layout.socket_path(spec.replicas.clamp(1, MAX_REPLICAS) - 1);
    let excess = last.len().saturating_sub(MAX_UNIX_SOCKET_PATH);
    if excess == 0 {
        return;
    }
    let prefix = spec.program_prefix.len();
    if prefix > excess {
        out.push(Diagnostic::error(
            "socket-path-too-long",
            "program_prefix",
            too_long(&last),
            format!(
                "shorten program_prefix to at most {} characters, or use a shorter run directory",
                prefix - excess
            ),
        ));
    } else {
        out.push(Diagnostic::error(
            "socket-path-too-long",
            run_field,
            too_long(&last),
            format!(
                "use a run directory of at most {} bytes (set run_dir, or shorten home), or a shorter program_prefix",
                run.len().saturating_sub(excess)
            ),
        ));
    }
}

fn addresses(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for field in ["bind", "listen_address"] {
        let value = if field == "bind" {
            &spec.bind
        } else {
            &spec.listen_address
        };
        match value.parse::<IpAddr>() {
            Err(_) => out.push(Diagnostic::error(
                "invalid-address",
                field,
                format!("{field} {} is not an IP address", quote_for_message(value)),
                "give an IPv4 or IPv6 address such as 127.0.0.1 or ::1 (no host names, no brackets)",
            )),
            Ok(ip)
                if field == "bind"
                    && spec.socket == SocketKind::Tcp
                    && spec.hosts.is_empty()
                    && !ip.is_loopback() =>
            {
                out.push(Diagnostic::warning(
                    "uwsgi-exposed",
                    "bind",
                    // The text as given, not IpAddr's Display (which costs the page 1 KB).
                    format!(
                        "uWSGI binds {}: anyone who reaches these ports speaks the uwsgi protocol directly, bypasses nginx, and can choose the code uWSGI runs",
                        spec.bind
                    ),
                    "bind uWSGI to 127.0.0.1 (or use unix sockets) and expose only nginx",
                ));
            }
            Ok(_) => {}
        }
    }
}

fn texts(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (key, value) in &spec.env {
        let field = format!("env.{key}");
        if !is_identifier(key) || key.len() > 128 {
            out.push(Diagnostic::error(
                "invalid-env-name",
                if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    field.clone()
                } else {
                    "env".to_string()
                },
                format!(
                    "environment variable name {} is not valid",
                    quote_for_message(key)
                ),
                "use letters, digits and _, not starting with a digit, e.g. DJANGO_SETTINGS_MODULE",
            ));
            continue;
        }
        if let Some((_, instead)) = RESERVED_ENV.iter().find(|(name, _)| name == key) {
            out.push(Diagnostic::error(
                "reserved-env-name",
                field.clone(),
                format!("{key} is set by Trident itself"),
                *instead,
            ));
        }
        if let Some(why) = env_value_problem(value) {
            out.push(Diagnostic::error(
                "invalid-env-value",
                field,
                format!("the value of {key} cannot be passed safely: {why}"),
                "remove control characters and double quotes; do not start or end the value with ', nor put ; or # after a space",
            ));
        }
    }
}

/// Why supervisord's `environment=` parser (configparser, then `shlex` in non-POSIX mode, then
/// `strip('\'"')`) would not hand `value` to the program intact, if it would not.
fn env_value_problem(value: &str) -> Option<String> {
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Some(format!(
            "it holds the control character {}",
            quote_for_message(&c.to_string())
        ));
    }
    if value.contains('"') {
        return Some("it holds \", which ends the quoted value".into());
    }
    if value.starts_with('\'') || value.ends_with('\'') {
        return Some("supervisord strips a leading or trailing '".into());
    }
    let bytes = value.as_bytes();
    if bytes
        .windows(2)
        .any(|w| w[0].is_ascii_whitespace() && (w[1] == b';' || w[1] == b'#'))
    {
        return Some("; or # after a space starts a comment in supervisord.conf".into());
    }
    if value.len() > 4096 {
        return Some("it is longer than 4096 bytes".into());
    }
    None
}

/// Counts errors and warnings, for summaries.
pub fn counts(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (errors, diagnostics.len() - errors)
}
