//! `nftables.conf` of an app host: its uwsgi ports admit only the load balancer.
//!
//! The uwsgi protocol has no authentication and its magic variables can load code, so a
//! replica's port must be reachable from nginx alone. The rule set is a table of its own
//! (`inet trident_UPSTREAM`) whose chain accepts everything it does not name: the host's
//! other rules and services are left alone, and loading it again replaces only this table.
//!
//! Grammar: nft's scripting language; every value written here is a validated IP address,
//! port or name of letters, digits and `_`.

use std::fmt::Write as _;

use super::{Context, Role};
use crate::layout::push_u32;

/// The table's name for an upstream: nft names take letters, digits and `_`.
pub fn table_name(upstream: &str) -> String {
    let mut name = String::from("trident_");
    name.extend(upstream.chars().map(|c| if c == '-' { '_' } else { c }));
    name
}

pub(super) fn render(ctx: &Context<'_>) -> String {
    let Role::App(host) = ctx.role else {
        return String::new();
    };
    let spec = ctx.spec;
    let lb = spec.lb_address.as_deref().unwrap_or_default();
    let family = if lb.contains(':') { "ip6" } else { "ip" };
    let table = table_name(&spec.upstream);
    let mut ports = String::new();
    push_u32(&mut ports, host.base_port);
    if host.replicas > 1 {
        ports.push('-');
        push_u32(&mut ports, host.base_port + host.replicas - 1);
    }
    let mut out = String::with_capacity(1024);
    let o = &mut out;
    ctx.header(o, "#");
    let conf = ctx.conf(crate::files::NFTABLES_CONF);
    let _ = writeln!(
        o,
        "# Load (as root, before supervisord; again after a change): nft -f '{conf}'"
    );
    let _ = writeln!(
        o,
        "# Check: nft list table inet {table}   Remove: nft delete table inet {table}"
    );
    let _ = writeln!(
        o,
        "# Only the load balancer ({lb}) and this host itself reach uwsgi ports {ports}; the"
    );
    let _ = writeln!(
        o,
        "# rest of the host's traffic and rule sets are untouched. Keep it across reboots: include"
    );
    let _ = writeln!(
        o,
        "# this file from /etc/nftables.conf (Debian's nftables.service loads it)."
    );
    // Declaring the table first makes the delete succeed on the first load too.
    let _ = writeln!(o, "table inet {table}");
    let _ = writeln!(o, "delete table inet {table}");
    let _ = writeln!(o, "table inet {table} {{");
    let _ = writeln!(o, "    chain input {{");
    let _ = writeln!(
        o,
        "        type filter hook input priority filter; policy accept;"
    );
    let _ = writeln!(o, "        tcp dport {ports} iif \"lo\" accept");
    let _ = writeln!(o, "        tcp dport {ports} {family} saddr {lb} accept");
    // A reset, not a silent drop: a misrouted client learns at once, and nothing waits.
    let _ = writeln!(o, "        tcp dport {ports} reject with tcp reset");
    let _ = writeln!(o, "    }}");
    let _ = writeln!(o, "}}");
    out
}
