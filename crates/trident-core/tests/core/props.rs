//! Property tests: validation never panics, and every valid spec renders with the
//! invariants holding.

use proptest::prelude::*;
use trident_core::consistency::read_back;
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

prop_compose! {
    fn numbers()(
        replicas in prop_oneof![1u32..8, 0u32..130, any::<u32>()],
        base_port in number(),
        listen in number(),
        workers in number(),
        threads in number(),
        timeouts in (number(), number(), number()),
    ) -> (u32, u32, u32, u32, u32, (u32, u32, u32)) {
        (replicas, base_port, listen, workers, threads, timeouts)
    }
}

prop_compose! {
    fn texts()(
        home in prop_oneof![Just("/srv/webapp".to_string()), text()],
        module in prop_oneof![Just("app.wsgi:application".to_string()), text()],
        upstream in prop_oneof![Just("triple".to_string()), text()],
        prefix in prop_oneof![Just("p".to_string()), text()],
        server_name in prop_oneof![Just("_".to_string()), text()],
        bind in prop_oneof![Just("127.0.0.1".to_string()), Just("::1".to_string()), Just("0.0.0.0".to_string()), text()],
    ) -> [String; 6] {
        [home, module, upstream, prefix, server_name, bind]
    }
}

prop_compose! {
    fn spec()(
        n in numbers(),
        t in texts(),
        unix in any::<bool>(),
        balance in prop::sample::select(Balance::ALL),
        next in prop::collection::vec(prop::sample::select(NextUpstream::ALL), 0..4),
        env in prop::collection::btree_map("[A-Z_]{1,6}", text(), 0..3),
        static_url in prop::option::of(prop_oneof![Just("/static/".to_string()), text()]),
        backlog in prop::option::of(number()),
    ) -> Spec {
        let (replicas, base_port, listen, workers, threads, timeouts) = n;
        let [home, module, upstream, program_prefix, server_name, bind] = t;
        Spec {
            replicas, base_port, listen, home, module, upstream, server_name, workers, threads, balance, env, static_url, bind, program_prefix,
            socket: if unix { SocketKind::Unix } else { SocketKind::Tcp },
            next_upstream: next,
            connect_timeout: timeouts.0,
            read_timeout: timeouts.1,
            max_conns: timeouts.2 % 100,
            listen_backlog: backlog,
            ..Spec::default()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn validate_never_panics_and_valid_specs_render_consistently(spec in spec()) {
        let Ok(valid) = validate(&spec) else { return Ok(()); };
        // generate() re-reads its output and fails on any cross-file inconsistency.
        let out = generate(&spec).map_err(|d| TestCaseError::fail(format!("{d:#?}")))?;
        prop_assert_eq!(&out.warnings, &valid.warnings().to_vec());
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
            if name != &spec.nginx_program {
                for var in &rb.ini_vars {
                    prop_assert!(env.contains_key(var), "{} lacks {}", name, var);
                }
                for (k, v) in &spec.env {
                    prop_assert_eq!(env.get(k), Some(v));
                }
            }
        }
        prop_assert_eq!(generate(&spec).unwrap(), out, "rendering is not deterministic");
        prop_assert_eq!(crate::fields::replay(&spec), spec.clone(), "reproduce flags do not rebuild the spec");
    }
}
