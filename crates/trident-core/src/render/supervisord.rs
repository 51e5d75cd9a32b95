//! `supervisord.conf`: supervisord itself, its control socket, one program per replica and
//! one for nginx.
//!
//! Grammar: Python's configparser with `;`/`#` inline comments after whitespace, then `%`
//! expansion of every value, then `shlex` for `command` and `environment`.

use std::fmt::Write as _;

use super::{percent, Context, Role, NGINX_CONF, UWSGI_INI};
use crate::layout::WORKERS_VAR;
use crate::spec::SocketKind;

/// supervisord priority of the replicas: spawned before nginx.
const REPLICA_PRIORITY: u32 = 100;
/// supervisord priority of nginx.
const NGINX_PRIORITY: u32 = 900;

pub(super) fn render(ctx: &Context<'_>) -> String {
    let mut out = String::with_capacity(1024 + 420 * ctx.layout.replicas as usize);
    ctx.header(&mut out, ";");
    preamble(ctx, &mut out);
    control(ctx, &mut out);
    if !matches!(ctx.role, Role::Balancer) {
        replicas(ctx, &mut out);
    }
    if !matches!(ctx.role, Role::App(_)) {
        nginx(ctx, &mut out);
    }
    out
}

/// The comment lines that say what to create and how to start.
fn preamble(ctx: &Context<'_>, o: &mut String) {
    // Comment lines are not expanded, so they hold the paths as they are.
    let c = crate::golive::commands(ctx.spec, ctx.layout);
    let _ = writeln!(
        o,
        "; supervisord creates no directories; before the first start run:"
    );
    let _ = writeln!(o, ";   {}", c.mkdir);
    if let Some(step) = crate::golive::user_step(ctx.spec) {
        let (user, _) = ctx.spec.run_as().unwrap_or_default();
        let _ = writeln!(
            o,
            "; Started as root, the app and nginx's workers run as {user}; create it if missing:"
        );
        let _ = writeln!(o, ";   {step}");
        let _ = writeln!(
            o,
            "; {user} needs to write none of these directories: keep them and the code root's."
        );
    }
    let _ = writeln!(o, "; Start: {}   Check: {}", c.start, c.status);
    match ctx.role {
        Role::Whole => {}
        Role::Balancer => {
            let _ = writeln!(
                o,
                "; Start the app hosts first: nginx waits for their replicas (at most {} s).",
                ctx.spec.wait_for_backends
            );
            let _ = writeln!(o);
            return;
        }
        Role::App(_) => {
            let _ = writeln!(
                o,
                "; First load the firewall, which admits only the load balancer: {}",
                c.firewall
            );
            let _ = writeln!(o);
            return;
        }
    }
    // The same flags drive the running stack.
    let _ = writeln!(
        o,
        "; Deploy new code without a failed request: {}",
        c.rollout
    );
    let _ = writeln!(
        o,
        "; Change the spec on the running stack: trident apply with the new flags"
    );
    let _ = writeln!(o);
}

/// supervisord itself and the sections `supervisorctl` needs.
fn control(ctx: &Context<'_>, o: &mut String) {
    let d = ctx.dirs;
    let sock = percent(&ctx.layout.supervisor_socket()).into_owned();
    let _ = writeln!(o, "[unix_http_server]");
    let _ = writeln!(o, "file = {sock}");
    let _ = writeln!(o, "chmod = 0700");
    // The stack's user may then run supervisorctl (and trident status) without root: it can
    // start and stop the programs, not change their commands (the config stays root's).
    if let Some((user, group)) = ctx.spec.run_as() {
        let _ = writeln!(o, "chown = {user}:{group}");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "[supervisord]");
    let _ = writeln!(o, "logfile = {}", percent(&ctx.layout.supervisord_log()));
    let _ = writeln!(o, "logfile_maxbytes = {}MB", ctx.spec.log_max_mb);
    let _ = writeln!(o, "logfile_backups = {}", ctx.spec.log_backups);
    let _ = writeln!(o, "pidfile = {}/supervisord.pid", percent(&d.run));
    let _ = writeln!(o, "childlogdir = {}", percent(&d.log));
    let _ = writeln!(o);
    let _ = writeln!(o, "[rpcinterface:supervisor]");
    let _ = writeln!(
        o,
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface"
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "[supervisorctl]");
    let _ = writeln!(o, "serverurl = unix://{sock}");
}

/// supervisor 4 expands a program's `stdout_logfile` twice (saneget, then expand() again),
/// so a literal `%` must be written `%%%%` there.
fn program_log_dir(ctx: &Context<'_>) -> String {
    percent(&percent(&ctx.dirs.log)).into_owned()
}

/// One `[program:pK]` per replica.
fn replicas(ctx: &Context<'_>, o: &mut String) {
    let spec = ctx.spec;
    let layout = ctx.layout;
    // Everything but the per-replica variable is the same for every replica: build it once.
    let uwsgi_cmd = format!(
        "{} --ini {}",
        percent(&arg(&spec.uwsgi_bin)),
        percent(&arg(&ctx.conf(UWSGI_INI)))
    );
    let app = percent(&ctx.dirs.app).into_owned();
    let log = program_log_dir(ctx);
    let mut extra_env = String::new();
    for (key, value) in &spec.env {
        let _ = write!(extra_env, ",{key}=\"{}\"", percent(value));
    }
    // A program section differs between replicas only in its name and its socket variable:
    // the rest is written once here and copied per replica, so a replica costs a few appends
    // instead of a dozen formatted lines.
    let shared = format!("command = {uwsgi_cmd}\ndirectory = {app}\n");
    // uWSGI 2.0 stops cleanly on QUIT; TERM without die-on-term reloads it instead and ends
    // in SIGKILL after stopwaitsecs.
    let tail = format!(
        "\",{WORKERS_VAR}=\"{}\"{extra_env}\n\
         priority = {REPLICA_PRIORITY}\n\
         autorestart = true\n\
         stopsignal = QUIT\n\
         stopwaitsecs = 10\n\
         killasgroup = true\n\
         stdout_logfile = {log}/",
        spec.workers
    );
    let bounds = log_bounds(ctx, "stdout");
    o.reserve((160 + shared.len() + tail.len() + bounds.len()) * layout.replicas as usize);
    let var = layout.replica_var();
    // Reused per replica: a replica costs appends, not allocations.
    let (mut name, mut value) = (String::new(), String::new());
    for k in 0..layout.replicas {
        name.clear();
        layout.push_program(&mut name, k);
        value.clear();
        layout.push_replica_value(&mut value, k);
        for part in [
            "\n[program:",
            &name,
            "]\n",
            &shared,
            "environment = ",
            var,
            "=\"",
            &percent(&value),
            &tail,
            &name,
            ".log\nredirect_stderr = true\n",
            &bounds,
        ] {
            o.push_str(part);
        }
    }
}

/// nginx's program, started once the replicas accept.
fn nginx(ctx: &Context<'_>, o: &mut String) {
    let spec = ctx.spec;
    let nginx = format!(
        "{} -p {} -c {}",
        arg(&spec.nginx_bin),
        arg(&format!("{}/", ctx.dirs.run)),
        arg(&ctx.conf(NGINX_CONF))
    );
    // nginx removes its status socket when it stops, but not when it is killed (SIGKILL, the
    // OOM killer, a crash or power loss): then its next start fails with "bind() ... failed
    // (98: Address already in use)" (measured) and the site stays down. Nothing else binds it.
    let clear = format!("rm -f \"{}\"; ", ctx.layout.nginx_status_socket());
    let _ = writeln!(o);
    let _ = writeln!(o, "[program:{}]", spec.nginx_program);
    if spec.wait_for_backends == 0 {
        let _ = writeln!(
            o,
            "command = /bin/bash -c '{}'",
            percent(&format!("{clear}exec {nginx}"))
        );
    } else {
        // supervisord spawns every program within milliseconds and has no "after" ordering;
        // a request that reaches a replica before it binds marks it down for fail_timeout.
        // So nginx starts once every replica's socket accepts, or after the wait, whichever
        // comes first.
        let _ = writeln!(
            o,
            "; nginx starts once every replica's socket accepts (at most {} s): a request sent",
            spec.wait_for_backends
        );
        let _ = writeln!(
            o,
            "; before a replica binds would mark it down for fail_timeout."
        );
        let _ = writeln!(
            o,
            "command = /bin/bash -c '{}'",
            percent(&format!("{clear}{}", wait_script(ctx, &nginx)))
        );
    }
    let _ = writeln!(o, "priority = {NGINX_PRIORITY}");
    let _ = writeln!(o, "autorestart = true");
    let _ = writeln!(o, "stopsignal = QUIT");
    let _ = writeln!(o, "stopwaitsecs = 10");
    // nginx writes its access log to stdout and its errors to stderr (nginx.conf):
    // supervisord captures both and rotates them, so neither can fill the disk.
    let _ = writeln!(
        o,
        "stdout_logfile = {}/nginx-access.log",
        program_log_dir(ctx)
    );
    o.push_str(&log_bounds(ctx, "stdout"));
    let _ = writeln!(
        o,
        "stderr_logfile = {}/{}.log",
        program_log_dir(ctx),
        spec.nginx_program
    );
    o.push_str(&log_bounds(ctx, "stderr"));
}

/// A captured stream's rotation: `{stream}_logfile_maxbytes` and `_backups` lines.
fn log_bounds(ctx: &Context<'_>, stream: &str) -> String {
    format!(
        "{stream}_logfile_maxbytes = {}MB\n{stream}_logfile_backups = {}\n",
        ctx.spec.log_max_mb, ctx.spec.log_backups
    )
}

/// A bash script that waits, bounded, until every replica accepts, then execs nginx.
fn wait_script(ctx: &Context<'_>, nginx: &str) -> String {
    let spec = ctx.spec;
    let wait = spec.wait_for_backends;
    if !ctx.layout.hosts.is_empty() {
        // Each attempt is bounded by `timeout`: a connect to a host that drops packets would
        // otherwise block for the kernel's two minutes of SYN retries.
        let mut each = String::from("a in");
        for host in &ctx.layout.hosts {
            for k in 0..host.replicas {
                each.push(' ');
                each.push_str(&host.address);
                each.push('/');
                crate::layout::push_u32(&mut each, host.base_port + k);
            }
        }
        return format!(
            "end=$((SECONDS+{wait})); for {each}; do until timeout 1 bash -c \"exec 3<>/dev/tcp/$a\" 2>/dev/null; do [ $SECONDS -lt $end ] || break 2; sleep 0.1; done; done; exec {nginx}"
        );
    }
    let last = spec.replicas - 1;
    let (each, ready) = match spec.socket {
        SocketKind::Tcp => (
            format!("p in {{{}..{}}}", spec.base_port, spec.base_port + last),
            format!(
                "(exec 3<>/dev/tcp/{}/$p) 2>/dev/null",
                ctx.layout
                    .connect_host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
            ),
        ),
        SocketKind::Unix => (
            {
                let mut each = String::from("p in ");
                ctx.layout
                    .push_socket_path_with(&mut each, &format!("{{0..{last}}}"), "\"");
                each
            },
            "[ -S \"$p\" ]".to_string(),
        ),
    };
    format!(
        "end=$((SECONDS+{wait})); for {each}; do until {ready}; do [ $SECONDS -lt $end ] || break 2; sleep 0.1; done; done; exec {nginx}"
    )
}

/// One argument of a supervisord `command`, which is split with POSIX `shlex`. Validated
/// paths hold no `"` or `\`, so double quotes always suffice.
fn arg(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:=,".contains(c))
    {
        s.to_string()
    } else {
        format!("\"{s}\"")
    }
}
