//! The public edge on real servers: HTTPS (a throwaway CA from openssl), HTTP/2, the
//! redirect, ACME tokens, TLS versions, HSTS, upload and header limits, compression,
//! static caching, and what a client or a trusted proxy can make the app believe.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use trident_e2e::{free_ports, http_with, Deployment};

const SPOOF: &[(&str, &str)] = &[
    ("X-Forwarded-Proto", "https"),
    ("X-Forwarded-Ssl", "on"),
    ("X-Forwarded-For", "203.0.113.9"),
    ("Proxy", "http://203.0.113.9:3128"),
    ("X-Request-Id", "spoof"),
];

#[test]
fn regression_a_client_cannot_spoof_https_its_address_or_a_proxy() {
    let dep = Deployment::new("home", 1, &[]);
    let mut run = dep.start();
    run.wait_ready(Duration::from_secs(30));
    let r = http_with("GET", dep.listen, "/", SPOOF, b"", Duration::from_secs(10));
    assert_eq!(r.status, 200, "{r:?}");
    let got = |k: &str| {
        r.json_str(k)
            .unwrap_or_else(|| panic!("no {k} in {}", r.body))
    };
    assert_eq!(got("scheme"), "http", "{}", r.body);
    assert_eq!(
        got("secure"),
        "false",
        "is_secure() believed the client: {}",
        r.body
    );
    assert_eq!(got("remote_addr"), "127.0.0.1", "{}", r.body);
    assert_eq!(
        got("xff"),
        "127.0.0.1",
        "X-Forwarded-For is nginx's view: {}",
        r.body
    );
    assert_eq!(got("proxy"), "", "httpoxy: {}", r.body);

    // The same request against the files without the replacing params (as generated before
    // the fix): the app believes the client. This shows the check above can fail.
    let conf = dep.path("etc/nginx.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    let unguarded: String = text
        .lines()
        .filter(|l| !l.contains("HTTP_X_FORWARDED_") && !l.contains("HTTP_PROXY"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(unguarded.len() < text.len(), "no params to remove");
    std::fs::write(&conf, unguarded).unwrap();
    let o = dep.ctl(&["signal", "HUP", "ngx"]);
    assert!(o.status.success(), "{o:?}");
    // nginx reloads in its own time: ask until the new workers answer (bounded).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = http_with("GET", dep.listen, "/", SPOOF, b"", Duration::from_secs(10));
        if r.json_str("secure").as_deref() == Some("true") {
            assert_eq!(r.json_str("scheme").as_deref(), Some("https"));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the unguarded config did not reload, or the app no longer believes X-Forwarded-Proto: {r:?}\n{}",
            run.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A throwaway CA and a certificate for `trident.test` signed by it, made with openssl
/// (nothing from the network): (CA certificate, server certificate chain, server key).
fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let o = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("run openssl (apt-get install -y openssl)");
        assert!(
            o.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Trident test CA",
        ],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=trident.test",
        ],
    ]
    .concat());
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:trident.test\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

/// `curl` over HTTPS to `trident.test:port` (resolved to 127.0.0.1) with the test CA:
/// (status line and headers, body, negotiated HTTP version).
fn curl_https(ca: &Path, port: u16, path: &str, extra: &[&str]) -> (String, String, String) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let o = Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(ca)
        .args(["--resolve", &format!("trident.test:{port}:127.0.0.1")])
        .args(["-D", "-", "-o"])
        .arg(out.path())
        .args(["-w", "\n%{http_version}"])
        .args(extra)
        .arg(format!("https://trident.test:{port}{path}"))
        .output()
        .expect("run curl");
    assert!(
        o.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let (head, version) = text.rsplit_once('\n').unwrap_or((&text, ""));
    let body = std::fs::read_to_string(out.path()).unwrap_or_default();
    (head.to_string(), body, version.trim().to_string())
}

/// The protocol `openssl s_client` negotiates with 127.0.0.1:`port` when offered only
/// `flag` (such as `-tls1_1`), or None when the handshake fails.
fn tls_handshake(ca: &Path, port: u16, flag: &str) -> Option<String> {
    let o = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            "trident.test",
        ])
        .arg("-CAfile")
        .arg(ca)
        .args([flag, "-cipher", "DEFAULT@SECLEVEL=0"])
        .stdin(Stdio::null())
        .output()
        .expect("run openssl s_client");
    // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" on success; "New, (NONE), ..." not.
    let out = String::from_utf8_lossy(&o.stdout);
    out.lines()
        .find_map(|l| l.strip_prefix("New, ")?.split(',').next())
        .filter(|p| p.starts_with("TLS") && out.contains("Verify return code: 0 (ok)"))
        .map(str::to_string)
}

/// A throwaway CA, a certificate for `trident.test`, and a free port for HTTPS.
struct Tls {
    dir: tempfile::TempDir,
    ca: PathBuf,
    https: u16,
    /// `--tls-cert`, `--tls-key` and `--https-port` for the certificate and port.
    flags: Vec<String>,
}

impl Tls {
    fn new() -> Tls {
        let dir = tempfile::tempdir().unwrap();
        let (ca, cert, key) = certificates(dir.path());
        // nginx's workers run as nobody when the suite runs as root.
        let _ = Command::new("chmod")
            .args(["-R", "a+rX"])
            .arg(dir.path())
            .status();
        let https = free_ports(1).0;
        let flags = vec![
            "--tls-cert".into(),
            cert.display().to_string(),
            "--tls-key".into(),
            key.display().to_string(),
            "--https-port".into(),
            https.to_string(),
        ];
        Tls {
            dir,
            ca,
            https,
            flags,
        }
    }

    /// Waits (bounded) until nginx accepts on the HTTPS port.
    fn wait(&self, run: &trident_e2e::Running<'_>) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !trident_e2e::listening(self.https) {
            assert!(
                std::time::Instant::now() < deadline,
                "no HTTPS listener:\n{}",
                run.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn https_stack_is_secure_http2_redirects_plain_http_and_serves_acme_tokens() {
    let tls = Tls::new();
    let (ca, https) = (tls.ca.clone(), tls.https);
    let acme = tls.dir.path().join("acme");
    let acme_s = acme.display().to_string();
    let mut args: Vec<&str> = tls.flags.iter().map(String::as_str).collect();
    args.extend([
        "--acme-dir",
        &acme_s,
        "--hsts",
        "300",
        "--server-name",
        "trident.test",
    ]);
    let dep = Deployment::new("home", 2, &args);
    let token_dir = acme.join(".well-known/acme-challenge");
    std::fs::create_dir_all(&token_dir).unwrap();
    std::fs::write(token_dir.join("tok-123"), "tok-123.thumbprint").unwrap();
    let _ = Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(&acme)
        .status();
    let run = dep.start();
    // Plain HTTP answers only redirects now: wait for the HTTPS side.
    tls.wait(&run);
    run.wait_running(3, Duration::from_secs(30));

    let (head, body, version) = curl_https(&ca, https, "/", &[]);
    assert_eq!(version, "2", "HTTP/2 was not negotiated:\n{head}");
    assert!(head.starts_with("HTTP/2 200"), "{head}\n{body}");
    assert!(
        body.contains("\"secure\": \"true\"") && body.contains("\"scheme\": \"https\""),
        "{body}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("strict-transport-security: max-age=300\r\n"),
        "{head}"
    );
    assert!(
        !head.contains("includeSubDomains") && !head.contains("preload"),
        "{head}"
    );

    // Plain HTTP: a 301 to the same host, path and query on the HTTPS port.
    let r = http_with(
        "GET",
        dep.listen,
        "/a/b?q=1&r=2",
        &[("Host", "trident.test")],
        b"",
        Duration::from_secs(10),
    );
    assert_eq!(r.status, 301, "{r:?}");
    assert_eq!(
        r.header("Location"),
        Some(format!("https://trident.test:{https}/a/b?q=1&r=2").as_str()),
        "{r:?}"
    );
    assert!(
        r.header("Strict-Transport-Security").is_none(),
        "HSTS over plain HTTP: {r:?}"
    );
    // The ACME token, over plain HTTP, without a redirect.
    let r = http_with(
        "GET",
        dep.listen,
        "/.well-known/acme-challenge/tok-123",
        &[],
        b"",
        Duration::from_secs(10),
    );
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, "tok-123.thumbprint"),
        "{r:?}"
    );

    // TLS 1.2 and 1.3 are accepted; 1.1 and 1.0 are refused by the server.
    assert_eq!(
        tls_handshake(&ca, https, "-tls1_3").as_deref(),
        Some("TLSv1.3")
    );
    assert_eq!(
        tls_handshake(&ca, https, "-tls1_2").as_deref(),
        Some("TLSv1.2")
    );
    assert_eq!(tls_handshake(&ca, https, "-tls1_1"), None);
    assert_eq!(tls_handshake(&ca, https, "-tls1"), None);
}

#[test]
fn without_hsts_an_https_stack_sends_no_hsts_header() {
    let tls = Tls::new();
    let (ca, https) = (tls.ca.clone(), tls.https);
    let args: Vec<&str> = tls.flags.iter().map(String::as_str).collect();
    let dep = Deployment::new("home", 1, &args);
    let run = dep.start();
    run.wait_running(2, Duration::from_secs(30));
    tls.wait(&run);
    let (head, body, _) = curl_https(&ca, https, "/", &[]);
    assert!(head.contains(" 200"), "{head}\n{body}");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("strict-transport-security"),
        "{head}"
    );
}

#[test]
fn uploads_large_cookies_compression_and_static_caching() {
    let dep = Deployment::new(
        "home",
        2,
        &[
            "--static-url",
            "/static/",
            "--static-max-age",
            "3600",
            "--max-body",
            "8m",
        ],
    );
    let mut run = dep.start();
    run.wait_ready(Duration::from_secs(30));
    let t = Duration::from_secs(30);
    // A 5 MB upload is within the limit; 9 MB is over --max-body 8m and gets 413.
    let five = vec![b'x'; 5 * 1024 * 1024];
    let r = http_with("POST", dep.listen, "/", &[], &five, t);
    assert_eq!(r.status, 200, "{}", run.logs());
    assert_eq!(
        r.json_str("body_bytes").as_deref(),
        Some("5242880"),
        "{}",
        r.body
    );
    let nine = vec![b'x'; 9 * 1024 * 1024];
    assert_eq!(
        http_with("POST", dep.listen, "/", &[], &nine, t).status,
        413
    );
    // 16 KiB of cookies: nginx's header buffer and uWSGI's buffer-size both fit them.
    let cookie = format!("session={}", "c".repeat(16 * 1024));
    let r = http_with("GET", dep.listen, "/", &[("Cookie", &cookie)], b"", t);
    assert_eq!(r.status, 200, "{r:?}\n{}", run.logs());
    // Text is compressed for a client that accepts gzip, and says it varies.
    let r = http_with(
        "GET",
        dep.listen,
        "/text",
        &[("Accept-Encoding", "gzip")],
        b"",
        t,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("Content-Encoding"),
        Some("gzip"),
        "{:?}",
        r.headers
    );
    assert_eq!(r.header("Vary"), Some("Accept-Encoding"), "{:?}", r.headers);
    let r = http_with("GET", dep.listen, "/text", &[], b"", t);
    assert!(r.header("Content-Encoding").is_none(), "{:?}", r.headers);
    // Static files carry the caching header.
    let r = http_with("GET", dep.listen, "/static/site.css", &[], b"", t);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("Cache-Control"),
        Some("max-age=3600"),
        "{:?}",
        r.headers
    );
    assert!(r.header("Expires").is_some(), "{:?}", r.headers);
}

#[test]
fn a_trusted_proxy_names_the_client_and_the_scheme() {
    let dep = Deployment::new("home", 1, &["--trusted-proxy", "127.0.0.1/32"]);
    let mut run = dep.start();
    run.wait_ready(Duration::from_secs(30));
    let r = http_with("GET", dep.listen, "/", SPOOF, b"", Duration::from_secs(10));
    let got = |k: &str| {
        r.json_str(k)
            .unwrap_or_else(|| panic!("no {k} in {}", r.body))
    };
    assert_eq!(got("secure"), "true", "{}", r.body);
    assert_eq!(got("scheme"), "https", "{}", r.body);
    assert_eq!(got("remote_addr"), "203.0.113.9", "{}", r.body);
    assert_eq!(got("xff"), "203.0.113.9", "{}", r.body);
    assert_eq!(got("proxy"), "", "httpoxy: {}", r.body);
    // A proxy that is not trusted: a stack that trusts only another address ignores both.
    let other = Deployment::new("home", 1, &["--trusted-proxy", "10.1.2.3"]);
    let mut run = other.start();
    run.wait_ready(Duration::from_secs(30));
    let r = http_with(
        "GET",
        other.listen,
        "/",
        SPOOF,
        b"",
        Duration::from_secs(10),
    );
    assert_eq!(r.json_str("secure").as_deref(), Some("false"), "{}", r.body);
    assert_eq!(
        r.json_str("remote_addr").as_deref(),
        Some("127.0.0.1"),
        "{}",
        r.body
    );
}

#[test]
fn every_tls_variant_passes_nginx_t() {
    let certs = tempfile::tempdir().unwrap();
    let (_, cert, key) = certificates(certs.path());
    let (cert_s, key_s) = (cert.display().to_string(), key.display().to_string());
    let acme = certs.path().join("acme").display().to_string();
    let tls = ["--tls-cert", cert_s.as_str(), "--tls-key", key_s.as_str()];
    let variants: Vec<Vec<&str>> = vec![
        vec![],
        vec!["--acme-dir", &acme, "--hsts", "300", "--https-port", "8443"],
        vec![
            "--trusted-proxy",
            "10.0.0.0/8",
            "--static-url",
            "/static/",
            "--static-max-age",
            "60",
        ],
        vec![
            "--socket",
            "unix",
            "--gzip",
            "false",
            "--max-body",
            "0",
            "--buffer-size",
            "65535",
        ],
        vec![
            "--listen-address",
            "::1",
            "--server-name",
            "trident.test www.trident.test",
        ],
    ];
    for extra in variants {
        let args: Vec<&str> = tls.iter().copied().chain(extra.iter().copied()).collect();
        let dep = Deployment::new("home", 2, &args);
        let o = Command::new("/usr/sbin/nginx")
            .arg("-t")
            .arg("-p")
            .arg(format!("{}/", dep.path("run").display()))
            .arg("-c")
            .arg(dep.path("etc/nginx.conf"))
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "nginx -t rejected {args:?}:\n{}\n{}",
            String::from_utf8_lossy(&o.stderr),
            dep.file("nginx.conf")
        );
    }
}
