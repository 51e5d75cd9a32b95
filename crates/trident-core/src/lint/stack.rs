//! Rules across the files: nginx's upstream servers against the replicas' sockets, ports and
//! pid files shared, uwsgi sockets beyond loopback with no firewall.

use std::collections::BTreeMap;

use super::model::{address, reaches, Model};
use super::{Kind, Out, RuleId};

/// The host a source describes: its input directory (a multi-host bundle has one per host).
fn host_of<'s>(model: &'s Model<'_>, file: usize) -> &'s str {
    let path = model.sources[file].path.as_str();
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn loopback(addr: &str) -> bool {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    host.starts_with("127.") || host == "[::1]" || host == "localhost"
}

/// Whether two bound addresses collide: the same, or the same port with `*` on one side.
fn collide(a: &str, b: &str) -> bool {
    reaches(a, b) || reaches(b, a)
}

pub(super) fn check(model: &Model<'_>, out: &mut Out<'_>) {
    let replicas = model.replicas();
    // (address, program index in `replicas`), sockets with an unset variable left out.
    let mut sockets = Vec::new();
    for (i, r) in replicas.iter().enumerate() {
        for (addr, o) in r.sockets() {
            if o.unset.is_empty() {
                sockets.push((addr, i, o));
            }
        }
    }
    let mut servers = Vec::new();
    let mut listens = Vec::new();
    for f in model.kind_indices(Kind::Nginx) {
        let Some(conf) = model.nginx(f) else { continue };
        for s in conf.upstream_servers() {
            servers.push((address(&s.address), f, s.at));
        }
        conf.conf.visit(&mut |path, d| {
            if d.name() == "uwsgi_pass" && path.last() != Some(&"upstream") {
                if let Some(a) = d.arg(0) {
                    if a.contains(':') || a.starts_with('/') {
                        servers.push((address(a.trim_start_matches("uwsgi://")), f, d.name.at));
                    }
                }
            }
            if d.name() == "listen" {
                if let Some(a) = d.args.first() {
                    let raw = a.text.as_ref();
                    let addr = if raw.bytes().all(|b| b.is_ascii_digit()) {
                        format!("*:{raw}")
                    } else {
                        address(raw)
                    };
                    listens.push((addr, f, a.at));
                }
            }
        });
    }
    // A file a server refuses, or a program whose environment it refuses, leaves the
    // picture incomplete: its own finding names the defect, and no comparison is made.
    let complete = model.complete();
    if complete && !sockets.is_empty() {
        for (addr, f, at) in &servers {
            if !sockets.iter().any(|(s, _, _)| reaches(addr, s)) {
                let known: Vec<&str> = sockets.iter().map(|(s, _, _)| s.as_str()).collect();
                out.add(
                    RuleId::StackUpstreamNotReplica,
                    *f,
                    *at,
                    format!(
                        "upstream server {addr} is no replica's socket (the replicas bind {})",
                        known.join(", ")
                    ),
                    "list exactly the replicas' sockets in the upstream block",
                );
            }
        }
    }
    if complete && !model.kind_indices(Kind::Nginx).is_empty() {
        for (addr, i, _) in &sockets {
            if !servers.iter().any(|(s, _, _)| reaches(s, addr)) {
                let p = replicas[*i].program;
                out.add(
                    RuleId::StackReplicaNotInUpstream,
                    p.file,
                    p.section.headers[0],
                    format!(
                        "[program:{}] binds {addr}, which no upstream server names",
                        p.name
                    ),
                    format!("add server {addr}; to the upstream block, or remove the program"),
                );
            }
        }
    }
    for (k, (a, i, _)) in sockets.iter().enumerate() {
        let host = host_of(model, replicas[*i].program.file);
        if let Some((_, first, _)) = sockets[..k].iter().find(|(b, j, _)| {
            j != i && collide(a, b) && host_of(model, replicas[*j].program.file) == host
        }) {
            let (p, q) = (replicas[*i].program, replicas[*first].program);
            out.add(
                RuleId::StackSharedSocket,
                p.file,
                p.section.headers[0],
                format!(
                    "[program:{}] binds {a}, as [program:{}] does",
                    p.name, q.name
                ),
                "give every replica its own port or socket (S_PORT in each program's environment)",
            );
        }
    }
    for (addr, f, at) in &listens {
        let host = host_of(model, *f);
        if let Some((s, i, _)) = sockets
            .iter()
            .find(|(s, i, _)| collide(addr, s) && host_of(model, replicas[*i].program.file) == host)
        {
            out.add(
                RuleId::StackListenOnReplica,
                *f,
                *at,
                format!(
                    "nginx listens on {addr}, where [program:{}] binds {s}",
                    replicas[*i].program.name
                ),
                "let nginx listen on a port no replica uses",
            );
        }
    }
    let mut pids: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in replicas.iter().enumerate() {
        if let Some(o) = r.last(&["pidfile"]) {
            pids.entry(o.value.as_str()).or_default().push(i);
        }
    }
    for (pid, users) in pids {
        if users.len() > 1 {
            let r = &replicas[users[0]];
            if let (Some(ini), Some(e)) = (r.ini, r.last(&["pidfile"]).and_then(|o| o.entry)) {
                let names: Vec<&str> = users.iter().map(|&u| replicas[u].program.name).collect();
                out.add(
                    RuleId::StackSharedPidfile,
                    ini,
                    e.value_at,
                    format!("pidfile {pid} is written by {}", names.join(", ")),
                    "drop the pidfile (supervisord tracks the pid), or put $(S_PORT) in its name",
                );
            }
        }
    }
    if model.kind_indices(Kind::Nftables).is_empty() {
        let mut seen = Vec::new();
        for (addr, i, o) in &sockets {
            let open = !addr.starts_with("unix:") && !addr.starts_with("*:") && !loopback(addr);
            if let (true, Some(ini), Some(e)) = (open, replicas[*i].ini, o.entry) {
                if !seen.contains(&(ini, e.value_at)) {
                    seen.push((ini, e.value_at));
                    out.add(RuleId::StackNoFirewall, ini, e.value_at, format!("uwsgi socket {addr} is reachable beyond this host, and no nftables file was given"), "admit the uwsgi ports from the load balancer's address only (trident generate --host writes nftables.conf), and lint it with the rest");
                }
            }
        }
    }
}
