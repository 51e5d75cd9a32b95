//! `trident status` on real stacks: idle, one replica blocked on slow I/O under load, one
//! stopped, one drained by a rollout, one left out by a broken release; who may read the
//! stats; the JSON against its published schema.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use trident_e2e::{as_user, trident_bin, Deployment, Steady, STACK_GROUP, STACK_USER};

/// `trident status` with the deployment's spec flags and `extra`.
fn status(dep: &Deployment, extra: &[&str]) -> Output {
    Command::new(trident_bin())
        .arg("status")
        .args(&dep.spec_flags)
        .args(extra)
        .output()
        .expect("run trident status")
}

/// The JSON report and the exit status.
fn report(dep: &Deployment) -> (Value, Option<i32>) {
    let o = status(dep, &["--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "status --json is not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (v, o.status.code())
}

fn row<'v>(report: &'v Value, replica: &str) -> &'v Value {
    report["replicas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["replica"] == replica)
        .unwrap_or_else(|| panic!("no row for {replica}: {report:#}"))
}

fn health(report: &Value, replica: &str) -> String {
    row(report, replica)["health"].as_str().unwrap().to_string()
}

/// Checks `value` against the JSON Schema subset `docs/status.schema.json` uses: `type`
/// (one or a list), `required`, `properties` with `additionalProperties: false`, `items`,
/// `enum`, `const`, `minimum`.
fn conforms(schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let is = |t: &str| match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_u64() || value.is_i64(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        };
        if !types.iter().any(|t| is(t)) {
            errors.push(format!("{at}: {value} is not {types:?}"));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Some(c) = schema.get("const") {
        if c != value {
            errors.push(format!("{at}: {value} is not {c}"));
        }
    }
    if let (Some(min), Some(n)) = (
        schema.get("minimum").and_then(Value::as_u64),
        value.as_u64(),
    ) {
        if n < min {
            errors.push(format!("{at}: {n} < {min}"));
        }
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for key in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(key) {
                errors.push(format!("{at}: lacks {key}"));
            }
        }
        for (k, v) in obj {
            match props.get(k) {
                Some(s) => conforms(s, v, &format!("{at}.{k}"), errors),
                None => errors.push(format!("{at}: {k} is not in the schema")),
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            conforms(items, v, &format!("{at}[{i}]"), errors);
        }
    }
}

fn assert_conforms(report: &Value) {
    let schema: Value = serde_json::from_str(include_str!("../../docs/status.schema.json"))
        .expect("docs/status.schema.json is JSON");
    let mut errors = Vec::new();
    conforms(&schema, report, "$", &mut errors);
    assert!(errors.is_empty(), "{errors:#?}\n{report:#}");
}

#[test]
fn the_schema_check_can_fail() {
    let schema: Value = serde_json::from_str(include_str!("../../docs/status.schema.json"))
        .expect("docs/status.schema.json is JSON");
    let mut errors = Vec::new();
    let wrong = serde_json::json!({"schema": 2, "replicas": [{"health": "fine"}], "extra": 1});
    conforms(&schema, &wrong, "$", &mut errors);
    for want in [
        "$.schema",
        "lacks summary",
        "$.replicas[0].health",
        "extra is not in",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(want)),
            "{want}: {errors:#?}"
        );
    }
}

#[test]
fn an_idle_stack_serves_everywhere_and_its_report_matches_the_schema() {
    let dep = Deployment::new("home", 3, &[]);
    let mut run = dep.start();
    run.warm_up();
    wait_running(&dep);
    let (v, code) = report(&dep);
    assert_eq!(code, Some(0), "{v:#}");
    assert_conforms(&v);
    assert_eq!(v["summary"]["serving"], 3, "{v:#}");
    assert_eq!(v["summary"]["queued"], 0, "{v:#}");
    for k in 0..3 {
        let r = row(&v, &format!("p{k}"));
        assert_eq!(r["health"], "serving", "{v:#}");
        assert_eq!(r["slots"], 4, "2 workers x 2 threads: {v:#}");
        assert_eq!(r["in_rotation"], true);
        assert_eq!(r["probe"], "200");
        assert!(r["rss_bytes"].as_u64().unwrap() > 1_000_000, "{v:#}");
        assert!(r["requests"].as_u64().is_some(), "{v:#}");
        assert_eq!(r["state"], "RUNNING");
    }
    assert_eq!(v["nginx"]["state"], "RUNNING");
    assert!(
        v["nginx"]["counters"]["requests"].as_u64().unwrap() > 0,
        "{v:#}"
    );
    // The table, as the README shows it, printed for the record.
    let o = status(&dep, &[]);
    assert_eq!(o.status.code(), Some(0));
    let table = String::from_utf8_lossy(&o.stdout);
    eprintln!("trident status (idle):\n{table}");
    assert!(table.starts_with("REPLICA"), "{table}");
    assert!(
        table.contains("3 of 3 replicas serving; 0 requests waiting"),
        "{table}"
    );
}

/// A uwsgi-protocol request for `/slow?who=WHO&secs=SECS`, straight to a replica's socket.
fn slow_packet(who: &str, secs: u32) -> Vec<u8> {
    trident_live::probe::request_with_query("/slow", &format!("who={who}&secs={secs}"), "localhost")
}

/// Polls the JSON report (every 100 ms, at most `limit`) until `done` holds for it.
fn wait_report(
    dep: &Deployment,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> (Value, Duration) {
    let t = Instant::now();
    loop {
        let (v, _) = report(dep);
        if done(&v) {
            return (v, t.elapsed());
        }
        assert!(
            t.elapsed() < limit,
            "not within {limit:?}; last report:\n{v:#}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until every program is RUNNING (past supervisord's startsecs).
fn wait_running(dep: &Deployment) {
    wait_report(dep, Duration::from_secs(10), |v| {
        v["nginx"]["state"] == "RUNNING"
            && v["replicas"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["state"] == "RUNNING")
    });
}

#[test]
fn a_replica_blocked_on_slow_io_shows_blocked_with_its_numbers_then_serves_again() {
    let dep = Deployment::new("home", 3, &[]);
    let mut run = dep.start();
    run.warm_up();
    let load = Steady::start(dep.listen, 2, "steady", 5_000, Duration::from_secs(60));
    // Six requests that sleep 5 s on p1, straight to its socket: its 4 slots busy, 2 queued.
    let p1 = (dep.base_port + 1).to_string();
    let t = Instant::now();
    let conns: Vec<TcpStream> = (0..6)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", dep.base_port + 1)).unwrap();
            s.write_all(&slow_packet(&p1, 5)).unwrap();
            s
        })
        .collect();
    let (v, took) = wait_report(&dep, Duration::from_secs(10), |v| {
        health(v, "p1") == "blocked"
    });
    eprintln!(
        "p1 shown blocked {:.2} s after its slots filled (the issue asks for 2 s)",
        took.as_secs_f64()
    );
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "blocked only after the sleep: {v:#}"
    );
    let r = row(&v, "p1");
    assert_eq!(r["busy"], r["slots"], "{v:#}");
    assert_eq!(r["slots"], 4, "{v:#}");
    assert!(r["reason"].as_str().unwrap().contains("busy"), "{v:#}");
    // The queue: uWSGI's master samples it once a second.
    let (v, _) = wait_report(&dep, Duration::from_secs(4), |v| {
        row(v, "p1")["queue"].as_u64() > Some(0) || t.elapsed() > Duration::from_secs(4)
    });
    let r = row(&v, "p1");
    assert!(r["queue"].as_u64() > Some(0), "no queue seen: {v:#}");
    assert!(r["longest_s"].as_u64().is_some(), "{v:#}");
    assert_eq!(health(&v, "p0"), "serving", "{v:#}");
    assert_eq!(health(&v, "p2"), "serving", "{v:#}");
    assert!(v["summary"]["queued"].as_u64() > Some(0), "{v:#}");
    let o = status(&dep, &[]);
    assert_eq!(o.status.code(), Some(1), "blocked is degraded");
    eprintln!(
        "trident status (p1 blocked):\n{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // When the sleeps end (two rounds of 5 s), p1 serves again.
    for mut c in conns {
        let _ = c.set_read_timeout(Some(Duration::from_secs(20)));
        let mut answer = Vec::new();
        let _ = c.read_to_end(&mut answer);
    }
    let (v, _) = wait_report(&dep, Duration::from_secs(10), |v| {
        health(v, "p1") == "serving"
    });
    assert_eq!(v["summary"]["serving"], 3, "{v:#}");
    let replies = load.stop();
    assert!(
        replies.iter().all(|(_, _, r)| r.status == 200),
        "steady load failed"
    );
}

#[test]
fn a_stopped_replica_is_down_and_a_stopped_stack_is_not_running() {
    let dep = Deployment::new("home", 3, &[]);
    let mut run = dep.start();
    run.warm_up();
    let o = dep.ctl(&["stop", "p2"]);
    assert!(o.status.success(), "{o:?}");
    let (v, code) = report(&dep);
    assert_eq!(code, Some(1), "{v:#}");
    assert_conforms(&v);
    let r = row(&v, "p2");
    assert_eq!(r["health"], "down", "{v:#}");
    assert_eq!(r["state"], "STOPPED");
    assert!(r["hint"].as_str().unwrap().contains("log/p2.log"), "{v:#}");
    assert!(r["hint"].as_str().unwrap().contains("start p2"), "{v:#}");
    assert_eq!(v["summary"]["down"], 1);
    run.shutdown();
    let o = status(&dep, &[]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("not running") && err.contains("supervisord -c"),
        "{err}"
    );
    // Another spec than the stack's: refused as rollout refuses it.
    let mut again = dep.start();
    again.warm_up();
    let o = Command::new(trident_bin())
        .arg("status")
        .args(dep.flags_with("--replicas", "2"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("not the one the spec describes"));
}

#[test]
fn a_rollout_shows_its_replica_drained_and_a_broken_release_leaves_it_out_with_its_log() {
    let dep = Deployment::new("home", 3, &[]);
    let mut run = dep.start();
    run.warm_up();
    let mut rollout = Command::new(trident_bin())
        .arg("rollout")
        .args(&dep.spec_flags)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut drained_seen = std::collections::BTreeSet::new();
    let t = Instant::now();
    while rollout.try_wait().unwrap().is_none() && t.elapsed() < Duration::from_secs(60) {
        let (v, _) = report(&dep);
        let out: Vec<String> = v["replicas"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["in_rotation"] == false)
            .map(|r| r["replica"].as_str().unwrap().to_string())
            .collect();
        assert!(out.len() <= 1, "more than one replica out: {v:#}");
        for name in out {
            assert_eq!(health(&v, &name), "drained", "{v:#}");
            drained_seen.insert(name);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(rollout.wait().unwrap().success());
    assert!(
        !drained_seen.is_empty(),
        "no replica seen drained during the rollout"
    );
    eprintln!("seen drained during the rollout: {drained_seen:?}");
    let (v, code) = report(&dep);
    assert_eq!(
        (code, &v["summary"]["serving"]),
        (Some(0), &Value::from(3)),
        "{v:#}"
    );

    // A broken release: the rollout stops at p0, which stays out of rotation.
    std::fs::write(dep.path("app/app/BROKEN"), "").unwrap();
    let o = Command::new(trident_bin())
        .arg("rollout")
        .args(&dep.spec_flags)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let (v, code) = report(&dep);
    assert_eq!(code, Some(1), "{v:#}");
    let r = row(&v, "p0");
    assert_eq!(r["in_rotation"], false, "{v:#}");
    assert!(
        matches!(
            r["health"].as_str(),
            Some("down" | "restarting" | "drained")
        ),
        "{v:#}"
    );
    assert!(r["hint"].as_str().unwrap().contains("log/p0.log"), "{v:#}");
    let table = String::from_utf8_lossy(&status(&dep, &[]).stdout).into_owned();
    eprintln!("trident status (broken release):\n{table}");
    assert!(table.contains("log/p0.log"), "{table}");
}

#[test]
fn only_the_stack_user_reads_the_stats_and_it_needs_no_root() {
    assert!(
        trident_e2e::running_as_root(),
        "this test starts the stack as root with a stack user: run the suite as root (CI does)"
    );
    let dep = Deployment::new("home", 2, &[]);
    let mut run = dep.start();
    run.warm_up();
    let stats = dep.path("run/status/p0.stats");
    let connect = format!(
        "import socket; s = socket.socket(socket.AF_UNIX); s.connect({:?}); print(len(s.recv(65536)))",
        stats.to_str().unwrap()
    );
    let mine = as_user(
        STACK_USER,
        STACK_GROUP,
        &["/usr/bin/python3", "-c", &connect],
    );
    assert!(
        mine.status.success(),
        "{STACK_USER} cannot read its stats: {mine:?}"
    );
    let other = as_user("daemon", "daemon", &["/usr/bin/python3", "-c", &connect]);
    assert!(!other.status.success(), "daemon read the stats: {other:?}");
    assert!(
        String::from_utf8_lossy(&other.stderr).contains("Permission denied"),
        "{other:?}"
    );
    let nginx_sock = dep.path("run/status/nginx.sock");
    let other = as_user(
        "daemon",
        "daemon",
        &[
            "/usr/bin/python3",
            "-c",
            &format!(
                "import socket; s = socket.socket(socket.AF_UNIX); s.connect({:?})",
                nginx_sock.to_str().unwrap()
            ),
        ],
    );
    assert!(
        !other.status.success(),
        "daemon reached nginx's status: {other:?}"
    );
    // The stack user runs status itself, no root needed.
    let mut args = vec![trident_bin().to_str().unwrap(), "status", "--json"];
    args.extend(dep.spec_flags.iter().map(String::as_str));
    let o = as_user(STACK_USER, STACK_GROUP, &args);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["serving"], 2, "{v:#}");
    assert!(
        row(&v, "p0")["slots"].as_u64().is_some(),
        "no stats as {STACK_USER}: {v:#}"
    );
    // Another user gets no report: not running as far as it can see.
    let o = as_user("daemon", "daemon", &args);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
}

#[test]
fn watch_redraws_in_place_on_a_terminal_and_prints_plain_reports_otherwise() {
    let dep = Deployment::new("home", 2, &[]);
    let mut run = dep.start();
    run.warm_up();
    let mut args: Vec<String> = vec!["status".into()];
    args.extend(dep.spec_flags.iter().cloned());
    args.extend(["--watch".into(), "0.2".into()]);
    // Not a terminal: whole reports one after another, no escape sequences.
    let child = Command::new(trident_bin())
        .args(&args)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    trident_e2e::signal("INT", &[child.id()]);
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let reports = text.matches("REPLICA").count();
    assert!(reports >= 3, "{reports} reports in 1.5 s at 0.2 s:\n{text}");
    assert!(
        !text.contains('\x1b'),
        "escape sequences without a terminal:\n{text}"
    );
    // A terminal (script(1) gives it one): each report starts at the top left and clears
    // what is left below it.
    let line = std::iter::once(trident_bin().to_str().unwrap().to_string())
        .chain(args.iter().map(|a| format!("'{a}'")))
        .collect::<Vec<_>>()
        .join(" ");
    let o = Command::new("timeout")
        .args(["-s", "INT", "1.5", "script", "-qfec", &line, "/dev/null"])
        .output()
        .unwrap();
    let tty = String::from_utf8_lossy(&o.stdout);
    let homes = tty.matches("\x1b[H").count();
    assert!(homes >= 3, "{homes} redraws:\n{tty:?}");
    assert!(tty.contains("\x1b[J"), "{tty:?}");
}

#[test]
fn a_hung_replica_shows_blocked_by_its_probe_and_serves_when_resumed() {
    let dep = Deployment::new("home", 3, &[]);
    let mut run = dep.start();
    run.warm_up();
    wait_running(&dep);
    // SIGSTOP on its master and workers: the stats socket is not answered, the kernel still
    // queues connections; only the probe can tell.
    let pids = run.freeze("p1");
    let t = Instant::now();
    let (v, code) = report(&dep);
    let took = t.elapsed();
    assert_eq!(code, Some(1), "{v:#}");
    let r = row(&v, "p1");
    assert_eq!(r["health"], "blocked", "{v:#}");
    assert!(r["stats_error"].is_string(), "{v:#}");
    assert!(
        r["reason"].as_str().unwrap().contains("does not answer"),
        "{v:#}"
    );
    assert_eq!(health(&v, "p0"), "serving");
    eprintln!("status with p1 hung took {:.2} s", took.as_secs_f64());
    trident_e2e::signal("CONT", &pids);
    wait_report(&dep, Duration::from_secs(10), |v| {
        health(v, "p1") == "serving"
    });
}
