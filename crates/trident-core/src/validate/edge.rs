//! Rules of the public edge: HTTPS, HSTS, the nginx version, request limits, caching and
//! proxies in front of nginx.

use std::net::IpAddr;

use super::quote_for_message;
use crate::diag::Diagnostic;
use crate::layout::{parse_version, Layout};
use crate::spec::{SocketKind, Spec, MAX_HSTS, MAX_REPLICAS};

/// Oldest nginx the files are written for (Debian 11's; `random two`, `$realip_remote_addr`
/// and TLS 1.3 are all older).
pub const MIN_NGINX: (u32, u32, u32) = (1, 18, 0);
/// Above this HSTS max-age a mistake locks visitors out for long: warn.
pub const LONG_HSTS: u32 = 86_400;

pub(super) fn check(spec: &Spec, layout: &Layout, out: &mut Vec<Diagnostic>) {
    tls(spec, layout, out);
    hsts(spec, layout, out);
    version(spec, out);
    limits(spec, out);
    proxies(spec, out);
    public_without_tls(spec, layout, out);
    if spec.static_max_age > 0 && spec.static_url.is_none() {
        out.push(Diagnostic::warning(
            "static-max-age-unused",
            "static_max_age",
            "static_max_age is set but static_url is not, so nginx serves no static files",
            "set static_url, e.g. /static/",
        ));
    }
}

fn tls(spec: &Spec, layout: &Layout, out: &mut Vec<Diagnostic>) {
    match (&spec.tls_cert, &spec.tls_key) {
        (Some(_), None) => out.push(Diagnostic::error(
            "tls-key-missing",
            "tls_key",
            "tls_cert is set but tls_key is not",
            "give both: the certificate chain (fullchain.pem) and its private key (privkey.pem)",
        )),
        (None, Some(_)) => out.push(Diagnostic::error(
            "tls-cert-missing",
            "tls_cert",
            "tls_key is set but tls_cert is not",
            "give both: the certificate chain (fullchain.pem) and its private key (privkey.pem)",
        )),
        (Some(cert), Some(key)) if cert == key => out.push(Diagnostic::error(
            "tls-cert-is-key",
            "tls_key",
            "tls_key is the same file as tls_cert",
            "give the private key's own file (certbot: privkey.pem next to fullchain.pem)",
        )),
        _ => {}
    }
    if spec.https_port == 0 || spec.https_port > 65535 {
        out.push(Diagnostic::error(
            "port-out-of-range",
            "https_port",
            format!(
                "https_port is {}; ports go from 1 to 65535",
                spec.https_port
            ),
            "set https_port to a port from 1 to 65535, e.g. 443 (or 8443 without root)",
        ));
        return;
    }
    if !layout.tls {
        return;
    }
    if spec.https_port == spec.listen {
        out.push(Diagnostic::error(
            "https-port-is-listen",
            "https_port",
            format!(
                "https_port {} is also the plain listen port",
                spec.https_port
            ),
            "use two ports: listen for plain HTTP (80) and https_port for HTTPS (443)",
        ));
    }
    if spec.socket == SocketKind::Tcp {
        let n = spec.replicas.clamp(1, MAX_REPLICAS);
        let last = u64::from(spec.base_port) + u64::from(n) - 1;
        if (u64::from(spec.base_port)..=last).contains(&u64::from(spec.https_port)) {
            out.push(Diagnostic::error(
                "https-port-clashes-with-replica",
                "https_port",
                format!(
                    "https_port {} is also the port of replica {}",
                    spec.https_port,
                    spec.https_port - spec.base_port
                ),
                format!(
                    "choose an https_port outside {}-{last}, or move base_port",
                    spec.base_port
                ),
            ));
        }
    }
}

fn hsts(spec: &Spec, layout: &Layout, out: &mut Vec<Diagnostic>) {
    if spec.hsts == 0 {
        return;
    }
    if !layout.tls {
        out.push(Diagnostic::error(
            "hsts-without-tls",
            "hsts",
            "hsts is set but nginx serves no HTTPS (tls_cert and tls_key are unset)",
            "set tls_cert and tls_key, or set hsts to 0",
        ));
    } else if spec.hsts > LONG_HSTS && spec.hsts <= MAX_HSTS {
        out.push(Diagnostic::warning(
            "long-hsts",
            "hsts",
            format!(
                "hsts {} s tells browsers to refuse plain HTTP for {} days: a broken certificate then locks visitors out that long",
                spec.hsts,
                spec.hsts / 86_400
            ),
            "on a first deployment start with 300 and raise it once HTTPS has served well for a while",
        ));
    }
}

fn version(spec: &Spec, out: &mut Vec<Diagnostic>) {
    match parse_version(&spec.nginx_version) {
        None => out.push(Diagnostic::error(
            "invalid-nginx-version",
            "nginx_version",
            format!(
                "nginx_version {} is not a version",
                quote_for_message(&spec.nginx_version)
            ),
            "give the version `nginx -v` prints, as X.Y or X.Y.Z, e.g. 1.22 or 1.26.3",
        )),
        Some(v) if v < MIN_NGINX => out.push(Diagnostic::error(
            "nginx-too-old",
            "nginx_version",
            format!("nginx {} is older than 1.18", spec.nginx_version.trim()),
            "upgrade nginx (Debian 12 ships 1.22), or give the version you run",
        )),
        Some(_) => {}
    }
}

/// Bytes of an nginx size (`16m`, `512k`, `1g`, `100`), if it is one.
pub fn nginx_size(text: &str) -> Option<u64> {
    let (digits, unit) = match text.as_bytes().last()? {
        b'k' | b'K' => (&text[..text.len() - 1], 1u64 << 10),
        b'm' | b'M' => (&text[..text.len() - 1], 1 << 20),
        b'g' | b'G' => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

fn limits(spec: &Spec, out: &mut Vec<Diagnostic>) {
    match nginx_size(&spec.max_body) {
        None => out.push(Diagnostic::error(
            "invalid-size",
            "max_body",
            format!(
                "max_body {} is not an nginx size",
                quote_for_message(&spec.max_body)
            ),
            "give a number of bytes with an optional k, m or g, e.g. 16m (0 = unlimited)",
        )),
        Some(bytes) if bytes > 1 << 40 => out.push(Diagnostic::error(
            "size-out-of-range",
            "max_body",
            format!("max_body {} is more than 1 TiB", spec.max_body),
            "give at most 1024g, or 0 for no limit",
        )),
        Some(0) => out.push(Diagnostic::warning(
            "unlimited-body",
            "max_body",
            "max_body 0 lets any client send a body of any size, buffered to disk in run_dir",
            "give the largest upload the app takes, e.g. 16m or 100m",
        )),
        Some(_) => {}
    }
}

/// `ADDRESS` or `ADDRESS/PREFIX`, IPv4 or IPv6; returns the address and the prefix length.
pub fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse().ok().filter(|p| *p <= max)?
        }
        Some(_) => return None,
    };
    Some((ip, prefix))
}

fn proxies(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (i, cidr) in spec.trusted_proxy.iter().enumerate() {
        let field = format!("trusted_proxy.{i}");
        if spec.trusted_proxy[..i].contains(cidr) {
            out.push(Diagnostic::error(
                "duplicate-trusted-proxy",
                field,
                format!("trusted_proxy lists {} twice", quote_for_message(cidr)),
                "list each address or range once",
            ));
            continue;
        }
        match parse_cidr(cidr) {
            None => out.push(Diagnostic::error(
                "invalid-cidr",
                field,
                format!(
                    "trusted_proxy {} is not an address or address/prefix",
                    quote_for_message(cidr)
                ),
                "give the proxy's address or range, e.g. 10.0.0.5, 10.0.0.0/8 or fd00::/8",
            )),
            Some((_, 0)) => out.push(Diagnostic::warning(
                "trusts-everyone",
                field,
                format!("trusted_proxy {cidr} trusts every client: any client can then claim any address and HTTPS"),
                "give only the addresses of the proxies in front of nginx",
            )),
            Some(_) => {}
        }
    }
}

fn public_without_tls(spec: &Spec, layout: &Layout, out: &mut Vec<Diagnostic>) {
    let public = spec
        .listen_address
        .parse::<IpAddr>()
        .is_ok_and(|ip| !ip.is_loopback());
    // Behind a TLS proxy (trusted_proxy) plain HTTP to nginx is the design.
    if public && !layout.tls && spec.trusted_proxy.is_empty() {
        out.push(Diagnostic::warning(
            "public-without-tls",
            "listen_address",
            format!(
                "nginx listens on {} without HTTPS: passwords and cookies cross the network in clear text",
                spec.listen_address
            ),
            "set tls_cert and tls_key (get a certificate with acme_dir and certbot --webroot), or trusted_proxy if a TLS proxy is in front",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_as_nginx_reads_them() {
        assert_eq!(nginx_size("16m"), Some(16 << 20));
        assert_eq!(nginx_size("512K"), Some(512 << 10));
        assert_eq!(nginx_size("0"), Some(0));
        assert_eq!(nginx_size("1g"), Some(1 << 30));
        for bad in ["", "m", "16 m", "16mb", "-1", "1.5m", "99999999999999999g"] {
            assert_eq!(nginx_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cidrs_parse() {
        assert!(parse_cidr("10.0.0.0/8").is_some());
        assert!(parse_cidr("127.0.0.1").is_some());
        assert!(parse_cidr("fd00::/8").is_some());
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "x",
            "10.0.0.0/",
            "::/129",
            "10.0.0.0/8 ",
        ] {
            assert!(parse_cidr(bad).is_none(), "{bad:?}");
        }
    }
}
