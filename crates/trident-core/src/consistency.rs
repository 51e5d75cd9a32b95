//! Cross-file checks on rendered output, read back from the text rather than from the spec:
//! every `$(VAR)` uWSGI reads is set by supervisord for every replica, every nginx upstream
//! server is exactly one replica's socket, and sockets and pid files are unique.
//!
//! [`crate::generate`] runs these on every render, so a renderer bug surfaces as a diagnostic
//! instead of a config that fails on the server.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::Diagnostic;
use crate::render::{RenderedFile, NGINX_CONF, SUPERVISORD_CONF, UWSGI_INI};
use crate::spec::SocketKind;
use crate::validate::ValidSpec;

/// What the rendered files say, read back.
#[derive(Debug, Default)]
pub struct Readback {
    /// Program name → its `environment` pairs (values unquoted, `%%` undone).
    pub programs: BTreeMap<String, BTreeMap<String, String>>,
    /// Variables `webapp.ini` reads with `$(VAR)`.
    pub ini_vars: BTreeSet<String>,
    /// The `server` addresses of the nginx upstream, in order.
    pub upstream_servers: Vec<String>,
    /// Pid files named in the configs.
    pub pid_files: Vec<String>,
}

/// Reads the three files back.
pub fn read_back(files: &[RenderedFile]) -> Readback {
    let mut rb = Readback::default();
    let text = |name: &str| {
        files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.contents.as_str())
            .unwrap_or("")
    };
    let mut program: Option<String> = None;
    for line in text(SUPERVISORD_CONF).lines() {
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            program = section.strip_prefix("program:").map(str::to_string);
            if let Some(p) = &program {
                rb.programs.insert(p.clone(), BTreeMap::new());
            }
        } else if let (Some(p), Some(env)) = (&program, line.strip_prefix("environment = ")) {
            let pairs = rb.programs.entry(p.clone()).or_default();
            for pair in split_env(env) {
                if let Some((k, v)) = pair.split_once('=') {
                    pairs.insert(k.to_string(), v.trim_matches('"').replace("%%", "%"));
                }
            }
        } else if let Some(pid) = line.strip_prefix("pidfile = ") {
            rb.pid_files.push(pid.replace("%%", "%"));
        }
    }
    for line in text(UWSGI_INI).lines() {
        if line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("$(") {
            let after = &rest[start + 2..];
            match after.find(')') {
                Some(end) => {
                    rb.ini_vars.insert(after[..end].to_string());
                    rest = &after[end + 1..];
                }
                None => break,
            }
        }
        if let Some(var) = line.strip_prefix("if-not-env = ") {
            rb.ini_vars.insert(var.to_string());
        }
    }
    let mut in_upstream = false;
    for line in text(NGINX_CONF).lines() {
        let t = line.trim();
        if t.starts_with("upstream ") {
            in_upstream = true;
        } else if in_upstream && t == "}" {
            in_upstream = false;
        } else if let (true, Some(server)) = (in_upstream, t.strip_prefix("server ")) {
            // The address is a bare word, or a quoted string that may hold spaces.
            let addr = match server.strip_prefix('"') {
                Some(quoted) => quoted.split('"').next().unwrap_or(""),
                None => server.split([' ', ';']).next().unwrap_or(""),
            };
            rb.upstream_servers.push(addr.to_string());
        } else if let Some(pid) = t.strip_prefix("pid ") {
            rb.pid_files
                .push(pid.trim_end_matches(';').trim_matches('"').to_string());
        }
    }
    rb
}

/// Splits `K="v",K2="v2"` at commas outside quotes.
fn split_env(env: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in env.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&env[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&env[start..]);
    out
}

/// Every cross-file inconsistency between `valid` and the files rendered from it.
pub fn check(valid: &ValidSpec, files: &[RenderedFile]) -> Vec<Diagnostic> {
    let spec = valid.spec();
    let rb = read_back(files);
    let mut out = Vec::new();
    let mut bad = |field: &str, message: String| {
        out.push(Diagnostic::error(
            "inconsistent-output",
            field,
            message,
            "this is a bug in Trident; please report it with the spec",
        ));
    };

    let replicas: Vec<String> = (0..spec.replicas).map(|k| spec.program(k)).collect();
    for name in replicas.iter().chain(std::iter::once(&spec.nginx_program)) {
        if !rb.programs.contains_key(name) {
            bad(
                "replicas",
                format!("supervisord.conf has no [program:{name}]"),
            );
        }
    }
    if rb.programs.len() != replicas.len() + 1 {
        bad(
            "replicas",
            format!(
                "supervisord.conf has {} programs, expected {}",
                rb.programs.len(),
                replicas.len() + 1
            ),
        );
    }

    let var = match spec.socket {
        SocketKind::Tcp => "S_PORT",
        SocketKind::Unix => "S_SOCKET",
    };
    let mut endpoints = BTreeSet::new();
    for name in &replicas {
        let Some(env) = rb.programs.get(name) else {
            continue;
        };
        for v in &rb.ini_vars {
            if !env.contains_key(v) {
                bad(
                    "env",
                    format!("webapp.ini reads $({v}) but [program:{name}] does not set it"),
                );
            }
        }
        match env.get(var) {
            Some(value) if endpoints.insert(value.clone()) => {}
            Some(value) => bad("replicas", format!("{var}={value} is set for two replicas")),
            None => {}
        }
    }

    let expected: BTreeSet<String> = endpoints
        .iter()
        .map(|e| match spec.socket {
            SocketKind::Tcp => {
                let host = crate::render::connect_host(spec);
                format!("{host}:{e}")
            }
            SocketKind::Unix => format!("unix:{e}"),
        })
        .collect();
    let mut seen = BTreeSet::new();
    for server in &rb.upstream_servers {
        if !expected.contains(server) {
            bad(
                "replicas",
                format!("upstream server {server} is no replica's socket"),
            );
        } else if !seen.insert(server.clone()) {
            bad(
                "replicas",
                format!("upstream server {server} appears twice"),
            );
        }
    }
    if seen.len() != expected.len() || rb.upstream_servers.len() != spec.replicas as usize {
        bad(
            "replicas",
            format!(
                "the upstream lists {} servers for {} replicas",
                rb.upstream_servers.len(),
                spec.replicas
            ),
        );
    }

    let unique: BTreeSet<&String> = rb.pid_files.iter().collect();
    if unique.len() != rb.pid_files.len() || rb.pid_files.iter().any(|p| endpoints.contains(p)) {
        bad(
            "run_dir",
            "two files share a pid file or socket path".into(),
        );
    }
    out
}
