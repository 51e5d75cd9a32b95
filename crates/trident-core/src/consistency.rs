//! Cross-file checks on rendered output, read back from the text rather than from the spec:
//! every `$(VAR)` uWSGI reads is set by supervisord for every replica, every nginx upstream
//! server is exactly one replica's socket, and sockets and pid files are unique.
//!
//! [`crate::generate`] runs these on every render, so a renderer bug surfaces as a diagnostic
//! instead of a config that fails on the server.

use std::collections::HashSet;

use crate::diag::Diagnostic;
use crate::render::{RenderedFile, NGINX_CONF, SUPERVISORD_CONF, UWSGI_INI};
use crate::spec::SocketKind;
use crate::validate::ValidSpec;

/// What the rendered files say, read back.
#[derive(Debug, Default)]
pub struct Readback {
    /// Each program, in file order, with its `environment` pairs (values unquoted, `%%`
    /// undone). Vectors, not maps: no B-tree code in the web page's wasm.
    pub programs: Vec<(String, Vec<(String, String)>)>,
    /// Variables `webapp.ini` reads with `$(VAR)`, each once.
    pub ini_vars: Vec<String>,
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
                rb.programs.push((p.clone(), Vec::new()));
            }
        } else if let (Some(_), Some(env), Some(last)) = (
            &program,
            line.strip_prefix("environment = "),
            rb.programs.last_mut(),
        ) {
            for pair in split_env(env) {
                if let Some((k, v)) = pair.split_once('=') {
                    last.1
                        .push((k.to_string(), v.trim_matches('"').replace("%%", "%")));
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
                    add_once(&mut rb.ini_vars, &after[..end]);
                    rest = &after[end + 1..];
                }
                None => break,
            }
        }
        if let Some(var) = line.strip_prefix("if-not-env = ") {
            add_once(&mut rb.ini_vars, var);
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

fn add_once(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

/// The value of `key` in a program's environment pairs.
pub fn env_get<'a>(env: &'a [(String, String)], key: &str) -> Option<&'a String> {
    env.iter().find(|(k, _)| k == key).map(|(_, v)| v)
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
    let names: HashSet<&str> = rb.programs.iter().map(|(n, _)| n.as_str()).collect();
    for name in replicas.iter().chain(std::iter::once(&spec.nginx_program)) {
        if !names.contains(name.as_str()) {
            bad(
                "replicas",
                format!("supervisord.conf has no [program:{name}]"),
            );
        }
    }
    if rb.programs.len() != replicas.len() + 1 || names.len() != rb.programs.len() {
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
    let mut endpoints = HashSet::new();
    for (name, env) in rb.programs.iter().filter(|(n, _)| *n != spec.nginx_program) {
        for v in &rb.ini_vars {
            if env_get(env, v).is_none() {
                bad(
                    "env",
                    format!("webapp.ini reads $({v}) but [program:{name}] does not set it"),
                );
            }
        }
        match env_get(env, var) {
            Some(value) if endpoints.insert(value.clone()) => {}
            Some(value) => bad("replicas", format!("{var}={value} is set for two replicas")),
            None => {}
        }
    }

    let expected: HashSet<String> = endpoints
        .iter()
        .map(|e| match spec.socket {
            SocketKind::Tcp => {
                let host = crate::render::connect_host(spec);
                format!("{host}:{e}")
            }
            SocketKind::Unix => format!("unix:{e}"),
        })
        .collect();
    let mut seen = HashSet::new();
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

    let unique: HashSet<&String> = rb.pid_files.iter().collect();
    if unique.len() != rb.pid_files.len() || rb.pid_files.iter().any(|p| endpoints.contains(p)) {
        bad(
            "run_dir",
            "two files share a pid file or socket path".into(),
        );
    }
    out
}
