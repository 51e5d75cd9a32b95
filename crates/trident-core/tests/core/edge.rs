//! The public edge's rules (HTTPS, HSTS, nginx version, limits, caching, trusted proxies),
//! each with a passing and a failing case, and what they render.

use trident_core::{generate, Spec};

use crate::{assert_clean, assert_error, assert_warning, diags, with};

fn tls(s: &mut Spec) {
    s.tls_cert = Some("/etc/letsencrypt/live/example.com/fullchain.pem".into());
    s.tls_key = Some("/etc/letsencrypt/live/example.com/privkey.pem".into());
}

fn nginx_conf(spec: &Spec) -> String {
    let out = generate(spec).unwrap_or_else(|d| panic!("{d:#?}"));
    out.files[2].contents.clone()
}

#[test]
fn tls_needs_both_files_and_distinct_ports() {
    assert_clean(&with(tls), "tls_cert");
    assert_error(
        &with(|s| s.tls_cert = Some("/x/cert.pem".into())),
        "tls-key-missing",
        "tls_key",
    );
    assert_error(
        &with(|s| s.tls_key = Some("/x/key.pem".into())),
        "tls-cert-missing",
        "tls_cert",
    );
    assert_error(
        &with(|s| {
            tls(s);
            s.tls_key = s.tls_cert.clone();
        }),
        "tls-cert-is-key",
        "tls_key",
    );
    assert_error(
        &with(|s| {
            tls(s);
            s.tls_cert = Some("cert.pem".into());
        }),
        "invalid-path",
        "tls_cert",
    );
    assert_error(
        &with(|s| {
            tls(s);
            s.https_port = s.listen;
        }),
        "https-port-is-listen",
        "https_port",
    );
    assert_error(
        &with(|s| {
            tls(s);
            s.https_port = s.base_port + 1;
        }),
        "https-port-clashes-with-replica",
        "https_port",
    );
    assert_error(
        &with(|s| s.https_port = 70_000),
        "port-out-of-range",
        "https_port",
    );
    // Without TLS the HTTPS port is unused, so it may equal anything.
    assert_clean(&with(|s| s.https_port = s.listen), "https_port");
}

#[test]
fn hsts_only_with_tls_and_warned_when_long() {
    assert_error(&with(|s| s.hsts = 300), "hsts-without-tls", "hsts");
    assert_clean(
        &with(|s| {
            tls(s);
            s.hsts = 300;
        }),
        "hsts",
    );
    assert_warning(
        &with(|s| {
            tls(s);
            s.hsts = 31_536_000;
        }),
        "long-hsts",
        "hsts",
    );
    assert_error(
        &with(|s| {
            tls(s);
            s.hsts = 63_072_001;
        }),
        "out-of-range",
        "hsts",
    );
}

#[test]
fn nginx_version_is_a_version_from_1_18() {
    for ok in ["1.22", "1.22.1", "1.18.0", "1.27.3"] {
        assert_clean(&with(|s| s.nginx_version = ok.into()), "nginx_version");
    }
    for bad in ["", "1", "latest", "1.22.x", "1.22;"] {
        assert_error(
            &with(|s| s.nginx_version = bad.into()),
            "invalid-nginx-version",
            "nginx_version",
        );
    }
    assert_error(
        &with(|s| s.nginx_version = "1.14.2".into()),
        "nginx-too-old",
        "nginx_version",
    );
}

#[test]
fn http2_is_spelled_for_the_nginx_version() {
    let old = nginx_conf(&with(tls));
    assert!(
        old.contains("ssl http2;") && !old.contains("http2 on;"),
        "{old}"
    );
    let new = nginx_conf(&with(|s| {
        tls(s);
        s.nginx_version = "1.25.1".into();
    }));
    assert!(
        new.contains("http2 on;") && !new.contains("ssl http2;"),
        "{new}"
    );
}

#[test]
fn body_and_header_limits() {
    for ok in ["16m", "0", "512k", "1G", "100"] {
        let spec = with(|s| s.max_body = ok.into());
        if ok == "0" {
            assert_warning(&spec, "unlimited-body", "max_body");
        } else {
            assert_clean(&spec, "max_body");
        }
    }
    for bad in ["", "16 m", "16mb", "-1", "1.5m", "16m;"] {
        assert_error(
            &with(|s| s.max_body = bad.into()),
            "invalid-size",
            "max_body",
        );
    }
    assert_error(
        &with(|s| s.max_body = "2000g".into()),
        "size-out-of-range",
        "max_body",
    );
    assert_clean(&with(|s| s.buffer_size = 65_535), "buffer_size");
    assert_clean(&with(|s| s.buffer_size = 8192), "buffer_size");
    assert_error(
        &with(|s| s.buffer_size = 65_536),
        "out-of-range",
        "buffer_size",
    );
    assert_error(
        &with(|s| s.buffer_size = 4096),
        "out-of-range",
        "buffer_size",
    );
    // nginx's header buffer follows buffer-size, 4 KiB below it.
    let conf = nginx_conf(&with(|s| s.buffer_size = 65_535));
    assert!(
        conf.contains("large_client_header_buffers 1 59k;"),
        "{conf}"
    );
}

#[test]
fn static_max_age_needs_static_files() {
    assert_warning(
        &with(|s| s.static_max_age = 3600),
        "static-max-age-unused",
        "static_max_age",
    );
    let spec = with(|s| {
        s.static_url = Some("/static/".into());
        s.static_max_age = 3600;
    });
    assert_clean(&spec, "static_max_age");
    assert!(nginx_conf(&spec).contains("expires 3600s;"));
}

#[test]
fn trusted_proxies_are_cidrs() {
    let spec = with(|s| s.trusted_proxy = vec!["10.0.0.0/8".into(), "::1".into()]);
    assert_clean(&spec, "trusted_proxy");
    let conf = nginx_conf(&spec);
    assert!(conf.contains("set_real_ip_from 10.0.0.0/8;"), "{conf}");
    assert!(
        conf.contains("HTTP_X_FORWARDED_PROTO $trident_scheme;"),
        "{conf}"
    );
    let d = assert_error(
        &with(|s| s.trusted_proxy = vec!["10.0.0.0/8".into(), "ten".into()]),
        "invalid-cidr",
        "trusted_proxy.1",
    );
    assert_eq!(d.top_field(), "trusted_proxy");
    assert_error(
        &with(|s| s.trusted_proxy = vec!["10.0.0.1".into(), "10.0.0.1".into()]),
        "duplicate-trusted-proxy",
        "trusted_proxy.1",
    );
    assert_warning(
        &with(|s| s.trusted_proxy = vec!["0.0.0.0/0".into()]),
        "trusts-everyone",
        "trusted_proxy.0",
    );
}

#[test]
fn plain_http_on_a_public_address_is_warned_unless_tls_or_a_proxy() {
    let public = |s: &mut Spec| s.listen_address = "0.0.0.0".into();
    assert_warning(&with(public), "public-without-tls", "listen_address");
    assert_clean(
        &with(|s| {
            public(s);
            tls(s);
        }),
        "listen_address",
    );
    assert_clean(
        &with(|s| {
            public(s);
            s.trusted_proxy = vec!["10.0.0.1".into()];
        }),
        "listen_address",
    );
}

#[test]
fn with_tls_the_plain_port_only_redirects_and_answers_acme() {
    let conf = nginx_conf(&with(|s| {
        tls(s);
        s.acme_dir = Some("/srv/acme".into());
        s.https_port = 8443;
        s.static_url = Some("/static/".into());
    }));
    let plain = &conf[..conf.find("ssl_certificate").unwrap()];
    assert!(
        plain.contains("location ^~ /.well-known/acme-challenge/"),
        "{conf}"
    );
    assert!(
        plain.contains("return 301 https://$host:8443$request_uri;"),
        "{conf}"
    );
    assert!(
        !plain.contains("uwsgi_pass") && !plain.contains("alias"),
        "{conf}"
    );
    // Without TLS, the ACME location sits beside the app.
    let conf = nginx_conf(&with(|s| s.acme_dir = Some("/srv/acme".into())));
    assert!(
        conf.contains("root \"/srv/acme\";") && conf.contains("uwsgi_pass"),
        "{conf}"
    );
    assert!(!conf.contains("return 301"), "{conf}");
    assert!(diags(&with(|s| s.acme_dir = Some("acme".into())))
        .iter()
        .any(|d| d.code == "invalid-path" && d.field == "acme_dir"));
}
