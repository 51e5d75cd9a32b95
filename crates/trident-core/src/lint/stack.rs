//! Rules across the files: nginx's upstream servers against the replicas' sockets, ports and
//! pid files shared, uwsgi sockets beyond loopback with no firewall.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::model::{address, reaches, Model, Replica};
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

pub(super) fn check(model: &Model<'_>, replicas: &[Replica<'_>], out: &mut Out<'_>) {
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
    let mut shared = false;
    let mut same_socket: Vec<(usize, crate::syntax::Pos, Vec<&str>, &str, String)> = Vec::new();
    // The first program on each (host, address) and each (host, TCP port): a socket collides
    // with an earlier one at the same address, or at its port when either is `*:PORT`.
    // Hashed, so a thousand replicas cost a thousand lookups, not half a million comparisons.
    let mut by_addr: HashMap<(&str, &str), usize> = HashMap::new();
    let mut by_port: HashMap<(&str, &str), usize> = HashMap::new();
    let mut wild_port: HashMap<(&str, &str), usize> = HashMap::new();
    for (a, i, o) in &sockets {
        let host = host_of(model, replicas[*i].program.file);
        let tcp_port = tcp_port(a);
        let wild = a.starts_with("*:");
        let earlier = match (wild, tcp_port) {
            (true, Some(p)) => by_port.get(&(host, p)).copied(),
            (false, Some(p)) => by_addr
                .get(&(host, a.as_str()))
                .or_else(|| wild_port.get(&(host, p)))
                .copied(),
            _ => by_addr.get(&(host, a.as_str())).copied(),
        };
        by_addr.entry((host, a.as_str())).or_insert(*i);
        if let Some(p) = tcp_port {
            by_port.entry((host, p)).or_insert(*i);
            if wild {
                wild_port.entry((host, p)).or_insert(*i);
            }
        }
        if let Some(first) = earlier.filter(|j| j != i) {
            shared = true;
            let (p, q) = (replicas[*i].program, replicas[first].program);
            let (f, at) = socket_at(&replicas[*i], o);
            // One line that gives several programs one socket is one finding.
            match same_socket
                .iter_mut()
                .find(|(g, t, ..)| *g == f && *t == at)
            {
                Some((.., names, _, _)) => names.push(p.name),
                None => same_socket.push((f, at, vec![p.name], q.name, a.clone())),
            }
        }
    }
    for (f, at, names, first, a) in same_socket {
        let programs: Vec<String> = names.iter().map(|n| format!("[program:{n}]")).collect();
        let verb = if names.len() == 1 { "binds" } else { "bind" };
        out.add(
            RuleId::StackSharedSocket,
            f,
            at,
            format!(
                "{} {verb} {a}, as [program:{first}] does",
                programs.join(", ")
            ),
            "give every replica its own port or socket (S_PORT in each program's environment)",
        );
    }
    // Two replicas on one socket leave one upstream server without its replica: the shared
    // socket is the defect, reported above; compare once it is fixed.
    if complete && !shared && !sockets.is_empty() && !model.kind_indices(Kind::Nginx).is_empty() {
        upstream_against_replicas(model, replicas, &sockets, &servers, out);
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

/// Where a replica's socket is set: its program's environment when the ini reads a
/// variable, else the ini's line, else the program's header.
fn socket_at(
    r: &super::model::Replica<'_>,
    o: &super::model::Opt<'_>,
) -> (usize, crate::syntax::Pos) {
    let p = r.program;
    match (o.entry, r.ini) {
        (Some(e), _) if e.value.contains("$(") => (
            p.file,
            p.section
                .get("environment")
                .map_or(p.section.headers[0], |e| e.value_at),
        ),
        (Some(e), Some(ini)) => (ini, e.value_at),
        _ => (p.file, p.section.headers[0]),
    }
}

/// The port of a TCP `host:port` address (none for `unix:`).
fn tcp_port(addr: &str) -> Option<&str> {
    if addr.starts_with("unix:") {
        return None;
    }
    addr.rsplit_once(':').map(|(_, p)| p)
}

/// The port of a `host:port` address, as a number.
fn port_of(addr: &str) -> Option<u32> {
    tcp_port(addr)?.parse().ok()
}

/// Whether ports count up by one.
fn consecutive(ports: &[Option<u32>]) -> bool {
    ports
        .windows(2)
        .all(|w| matches!((w[0], w[1]), (Some(a), Some(b)) if b == a + 1))
}

/// Upstream servers that are no replica's socket, and replicas no server names. One of each
/// is one typo: it is reported once, where the odd value is (the side whose ports stop
/// counting up by one), naming both.
fn upstream_against_replicas(
    model: &Model<'_>,
    replicas: &[super::model::Replica<'_>],
    sockets: &[(String, usize, &super::model::Opt<'_>)],
    servers: &[(String, usize, crate::syntax::Pos)],
    out: &mut Out<'_>,
) {
    // `reaches` through hash sets: exact addresses, and the ports of `*:PORT` sockets and of
    // every TCP server.
    let bound: HashSet<&str> = sockets.iter().map(|(s, _, _)| s.as_str()).collect();
    let wild: HashSet<&str> = sockets
        .iter()
        .filter_map(|(s, _, _)| s.strip_prefix("*:"))
        .collect();
    let named: HashSet<&str> = servers.iter().map(|(s, _, _)| s.as_str()).collect();
    let named_ports: HashSet<&str> = servers.iter().filter_map(|(s, _, _)| tcp_port(s)).collect();
    let stray: Vec<&(String, usize, crate::syntax::Pos)> = servers
        .iter()
        .filter(|(addr, _, _)| {
            !(bound.contains(addr.as_str()) || tcp_port(addr).is_some_and(|p| wild.contains(p)))
        })
        .collect();
    let missing: Vec<&(String, usize, &super::model::Opt<'_>)> = sockets
        .iter()
        .filter(|(addr, _, _)| match addr.strip_prefix("*:") {
            Some(p) => !named_ports.contains(p),
            None => !named.contains(addr.as_str()),
        })
        .collect();
    let socket_at = |i: usize, o: &super::model::Opt<'_>| socket_at(&replicas[i], o);
    if let ([(up, uf, uat)], [(addr, i, o)]) = (&stray[..], &missing[..]) {
        let server_ports: Vec<Option<u32>> = servers.iter().map(|(a, _, _)| port_of(a)).collect();
        let socket_ports: Vec<Option<u32>> = sockets.iter().map(|(a, _, _)| port_of(a)).collect();
        let name = replicas[*i].program.name;
        let in_nginx = consecutive(&socket_ports) && !consecutive(&server_ports);
        let in_replica = consecutive(&server_ports) && !consecutive(&socket_ports);
        if in_nginx || !in_replica {
            out.add(
                RuleId::StackUpstreamNotReplica,
                *uf,
                *uat,
                format!("upstream server {up} is no replica's socket, and [program:{name}] binds {addr}, which no upstream server names"),
                format!("write server {addr}; here (or bind [program:{name}] to {up})"),
            );
        }
        if in_replica {
            let (f, at) = socket_at(*i, o);
            out.add(
                RuleId::StackReplicaNotInUpstream,
                f,
                at,
                format!("[program:{name}] binds {addr}, which no upstream server names, and upstream server {up} is no replica's socket"),
                format!("bind [program:{name}] to {up}, as the upstream block says (or change the server there)"),
            );
        }
        return;
    }
    let known: Vec<&str> = sockets.iter().map(|(s, _, _)| s.as_str()).collect();
    for (addr, f, at) in &stray {
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
    // A replica the upstream leaves out: the fix goes in the upstream block.
    let block = upstream_block(model, servers);
    for (addr, i, o) in &missing {
        let p = replicas[*i].program;
        let (f, at) = block.unwrap_or_else(|| socket_at(*i, o));
        out.add(
            RuleId::StackReplicaNotInUpstream,
            f,
            at,
            format!(
                "[program:{}] binds {addr}, which no upstream server names",
                p.name
            ),
            format!("add server {addr}; to the upstream block, or remove the program"),
        );
    }
}

/// The `upstream` block holding the first of `servers`, when it is one.
fn upstream_block(
    model: &Model<'_>,
    servers: &[(String, usize, crate::syntax::Pos)],
) -> Option<(usize, crate::syntax::Pos)> {
    let (_, f, at) = servers.first()?;
    let conf = model.nginx(*f)?;
    let mut found = None;
    conf.conf.visit(&mut |_, d| {
        if d.name() == "upstream" && d.children().iter().any(|c| c.name.at == *at) {
            found = Some((*f, d.name.at));
        }
    });
    found
}
