//! Import: the [`Spec`] that describes the deployment a stack's files run, read through the
//! same [`Model`] as lint, with a report of where each field came from and what the spec
//! cannot say.
//!
//! What the files say is kept, even where it costs (round-robin, no master); where lint
//! calls it an error (a server that refuses to start, a replica reachable from the network,
//! 0 workers), the spec takes Trident's fix and the report says so. Nothing is refused:
//! files that say nothing give the defaults, each named.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::model::{Model, Program, Replica, Runs};
use super::{Facts, Include, Kind, Source, START};
use crate::layout::{join, Layout};
use crate::read::unpercent;
use crate::syntax::ini::Section;
use crate::syntax::nginx::Directive;
use crate::syntax::Pos;
use crate::{Balance, Host, NextUpstream, SocketKind, Spec};

/// `spec` with what its files cannot record put back to the defaults: the [`TRACELESS`]
/// fields, the HTTPS settings without TLS, the port and bind address with unix sockets, the static settings without a static URL, a
/// connect timeout equal to the default. Two specs with the same stack have the same
/// `recorded` spec; `recorded(&import(generate(spec)).spec) == recorded(spec)`.
pub fn recorded(spec: &Spec) -> Spec {
    let d = Spec::default();
    let mut s = spec.clone();
    s.grace = d.grace;
    s.nginx_version = d.nginx_version.clone();
    if s.tls_cert.is_none() || s.tls_key.is_none() {
        s.https_port = d.https_port;
        s.hsts = d.hsts;
    }
    if s.static_url.is_none() {
        s.static_dir = None;
        s.static_max_age = d.static_max_age;
    }
    if s.socket == SocketKind::Unix {
        s.base_port = d.base_port;
        s.bind = d.bind.clone();
    }
    let default_connect = if s.hosts.is_empty() { 60 } else { 2 };
    if s.connect_timeout == Some(default_connect) {
        s.connect_timeout = None;
    }
    s
}

/// The spec and the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Imported {
    /// The spec: `trident generate --spec` of it gives the fixed stack.
    pub spec: Spec,
    /// Every field's origin and every line not carried over, in file and line order.
    pub notes: Vec<Note>,
}

/// What became of one field or one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteKind {
    /// The field is what the file says.
    Mapped,
    /// The file says something a real server refuses or that exposes the app: the field
    /// takes Trident's fix.
    Fixed,
    /// Nothing in the files says it: Trident's default.
    Defaulted,
    /// A line the spec cannot say; the regenerated files do without it.
    Unmapped,
}

/// One entry of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// What happened.
    pub kind: NoteKind,
    /// The spec field, when the note is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// The input file ("" when no file says anything).
    pub file: String,
    /// Its line (0 with no file).
    pub line: u32,
    /// What was read, or why not.
    pub message: String,
}

/// Fields the files do not record in full: rollout's `grace` leaves no trace, and
/// `nginx_version` shows only as a spelling (`http2 on;` from 1.25.1). Import gives the
/// default, or the first version with that spelling.
pub const TRACELESS: &[&str] = &["grace", "nginx_version"];

/// uWSGI options Trident writes itself: read as plumbing, not reported.
const UWSGI_OWN: &[&str] = &[
    "strict",
    "if-not-env",
    "if-env",
    "if-opt",
    "if-not-opt",
    "endif",
    "print",
    "hook-asap",
    "set-placeholder",
    "need-app",
    "chmod-socket",
    "ini",
    "stats",
];

/// uWSGI options a Trident stack does without, and why.
const UWSGI_DROPPED: &[(&str, &str)] = &[
    (
        "pidfile",
        "supervisord tracks each replica's pid; a shared pid file breaks rollout",
    ),
    (
        "daemonize",
        "supervisord keeps the replicas in the foreground",
    ),
    (
        "die-on-term",
        "supervisord stops uWSGI with QUIT, which ends it cleanly",
    ),
    ("http", "nginx serves HTTP; the replicas speak uwsgi"),
    ("http-socket", "nginx serves HTTP; the replicas speak uwsgi"),
    (
        "logto",
        "supervisord captures each replica's log and rotates it",
    ),
    (
        "daemonize2",
        "supervisord keeps the replicas in the foreground",
    ),
];

/// nginx directives Trident writes itself (or derives from a field): not reported.
const NGINX_OWN: &[&str] = &[
    "daemon",
    "pid",
    "pidfile",
    "error_log",
    "worker_rlimit_nofile",
    "events",
    "worker_connections",
    "access_log",
    "client_body_temp_path",
    "proxy_temp_path",
    "fastcgi_temp_path",
    "uwsgi_temp_path",
    "scgi_temp_path",
    "server_tokens",
    "default_type",
    "types",
    "include",
    "large_client_header_buffers",
    "gzip_vary",
    "gzip_proxied",
    "gzip_min_length",
    "gzip_comp_level",
    "gzip_types",
    "zone",
    "uwsgi_param",
    "ssl_protocols",
    "ssl_ecdh_curve",
    "ssl_ciphers",
    "ssl_prefer_server_ciphers",
    "ssl_session_timeout",
    "ssl_session_cache",
    "ssl_session_tickets",
    "http2",
    "return",
    "real_ip_header",
    "real_ip_recursive",
    "geo",
    "map",
    "root",
    "http",
    "server",
    "location",
    "upstream",
];

/// supervisord keys Trident writes itself.
const SUPERVISORD_OWN: &[&str] = &[
    "file",
    "chmod",
    "chown",
    "logfile",
    "pidfile",
    "childlogdir",
    "supervisor.rpcinterface_factory",
    "serverurl",
    "command",
    "directory",
    "environment",
    "priority",
    "autorestart",
    "autostart",
    "stopsignal",
    "stopwaitsecs",
    "killasgroup",
    "stopasgroup",
    "stdout_logfile",
    "stderr_logfile",
    "redirect_stderr",
    "stdout_logfile_maxbytes",
    "stdout_logfile_backups",
    "stderr_logfile_maxbytes",
    "stderr_logfile_backups",
    "user",
    "nodaemon",
    "logfile_maxbytes",
    "logfile_backups",
];

/// The spec `sources` describe (read as [`super::lint`] reads them) and the report.
pub fn import(sources: &[Source], includes: &[Include], facts: &Facts) -> Imported {
    let parsed = super::model::parse_all(sources);
    let model = Model::read(sources, &parsed, includes, facts);
    let mut im = Importer {
        model: &model,
        spec: Spec::default(),
        notes: Vec::new(),
        used: BTreeSet::new(),
        set: BTreeSet::new(),
        server_at: None,
    };
    im.run();
    let Importer {
        mut spec,
        mut notes,
        set,
        ..
    } = im;
    for f in crate::FIELDS {
        if !set.contains(f.name) && (f.get)(&spec) != (f.get)(&Spec::default()) {
            // Set as a side effect of another (e.g. the group with the user): keep.
            continue;
        }
        if !set.contains(f.name) && f.name != "hosts" && f.name != "lb_address" {
            let value = (f.get)(&spec).join(" ");
            notes.push(Note {
                kind: NoteKind::Defaulted,
                field: Some(f.name),
                file: String::new(),
                line: 0,
                message: format!(
                    "{} = {}: nothing in the files says it; Trident's default",
                    f.name,
                    if value.is_empty() {
                        "(none)".into()
                    } else {
                        value
                    }
                ),
            });
        }
    }
    if spec.tls_cert.is_none() || spec.tls_key.is_none() {
        spec.tls_cert = None;
        spec.tls_key = None;
    }
    let order: BTreeMap<&str, usize> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| (s.path.as_str(), i))
        .collect();
    notes.sort_by(|a, b| {
        let key = |n: &Note| {
            (
                n.file.is_empty(),
                order.get(n.file.as_str()).copied(),
                n.line,
            )
        };
        key(a).cmp(&key(b))
    });
    Imported { spec, notes }
}

struct Importer<'a, 'm> {
    model: &'a Model<'m>,
    spec: Spec,
    notes: Vec<Note>,
    /// (file, line, column) of every entry or directive read.
    used: BTreeSet<(usize, u32, u32)>,
    /// Fields some file set.
    set: BTreeSet<&'static str>,
    /// The nginx server being read, for notes about what it lacks.
    server_at: Option<(usize, Pos)>,
}

/// The directory part of a path (`/` for a file at the root, "" for a bare name).
fn dir_of(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some(("", _)) => "/",
        Some((d, _)) => d,
        None => "",
    }
}

fn base_of(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, b)| b)
}

/// An address without IPv6 brackets.
fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// `host:port` split; a bare port has no host.
fn host_port(addr: &str) -> (Option<&str>, Option<u32>) {
    let addr = addr.trim();
    if let Ok(p) = addr.parse::<u32>() {
        return (None, Some(p));
    }
    match addr.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() || p.parse::<u32>().is_ok() => {
            let h = (!h.is_empty()).then(|| unbracket(h));
            (h, p.parse().ok())
        }
        _ => (Some(unbracket(addr)), None),
    }
}

/// A uWSGI boolean as uWSGI reads it.
fn truthy(v: &str) -> bool {
    matches!(
        v.trim()
            .trim_matches(['"', '\''])
            .to_ascii_lowercase()
            .as_str(),
        "true" | "1" | "yes" | "on" | "y"
    )
}

/// nginx's time syntax in seconds (`60`, `60s`, `1m`, `1h`), whole seconds only.
fn seconds(v: &str) -> Option<u32> {
    let v = v.trim();
    let (num, mult) = match v.char_indices().last()? {
        (i, 's') => (&v[..i], 1),
        (i, 'm') if !v.ends_with("ms") => (&v[..i], 60),
        (i, 'h') => (&v[..i], 3600),
        (i, 'd') => (&v[..i], 86_400),
        (_, c) if c.is_ascii_digit() => (v, 1),
        _ => return None,
    };
    num.parse::<u32>().ok()?.checked_mul(mult)
}

impl<'m> Importer<'_, 'm> {
    fn path(&self, file: usize) -> String {
        self.model.sources[file].path.clone()
    }

    fn note(
        &mut self,
        kind: NoteKind,
        field: Option<&'static str>,
        file: usize,
        line: u32,
        message: String,
    ) {
        self.notes.push(Note {
            kind,
            field,
            file: self.path(file),
            line: line.max(1),
            message,
        });
    }

    /// `field` is `value`, as `file:at` says.
    fn mapped(&mut self, field: &'static str, file: usize, at: Pos, what: &str) {
        self.set.insert(field);
        self.note(
            NoteKind::Mapped,
            Some(field),
            file,
            at.line,
            what.to_string(),
        );
    }

    fn fixed(&mut self, field: &'static str, file: usize, at: Pos, what: String) {
        self.set.insert(field);
        self.note(NoteKind::Fixed, Some(field), file, at.line, what);
    }

    fn unmapped(&mut self, file: usize, at: Pos, what: String) {
        self.note(NoteKind::Unmapped, None, file, at.line, what);
    }

    fn use_at(&mut self, file: usize, at: Pos) {
        self.used.insert((file, at.line, at.col));
    }

    fn run(&mut self) {
        let model = self.model;
        let replicas = model.replicas();
        let nginx_prog = model
            .programs
            .iter()
            .find(|p| matches!(p.runs, Runs::Nginx { .. }));
        // Hosts: the replicas of each supervisord source's directory; several, or none in
        // nginx's directory, make a multi-host spec.
        let mut groups: Vec<(String, Vec<&Replica<'_>>)> = Vec::new();
        for r in &replicas {
            let d = dir_of(&model.sources[r.program.file].path).to_string();
            match groups.iter_mut().find(|(g, _)| *g == d) {
                Some((_, v)) => v.push(r),
                None => groups.push((d, vec![r])),
            }
        }
        let roots = model.nginx_roots();
        let nginx_dir = roots
            .first()
            .map(|&i| dir_of(&model.sources[i].path).to_string());
        let multi = groups.len() > 1
            || (groups.len() == 1 && nginx_dir.as_ref().is_some_and(|d| *d != groups[0].0) && {
                // One app host apart from nginx's: a host when it binds a routable address.
                self.bind_of(groups[0].1[0])
                    .is_some_and(|b| !is_loopback(&b))
            });
        if let Some((_, reps)) = groups.first() {
            self.supervisord_of(reps[0].program.file);
            self.replicas(reps, multi);
            if multi {
                self.hosts(&groups);
            }
        } else if let Some(f) = model.kind_indices(Kind::Supervisord).first() {
            self.supervisord_of(*f);
        }
        if let Some(p) = nginx_prog {
            self.nginx_program(p);
        }
        if let Some(&root) = roots.first() {
            self.nginx(root);
            for &other in &roots[1..] {
                self.unmapped(
                    other,
                    START,
                    format!(
                        "a second nginx configuration, {}: the spec describes one (the first, {})",
                        self.path(other),
                        self.path(root)
                    ),
                );
            }
        }
        self.home();
        self.sweep();
    }

    fn bind_of(&self, r: &Replica<'_>) -> Option<String> {
        let sockets = r.sockets();
        let (_, s) = sockets.first()?;
        let (h, _) = host_port(&s.value);
        Some(h.unwrap_or("0.0.0.0").to_string())
    }

    /// `[supervisord]` and the control sections of `file`.
    fn supervisord_of(&mut self, file: usize) {
        let Some(conf) = self.model.supervisord(file) else {
            return;
        };
        if let Some(s) = conf.ini.section("supervisord") {
            self.log_bounds(file, s, "logfile_maxbytes", "logfile_backups");
            if let Some(e) = s.get("logfile") {
                if let Some(v) = super::supervisord::expand_path(self.model, None, file, &e.value) {
                    self.dir_seen("log", file, e.value_at, dir_of(&v).to_string());
                }
            }
            if let Some(e) = s.get("childlogdir") {
                if let Some(v) = super::supervisord::expand_path(self.model, None, file, &e.value) {
                    self.dir_seen("log", file, e.value_at, v);
                }
            }
            if let Some(e) = s.get("pidfile") {
                if let Some(v) = super::supervisord::expand_path(self.model, None, file, &e.value) {
                    self.dir_seen("run", file, e.value_at, dir_of(&v).to_string());
                }
            }
        }
        if let Some(s) = conf.ini.section("unix_http_server") {
            if let Some(e) = s.get("file") {
                if let Some(v) = super::supervisord::expand_path(self.model, None, file, &e.value) {
                    self.dir_seen("run", file, e.value_at, dir_of(&v).to_string());
                }
            }
        }
    }

    fn log_bounds(&mut self, file: usize, s: &Section<'_>, bytes: &str, backups: &str) {
        if self.set.contains("log_max_mb") {
            return;
        }
        if let Some(e) = s.get(bytes) {
            let v = e.value.trim().to_ascii_uppercase();
            let mb = v
                .strip_suffix("MB")
                .and_then(|n| n.trim().parse::<u32>().ok())
                .or_else(|| {
                    v.strip_suffix("KB")
                        .and_then(|n| n.trim().parse::<u32>().ok())
                        .map(|k| k.div_ceil(1024))
                })
                .or_else(|| {
                    v.strip_suffix("GB")
                        .and_then(|n| n.trim().parse::<u32>().ok())
                        .map(|g| g.saturating_mul(1024))
                })
                .or_else(|| {
                    v.parse::<u64>()
                        .ok()
                        .map(|b| b.div_ceil(1024 * 1024).min(u32::MAX as u64) as u32)
                });
            match mb {
                Some(0) => self.fixed("log_max_mb", file, e.value_at, format!("{bytes} = {}: 0 never rotates (the log grows without bound); Trident rotates at {} MB", e.value, self.spec.log_max_mb)),
                Some(mb) => {
                    self.spec.log_max_mb = mb;
                    self.mapped("log_max_mb", file, e.value_at, &format!("log_max_mb = {mb}"));
                }
                None => {}
            }
        }
        if let Some(e) = s.get(backups) {
            if let Ok(n) = e.value.trim().parse::<u32>() {
                self.spec.log_backups = n;
                self.mapped(
                    "log_backups",
                    file,
                    e.value_at,
                    &format!("log_backups = {n}"),
                );
            }
        }
    }

    /// A directory some file names for `which` (app, run, log, conf); the first wins.
    fn dir_seen(&mut self, which: &'static str, file: usize, at: Pos, dir: String) {
        let field = match which {
            "app" => "app_dir",
            "run" => "run_dir",
            "log" => "log_dir",
            _ => "conf_dir",
        };
        if self.set.contains(field) || dir.is_empty() || !dir.starts_with('/') {
            return;
        }
        // /dev/stdout and the like are streams, not a directory of the deployment.
        if dir == "/dev" || dir.starts_with("/dev/") || dir.starts_with("/proc") {
            return;
        }
        let dir = if dir.len() > 1 {
            dir.trim_end_matches('/').to_string()
        } else {
            dir
        };
        let slot = match which {
            "app" => &mut self.spec.app_dir,
            "run" => &mut self.spec.run_dir,
            "log" => &mut self.spec.log_dir,
            _ => &mut self.spec.conf_dir,
        };
        *slot = Some(dir.clone());
        self.mapped(field, file, at, &format!("{field} = {dir}"));
    }

    /// `home`: the parent the directories share under Trident's names; the directories that
    /// are `HOME/NAME` then go back to their defaults.
    fn home(&mut self) {
        let dirs: [(&str, Option<String>); 4] = [
            ("app", self.spec.app_dir.clone()),
            ("etc", self.spec.conf_dir.clone()),
            ("run", self.spec.run_dir.clone()),
            ("log", self.spec.log_dir.clone()),
        ];
        let mut votes: BTreeMap<String, usize> = BTreeMap::new();
        for (name, d) in &dirs {
            if let Some(d) = d {
                if base_of(d) == *name {
                    *votes.entry(dir_of(d).to_string()).or_default() += 1;
                }
            }
        }
        let Some((home, _)) = votes
            .into_iter()
            .max_by_key(|(h, n)| (*n, std::cmp::Reverse(h.clone())))
        else {
            return;
        };
        self.spec.home = home.clone();
        self.set.insert("home");
        self.notes.push(Note {
            kind: NoteKind::Mapped,
            field: Some("home"),
            file: String::new(),
            line: 0,
            message: format!("home = {home}: the directories the files name are under it"),
        });
        for (field, name) in [
            ("app_dir", "app"),
            ("conf_dir", "etc"),
            ("run_dir", "run"),
            ("log_dir", "log"),
        ] {
            let slot = match field {
                "app_dir" => &mut self.spec.app_dir,
                "conf_dir" => &mut self.spec.conf_dir,
                "run_dir" => &mut self.spec.run_dir,
                _ => &mut self.spec.log_dir,
            };
            if slot.as_deref() == Some(join(&home, name).as_str()) {
                *slot = None;
            }
        }
        if let (Some(url), Some(dir)) = (&self.spec.static_url, &self.spec.static_dir) {
            let _ = url;
            let app = Layout::new(&self.spec).dirs.app;
            if *dir == join(&app, "static") {
                self.spec.static_dir = None;
            }
        }
    }

    /// The replicas (of one host): count, names, sockets, options.
    fn replicas(&mut self, reps: &[&Replica<'_>], multi: bool) {
        let first = reps[0];
        let pf = first.program.file;
        let n = reps.len() as u32;
        self.spec.replicas = n;
        let names: Vec<&str> = reps.iter().map(|r| r.program.name).collect();
        self.mapped(
            "replicas",
            pf,
            first
                .program
                .section
                .headers
                .first()
                .copied()
                .unwrap_or(START),
            &format!("replicas = {n}: the uWSGI programs {}", names.join(", ")),
        );
        let prefix = program_prefix(&names);
        let at = first
            .program
            .section
            .headers
            .first()
            .copied()
            .unwrap_or(START);
        match &prefix {
            (p, true) => {
                self.spec.program_prefix = p.clone();
                self.mapped("program_prefix", pf, at, &format!("program_prefix = {p}"));
            }
            (p, false) => {
                self.spec.program_prefix = p.clone();
                self.set.insert("program_prefix");
                self.note(NoteKind::Unmapped, Some("program_prefix"), pf, at.line, if n == 1 { format!("program {} is not named PREFIX0: Trident names it {p}0", names[0]) } else { format!("programs {} are not named PREFIX0..PREFIX{}: Trident names them {p}0..{p}{}", names.join(", "), n - 1, n - 1) });
            }
        }
        // Sockets.
        let sockets: Vec<Option<(String, Pos)>> = reps
            .iter()
            .map(|r| {
                r.sockets().first().map(|(_, o)| {
                    (
                        o.value.trim().to_string(),
                        o.entry.map_or(START, |e| e.value_at),
                    )
                })
            })
            .collect();
        let ini_file = first.ini.unwrap_or(pf);
        let unix = sockets
            .iter()
            .flatten()
            .all(|(v, _)| v.starts_with('/') || v.starts_with("unix:"))
            && sockets.iter().any(Option::is_some);
        if unix {
            self.spec.socket = SocketKind::Unix;
            if let Some(Some((v, at))) = sockets.first() {
                let path = v.strip_prefix("unix:").unwrap_or(v);
                self.mapped("socket", ini_file, *at, "socket = unix");
                self.dir_seen("run", ini_file, *at, dir_of(path).to_string());
            }
        } else if let Some(Some((v, at))) = sockets.first() {
            self.set.insert("socket");
            let (host, _) = host_port(v);
            let bind = host.unwrap_or("");
            match bind {
                // `:PORT` is uWSGI's shorthand, written where loopback was meant (nginx
                // connects to 127.0.0.1); an address written out is kept as meant.
                "" | "*" if !multi => self.fixed("bind", ini_file, *at, format!("socket = {v} binds every interface: anyone who reaches the host talks uwsgi to the app; bind = 127.0.0.1")),
                "localhost" => {
                    self.mapped("bind", ini_file, *at, "bind = 127.0.0.1 (localhost)");
                }
                b => {
                    self.spec.bind = b.to_string();
                    self.mapped("bind", ini_file, *at, &format!("bind = {b}"));
                }
            }
            let ports: Vec<Option<u32>> = sockets
                .iter()
                .map(|s| s.as_ref().and_then(|(v, _)| host_port(v).1))
                .collect();
            if let Some(Some(base)) = ports.first() {
                self.spec.base_port = *base;
                self.mapped("base_port", ini_file, *at, &format!("base_port = {base}"));
                let straight = ports
                    .iter()
                    .enumerate()
                    .all(|(k, p)| *p == Some(base + k as u32));
                if !straight {
                    let list: Vec<String> = ports
                        .iter()
                        .map(|p| p.map_or("?".into(), |p| p.to_string()))
                        .collect();
                    self.note(NoteKind::Unmapped, Some("base_port"), pf, at.line, format!("replica ports {} are not BASE_PORT+K: Trident gives replica K port {}+K", list.join(", "), base));
                }
            }
        }
        if sockets.iter().any(Option::is_none) {
            let missing: Vec<&str> = reps
                .iter()
                .zip(&sockets)
                .filter(|(_, s)| s.is_none())
                .map(|(r, _)| r.program.name)
                .collect();
            self.unmapped(
                pf,
                START,
                format!(
                    "no uwsgi socket for {}: Trident gives each replica one",
                    missing.join(", ")
                ),
            );
        }
        // Binaries and the ini path.
        if let Runs::Uwsgi { bin, ini_arg, .. } = &first.program.runs {
            let at = first
                .program
                .section
                .get("command")
                .map_or(START, |e| e.value_at);
            if bin.starts_with('/') {
                self.spec.uwsgi_bin = bin.clone();
                self.mapped("uwsgi_bin", pf, at, &format!("uwsgi_bin = {bin}"));
            } else {
                self.fixed("uwsgi_bin", pf, at, format!("command runs {bin}, which supervisord looks up in its own PATH; uwsgi_bin = {}", self.spec.uwsgi_bin));
            }
            if let Some(arg) = ini_arg {
                let path = if arg.starts_with('/') {
                    Some(arg.clone())
                } else {
                    self.program_dir(first.program).map(|d| join(&d, arg))
                };
                match path {
                    Some(p) => self.dir_seen("conf", pf, at, dir_of(&p).to_string()),
                    None => self.unmapped(pf, at, format!("--ini {arg} is relative to a directory the files do not name: conf_dir stays {}", Layout::new(&self.spec).dirs.conf)),
                }
            }
        }
        // directory = the app, unless chdir says.
        if let Some(e) = first.program.section.get("directory") {
            if let Some(v) =
                super::supervisord::expand_path(self.model, Some(first.program), pf, &e.value)
            {
                if !(v == "/" || v.is_empty()) {
                    self.dir_seen("app", pf, e.value_at, v);
                }
            } else {
                self.unmapped(pf, e.value_at, format!("directory = {} depends on supervisord's environment, which the files do not give: app_dir stays at home's (give --home or --app-dir)", e.value));
            }
        }
        self.program_logs(first.program);
        self.uwsgi_options(first, reps);
        self.env(reps);
    }

    fn program_dir(&self, p: &Program<'_>) -> Option<String> {
        let e = p.section.get("directory")?;
        super::supervisord::expand_path(self.model, Some(p), p.file, &e.value)
    }

    fn program_logs(&mut self, p: &Program<'_>) {
        if let Some(e) = p.section.get("stdout_logfile") {
            let once = unpercent(&e.value).into_owned();
            if let Some(v) = super::supervisord::expand_path(self.model, Some(p), p.file, &once) {
                if v.starts_with('/') {
                    self.dir_seen("log", p.file, e.value_at, dir_of(&v).to_string());
                }
            }
        }
        self.log_bounds(
            p.file,
            p.section,
            "stdout_logfile_maxbytes",
            "stdout_logfile_backups",
        );
        if let Some(e) = p.section.get("user") {
            self.spec.user = Some(e.value.trim().to_string());
            self.mapped(
                "user",
                p.file,
                e.value_at,
                &format!("user = {} (supervisord's user)", e.value.trim()),
            );
        }
    }

    fn uwsgi_options(&mut self, r: &Replica<'_>, all: &[&Replica<'_>]) {
        let file = r.ini.unwrap_or(r.program.file);
        let at = |o: &super::model::Opt<'_>| o.entry.map_or(START, |e| e.value_at);
        for key in ["master", "vacuum"] {
            let on = r.last(&[key]).map(|o| (truthy(&o.value), at(o)));
            match (key, on) {
                ("master", Some((v, p))) => {
                    self.spec.master = v;
                    self.mapped("master", file, p, &format!("master = {v}"));
                }
                ("vacuum", Some((v, p))) => {
                    self.spec.vacuum = v;
                    self.mapped("vacuum", file, p, &format!("vacuum = {v}"));
                }
                ("master", None) => {
                    self.spec.master = false;
                    self.mapped(
                        "master",
                        file,
                        START,
                        "master = false: no master option (uWSGI's default)",
                    );
                }
                _ => {
                    self.spec.vacuum = false;
                    self.mapped(
                        "vacuum",
                        file,
                        START,
                        "vacuum = false: no vacuum option (uWSGI's default)",
                    );
                }
            }
        }
        let python = r.all(&["plugins", "plugin"]).find(|o| {
            o.value
                .split([',', ' '])
                .any(|p| p.trim().starts_with("python"))
        });
        match python {
            Some(o) => {
                self.spec.python_plugin = true;
                let p = at(o);
                self.mapped("python_plugin", file, p, "python_plugin = true");
            }
            None if uwsgi_bin_is_debian(&self.spec.uwsgi_bin) => {
                self.fixed("python_plugin", file, START, "no plugins = python3: Debian's uwsgi then serves nothing (\"no app loaded\"); python_plugin = true".into());
            }
            None => {
                self.spec.python_plugin = false;
                self.mapped("python_plugin", file, START, "python_plugin = false: no python plugin option (a pip-installed uwsgi needs none)");
            }
        }
        if let Some(o) = r.last(&["module", "wsgi", "w"]) {
            let mut module = o.value.trim().to_string();
            if !module.contains(':') {
                if let Some(c) = r.last(&["callable"]) {
                    module = format!("{module}:{}", c.value.trim());
                }
            }
            self.spec.module = module.clone();
            self.mapped("module", file, at(o), &format!("module = {module}"));
        } else if let Some(o) = r.last(&["wsgi-file", "file", "mount"]) {
            let p = at(o);
            self.unmapped(
                file,
                p,
                format!(
                    "{} = {}: Trident loads a module (MODULE:CALLABLE); give --module",
                    o.key, o.value
                ),
            );
        }
        if let Some(o) = r.last(&["chdir"]) {
            let v = unpercent(o.value.trim()).into_owned();
            let p = at(o);
            self.set.remove("app_dir");
            self.spec.app_dir = None;
            self.dir_seen("app", file, p, v);
        }
        let number = |o: &super::model::Opt<'_>| {
            o.value.trim().trim_matches(['"', '\'']).parse::<u32>().ok()
        };
        match r.last(&["workers", "processes", "p"]) {
            Some(o) if !o.unset.is_empty() => {
                let p = at(o);
                self.fixed("workers", file, p, format!("workers = {} reads {}, which no program sets: uWSGI starts 0 workers and never answers; workers = {}", o.entry.map_or(o.value.as_str(), |e| e.value.as_ref()), o.unset.join(", "), self.spec.workers));
            }
            Some(o) => {
                match number(o) {
                    Some(0) => {
                        let p = at(o);
                        self.fixed(
                            "workers",
                            file,
                            p,
                            format!("workers = 0 never answers; workers = {}", self.spec.workers),
                        );
                    }
                    Some(w) => {
                        self.spec.workers = w;
                        let p = at(o);
                        self.mapped("workers", file, p, &format!("workers = {w}"));
                        let counts: BTreeSet<Option<u32>> = all
                            .iter()
                            .map(|x| x.last(&["workers", "processes", "p"]).and_then(number))
                            .collect();
                        if counts.len() > 1 {
                            self.unmapped(file, p, "the replicas run different worker counts: Trident gives each the same".into());
                        }
                    }
                    None => {}
                }
            }
            None => {
                self.spec.workers = 1;
                self.mapped(
                    "workers",
                    file,
                    START,
                    "workers = 1: no workers option (uWSGI's default)",
                );
            }
        }
        match r.last(&["threads"]).map(|o| (number(o), at(o))) {
            Some((Some(t), p)) if t > 0 => {
                self.spec.threads = t;
                self.mapped("threads", file, p, &format!("threads = {t}"));
            }
            Some(_) => {}
            None => {
                self.spec.threads = 1;
                self.mapped(
                    "threads",
                    file,
                    START,
                    "threads = 1: no threads option (uWSGI's default)",
                );
            }
        }
        match r.last(&["max-requests"]).map(|o| (number(o), at(o))) {
            Some((Some(v), p)) => {
                self.spec.max_requests = v;
                self.mapped("max_requests", file, p, &format!("max_requests = {v}"));
            }
            Some(_) => {}
            None => {
                self.spec.max_requests = 0;
                self.mapped(
                    "max_requests",
                    file,
                    START,
                    "max_requests = 0: workers are never recycled (no max-requests)",
                );
            }
        }
        if let Some((Some(v), p)) = r.last(&["harakiri"]).map(|o| (number(o), at(o))) {
            self.spec.harakiri = v;
            self.mapped("harakiri", file, p, &format!("harakiri = {v}"));
        }
        if let Some((Some(v), p)) = r.last(&["listen", "l"]).map(|o| (number(o), at(o))) {
            self.spec.listen_backlog = Some(v);
            self.mapped("listen_backlog", file, p, &format!("listen_backlog = {v}"));
        }
        match r.last(&["buffer-size", "b"]).map(|o| (number(o), at(o))) {
            Some((Some(v), p)) if (crate::spec::MIN_BUFFER_SIZE..=crate::spec::MAX_BUFFER_SIZE).contains(&v) => {
                self.spec.buffer_size = v;
                self.mapped("buffer_size", file, p, &format!("buffer_size = {v}"));
            }
            Some((v, p)) => self.fixed("buffer_size", file, p, format!("buffer-size = {}: outside {}-{}, where nginx's header limit fits uWSGI's buffer; buffer_size = {}", v.map_or("?".into(), |v| v.to_string()), crate::spec::MIN_BUFFER_SIZE, crate::spec::MAX_BUFFER_SIZE, self.spec.buffer_size)),
            None => self.fixed("buffer_size", file, START, format!("no buffer-size: uWSGI's 4096 turns a request with a few cookies into a 502; buffer_size = {}", self.spec.buffer_size)),
        }
        if let (Some(u), true) = (r.last(&["uid"]), self.spec.user.is_none()) {
            let user = u.value.trim().to_string();
            let p = at(u);
            self.spec.user = Some(user.clone());
            self.mapped("user", file, p, &format!("user = {user}"));
            if let Some(g) = r.last(&["gid"]) {
                let g = g.value.trim().to_string();
                if g != user {
                    self.spec.group = Some(g.clone());
                    self.mapped("group", file, p, &format!("group = {g}"));
                }
            }
        }
        // env = KEY=VALUE: LANG is its own field, the rest joins env.
        for o in r.all(&["env"]) {
            let p = at(o);
            let Some((k, v)) = o.value.split_once('=') else {
                continue;
            };
            let (k, raw) = (k.trim(), v.trim());
            let quoted = raw.len() >= 2
                && ((raw.starts_with('\'') && raw.ends_with('\''))
                    || (raw.starts_with('"') && raw.ends_with('"')));
            let v = if quoted { &raw[1..raw.len() - 1] } else { raw };
            if k == "LANG" {
                self.spec.lang = v.to_string();
                if quoted {
                    self.fixed(
                        "lang",
                        file,
                        p,
                        format!(
                            "env = LANG={raw}: uWSGI keeps the quotes in the value; lang = {v}"
                        ),
                    );
                } else {
                    self.mapped("lang", file, p, &format!("lang = {v}"));
                }
            } else {
                self.spec.env.insert(k.to_string(), v.to_string());
                self.set.insert("env");
                if quoted {
                    self.note(
                        NoteKind::Fixed,
                        Some("env"),
                        file,
                        p.line,
                        format!("env = {k}={raw}: uWSGI keeps the quotes; env {k} = {v}"),
                    );
                } else {
                    self.note(
                        NoteKind::Mapped,
                        Some("env"),
                        file,
                        p.line,
                        format!("env {k} = {v}"),
                    );
                }
            }
        }
        if !r
            .options
            .iter()
            .any(|o| o.key == "env" && o.value.trim_start().starts_with("LANG="))
        {
            self.fixed(
                "lang",
                file,
                START,
                format!(
                    "no LANG: Python then reads file names and stdout as ASCII; lang = {}",
                    self.spec.lang
                ),
            );
        }
        // Mark every option read by the model as seen, reporting the ones without a field.
        for o in &r.options {
            if let Some(e) = o.entry {
                self.used.insert((file, e.at.line, e.at.col));
            }
        }
        let mapped_keys: &[&str] = &[
            "master",
            "vacuum",
            "plugins",
            "plugin",
            "module",
            "wsgi",
            "w",
            "callable",
            "chdir",
            "workers",
            "processes",
            "p",
            "threads",
            "max-requests",
            "harakiri",
            "listen",
            "l",
            "buffer-size",
            "b",
            "uid",
            "gid",
            "env",
            "socket",
            "uwsgi-socket",
            "shared-socket",
            "wsgi-file",
            "file",
            "mount",
        ];
        for o in &r.options {
            let key = o.key.as_ref();
            if mapped_keys.contains(&key) || UWSGI_OWN.contains(&key) {
                continue;
            }
            let p = o.entry.map_or(START, |e| e.at);
            let src = if o.entry.is_some() {
                file
            } else {
                r.program.file
            };
            match UWSGI_DROPPED.iter().find(|(k, _)| *k == key) {
                Some((_, why)) => self.note(NoteKind::Fixed, None, src, p.line, format!("{key} = {} dropped: {why}", written(o))),
                None => self.unmapped(src, p, format!("{key} = {} is not carried into the spec: Trident's webapp.ini does not set it", written(o))),
            }
        }
    }

    /// `environment` pairs every replica has with the same value, except the ones the ini
    /// reads per replica (its socket and worker variables).
    fn env(&mut self, reps: &[&Replica<'_>]) {
        let first = reps[0];
        let Ok(env) = &first.program.env else {
            return;
        };
        // Variables the ini's values read: plumbing.
        let mut read: BTreeSet<String> = BTreeSet::new();
        for o in &first.options {
            if let Some(e) = o.entry {
                let mut rest: &str = &e.value;
                while let Some(i) = rest.find("$(") {
                    let after = &rest[i + 2..];
                    let Some(end) = after.find(')') else { break };
                    read.insert(after[..end].to_string());
                    rest = &after[end..];
                }
            }
        }
        // `if-not-env = VAR` guards read it too.
        for o in first.all(&["if-not-env", "if-env"]) {
            read.insert(o.value.trim().to_string());
        }
        let at = first
            .program
            .section
            .get("environment")
            .map_or(START, |e| e.value_at);
        let supervisords = crate::read::supervisord_sets(first.program.name);
        for (k, v) in env {
            if read.contains(k) || supervisords.iter().any(|(own, _)| own == k) {
                continue;
            }
            let everywhere = reps
                .iter()
                .all(|r| r.program.env.as_ref().is_ok_and(|e| e.get(k) == Some(v)));
            // The [supervisord] environment reaches every program, nginx's too: still the app's.
            if everywhere {
                if k == "LANG" && !self.set.contains("lang") {
                    self.spec.lang = v.clone();
                    self.mapped("lang", first.program.file, at, &format!("lang = {v}"));
                    continue;
                }
                self.spec.env.insert(k.clone(), v.clone());
                self.set.insert("env");
                self.note(
                    NoteKind::Mapped,
                    Some("env"),
                    first.program.file,
                    at.line,
                    format!("env {k} = {v}"),
                );
            } else {
                self.unmapped(first.program.file, at, format!("{k} differs between the replicas: Trident gives every replica the same environment"));
            }
        }
    }

    fn nginx_program(&mut self, p: &Program<'_>) {
        let at = p.section.headers.first().copied().unwrap_or(START);
        self.spec.nginx_program = p.name.to_string();
        self.mapped(
            "nginx_program",
            p.file,
            at,
            &format!("nginx_program = {}", p.name),
        );
        let cmd_at = p.section.get("command").map_or(at, |e| e.value_at);
        if let Runs::Nginx { bin, prefix, conf } = &p.runs {
            if bin.starts_with('/') {
                self.spec.nginx_bin = bin.clone();
                self.mapped("nginx_bin", p.file, cmd_at, &format!("nginx_bin = {bin}"));
            } else {
                self.fixed("nginx_bin", p.file, cmd_at, format!("command runs {bin}, which supervisord looks up in its own PATH; nginx_bin = {}", self.spec.nginx_bin));
            }
            if let Some(c) = conf
                .as_deref()
                .and_then(|c| super::supervisord::expand_path(self.model, Some(p), p.file, c))
            {
                if c.starts_with('/') {
                    self.dir_seen("conf", p.file, cmd_at, dir_of(&c).to_string());
                }
            }
            if let Some(pre) = prefix {
                if pre.starts_with('/') {
                    self.dir_seen("run", p.file, cmd_at, pre.trim_end_matches('/').to_string());
                }
            }
        }
        let command = p.section.value("command").unwrap_or("");
        let wait = command
            .find("SECONDS+")
            .map(|i| {
                command[i + 8..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
            })
            .and_then(|d| d.parse::<u32>().ok());
        match wait {
            Some(w) => {
                self.spec.wait_for_backends = w;
                self.mapped(
                    "wait_for_backends",
                    p.file,
                    cmd_at,
                    &format!("wait_for_backends = {w}"),
                );
            }
            None => {
                self.spec.wait_for_backends = 0;
                self.mapped(
                    "wait_for_backends",
                    p.file,
                    cmd_at,
                    "wait_for_backends = 0: nginx starts with the replicas",
                );
            }
        }
        self.log_bounds(
            p.file,
            p.section,
            "stdout_logfile_maxbytes",
            "stdout_logfile_backups",
        );
    }

    fn hosts(&mut self, groups: &[(String, Vec<&Replica<'_>>)]) {
        let mut hosts = Vec::new();
        for (dir, reps) in groups {
            let Some(bind) = self.bind_of(reps[0]) else {
                continue;
            };
            let ports: Vec<u32> = reps
                .iter()
                .filter_map(|r| r.sockets().first().and_then(|(_, o)| host_port(&o.value).1))
                .collect();
            let name = base_of(dir);
            let name = if name.is_empty() { "host" } else { name };
            let n = reps.len() as u32;
            let base = ports.first().copied().unwrap_or(self.spec.base_port);
            hosts.push(Host {
                name: name.to_string(),
                address: bind.to_string(),
                replicas: (n != self.spec.replicas).then_some(n),
                base_port: (base != self.spec.base_port).then_some(base),
            });
            let f = reps[0].program.file;
            let at = reps[0]
                .program
                .section
                .headers
                .first()
                .copied()
                .unwrap_or(START);
            self.note(
                NoteKind::Mapped,
                Some("hosts"),
                f,
                at.line,
                format!(
                    "host {}",
                    hosts.last().map(Host::to_text).unwrap_or_default()
                ),
            );
        }
        // The bind address of app hosts is each host's own; the spec's bind stays loopback.
        self.spec.bind = Spec::default().bind;
        self.set.insert("bind");
        self.spec.hosts = hosts;
        self.set.insert("hosts");
        // lb_address: the address the app hosts' firewalls admit.
        for i in self.model.kind_indices(Kind::Nftables) {
            let Ok(text) = &self.model.sources[i].text else {
                continue;
            };
            for (n, line) in text.lines().enumerate() {
                let words: Vec<&str> = line.split_whitespace().collect();
                if let Some(w) = words.iter().position(|w| *w == "saddr") {
                    if let (Some(addr), true) = (words.get(w + 1), words.contains(&"accept")) {
                        self.spec.lb_address = Some(addr.to_string());
                        self.mapped(
                            "lb_address",
                            i,
                            Pos {
                                line: n as u32 + 1,
                                col: 1,
                            },
                            &format!(
                                "lb_address = {addr} (the address the app hosts' firewall admits)"
                            ),
                        );
                        return;
                    }
                }
            }
        }
    }

    /// nginx's main file `root` (with what it includes).
    fn nginx(&mut self, root: usize) {
        let model = self.model;
        let Some(conf) = model.nginx(root) else {
            return;
        };
        let top = model.expand(root, &conf.conf.directives);
        for (f, d) in &top {
            self.use_at(*f, d.name.at);
            if d.name() == "user" {
                if let (Some(u), None) = (d.arg(0), &self.spec.user) {
                    self.spec.user = Some(u.to_string());
                    self.mapped(
                        "user",
                        *f,
                        d.name.at,
                        &format!("user = {u} (nginx's workers)"),
                    );
                    if let Some(g) = d.arg(1).filter(|g| *g != u) {
                        self.spec.group = Some(g.to_string());
                        self.mapped("group", *f, d.name.at, &format!("group = {g}"));
                    }
                }
            }
        }
        // A file of server blocks (a conf.d include) reads as an http block's body.
        let (hf, http_at, body) = match top.iter().find(|(_, d)| d.name() == "http") {
            Some((hf, http)) => (*hf, http.name.at, model.expand(*hf, http.children())),
            None if top
                .iter()
                .any(|(_, d)| matches!(d.name(), "server" | "upstream")) =>
            {
                (root, START, top.clone())
            }
            None => return,
        };
        let server_dirs: Vec<&(usize, &Directive<'_>)> =
            body.iter().filter(|(_, d)| d.name() == "server").collect();
        let mut servers: Vec<Vec<(usize, &Directive<'_>)>> = server_dirs
            .iter()
            .map(|(sf, s)| model.expand(*sf, s.children()))
            .collect();
        // Trident's status server (a unix listener serving stub_status): plumbing.
        let mut server_dirs = server_dirs;
        let mut i = 0;
        while i < servers.len() {
            if is_status_server(model, &servers[i]) {
                let (sf, sd) = server_dirs.remove(i);
                self.use_at(*sf, sd.name.at);
                for (f, d) in servers.remove(i) {
                    self.use_at(f, d.name.at);
                }
            } else {
                i += 1;
            }
        }
        let at_of = |s: &Vec<(usize, &Directive<'_>)>| {
            servers
                .iter()
                .position(|x| x == s)
                .map(|i| (server_dirs[i].0, server_dirs[i].1.name.at))
        };
        // The server whose location passes to uwsgi.
        let main_server = servers
            .iter()
            .find(|s| find_pass(model, s).is_some())
            .cloned();
        let mut plain_server = None;
        // HTTPS: the uwsgi server listens with ssl; a plain server redirects.
        let tls_main = main_server.as_ref().is_some_and(|m| {
            m.iter()
                .any(|(_, d)| d.name() == "listen" && d.args.iter().any(|a| a.text == "ssl"))
        });
        if tls_main {
            plain_server = servers
                .iter()
                .find(|s| {
                    !s.iter().any(|(_, d)| {
                        d.name() == "listen" && d.args.iter().any(|a| a.text == "ssl")
                    })
                })
                .cloned();
        }
        let upstream_name = main_server
            .as_ref()
            .and_then(|m| find_pass(model, m))
            .map(|(f, d)| (f, d.arg(0).unwrap_or("").to_string(), d.name.at));
        if let Some((f, name, at)) = &upstream_name {
            self.spec.upstream = name.clone();
            self.mapped("upstream", *f, *at, &format!("upstream = {name}"));
        }
        for (f, d) in &body {
            self.use_at(*f, d.name.at);
            match d.name() {
                "client_max_body_size" => {
                    if let Some(v) = d.arg(0) {
                        self.spec.max_body = v.to_string();
                        self.mapped("max_body", *f, d.name.at, &format!("max_body = {v}"));
                    }
                }
                "gzip" => {
                    let on = d.arg(0) == Some("on");
                    self.spec.gzip = on;
                    self.mapped("gzip", *f, d.name.at, &format!("gzip = {on}"));
                }
                "set_real_ip_from" => {
                    if let Some(v) = d.arg(0) {
                        self.spec.trusted_proxy.push(v.to_string());
                        self.mapped(
                            "trusted_proxy",
                            *f,
                            d.name.at,
                            &format!("trusted_proxy += {v}"),
                        );
                    }
                }
                "upstream"
                    if upstream_name
                        .as_ref()
                        .is_some_and(|(_, n, _)| d.arg(0) == Some(n.as_str())) =>
                {
                    self.upstream(*f, d);
                }
                _ => {}
            }
        }
        if !self.set.contains("max_body") {
            self.spec.max_body = "1m".into();
            self.mapped(
                "max_body",
                hf,
                http_at,
                "max_body = 1m: no client_max_body_size (nginx's default)",
            );
        }
        if !self.set.contains("gzip") {
            self.spec.gzip = false;
            self.mapped(
                "gzip",
                hf,
                http_at,
                "gzip = false: no gzip (nginx's default)",
            );
        }
        let listen_server = if tls_main {
            plain_server.clone()
        } else {
            main_server.clone()
        };
        if let Some(s) = &listen_server {
            self.server_at = at_of(s);
            self.listen(s, false);
            self.server_names(s);
            for (f, d) in s {
                self.use_at(*f, d.name.at);
                if d.name() == "location" && d.arg(1) == Some("/.well-known/acme-challenge/")
                    || d.arg(0) == Some("/.well-known/acme-challenge/")
                {
                    let inner = model.expand(*f, d.children());
                    if let Some((rf, r)) = inner.iter().find(|(_, c)| c.name() == "root") {
                        if let Some(v) = r.arg(0) {
                            self.spec.acme_dir = Some(v.to_string());
                            self.mapped("acme_dir", *rf, r.name.at, &format!("acme_dir = {v}"));
                        }
                    }
                    for (cf, c) in &inner {
                        self.use_at(*cf, c.name.at);
                    }
                }
            }
        }
        if let Some(m) = &main_server {
            if tls_main {
                self.listen(m, true);
                if !self.set.contains("server_name") {
                    self.server_names(m);
                }
            }
            self.main_server(m);
        }
    }

    fn server_names(&mut self, s: &[(usize, &Directive<'_>)]) {
        if let Some((f, d)) = s.iter().find(|(_, d)| d.name() == "server_name") {
            let names: Vec<&str> = d.args.iter().map(|a| a.text.as_ref()).collect();
            if !names.is_empty() {
                self.spec.server_name = names.join(" ");
                self.mapped(
                    "server_name",
                    *f,
                    d.name.at,
                    &format!("server_name = {}", names.join(" ")),
                );
            }
        }
    }

    fn listen(&mut self, s: &[(usize, &Directive<'_>)], ssl: bool) {
        let listens: Vec<&(usize, &Directive<'_>)> = s
            .iter()
            .filter(|(_, d)| d.name() == "listen" && d.args.iter().any(|a| a.text == "ssl") == ssl)
            .collect();
        let Some((f, d)) = listens.first() else {
            if !ssl {
                if let Some((f, at)) = self.server_at {
                    self.unmapped(f, at, format!("the server has no listen: nginx binds 0.0.0.0:80 as root, 0.0.0.0:8000 otherwise; listen = {}", self.spec.listen));
                }
            }
            return;
        };
        let (host, port) = host_port(d.arg(0).unwrap_or(""));
        let port = port.filter(|p| (1..=65_535).contains(p));
        if let Some(p) = port {
            if ssl {
                self.spec.https_port = p;
                self.mapped("https_port", *f, d.name.at, &format!("https_port = {p}"));
            } else {
                self.spec.listen = p;
                self.mapped("listen", *f, d.name.at, &format!("listen = {p}"));
            }
        }
        if !ssl {
            let addr = match host {
                None | Some("*") => "0.0.0.0",
                Some("localhost") => "127.0.0.1",
                Some(h) => h,
            };
            self.spec.listen_address = addr.to_string();
            self.mapped(
                "listen_address",
                *f,
                d.name.at,
                &format!("listen_address = {addr}"),
            );
        }
        for extra in listens.iter().skip(1) {
            self.unmapped(
                extra.0,
                extra.1.name.at,
                format!(
                    "a second listen ({}): Trident's server listens on one address",
                    extra.1.arg(0).unwrap_or("")
                ),
            );
        }
    }

    /// The server with `uwsgi_pass`: TLS, static files, the location's timeouts.
    fn main_server(&mut self, m: &[(usize, &Directive<'_>)]) {
        let model = self.model;
        if m.iter()
            .any(|(_, d)| d.name() == "http2" && d.arg(0) == Some("on"))
        {
            // The version only shows as a spelling: `http2 on;` is nginx 1.25.1 or later.
            self.spec.nginx_version = "1.25.1".into();
            if let Some((f, d)) = m.iter().find(|(_, d)| d.name() == "http2") {
                self.mapped("nginx_version", *f, d.name.at, "nginx_version = 1.25.1: http2 on; is spelled so from nginx 1.25.1 (give --nginx-version for the exact one)");
            }
        }
        for (f, d) in m {
            self.use_at(*f, d.name.at);
            match d.name() {
                "ssl_certificate" => {
                    if let Some(v) = d.arg(0) {
                        self.spec.tls_cert = Some(v.to_string());
                        self.mapped("tls_cert", *f, d.name.at, &format!("tls_cert = {v}"));
                    }
                }
                "ssl_certificate_key" => {
                    if let Some(v) = d.arg(0) {
                        self.spec.tls_key = Some(v.to_string());
                        self.mapped("tls_key", *f, d.name.at, &format!("tls_key = {v}"));
                    }
                }
                "add_header"
                    if d.arg(0)
                        .is_some_and(|h| h.eq_ignore_ascii_case("Strict-Transport-Security")) =>
                {
                    let v = d.arg(1).unwrap_or("");
                    if let Some(age) = v
                        .split(';')
                        .find_map(|p| p.trim().strip_prefix("max-age="))
                        .and_then(|a| a.parse::<u32>().ok())
                    {
                        self.spec.hsts = age;
                        self.mapped("hsts", *f, d.name.at, &format!("hsts = {age}"));
                    }
                }
                "location" => {
                    let inner = model.expand(*f, d.children());
                    for (cf, c) in &inner {
                        self.use_at(*cf, c.name.at);
                    }
                    if let Some((af, a)) = inner.iter().find(|(_, c)| c.name() == "alias") {
                        let url = d
                            .args
                            .last()
                            .map(|w| w.text.to_string())
                            .unwrap_or_default();
                        let dir = a.arg(0).unwrap_or("").trim_end_matches('/').to_string();
                        self.spec.static_url = Some(url.clone());
                        self.spec.static_dir = Some(dir.clone());
                        self.set.insert("static_dir");
                        self.mapped(
                            "static_url",
                            *af,
                            d.name.at,
                            &format!("static_url = {url}, static_dir = {dir}"),
                        );
                        if let Some((ef, e)) = inner.iter().find(|(_, c)| c.name() == "expires") {
                            if let Some(s) = e.arg(0).and_then(seconds) {
                                self.spec.static_max_age = s;
                                self.mapped(
                                    "static_max_age",
                                    *ef,
                                    e.name.at,
                                    &format!("static_max_age = {s}"),
                                );
                            }
                        }
                    } else if inner.iter().any(|(_, c)| c.name() == "uwsgi_pass") {
                        self.app_location(&inner);
                    }
                }
                _ => {}
            }
        }
    }

    fn app_location(&mut self, inner: &[(usize, &Directive<'_>)]) {
        let mut seen = BTreeSet::new();
        for (f, d) in inner {
            let at = d.name.at;
            match d.name() {
                "uwsgi_connect_timeout" => {
                    if let Some(s) = d.arg(0).and_then(seconds) {
                        let default = if self.spec.hosts.is_empty() { 60 } else { 2 };
                        let s = s.min(crate::spec::MAX_CONNECT_TIMEOUT);
                        self.spec.connect_timeout = (s != default).then_some(s);
                        self.mapped("connect_timeout", *f, at, &format!("connect_timeout = {s}"));
                        seen.insert("connect_timeout");
                    }
                }
                "uwsgi_read_timeout" => {
                    if let Some(s) = d.arg(0).and_then(seconds) {
                        self.spec.read_timeout = s;
                        self.mapped("read_timeout", *f, at, &format!("read_timeout = {s}"));
                        seen.insert("read_timeout");
                    }
                }
                "uwsgi_next_upstream" => {
                    let list: Vec<NextUpstream> = d
                        .args
                        .iter()
                        .filter_map(|a| NextUpstream::parse(&a.text))
                        .collect();
                    let words: Vec<&str> = d.args.iter().map(|a| a.text.as_ref()).collect();
                    self.spec.next_upstream = list;
                    self.mapped(
                        "next_upstream",
                        *f,
                        at,
                        &format!("next_upstream = {}", words.join(",")),
                    );
                    seen.insert("next_upstream");
                }
                "uwsgi_pass" | "uwsgi_param" | "include" => {}
                other => {
                    let args: Vec<&str> = d.args.iter().map(|a| a.text.as_ref()).collect();
                    self.unmapped(*f, at, format!("{other} {} is not carried into the spec: Trident's location / does not set it", args.join(" ")));
                }
            }
        }
        let first = inner.first().map_or(0, |(f, _)| *f);
        let at = inner.first().map_or(START, |(_, d)| d.name.at);
        if !seen.contains("connect_timeout") && self.spec.hosts.is_empty() {
            self.mapped(
                "connect_timeout",
                first,
                at,
                "connect_timeout = 60: no uwsgi_connect_timeout (nginx's default)",
            );
        }
        if !seen.contains("read_timeout") {
            self.spec.read_timeout = 60;
            self.mapped(
                "read_timeout",
                first,
                at,
                "read_timeout = 60: no uwsgi_read_timeout (nginx's default)",
            );
        }
        if !seen.contains("next_upstream") {
            self.spec.next_upstream = vec![NextUpstream::Error, NextUpstream::Timeout];
            self.mapped(
                "next_upstream",
                first,
                at,
                "next_upstream = error,timeout: no uwsgi_next_upstream (nginx's default)",
            );
        }
    }

    fn upstream(&mut self, f: usize, d: &Directive<'_>) {
        let model = self.model;
        let inner = model.expand(f, d.children());
        let mut balance = None;
        for (cf, c) in &inner {
            self.use_at(*cf, c.name.at);
            let b = match (c.name(), c.arg(0), c.arg(1)) {
                ("least_conn", ..) => Some(Balance::LeastConn),
                ("ip_hash", ..) => Some(Balance::IpHash),
                ("random", Some("two"), Some("least_conn")) => Some(Balance::RandomTwoLeastConn),
                ("server" | "zone", ..) => None,
                (other, ..) => {
                    self.unmapped(*cf, c.name.at, format!("{other} in upstream {} is not carried into the spec: Trident balances with least_conn, round_robin, ip_hash or random two least_conn", d.arg(0).unwrap_or("")));
                    None
                }
            };
            if let Some(b) = b {
                balance = Some((b, *cf, c.name.at));
            }
        }
        match balance {
            Some((b, cf, at)) => {
                self.spec.balance = b;
                self.mapped("balance", cf, at, &format!("balance = {}", b.as_str()));
            }
            None => {
                self.spec.balance = Balance::RoundRobin;
                self.mapped("balance", f, d.name.at, "balance = round_robin: no method in the upstream (nginx's default; lint's nginx/round-robin says what it costs)");
            }
        }
        let servers: Vec<&(usize, &Directive<'_>)> =
            inner.iter().filter(|(_, c)| c.name() == "server").collect();
        if let Some((sf, s)) = servers.first() {
            let param = |d: &Directive<'_>, key: &str| {
                d.args.iter().skip(1).find_map(|a| {
                    a.text
                        .strip_prefix(key)
                        .and_then(|v| v.strip_prefix('='))
                        .map(str::to_string)
                })
            };
            let at = s.name.at;
            let mf = param(s, "max_fails")
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(1);
            let ft = param(s, "fail_timeout")
                .and_then(|v| seconds(&v))
                .unwrap_or(10);
            let mc = param(s, "max_conns")
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0);
            self.spec.max_fails = mf;
            self.spec.fail_timeout = ft.max(1);
            self.spec.max_conns = mc;
            self.mapped("max_fails", *sf, at, &format!("max_fails = {mf}"));
            self.mapped("fail_timeout", *sf, at, &format!("fail_timeout = {ft}"));
            self.mapped("max_conns", *sf, at, &format!("max_conns = {mc}"));
            for (of, o) in servers.iter().skip(1) {
                if ["max_fails", "fail_timeout", "max_conns"]
                    .iter()
                    .any(|k| param(o, k) != param(s, k))
                {
                    self.unmapped(*of, o.name.at, format!("server {} has other failover parameters than the first: Trident gives every replica the same", o.arg(0).unwrap_or("")));
                }
                if o.args
                    .iter()
                    .any(|a| a.text == "backup" || a.text.starts_with("weight="))
                {
                    self.unmapped(
                        *of,
                        o.name.at,
                        format!(
                            "server {}: backup and weight are not carried into the spec",
                            o.arg(0).unwrap_or("")
                        ),
                    );
                }
            }
        }
    }

    /// Lines no field read and Trident does not write itself.
    fn sweep(&mut self) {
        let model = self.model;
        for (i, s) in model.sources.iter().enumerate() {
            if let Err(e) = &s.text {
                self.unmapped(
                    i,
                    e.at,
                    format!("{}: {}; nothing of it is in the spec", s.path, e.message),
                );
                continue;
            }
            match s.kind {
                Some(Kind::Supervisord) => {
                    let Some(conf) = model.supervisord(i) else {
                        continue;
                    };
                    for sec in &conf.ini.sections {
                        let known_section = matches!(
                            sec.name,
                            "supervisord"
                                | "unix_http_server"
                                | "supervisorctl"
                                | "rpcinterface:supervisor"
                                | "inet_http_server"
                        ) || sec.name.starts_with("program:");
                        if !known_section {
                            let at = sec.headers.first().copied().unwrap_or(START);
                            self.unmapped(
                                i,
                                at,
                                format!("[{}] is not carried into the spec", sec.name),
                            );
                            continue;
                        }
                        let is_program = sec.name.starts_with("program:");
                        let runs_known = !is_program
                            || model.programs.iter().any(|p| {
                                p.section.name == sec.name && !matches!(p.runs, Runs::Other)
                            });
                        if !runs_known {
                            let at = sec.headers.first().copied().unwrap_or(START);
                            self.unmapped(i, at, format!("[{}] runs neither uWSGI nor nginx: the spec has no other programs", sec.name));
                            continue;
                        }
                        for e in &sec.entries {
                            if SUPERVISORD_OWN.contains(&e.key.as_ref())
                                || self.used.contains(&(i, e.at.line, e.at.col))
                            {
                                continue;
                            }
                            self.unmapped(
                                i,
                                e.at,
                                format!(
                                    "{} = {} in [{}] is not carried into the spec",
                                    e.key, e.value, sec.name
                                ),
                            );
                        }
                    }
                }
                Some(Kind::Uwsgi) => {
                    // Options of an ini no program reads.
                    let read = model
                        .programs
                        .iter()
                        .any(|p| matches!(&p.runs, Runs::Uwsgi { ini: Some(x), .. } if *x == i));
                    if !read {
                        self.unmapped(i, START, format!("{} is read by no supervisord program: its options are not in the spec", s.path));
                    }
                }
                Some(Kind::Nginx) => {
                    let Some(conf) = model.nginx(i) else { continue };
                    for (path, d) in conf.conf.walk() {
                        let name = d.name();
                        if NGINX_OWN.contains(&name)
                            || self.used.contains(&(i, d.name.at.line, d.name.at.col))
                        {
                            continue;
                        }
                        // Inside location / with uwsgi_pass: app_location reported it.
                        if path.iter().any(|p| {
                            matches!(
                                *p,
                                "location" | "upstream" | "map" | "geo" | "types" | "events"
                            )
                        }) {
                            continue;
                        }
                        let args: Vec<&str> = d.args.iter().map(|a| a.text.as_ref()).collect();
                        self.unmapped(i, d.name.at, format!("{name} {} is not carried into the spec: Trident's nginx.conf does not set it", args.join(" ")).trim_end().to_string());
                    }
                }
                _ => {}
            }
        }
    }
}

/// An option's value as written (before `$(VAR)` expansion).
/// A server that only listens on unix sockets and serves `stub_status`: the status server
/// Trident writes for `trident status`.
fn is_status_server(model: &Model<'_>, s: &[(usize, &Directive<'_>)]) -> bool {
    let listens: Vec<_> = s.iter().filter(|(_, d)| d.name() == "listen").collect();
    !listens.is_empty()
        && listens
            .iter()
            .all(|(_, d)| d.arg(0).is_some_and(|a| a.starts_with("unix:")))
        && s.iter().any(|(f, d)| {
            d.name() == "location"
                && model
                    .expand(*f, d.children())
                    .iter()
                    .any(|(_, c)| c.name() == "stub_status")
        })
}

fn written(o: &super::model::Opt<'_>) -> String {
    o.entry
        .map_or_else(|| o.value.clone(), |e| e.value.to_string())
}

fn uwsgi_bin_is_debian(bin: &str) -> bool {
    bin == "/usr/bin/uwsgi" || bin == "uwsgi"
}

fn is_loopback(addr: &str) -> bool {
    addr.starts_with("127.") || addr == "::1" || addr == "localhost"
}

/// The `uwsgi_pass` of a server's locations, with its file.
fn find_pass<'s, 'm>(
    model: &'s Model<'m>,
    server: &[(usize, &'s Directive<'m>)],
) -> Option<(usize, &'s Directive<'m>)> {
    for (f, d) in server {
        if d.name() == "uwsgi_pass" {
            return Some((*f, d));
        }
        if d.name() == "location" {
            let inner = model.expand(*f, d.children());
            if let Some(found) = find_pass(model, &inner) {
                return Some(found);
            }
        }
    }
    None
}

/// The prefix of names written `PREFIX0..PREFIXn-1` (true), or the best guess (false).
fn program_prefix(names: &[&str]) -> (String, bool) {
    if let Some(first) = names.first() {
        // Replica 0 is PREFIX + "0": a prefix may end in a digit itself (`A0` gives `A00`).
        if let Some(p) = first.strip_suffix('0').filter(|p| !p.is_empty()) {
            let straight = names
                .iter()
                .enumerate()
                .all(|(k, n)| *n == format!("{p}{k}"));
            if straight {
                return (p.to_string(), true);
            }
        }
        // The longest common prefix, without trailing digits or separators kept.
        let mut common = first.to_string();
        for n in names {
            while !n.starts_with(common.as_str()) {
                common.pop();
            }
        }
        let common = common.trim_end_matches(|c: char| c.is_ascii_digit());
        if !common.is_empty()
            && common
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
        {
            return (common.to_string(), false);
        }
    }
    (Spec::default().program_prefix, false)
}

#[cfg(test)]
mod tests {
    use super::program_prefix;

    #[test]
    fn a_prefix_may_end_in_a_digit() {
        // Found by the property test: prefix `A0`, one replica, program `A00`.
        assert_eq!(program_prefix(&["A00"]), ("A0".into(), true));
        assert_eq!(program_prefix(&["A00", "A01"]), ("A0".into(), true));
        assert_eq!(program_prefix(&["p0", "p1", "p2"]), ("p".into(), true));
        assert!(!program_prefix(&["web1", "web2"]).1);
    }
}
