//! Cross-file checks on rendered output, read back from the text rather than from the spec:
//! every `$(VAR)` uWSGI reads is set by supervisord for every replica, replica K's socket is
//! K's own and appears exactly once in the nginx upstream, and pid files are unique.
//!
//! [`crate::generate`] runs these on every render, so a renderer bug surfaces as a diagnostic
//! instead of a config that fails on the server. The reader borrows from the text and the
//! checks index replicas by number, so the cost stays a small fraction of rendering.

use std::borrow::Cow;

use crate::diag::Diagnostic;
use crate::files::{RenderedFile, NFTABLES_CONF, NGINX_CONF, SUPERVISORD_CONF, UWSGI_INI};
use crate::layout::{Layout, LB_DIR};
use crate::read::{NginxConf, SupervisordConf, UwsgiIni};
use crate::validate::ValidSpec;

/// A program's `environment` pairs (values unquoted, `%%` undone).
pub type Env<'a> = crate::syntax::env::Pairs<'a>;

/// What the rendered files say, read back with [`crate::read`].
#[derive(Debug, Default)]
pub struct Readback<'a> {
    /// Each program, in file order, with its `environment` pairs.
    pub programs: Vec<(&'a str, Env<'a>)>,
    /// Variables `webapp.ini` reads with `$(VAR)`, each once.
    pub ini_vars: Vec<&'a str>,
    /// What uWSGI binds: its `socket` and `shared-socket` values.
    pub ini_sockets: Vec<&'a str>,
    /// The `server` addresses of the nginx upstream, in order.
    pub upstream_servers: Vec<Cow<'a, str>>,
    /// Pid files named in the configs.
    pub pid_files: Vec<Cow<'a, str>>,
    /// uWSGI's `buffer-size`.
    pub buffer_size: Option<u32>,
    /// nginx's `large_client_header_buffers`: number and size in bytes.
    pub header_buffers: Option<(u32, u32)>,
    /// What a server would refuse, as `file:line:column: message`.
    pub refusals: Vec<String>,
}

/// The value of `key` in a program's environment pairs.
pub fn env_get<'e>(env: &'e [(Cow<'_, str>, Cow<'_, str>)], key: &str) -> Option<&'e str> {
    env.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_ref())
}

/// Reads the three files of one host back.
pub fn read_back(files: &[RenderedFile]) -> Readback<'_> {
    let text = |name: &str| {
        files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.contents.as_str())
            .unwrap_or("")
    };
    read_texts(text(SUPERVISORD_CONF), text(UWSGI_INI), text(NGINX_CONF))
}

/// Reads a `supervisord.conf`, a `webapp.ini` and an `nginx.conf` back (any may be empty).
pub fn read_texts<'a>(supervisord: &'a str, ini: &'a str, nginx: &'a str) -> Readback<'a> {
    let mut rb = Readback::default();
    let sup = SupervisordConf::parse(supervisord);
    for e in &sup.ini.errors {
        rb.refusals.push(format!("{SUPERVISORD_CONF}:{e}"));
    }
    for (name, section) in sup.programs() {
        match SupervisordConf::env(section) {
            Ok(env) => rb.programs.push((name, env)),
            Err(e) => {
                rb.refusals.push(format!(
                    "{SUPERVISORD_CONF}: [program:{name}] environment: {e}"
                ));
                rb.programs.push((name, Vec::new()));
            }
        }
    }
    rb.pid_files.extend(sup.pid_file());
    let uwsgi = UwsgiIni::parse(ini);
    rb.ini_vars = uwsgi.vars();
    rb.buffer_size = uwsgi.buffer_size();
    if let Some(section) = uwsgi.uwsgi() {
        for e in section.entries.iter() {
            if let (Cow::Borrowed(v), "socket" | "shared-socket") = (&e.value, e.key.as_ref()) {
                rb.ini_sockets.push(v);
            }
        }
    }
    let nginx = NginxConf::parse(nginx);
    if let Some(e) = &nginx.conf.error {
        rb.refusals.push(format!("{NGINX_CONF}:{e}"));
    }
    rb.upstream_servers = nginx
        .upstream_servers()
        .into_iter()
        .map(|s| s.address)
        .collect();
    rb.header_buffers = nginx.header_buffers();
    rb.pid_files.extend(nginx.pid_file());
    rb
}

/// Every cross-file inconsistency between `valid` and the files rendered from it.
pub fn check(valid: &ValidSpec, files: &[RenderedFile]) -> Vec<Diagnostic> {
    crate::spec::fields::with_flags(if valid.layout().hosts.is_empty() {
        check_host(valid, files)
    } else {
        check_hosts(valid, files)
    })
}

/// [`check`] on one host.
fn check_host(valid: &ValidSpec, files: &[RenderedFile]) -> Vec<Diagnostic> {
    let rb = read_back(files);
    let layout = valid.layout();
    let mut out = Vec::new();
    servers_read_every_file(&rb, &mut out);
    programs_are_the_replicas_and_nginx(valid, &rb, 1, &mut out);
    every_replica_sets_what_uwsgi_reads(layout, &rb, &mut out);
    every_replica_listens_on_its_own_socket(layout, &rb, &mut out);
    upstream_lists_each_replica_once(layout, &rb, &mut out);
    pid_files_and_sockets_are_unique(layout, &rb, &mut out);
    headers_nginx_accepts_fit_uwsgi(&rb, &mut out);
    out
}

/// No server would refuse a file.
fn servers_read_every_file(rb: &Readback<'_>, out: &mut Vec<Diagnostic>) {
    for refusal in &rb.refusals {
        bug(out, "replicas", format!("a server would refuse {refusal}"));
    }
}

/// nginx's header limit (its small 1 KiB buffer plus the large ones) stays below uWSGI's
/// `buffer-size`, so nginx answers an oversized header block itself (400) instead of passing
/// it to a replica that cannot read it (502).
fn headers_nginx_accepts_fit_uwsgi(rb: &Readback<'_>, out: &mut Vec<Diagnostic>) {
    match (rb.header_buffers, rb.buffer_size) {
        (Some((number, size)), Some(buffer)) if 1024 + u64::from(number) * u64::from(size) <= u64::from(buffer) => {}
        (headers, buffer) => bug(
            out,
            "buffer_size",
            format!("nginx accepts headers of {headers:?} (number, bytes) but uWSGI's buffer-size is {buffer:?}"),
        ),
    }
}

fn bug(out: &mut Vec<Diagnostic>, field: &str, message: String) {
    out.push(Diagnostic::error(
        "inconsistent-output",
        field,
        message,
        "this is a bug in Trident; please report it with the spec",
    ));
}

/// The replica programs, each once, and nginx's program once.
fn programs_are_the_replicas_and_nginx(
    valid: &ValidSpec,
    rb: &Readback<'_>,
    nginx_expected: usize,
    out: &mut Vec<Diagnostic>,
) {
    programs_are(valid.layout(), valid, rb, nginx_expected, out);
}

/// [`programs_are_the_replicas_and_nginx`] for `layout`'s replicas.
fn programs_are(
    layout: &Layout,
    valid: &ValidSpec,
    rb: &Readback<'_>,
    nginx_expected: usize,
    out: &mut Vec<Diagnostic>,
) {
    let nginx_program = valid.spec().nginx_program.as_str();
    let mut seen = vec![false; layout.replicas as usize];
    let mut nginx_programs = 0;
    for (name, _) in &rb.programs {
        if *name == nginx_program {
            nginx_programs += 1;
        } else if let Some(k) = layout.replica_of_program(name) {
            if std::mem::replace(&mut seen[k as usize], true) {
                bug(out, "replicas", format!("[program:{name}] appears twice"));
            }
        } else {
            bug(
                out,
                "replicas",
                format!("[program:{name}] is neither a replica nor nginx"),
            );
        }
    }
    if let Some(k) = seen.iter().position(|seen| !seen) {
        bug(
            out,
            "replicas",
            format!(
                "supervisord.conf has no [program:{}]",
                layout.program(k as u32)
            ),
        );
    }
    if nginx_programs != nginx_expected {
        bug(
            out,
            "nginx_program",
            format!("supervisord.conf has {nginx_programs} [program:{nginx_program}]"),
        );
    }
}

/// The replica programs: name and environment, skipping nginx's.
fn replica_programs<'r, 'a>(
    layout: &'r crate::Layout,
    rb: &'r Readback<'a>,
) -> impl Iterator<Item = (&'a str, u32, &'r Env<'a>)> + 'r {
    rb.programs
        .iter()
        .filter_map(|(name, env)| Some((*name, layout.replica_of_program(name)?, env)))
}

/// Every `$(VAR)` webapp.ini reads is in every replica's environment.
fn every_replica_sets_what_uwsgi_reads(
    layout: &crate::Layout,
    rb: &Readback<'_>,
    out: &mut Vec<Diagnostic>,
) {
    for (name, _, env) in replica_programs(layout, rb) {
        let own = crate::read::supervisord_sets(name);
        for v in &rb.ini_vars {
            if env_get(env, v).is_none() && !own.iter().any(|(k, _)| k == v) {
                bug(
                    out,
                    "env",
                    format!("webapp.ini reads $({v}) but [program:{name}] does not set it"),
                );
            }
        }
    }
}

/// Replica K's port or socket variable names replica K's socket.
fn every_replica_listens_on_its_own_socket(
    layout: &crate::Layout,
    rb: &Readback<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let var = layout.replica_var();
    for (name, k, env) in replica_programs(layout, rb) {
        let own = env_get(env, var).and_then(|value| layout.replica_of_value(value));
        if own != Some(k) {
            bug(
                out,
                "replicas",
                format!("[program:{name}] does not set its own {var}"),
            );
        }
    }
}

/// Each upstream server is one replica's socket, and every replica has one.
fn upstream_lists_each_replica_once(
    layout: &crate::Layout,
    rb: &Readback<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let n = layout.replicas as usize;
    let mut seen = vec![false; n];
    for server in &rb.upstream_servers {
        match layout.replica_of_endpoint(server) {
            None => bug(
                out,
                "replicas",
                format!("upstream server {server} is no replica's socket"),
            ),
            Some(k) if std::mem::replace(&mut seen[k as usize], true) => bug(
                out,
                "replicas",
                format!("upstream server {server} appears twice"),
            ),
            Some(_) => {}
        }
    }
    if rb.upstream_servers.len() != n || seen.iter().any(|seen| !seen) {
        bug(
            out,
            "replicas",
            format!(
                "the upstream does not list each of the {n} replicas exactly once ({} servers)",
                rb.upstream_servers.len()
            ),
        );
    }
}

/// No two files share a pid file, and no pid file is a replica's socket.
fn pid_files_and_sockets_are_unique(
    layout: &crate::Layout,
    rb: &Readback<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let pids = &rb.pid_files;
    let clash = pids.iter().enumerate().any(|(i, p)| pids[..i].contains(p))
        || pids.iter().any(|p| layout.replica_of_value(p).is_some());
    if clash {
        bug(
            out,
            "run_dir",
            "two files share a pid file or socket path".into(),
        );
    }
}

/// With app hosts: the load balancer runs nginx alone and its upstream lists every host's
/// replicas once; each host runs its replicas, sets what its webapp.ini reads, binds its own
/// address, and its firewall admits the load balancer to exactly its ports.
fn check_hosts(valid: &ValidSpec, files: &[RenderedFile]) -> Vec<Diagnostic> {
    let text = |host: &str, name: &str| {
        files
            .iter()
            .find(|f| f.host == host && f.name == name)
            .map(|f| f.contents.as_str())
            .unwrap_or("")
    };
    let layout = valid.layout();
    let mut out = Vec::new();
    let lb = read_texts(text(LB_DIR, SUPERVISORD_CONF), "", text(LB_DIR, NGINX_CONF));
    servers_read_every_file(&lb, &mut out);
    let empty = layout.for_host(&crate::layout::HostLayout {
        replicas: 0,
        ..layout.hosts[0].clone()
    });
    programs_are(&empty, valid, &lb, 1, &mut out);
    let mut claimed = 0;
    for host in &layout.hosts {
        let hl = layout.for_host(host);
        let ini = text(&host.name, UWSGI_INI);
        let mut rb = read_texts(text(&host.name, SUPERVISORD_CONF), ini, "");
        servers_read_every_file(&rb, &mut out);
        let prefix = format!("{}:", host.connect_host);
        rb.upstream_servers = lb
            .upstream_servers
            .iter()
            .filter(|s| hl.replica_of_endpoint(s).is_some())
            .cloned()
            .collect();
        claimed += rb.upstream_servers.len();
        rb.header_buffers = lb.header_buffers;
        programs_are(&hl, valid, &rb, 0, &mut out);
        every_replica_sets_what_uwsgi_reads(&hl, &rb, &mut out);
        every_replica_listens_on_its_own_socket(&hl, &rb, &mut out);
        upstream_lists_each_replica_once(&hl, &rb, &mut out);
        pid_files_and_sockets_are_unique(&hl, &rb, &mut out);
        headers_nginx_accepts_fit_uwsgi(&rb, &mut out);
        let bind = format!("{prefix}$(");
        if !rb.ini_sockets.iter().any(|s| s.starts_with(&bind)) {
            bug(
                &mut out,
                "hosts",
                format!("{}/webapp.ini does not bind {}", host.name, host.address),
            );
        }
        let last = host.base_port + host.replicas - 1;
        let ports = if host.replicas > 1 {
            format!("tcp dport {}-{last} ", host.base_port)
        } else {
            format!("tcp dport {} ", host.base_port)
        };
        let lb_address = valid.spec().lb_address.as_deref().unwrap_or_default();
        let rules: Vec<&str> = text(&host.name, NFTABLES_CONF)
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("tcp dport "))
            .collect();
        let admits_lb = rules
            .iter()
            .any(|r| r.starts_with(&ports) && r.ends_with(&format!("saddr {lb_address} accept")));
        let rejects_rest = rules
            .last()
            .is_some_and(|r| r.starts_with(&ports) && r.ends_with(" reject with tcp reset"));
        if !admits_lb || !rejects_rest || !rules.iter().all(|r| r.starts_with(&ports)) {
            bug(
                &mut out,
                "lb_address",
                format!(
                    "{}/nftables.conf does not admit exactly {lb_address} to ports {}-{last}",
                    host.name, host.base_port
                ),
            );
        }
    }
    if claimed != lb.upstream_servers.len() {
        bug(
            &mut out,
            "hosts",
            format!(
                "{} upstream servers belong to no host",
                lb.upstream_servers.len() - claimed
            ),
        );
    }
    out
}
