//! Rules of a multi-host spec: app hosts behind one load balancer.

use std::net::IpAddr;

use super::{is_name, quote_for_message};
use crate::diag::Diagnostic;
use crate::layout::{Layout, LB_DIR};
use crate::spec::{SocketKind, Spec, MAX_REPLICAS};

pub(super) fn check(spec: &Spec, layout: &Layout, out: &mut Vec<Diagnostic>) {
    if spec.hosts.is_empty() {
        if spec.lb_address.is_some() {
            out.push(Diagnostic::warning(
                "lb-address-without-hosts",
                "lb_address",
                "lb_address is set but no app host is given; it is not used",
                "add app hosts with --host NAME=ADDRESS[:REPLICAS], or drop lb_address",
            ));
        }
        return;
    }
    balancer(spec, out);
    for (i, (host, resolved)) in spec.hosts.iter().zip(&layout.hosts).enumerate() {
        let field = |part: &str| format!("hosts.{}.{part}", label(&host.name, i));
        host_name(spec, i, &field, out);
        host_address(spec, i, &field, out);
        host_ports(spec, layout, i, resolved, &field, out);
    }
    let total: u64 = layout.hosts.iter().map(|h| u64::from(h.replicas)).sum();
    if total > u64::from(MAX_REPLICAS) {
        out.push(Diagnostic::error(
            "too-many-replicas",
            "hosts",
            format!(
                "the hosts run {total} replicas together; Trident renders at most {MAX_REPLICAS}"
            ),
            "use fewer replicas per host, and workers/threads for more capacity per replica",
        ));
    }
}

/// With hosts: TCP sockets, a usable lb_address, no `bind`.
fn balancer(spec: &Spec, out: &mut Vec<Diagnostic>) {
    if spec.socket == SocketKind::Unix {
        out.push(Diagnostic::error(
            "unix-socket-across-hosts",
            "socket",
            "socket is unix, but nginx on the load balancer cannot reach a unix socket on another host",
            "set socket to tcp when app hosts are given",
        ));
    }
    match spec.lb_address.as_deref() {
        None => out.push(Diagnostic::error(
            "missing-lb-address",
            "lb_address",
            "app hosts are given but lb_address is not: the app hosts' firewalls need the address nginx connects from",
            "set lb_address to the load balancer's private IP address, e.g. --lb-address 10.0.0.10",
        )),
        Some(lb) => match lb.parse::<IpAddr>() {
            Err(_) => out.push(Diagnostic::error(
                "invalid-address",
                "lb_address",
                format!("lb_address {} is not an IP address", quote_for_message(lb)),
                "give the load balancer's private IPv4 or IPv6 address (no host name: the firewall matches addresses), e.g. 10.0.0.10",
            )),
            Ok(ip) if ip.is_unspecified() || ip.is_loopback() => out.push(Diagnostic::error(
                "invalid-address",
                "lb_address",
                format!("lb_address {lb} is not an address other hosts see nginx connect from"),
                "give the load balancer's private address on the network it shares with the app hosts, e.g. 10.0.0.10",
            )),
            Ok(_) => {}
        },
    }
    if spec.bind != crate::Spec::default().bind {
        out.push(Diagnostic::warning(
            "bind-with-hosts",
            "bind",
            "bind is not used with app hosts: each host's replicas bind the host's own address",
            "drop --bind; set each host's address with --host NAME=ADDRESS",
        ));
    }
}

/// Host `i`'s name: a usable directory name, given once.
fn host_name(spec: &Spec, i: usize, field: &dyn Fn(&str) -> String, out: &mut Vec<Diagnostic>) {
    let host = &spec.hosts[i];
    if !is_name(&host.name) || host.name == LB_DIR {
        out.push(Diagnostic::error(
            "invalid-host-name",
            field("name"),
            format!(
                "host name {} is not usable as a directory and header name",
                quote_for_message(&host.name)
            ),
            format!("use 1 to 64 ASCII letters, digits, _ or -, starting with a letter, other than {LB_DIR} (the load balancer's directory)"),
        ));
    }
    if spec.hosts[..i].iter().any(|h| h.name == host.name) {
        out.push(Diagnostic::error(
            "duplicate-host",
            field("name"),
            format!("two hosts are named {}", quote_for_message(&host.name)),
            "give every host its own name: it names its output directory",
        ));
    }
}

/// Host `i`'s address: private, and of the load balancer's IP version.
fn host_address(spec: &Spec, i: usize, field: &dyn Fn(&str) -> String, out: &mut Vec<Diagnostic>) {
    let host = &spec.hosts[i];
    if let Some(problem) = address_problem(&host.address) {
        out.push(Diagnostic::error(
            "invalid-address",
            field("address"),
            format!(
                "host {} has the address {}: {problem}",
                host.name,
                quote_for_message(&host.address)
            ),
            "give the host's private IPv4 or IPv6 address or DNS name, e.g. 10.0.0.11 (IPv6 in brackets on the command line)",
        ));
    }
    let lb_ip = spec
        .lb_address
        .as_deref()
        .and_then(|a| a.parse::<IpAddr>().ok());
    if let (Ok(ip), Some(lb)) = (host.address.parse::<IpAddr>(), lb_ip) {
        if ip.is_ipv4() != lb.is_ipv4() {
            out.push(Diagnostic::error(
                "address-family-mismatch",
                field("address"),
                format!(
                    "host {} has the address {}, but lb_address {} is of the other IP version: nginx would connect from an address the host's firewall does not admit",
                    // The text as given: IpAddr's Display costs the page 1 KB.
                    host.name,
                    host.address,
                    spec.lb_address.as_deref().unwrap_or_default()
                ),
                "give the app hosts and lb_address addresses of the same IP version (all IPv4 or all IPv6)",
            ));
        }
    }
}

/// Host `i`'s replicas and ports: in range, and no port shared with another host on the same
/// address.
fn host_ports(
    spec: &Spec,
    layout: &Layout,
    i: usize,
    resolved: &crate::layout::HostLayout,
    field: &dyn Fn(&str) -> String,
    out: &mut Vec<Diagnostic>,
) {
    let host = &spec.hosts[i];
    let n = resolved.replicas;
    if n == 0 || n > MAX_REPLICAS {
        out.push(Diagnostic::error(
            "out-of-range",
            field("replicas"),
            format!(
                "host {} has {n} replicas; it must have from 1 to {MAX_REPLICAS}",
                host.name
            ),
            format!(
                "give it 1 to {MAX_REPLICAS} replicas, e.g. --host {}=ADDRESS:3",
                host.name
            ),
        ));
    }
    let first = u64::from(resolved.base_port);
    let last = first + u64::from(n.max(1)) - 1;
    if first == 0 || last > 65535 {
        out.push(Diagnostic::error(
            "port-out-of-range",
            field("base_port"),
            format!(
                "host {} needs ports {first}-{last}; ports go from 1 to 65535",
                host.name
            ),
            format!(
                "give it a base port from 1 to {}, e.g. --host {}=ADDRESS:{n}:8080",
                65536 - u64::from(n.max(1)),
                host.name
            ),
        ));
    }
    for (j, other) in layout.hosts[..i].iter().enumerate() {
        let o_first = u64::from(other.base_port);
        let o_last = o_first + u64::from(other.replicas.max(1)) - 1;
        if same_address(&other.address, &resolved.address) && first <= o_last && o_first <= last {
            out.push(Diagnostic::error(
                "duplicate-endpoint",
                field("base_port"),
                format!(
                    "hosts {} and {} both use {} with ports {}-{}",
                    spec.hosts[j].name,
                    host.name,
                    host.address,
                    first.max(o_first),
                    last.min(o_last)
                ),
                "give hosts that share an address port ranges that do not overlap (NAME=ADDRESS:REPLICAS:BASE_PORT)",
            ));
        }
    }
}

/// How a host is named in a field path: its name when it is a plain word, else its position.
fn label(name: &str, i: usize) -> String {
    if is_name(name) {
        name.to_string()
    } else {
        format!("{}", i + 1)
    }
}

fn same_address(a: &str, b: &str) -> bool {
    match (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.eq_ignore_ascii_case(b),
    }
}

/// Why `address` cannot be an app host's private address, if it cannot.
fn address_problem(address: &str) -> Option<&'static str> {
    match address.parse::<IpAddr>() {
        Ok(ip) if ip.is_unspecified() => {
            Some("replicas must bind the private address, not every address")
        }
        Ok(ip) if ip.is_loopback() => {
            Some("a loopback address is not reachable from the load balancer")
        }
        Ok(IpAddr::V6(ip)) if ip.segments()[0] & 0xffc0 == 0xfe80 => {
            Some("a link-local IPv6 address needs a zone, which nginx and uWSGI do not take here")
        }
        Ok(_) => None,
        Err(_) => {
            let labels_ok = !address.is_empty()
                && address.len() <= 253
                && address.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            let numeric = address
                .split('.')
                .all(|l| l.chars().all(|c| c.is_ascii_digit()));
            if !labels_ok || numeric {
                Some("it is neither an IP address nor a DNS name")
            } else {
                None
            }
        }
    }
}
