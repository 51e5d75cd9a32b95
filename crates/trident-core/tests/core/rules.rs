//! One test per validation rule, each with a passing and a failing case.

use trident_core::{validate, Balance, NextUpstream, SocketKind, Spec};

use crate::{assert_clean, assert_error, assert_warning, diags, with};

#[test]
fn defaults_are_valid_without_warnings() {
    let v = validate(&Spec::default()).unwrap();
    assert!(v.warnings().is_empty(), "{:#?}", v.warnings());
}

#[test]
fn replicas_at_least_one() {
    assert_clean(&with(|s| s.replicas = 1), "replicas");
    let d = assert_error(&with(|s| s.replicas = 0), "no-replicas", "replicas");
    assert_eq!(d.flag, "--replicas");
}

#[test]
fn replicas_upper_bound() {
    assert_clean(
        &with(|s| {
            s.replicas = 10_000;
            s.base_port = 10_000;
        }),
        "replicas",
    );
    assert_error(
        &with(|s| s.replicas = 10_001),
        "too-many-replicas",
        "replicas",
    );
}

#[test]
fn seed_off_by_one_base_port_65533_with_3_replicas_is_valid() {
    // The seed's `x + base_port < 65536` rejected this, though 65533..=65535 are all valid.
    let spec = with(|s| s.base_port = 65533);
    assert_clean(&spec, "base_port");
}

#[test]
fn last_replica_port_must_fit() {
    let d = assert_error(
        &with(|s| s.base_port = 65534),
        "port-out-of-range",
        "base_port",
    );
    assert_eq!(
        d.message,
        "base_port 65534 with 3 replicas needs ports up to 65536, past 65535"
    );
    assert_eq!(
        d.hint,
        "the highest base_port for 3 replicas is 65533; or use fewer replicas"
    );
    assert_eq!(d.flag, "--base-port");
}

#[test]
fn base_port_in_range() {
    assert_error(&with(|s| s.base_port = 0), "port-out-of-range", "base_port");
    assert_error(
        &with(|s| s.base_port = 70_000),
        "port-out-of-range",
        "base_port",
    );
    assert_clean(&with(|s| s.base_port = 1024), "base_port");
}

#[test]
fn privileged_base_port_warns() {
    assert_warning(&with(|s| s.base_port = 80), "privileged-port", "base_port");
}

#[test]
fn unix_sockets_ignore_base_port() {
    assert_clean(
        &with(|s| {
            s.socket = SocketKind::Unix;
            s.base_port = 65535;
        }),
        "base_port",
    );
}

#[test]
fn listen_in_range() {
    assert_error(&with(|s| s.listen = 0), "port-out-of-range", "listen");
    assert_error(&with(|s| s.listen = 65536), "port-out-of-range", "listen");
    assert_clean(&with(|s| s.listen = 65535), "listen");
}

#[test]
fn listen_is_not_a_replica_port() {
    let d = assert_error(
        &with(|s| s.listen = 8081),
        "listen-clashes-with-replica",
        "listen",
    );
    assert!(d.message.contains("replica 1"), "{d}");
    assert_clean(&with(|s| s.listen = 8083), "listen");
    assert_clean(&with(|s| s.listen = 8079), "listen");
    // With unix sockets no replica holds a port.
    assert_clean(
        &with(|s| {
            s.socket = SocketKind::Unix;
            s.listen = 8081;
        }),
        "listen",
    );
}

#[test]
fn module_is_dotted_path_colon_callable() {
    for good in ["app.wsgi:application", "wsgi:app", "my_site.deep.pkg:_app2"] {
        assert_clean(&with(|s| s.module = good.into()), "module");
    }
    for bad in [
        "app.wsgi",
        "app.wsgi:",
        ":app",
        "app..wsgi:app",
        "1app:app",
        "app.wsgi:app:x",
        "app/wsgi:app",
        "app wsgi:app",
        "app.wsgi:app\nplugins = x",
        "",
    ] {
        assert_error(&with(|s| s.module = bad.into()), "invalid-module", "module");
    }
}

#[test]
fn names_fit_supervisord_and_nginx() {
    for field in ["upstream", "program_prefix", "nginx_program"] {
        let set = |s: &mut Spec, v: &str| match field {
            "upstream" => s.upstream = v.into(),
            "program_prefix" => s.program_prefix = v.into(),
            _ => s.nginx_program = v.into(),
        };
        assert_clean(&with(|s| set(s, "web-app_2")), field);
        for bad in [
            "",
            "has space",
            "a:b",
            "a/b",
            "a.b",
            "9lives",
            "x]\n[program:evil",
            "a;b",
            "ä",
            &"x".repeat(65),
        ] {
            assert_error(&with(|s| set(s, bad)), "invalid-name", field);
        }
    }
}

#[test]
fn nginx_program_differs_from_replica_programs() {
    assert_error(
        &with(|s| s.nginx_program = "p2".into()),
        "duplicate-program",
        "nginx_program",
    );
    // p3 is not a replica with 3 replicas; p02 never is.
    assert_clean(&with(|s| s.nginx_program = "p3".into()), "nginx_program");
    assert_clean(&with(|s| s.nginx_program = "p02".into()), "nginx_program");
}

#[test]
fn paths_are_absolute_and_clean() {
    assert_clean(&with(|s| s.home = "/home/web app/site-1".into()), "home");
    assert_clean(&with(|s| s.home = "/srv/50%off".into()), "home");
    for bad in [
        "relative/dir",
        "",
        "/srv/",
        "/srv//x",
        "/srv/./x",
        "/srv/../x",
        "/srv/x ",
        "/srv/a\nb",
        "/srv/a\0b",
        "/srv/\"x",
        "/srv/'x",
        "/srv/a;b",
        "/srv/a#b",
        "/srv/a{b",
        "/srv/a}b",
        "/srv/$(HOME)",
        "/srv/a\\b",
        "/srv/`id`",
        "/srv/@(x)",
    ] {
        assert_error(&with(|s| s.home = bad.into()), "invalid-path", "home");
    }
    for field in ["app_dir", "conf_dir", "run_dir", "log_dir", "static_dir"] {
        let spec = with(|s| {
            let v = Some("x/y".to_string());
            match field {
                "app_dir" => s.app_dir = v,
                "conf_dir" => s.conf_dir = v,
                "run_dir" => s.run_dir = v,
                "log_dir" => s.log_dir = v,
                _ => {
                    s.static_dir = v;
                    s.static_url = Some("/static/".into())
                }
            }
        });
        assert_error(&spec, "invalid-path", field);
    }
    assert_error(
        &with(|s| s.uwsgi_bin = "uwsgi".into()),
        "invalid-path",
        "uwsgi_bin",
    );
    assert_error(
        &with(|s| s.nginx_bin = "nginx".into()),
        "invalid-path",
        "nginx_bin",
    );
}

#[test]
fn unix_socket_paths_fit_sun_path() {
    let long = format!("/{}", "d".repeat(100));
    // The run directory is home's default: home is what to shorten.
    let d = assert_error(
        &with(|s| {
            s.socket = SocketKind::Unix;
            s.home = long.clone();
        }),
        "socket-path-too-long",
        "home",
    );
    assert!(d.hint.contains("at most 91 bytes"), "{d}");
    assert_error(
        &with(|s| {
            s.run_dir = Some(long.clone());
        }),
        "socket-path-too-long",
        "run_dir",
    );
    assert_clean(
        &with(|s| {
            s.socket = SocketKind::Unix;
            s.home = "/srv/x".into();
        }),
        "run_dir",
    );
}

#[test]
fn regression_long_program_prefix_blames_the_prefix_and_does_not_underflow() {
    // 101 letters: invalid as a name, and no socket rule may subtract past zero for it.
    let d = assert_error(
        &with(|s| {
            s.socket = SocketKind::Unix;
            s.program_prefix = "a".repeat(101);
        }),
        "invalid-name",
        "program_prefix",
    );
    assert!(d.hint.contains("1 to 64"), "{d}");
    let all = diags(&with(|s| {
        s.socket = SocketKind::Unix;
        s.program_prefix = "a".repeat(101);
    }));
    assert!(
        all.iter().all(|d| d.field == "program_prefix"),
        "another field is blamed: {all:#?}"
    );
    // A valid 64-letter prefix under a 60-byte run directory: the prefix is what to shorten.
    let run = format!("/{}", "r".repeat(59));
    let d = assert_error(
        &with(|s| {
            s.socket = SocketKind::Unix;
            s.run_dir = Some(run.clone());
            s.program_prefix = "a".repeat(64);
        }),
        "socket-path-too-long",
        "program_prefix",
    );
    // 60 + 1 + 64 + 1 (digit) + 5 = 131 bytes, 24 too many: 40 letters fit.
    assert!(d.hint.contains("at most 40 characters"), "{d}");
    let fits = with(|s| {
        s.socket = SocketKind::Unix;
        s.run_dir = Some(run.clone());
        s.program_prefix = "a".repeat(40);
    });
    assert_clean(&fits, "program_prefix");
}

#[test]
fn workers_and_threads_bounded() {
    for (field, lo, hi) in [("workers", 1, 512), ("threads", 1, 256)] {
        let set = |v: u32| {
            with(|s| {
                if field == "workers" {
                    s.workers = v
                } else {
                    s.threads = v
                }
            })
        };
        assert_clean(&set(lo), field);
        assert_clean(&set(hi), field);
        assert_error(&set(0), "out-of-range", field);
        assert_error(&set(hi + 1), "out-of-range", field);
    }
}

#[test]
fn addresses_are_ip_literals() {
    assert_clean(&with(|s| s.bind = "::1".into()), "bind");
    assert_warning(
        &with(|s| s.listen_address = "0.0.0.0".into()),
        "public-without-tls",
        "listen_address",
    );
    for bad in ["localhost", "127.0.0.1:80", "[::1]", "", "1.2.3.4; x"] {
        assert_error(&with(|s| s.bind = bad.into()), "invalid-address", "bind");
        assert_error(
            &with(|s| s.listen_address = bad.into()),
            "invalid-address",
            "listen_address",
        );
    }
}

#[test]
fn non_loopback_uwsgi_bind_warns_loudly() {
    assert_warning(
        &with(|s| s.bind = "0.0.0.0".into()),
        "uwsgi-exposed",
        "bind",
    );
    assert_warning(
        &with(|s| s.bind = "10.0.0.5".into()),
        "uwsgi-exposed",
        "bind",
    );
    assert_clean(&with(|s| s.bind = "127.0.0.2".into()), "bind");
    // unix sockets do not bind an address.
    assert_clean(
        &with(|s| {
            s.bind = "0.0.0.0".into();
            s.socket = SocketKind::Unix;
        }),
        "bind",
    );
}

#[test]
fn server_name_is_a_host_list() {
    for good in [
        "_",
        "example.com",
        "example.com www.example.com",
        "*.example.org",
        "localhost",
    ] {
        assert_clean(&with(|s| s.server_name = good.into()), "server_name");
    }
    for bad in [
        "",
        "a  b",
        "a;b",
        "a}",
        "~^regex$",
        "a\tb",
        "x; return 301 http://evil",
    ] {
        assert_error(
            &with(|s| s.server_name = bad.into()),
            "invalid-server-name",
            "server_name",
        );
    }
}

#[test]
fn lang_is_a_plain_locale() {
    assert_clean(&with(|s| s.lang = "en_US.UTF-8".into()), "lang");
    for bad in ["'en_US.UTF-8'", "", "C.UTF-8\nplugins = x", "a b"] {
        assert_error(&with(|s| s.lang = bad.into()), "invalid-lang", "lang");
    }
}

#[test]
fn env_names_and_values() {
    assert_clean(
        &with(|s| {
            s.env.insert(
                "DATABASE_URL".into(),
                "postgres://u:p@h/db?x=1&y=50%".into(),
            );
        }),
        "env.DATABASE_URL",
    );
    assert_error(
        &with(|s| {
            s.env.insert("1BAD".into(), "x".into());
        }),
        "invalid-env-name",
        "env.1BAD",
    );
    assert_error(
        &with(|s| {
            s.env.insert("A-B".into(), "x".into());
        }),
        "invalid-env-name",
        "env",
    );
    assert_error(
        &with(|s| {
            s.env.insert("S_PORT".into(), "1".into());
        }),
        "reserved-env-name",
        "env.S_PORT",
    );
    assert_error(
        &with(|s| {
            s.env.insert("LANG".into(), "C".into());
        }),
        "reserved-env-name",
        "env.LANG",
    );
    for bad in [
        "a\"b",
        "'quoted'",
        "a\nb",
        "a\rb",
        "a\0b",
        "x ;comment",
        "x #comment",
    ] {
        assert_error(
            &with(|s| {
                s.env.insert("K".into(), bad.into());
            }),
            "invalid-env-value",
            "env.K",
        );
    }
    // ; and # not after whitespace are safe.
    assert_clean(
        &with(|s| {
            s.env.insert("K".into(), "a;b#c".into());
        }),
        "env.K",
    );
}

#[test]
fn static_url_is_a_prefix() {
    assert_clean(
        &with(|s| s.static_url = Some("/static/".into())),
        "static_url",
    );
    for bad in [
        "/", "static/", "/static", "/a//b/", "/../", "/a b/", "/a;}/",
    ] {
        assert_error(
            &with(|s| s.static_url = Some(bad.into())),
            "invalid-static-url",
            "static_url",
        );
    }
    assert_warning(
        &with(|s| s.static_dir = Some("/srv/s".into())),
        "static-dir-unused",
        "static_dir",
    );
}

#[test]
fn timeouts_bounded() {
    assert_error(
        &with(|s| s.connect_timeout = Some(76)),
        "out-of-range",
        "connect_timeout",
    );
    assert_error(
        &with(|s| s.connect_timeout = Some(0)),
        "out-of-range",
        "connect_timeout",
    );
    assert_clean(&with(|s| s.connect_timeout = Some(75)), "connect_timeout");
    assert_error(
        &with(|s| s.read_timeout = 0),
        "out-of-range",
        "read_timeout",
    );
    assert_error(
        &with(|s| s.fail_timeout = 0),
        "out-of-range",
        "fail_timeout",
    );
    assert_error(
        &with(|s| s.wait_for_backends = 301),
        "out-of-range",
        "wait_for_backends",
    );
    assert_clean(&with(|s| s.wait_for_backends = 0), "wait_for_backends");
}

#[test]
fn next_upstream_rules() {
    assert_error(
        &with(|s| s.next_upstream.clear()),
        "empty-next-upstream",
        "next_upstream",
    );
    assert_error(
        &with(|s| s.next_upstream.push(NextUpstream::Off)),
        "next-upstream-off-with-others",
        "next_upstream",
    );
    assert_clean(
        &with(|s| s.next_upstream = vec![NextUpstream::Off]),
        "next_upstream",
    );
    assert_warning(
        &with(|s| s.next_upstream.push(NextUpstream::NonIdempotent)),
        "non-idempotent-retries",
        "next_upstream",
    );
}

#[test]
fn failover_warnings() {
    assert_warning(
        &with(|s| s.max_conns = 1),
        "max-conns-below-capacity",
        "max_conns",
    );
    assert_clean(&with(|s| s.max_conns = 4), "max_conns");
    assert_warning(
        &with(|s| {
            s.balance = Balance::IpHash;
            s.max_conns = 4;
        }),
        "ip-hash-with-max-conns",
        "balance",
    );
    assert_warning(
        &with(|s| s.listen_backlog = Some(0)),
        "tiny-backlog",
        "listen_backlog",
    );
    assert_clean(&with(|s| s.listen_backlog = Some(1)), "listen_backlog");
    assert_warning(
        &with(|s| s.listen_backlog = Some(4097)),
        "backlog-over-somaxconn",
        "listen_backlog",
    );
    assert_clean(&with(|s| s.listen_backlog = Some(4096)), "listen_backlog");
    assert_warning(
        &with(|s| s.harakiri = 120),
        "harakiri-after-read-timeout",
        "harakiri",
    );
    assert_clean(&with(|s| s.harakiri = 30), "harakiri");
    assert_warning(
        &with(|s| s.python_plugin = false),
        "no-python-plugin",
        "python_plugin",
    );
    assert_warning(&with(|s| s.master = false), "needs-master", "master");
}

#[test]
fn every_problem_is_reported_at_once() {
    let spec = with(|s| {
        s.replicas = 0;
        s.listen = 0;
        s.module = "nope".into();
        s.home = "rel".into();
        s.workers = 0;
        s.upstream = "a b".into();
    });
    let fields: Vec<String> = diags(&spec).into_iter().map(|d| d.field).collect();
    for f in [
        "replicas", "listen", "module", "home", "workers", "upstream",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
    }
}

#[test]
fn every_diagnostic_names_field_flag_and_hint() {
    let spec = with(|s| {
        s.replicas = 0;
        s.base_port = 0;
        s.env.insert("K".into(), "\"".into());
        s.static_url = Some("x".into());
    });
    for d in diags(&spec) {
        // The page marks the control of `top_field()`: it must be a row of the table.
        assert!(
            trident_core::FIELDS.iter().any(|f| f.name == d.top_field()),
            "{d:?} names no field of the table"
        );
        assert!(!d.hint.is_empty(), "{d:?}");
        assert!(!d.message.contains('\n'), "{d:?}");
    }
}

#[test]
fn regression_worker_count_is_passed_to_every_replica_and_guarded() {
    // The seed's workers=$(WORKER_COUNT) read a variable nothing set: uWSGI ran 0 workers.
    let out = trident_core::generate(&with(|s| s.workers = 5)).unwrap();
    let (sup, ini) = (&out.files[0].contents, &out.files[1].contents);
    assert_eq!(sup.matches(",WORKER_COUNT=\"5\"").count(), 3, "{sup}");
    assert!(ini.contains("workers = $(WORKER_COUNT)\n"), "{ini}");
    assert!(ini.contains("if-not-env = WORKER_COUNT\n"), "{ini}");
}

#[test]
fn regression_unix_socket_path_with_space_reads_back_consistent() {
    // The cross-file check once split a quoted "unix:/srv/site here/run/p0.sock" at the space
    // and rejected a valid spec.
    let spec = with(|s| {
        s.socket = SocketKind::Unix;
        s.home = "/srv/site here".into();
    });
    let out = trident_core::generate(&spec).unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(out.files[2]
        .contents
        .contains("server \"unix:/srv/site here/run/p0.sock\""));
}

#[test]
fn regression_percent_in_program_log_path_survives_double_expansion() {
    // supervisord 4.2 expands [program:x] stdout_logfile twice: "50%%" became "50%" and then
    // failed with "unsupported format character '/'" (found by the end-to-end suite).
    let spec = with(|s| s.home = "/srv/50%".into());
    let out = trident_core::generate(&spec).unwrap();
    let sup = &out.files[0].contents;
    assert!(
        sup.contains("stdout_logfile = /srv/50%%%%/log/p0.log"),
        "{sup}"
    );
    assert!(
        sup.contains("logfile = /srv/50%%/log/supervisord.log"),
        "{sup}"
    );
    assert!(sup.contains("directory = /srv/50%%/app"), "{sup}");
}

mod consistency_rules {
    //! The cross-file rules pass on rendered output and fail on tampered output.

    use trident_core::consistency::check;
    use trident_core::{render, validate, RenderedFile, Spec};

    fn tampered(spec: &Spec, file: usize, edit: impl Fn(&str) -> String) -> Vec<String> {
        let valid = validate(spec).unwrap();
        let mut files: Vec<RenderedFile> = render(&valid);
        assert!(
            check(&valid, &files).is_empty(),
            "untampered output must pass"
        );
        files[file].contents = edit(&files[file].contents);
        check(&valid, &files)
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn every_variable_uwsgi_reads_is_set_for_every_replica() {
        let msgs = tampered(&Spec::default(), 1, |ini| {
            ini.replace("max-requests = 5000", "max-requests = $(MAX_REQ)")
        });
        assert!(msgs.iter().any(|m| m.contains("$(MAX_REQ)")), "{msgs:?}");
    }

    #[test]
    fn every_upstream_server_is_exactly_one_replica_socket() {
        let dup = tampered(&Spec::default(), 2, |n| {
            n.replace("127.0.0.1:8082 ", "127.0.0.1:8081 ")
        });
        assert!(dup.iter().any(|m| m.contains("appears twice")), "{dup:?}");
        let stranger = tampered(&Spec::default(), 2, |n| {
            n.replace("127.0.0.1:8082 ", "127.0.0.1:9999 ")
        });
        assert!(
            stranger.iter().any(|m| m.contains("no replica's socket")),
            "{stranger:?}"
        );
    }

    #[test]
    fn each_replica_listens_on_its_own_socket() {
        let msgs = tampered(&Spec::default(), 0, |s| {
            s.replacen("S_PORT=\"8081\"", "S_PORT=\"8080\"", 1)
        });
        assert!(
            msgs.iter()
                .any(|m| m.contains("[program:p1] does not set its own S_PORT")),
            "{msgs:?}"
        );
        let unix = Spec {
            socket: trident_core::SocketKind::Unix,
            ..Spec::default()
        };
        let msgs = tampered(&unix, 0, |s| s.replacen("p1.sock", "p0.sock", 1));
        assert!(
            msgs.iter()
                .any(|m| m.contains("[program:p1] does not set its own S_SOCKET")),
            "{msgs:?}"
        );
    }

    #[test]
    fn a_file_a_server_would_refuse_is_a_bug() {
        // An unquoted `@` splits supervisord's environment pairs; an unclosed block stops
        // nginx; both are caught where the server would stop.
        let msgs = tampered(&Spec::default(), 0, |s| {
            s.replacen("S_PORT=\"8081\"", "S_PORT=8081,MAIL=me@host", 1)
        });
        assert!(
            msgs.iter()
                .any(|m| m.contains("[program:p1] environment: Unexpected end")),
            "{msgs:?}"
        );
        let msgs = tampered(&Spec::default(), 2, |n| {
            n.trim_end().trim_end_matches('}').into()
        });
        assert!(
            msgs.iter()
                .any(|m| m.contains("nginx.conf:") && m.contains("expecting \"}\"")),
            "{msgs:?}"
        );
    }

    #[test]
    fn pid_files_are_unique() {
        let msgs = tampered(&Spec::default(), 2, |n| {
            n.replace("run/nginx.pid", "run/supervisord.pid")
        });
        assert!(msgs.iter().any(|m| m.contains("pid file")), "{msgs:?}");
    }

    #[test]
    fn every_replica_has_a_program() {
        let msgs = tampered(&Spec::default(), 0, |s| {
            s.replace("[program:p2]", "[program:web2]")
        });
        assert!(
            msgs.iter().any(|m| m.contains("no [program:p2]")),
            "{msgs:?}"
        );
    }
}

#[test]
fn stack_user_is_an_unprivileged_account_name() {
    assert_clean(&with(|s| s.user = Some("webapp".into())), "user");
    assert_clean(
        &with(|s| {
            s.user = Some("django".into());
            s.group = Some("www-data".into());
        }),
        "group",
    );
    let d = assert_error(
        &with(|s| s.user = Some("root".into())),
        "run-as-root",
        "user",
    );
    assert_eq!(d.flag, "--user");
    assert_error(
        &with(|s| {
            s.user = Some("webapp".into());
            s.group = Some("root".into());
        }),
        "run-as-root",
        "group",
    );
    for bad in ["1000", "web app", "web:app", "-x", "a".repeat(33).as_str()] {
        assert_error(
            &with(|s| s.user = Some(bad.into())),
            "invalid-account-name",
            "user",
        );
    }
    assert_error(
        &with(|s| s.group = Some("www-data".into())),
        "group-without-user",
        "group",
    );
}

#[test]
fn a_privileged_port_without_a_user_warns() {
    assert_warning(&with(|s| s.listen = 80), "root-without-user", "user");
    assert_clean(
        &with(|s| {
            s.listen = 80;
            s.user = Some("webapp".into());
        }),
        "user",
    );
}

#[test]
fn logs_are_bounded() {
    assert_error(&with(|s| s.log_max_mb = 0), "out-of-range", "log_max_mb");
    assert_error(
        &with(|s| s.log_max_mb = 100_001),
        "out-of-range",
        "log_max_mb",
    );
    assert_clean(&with(|s| s.log_max_mb = 1), "log_max_mb");
    assert_error(
        &with(|s| s.log_backups = 1_001),
        "out-of-range",
        "log_backups",
    );
    assert_clean(&with(|s| s.log_backups = 0), "log_backups");
}
