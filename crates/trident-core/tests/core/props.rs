//! Property tests: validation never panics, and every valid spec renders with the
//! invariants holding.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use trident_core::consistency::{env_get, read_back};
use trident_core::{generate, validate, Balance, NextUpstream, SocketKind, Spec};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z_]{1,12}",
        "/[a-z0-9 %._-]{1,10}(/[a-zA-Z0-9 é%._-]{1,10}){0,3}",
        any::<String>(),
        "[ -~]{0,20}",
    ]
}

fn number() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..5, 1u32..70, 1000u32..70_000, any::<u32>()]
}

/// Mostly a plausible value, sometimes anything: enough specs pass validation to exercise
/// the renderers, and enough fail to exercise the rules.
fn small(lo: u32, hi: u32) -> impl Strategy<Value = u32> {
    prop_oneof![12 => lo..=hi, 1 => number()]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "/[a-z0-9 %._-]{1,10}(/[a-zA-Z0-9 é%,=._-]{1,10}){0,3}".prop_filter("clean", |p| !p.ends_with(' ') && !p.split('/').any(|s| s == "." || s == "..")),
        1 => text(),
    ]
}

prop_compose! {
    fn numbers()(
        replicas in prop_oneof![12 => 1u32..8, 4 => 0u32..130, 1 => any::<u32>()],
        base_port in small(1024, 60_000),
        listen in small(1, 65_535),
        workers in small(1, 8),
        threads in small(1, 8),
        timeouts in (small(1, 75), small(1, 600), small(0, 16)),
    ) -> (u32, u32, u32, u32, u32, (u32, u32, u32)) {
        (replicas, base_port, listen, workers, threads, timeouts)
    }
}

prop_compose! {
    fn texts()(
        home in prop_oneof![Just("/srv/webapp".to_string()), path()],
        module in prop_oneof![12 => Just("app.wsgi:application".to_string()), 1 => text()],
        upstream in prop_oneof![12 => Just("triple".to_string()), 1 => text()],
        // Long prefixes and run directories meet the unix socket length rule.
        prefix in prop_oneof![12 => Just("p".to_string()), 1 => text(), 1 => "[a-z]{30,120}"],
        server_name in prop_oneof![12 => Just("_".to_string()), 1 => text()],
        bind in prop_oneof![8 => Just("127.0.0.1".to_string()), 2 => Just("::1".to_string()), 2 => Just("0.0.0.0".to_string()), 1 => text()],
    ) -> [String; 6] {
        [home, module, upstream, prefix, server_name, bind]
    }
}

prop_compose! {
    fn edge()(
        tls in prop_oneof![6 => Just(None), 1 => Just(Some(("/srv/tls/cert.pem".to_string(), "/srv/tls/key.pem".to_string()))), 1 => (path(), path()).prop_map(Some)],
        https_port in small(1, 65_535),
        acme in prop_oneof![6 => Just(None), 1 => path().prop_map(Some)],
        hsts in prop_oneof![12 => Just(0u32), 1 => number()],
        version in prop_oneof![12 => Just("1.22".to_string()), 3 => Just("1.26.3".to_string()), 1 => text()],
        max_body in prop_oneof![12 => Just("16m".to_string()), 3 => "[1-9][0-9]{0,3}[kmg]?", 1 => text()],
        buffer_size in prop_oneof![12 => Just(32_768u32), 3 => 8192u32..=65_535, 1 => number()],
        gzip in any::<bool>(),
        proxies in prop_oneof![6 => Just(vec![]), 2 => prop::collection::vec(prop_oneof![Just("10.0.0.0/8".to_string()), Just("::1".to_string()), Just("192.0.2.7".to_string())], 1..3), 1 => prop::collection::vec(text(), 1..2)],
    ) -> (Option<(String, String)>, u32, Option<String>, u32, String, String, u32, bool, Vec<String>) {
        (tls, https_port, acme, hsts, version, max_body, buffer_size, gzip, proxies)
    }
}

prop_compose! {
    pub fn spec()(
        edge in edge(),
        n in numbers(),
        t in texts(),
        unix in any::<bool>(),
        balance in prop::sample::select(Balance::ALL),
        next in prop_oneof![12 => Just(vec![NextUpstream::Error, NextUpstream::Timeout]), 1 => prop::collection::vec(prop::sample::select(NextUpstream::ALL), 0..4)],
        env in prop::collection::btree_map("[A-Z_]{1,6}", prop_oneof![3 => "[ -~]{0,20}", 1 => text()], 0..3),
        socket_home in prop_oneof![12 => Just(None), 1 => path().prop_map(Some), 1 => "/[a-z]{40,110}".prop_map(Some)],
        static_url in prop_oneof![6 => Just(None), 6 => Just(Some("/static/".to_string())), 1 => text().prop_map(Some)],
        backlog in prop::option::of(small(0, 200)),
    ) -> Spec {
        let (replicas, base_port, listen, workers, threads, timeouts) = n;
        let (tls, https_port, acme_dir, hsts, nginx_version, max_body, buffer_size, gzip, trusted_proxy) = edge;
        let (tls_cert, tls_key) = tls.map_or((None, None), |(c, k)| (Some(c), Some(k)));
        let [home, module, upstream, program_prefix, server_name, bind] = t;
        Spec {
            replicas, base_port, listen, home, module, upstream, server_name, workers, threads, balance, env, static_url, bind, program_prefix,
            socket: if unix { SocketKind::Unix } else { SocketKind::Tcp },
            next_upstream: next,
            connect_timeout: Some(timeouts.0),
            read_timeout: timeouts.1,
            max_conns: timeouts.2 % 100,
            listen_backlog: backlog,
            run_dir: socket_home,
            tls_cert, tls_key, https_port, acme_dir, hsts, nginx_version, max_body, buffer_size, gzip, trusted_proxy,
            ..Spec::default()
        }
    }
}

#[test]
fn enough_generated_specs_are_valid() {
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut valid = 0;
    for _ in 0..1000 {
        let spec = spec().new_tree(&mut runner).unwrap().current();
        valid += usize::from(validate(&spec).is_ok());
    }
    assert!(
        valid >= 200,
        "only {valid} of 1000 generated specs are valid"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn validate_never_panics_and_valid_specs_render_consistently(spec in spec()) {
        let valid = match validate(&spec) {
            Ok(valid) => valid,
            Err(diags) => {
                // The page marks the control of each diagnostic's field.
                for d in &diags {
                    prop_assert!(trident_core::FIELDS.iter().any(|f| f.name == d.top_field()), "{:?}", d);
                    // diag knows no field table: the flag comes from it at validate's exit.
                    prop_assert_eq!(&d.flag, &trident_core::fields::flag_of(&d.field));
                }
                return Ok(());
            }
        };
        // generate() re-reads its output and fails on any cross-file inconsistency.
        let out = generate(&spec).map_err(|d| TestCaseError::fail(format!("{d:#?}")))?;
        prop_assert_eq!(out.warnings(), valid.warnings());
        let rb = read_back(&out.files);
        let n = spec.replicas as usize;
        prop_assert_eq!(rb.programs.len(), n + 1);
        prop_assert_eq!(rb.upstream_servers.len(), n);
        if spec.socket == SocketKind::Tcp {
            for k in 0..spec.replicas {
                let port = format!(":{}", spec.base_port + k);
                prop_assert_eq!(rb.upstream_servers.iter().filter(|s| s.ends_with(&port)).count(), 1);
            }
        }
        for (name, env) in &rb.programs {
            if *name != spec.nginx_program {
                let own = trident_core::read::supervisord_sets(name);
                for var in &rb.ini_vars {
                    prop_assert!(env_get(env, var).is_some() || own.iter().any(|(k, _)| k == var), "{} lacks {}", name, var);
                }
                for (k, v) in &spec.env {
                    prop_assert_eq!(env_get(env, k), Some(v.as_str()));
                }
            }
        }
        prop_assert_eq!(generate(&spec).unwrap(), out.clone(), "rendering is not deterministic");
        // The page renders without the read-back: the same files.
        prop_assert_eq!(trident_core::generate_unchecked(&spec).unwrap(), out);
        prop_assert_eq!(crate::fields::replay(&spec), spec.clone(), "reproduce flags do not rebuild the spec");
    }
}
