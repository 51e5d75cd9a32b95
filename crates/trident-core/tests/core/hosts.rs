//! App hosts behind one load balancer: parsing, every rule with a passing and a failing
//! case, the bundles, and the cross-file checks on tampered output.

use trident_core::consistency::check;
use trident_core::{generate, render, validate, Host, SocketKind, Spec, FIELDS};

use crate::{assert_clean, assert_error, assert_warning, with};

fn host(text: &str) -> Host {
    Host::parse(text).unwrap()
}

/// Two hosts and the load balancer's address.
fn two() -> Spec {
    with(|s| {
        s.hosts = vec![host("web1=10.0.0.11"), host("web2=10.0.0.12:2")];
        s.lb_address = Some("10.0.0.10".into());
    })
}

#[test]
fn host_text_parses_and_is_written_back_canonically() {
    let h = host("web2=[fd00::12]:2:9000");
    assert_eq!(
        (h.address.as_str(), h.replicas, h.base_port),
        ("fd00::12", Some(2), Some(9000))
    );
    assert_eq!(h.to_text(), "web2=[fd00::12]:2:9000");
    assert_eq!(host("w=fd00::1").address, "fd00::1");
    assert_eq!(host("w=a.internal::9100").base_port, Some(9100));
    assert_eq!(host("w=a.internal::9100").replicas, None);
    for bad in [
        "web1",
        "=10.0.0.1",
        "w=",
        "w=10.0.0.1:x",
        "w=[fd00::1",
        "w=[fd00::1]x",
    ] {
        assert!(Host::parse(bad).is_err(), "{bad}");
    }
    let field = FIELDS.iter().find(|f| f.name == "hosts").unwrap();
    assert_eq!(field.flag(), "host");
    assert!(std::ptr::eq(
        trident_core::fields::field("--host").unwrap(),
        field
    ));
}

#[test]
fn without_hosts_nothing_changes_and_lb_address_alone_warns() {
    let one = generate(&Spec::default()).unwrap();
    assert!(one.files.iter().all(|f| f.host.is_empty()));
    assert_warning(
        &with(|s| s.lb_address = Some("10.0.0.10".into())),
        "lb-address-without-hosts",
        "lb_address",
    );
}

#[test]
fn hosts_render_a_bundle_each_that_passes_the_cross_file_checks() {
    let out = generate(&two()).unwrap();
    let paths: Vec<String> = out.files.iter().map(|f| f.path()).collect();
    assert_eq!(
        paths,
        [
            "lb/supervisord.conf",
            "lb/nginx.conf",
            "web1/supervisord.conf",
            "web1/webapp.ini",
            "web1/nftables.conf",
            "web2/supervisord.conf",
            "web2/webapp.ini",
            "web2/nftables.conf",
        ]
    );
    let text = |p: &str| &out.files[paths.iter().position(|x| x == p).unwrap()].contents;
    assert!(!text("lb/supervisord.conf").contains("[program:p0]"));
    assert!(text("lb/nginx.conf").contains("server 10.0.0.12:8081 max_fails=1"));
    assert!(text("lb/nginx.conf").contains("uwsgi_connect_timeout 2s;"));
    assert!(!text("web2/supervisord.conf").contains("[program:ngx]"));
    assert!(text("web2/supervisord.conf").contains("[program:p1]"));
    assert!(!text("web2/supervisord.conf").contains("[program:p2]"));
    assert!(text("web1/webapp.ini").contains("socket = 10.0.0.11:$(S_PORT)"));
    assert!(text("web2/nftables.conf").contains("tcp dport 8080-8081 ip saddr 10.0.0.10 accept"));
    // An explicit connect timeout wins over the hosts' default.
    let slow = generate(&with(|s| {
        *s = two();
        s.connect_timeout = Some(5);
    }))
    .unwrap();
    assert!(slow.files[1].contents.contains("uwsgi_connect_timeout 5s;"));
}

#[test]
fn ipv6_hosts_are_bracketed_and_matched_as_ip6() {
    let spec = with(|s| {
        s.hosts = vec![host("web1=[fd00::11]")];
        s.lb_address = Some("fd00::10".into());
    });
    let out = generate(&spec).unwrap();
    assert!(out.files[1].contents.contains("server [fd00::11]:8080 "));
    assert!(out.files[3]
        .contents
        .contains("socket = [fd00::11]:$(S_PORT)"));
    assert!(out.files[4].contents.contains("ip6 saddr fd00::10 accept"));
}

#[test]
fn hosts_need_tcp_and_a_load_balancer_ip() {
    assert_clean(&two(), "lb_address");
    assert_error(
        &with(|s| {
            *s = two();
            s.socket = SocketKind::Unix;
        }),
        "unix-socket-across-hosts",
        "socket",
    );
    assert_error(
        &with(|s| {
            *s = two();
            s.lb_address = None;
        }),
        "missing-lb-address",
        "lb_address",
    );
    for bad in ["lb.internal", "127.0.0.1", "0.0.0.0"] {
        assert_error(
            &with(|s| {
                *s = two();
                s.lb_address = Some(bad.into());
            }),
            "invalid-address",
            "lb_address",
        );
    }
    assert_warning(
        &with(|s| {
            *s = two();
            s.bind = "10.0.0.11".into();
        }),
        "bind-with-hosts",
        "bind",
    );
}

#[test]
fn host_names_addresses_counts_and_ports_are_checked_per_host() {
    let bad = |text: &str| {
        with(|s| {
            *s = two();
            s.hosts[1] = host(text);
        })
    };
    let d = assert_error(&bad("web1=10.0.0.12"), "duplicate-host", "hosts.web1.name");
    assert_eq!(d.flag, "--host");
    assert_error(&bad("lb=10.0.0.12"), "invalid-host-name", "hosts.lb.name");
    assert_error(&bad("9x=10.0.0.12"), "invalid-host-name", "hosts.2.name");
    for address in ["127.0.0.1", "0.0.0.0", "fe80::1", "x..y", "10.0.0"] {
        assert_error(
            &bad(&format!(
                "web2={}",
                if address.contains(':') {
                    format!("[{address}]")
                } else {
                    address.into()
                }
            )),
            "invalid-address",
            "hosts.web2.address",
        );
    }
    assert_clean(&bad("web2=app2.internal"), "hosts");
    assert_error(
        &bad("web2=[fd00::12]"),
        "address-family-mismatch",
        "hosts.web2.address",
    );
    assert_error(
        &bad("web2=10.0.0.12:0"),
        "out-of-range",
        "hosts.web2.replicas",
    );
    assert_error(
        &bad("web2=10.0.0.12:2:65535"),
        "port-out-of-range",
        "hosts.web2.base_port",
    );
    // Two hosts on one address need port ranges apart.
    assert_error(
        &bad("web2=10.0.0.11:2:8082"),
        "duplicate-endpoint",
        "hosts.web2.base_port",
    );
    assert_clean(&bad("web2=10.0.0.11:2:8083"), "hosts");
}

#[test]
fn tampered_bundles_fail_the_cross_file_checks() {
    let valid = validate(&two()).unwrap();
    let files = render(&valid);
    assert!(check(&valid, &files).is_empty());
    let tamper = |path: &str, from: &str, to: &str| {
        let mut f = files.clone();
        let i = f.iter().position(|x| x.path() == path).unwrap();
        assert!(f[i].contents.contains(from), "{path} has no {from:?}");
        f[i].contents = f[i].contents.replace(from, to);
        check(&valid, &f)
            .into_iter()
            .map(|d| d.message)
            .collect::<Vec<_>>()
    };
    let firewall = tamper(
        "web1/nftables.conf",
        "saddr 10.0.0.10 accept",
        "saddr 10.0.0.99 accept",
    );
    assert!(
        firewall
            .iter()
            .any(|m| m.contains("does not admit exactly 10.0.0.10")),
        "{firewall:?}"
    );
    let bind = tamper(
        "web2/webapp.ini",
        "socket = 10.0.0.12:",
        "socket = 0.0.0.0:",
    );
    assert!(
        bind.iter().any(|m| m.contains("does not bind 10.0.0.12")),
        "{bind:?}"
    );
    let stray = tamper(
        "lb/nginx.conf",
        "server 10.0.0.12:8081",
        "server 10.0.0.13:8081",
    );
    assert!(
        stray.iter().any(|m| m.contains("belong to no host")),
        "{stray:?}"
    );
    let missing = tamper("web2/supervisord.conf", "[program:p1]", "[program:q1]");
    assert!(!missing.is_empty());
    let nginx_on_app = tamper("lb/supervisord.conf", "[program:ngx]", "[program:p0]");
    assert!(!nginx_on_app.is_empty(), "{nginx_on_app:?}");
}
