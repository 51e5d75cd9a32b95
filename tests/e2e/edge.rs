//! The public edge: what a client can and cannot make the app believe.

use std::time::Duration;

use trident_e2e::{http_with, Deployment};

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
