//! `webapp.ini`: the uWSGI config every replica reads; only `S_PORT` (or `S_SOCKET`), set by
//! supervisord, differs between replicas.
//!
//! Grammar: uWSGI's INI reader (comments only at line start, values to end of line), then
//! `$(VAR)`, `@(file)` and `%x` expansion of every value; `%%` is a literal `%`.

use std::fmt::Write as _;

use super::{percent, Context, SUPERVISORD_CONF};
use crate::layout::{LANG_VAR, PROCESS_NAME_VAR, WORKERS_VAR};
use crate::spec::SocketKind;

/// How a guard stops uWSGI: `exit:N` with sysexits' EX_CONFIG. uWSGI 2.0 reads the code only
/// when it has two digits or more (measured: `exit:1` exits 0, `exit:01` exits 1).
const GUARD_EXIT: &str = "exit:78";

pub(super) fn render(ctx: &Context<'_>) -> String {
    let spec = ctx.spec;
    let mut out = String::with_capacity(1024);
    let o = &mut out;
    let var = ctx.layout.replica_var();
    ctx.header(o, ";");
    let _ = writeln!(
        o,
        "; Every replica reads this file; supervisord sets {var} and {WORKERS_VAR} for each. Check without binding:"
    );
    let key = if spec.user.is_some() {
        "shared-socket"
    } else {
        "socket"
    };
    let example = ctx.layout.replica_value(0);
    let _ = writeln!(
        o,
        ";   {var}='{example}' {WORKERS_VAR}='{}' {} --strict --ini '{}' --get {key}",
        spec.workers,
        spec.uwsgi_bin,
        ctx.conf(crate::files::UWSGI_INI)
    );
    let _ = writeln!(o, "[uwsgi]");
    // Unknown or misspelt options fail at start instead of being ignored.
    let _ = writeln!(o, "strict = true");
    if spec.python_plugin {
        let _ = writeln!(o, "plugins = python3");
    }
    // An unset $(VAR) stays literal: without these guards uWSGI would bind a random port, or
    // run with 0 workers and never answer (the seed's unset WORKER_COUNT).
    for needed in [var, WORKERS_VAR] {
        let _ = writeln!(o, "if-not-env = {needed}");
        let _ = writeln!(
            o,
            "print = {} needs {needed}: start the replicas with supervisord -c {}",
            crate::files::UWSGI_INI,
            percent(&ctx.conf(SUPERVISORD_CONF))
        );
        let _ = writeln!(o, "hook-asap = {GUARD_EXIT}");
        let _ = writeln!(o, "endif =");
    }
    run_as(ctx, o);
    // An import error stops the replica instead of serving 500s.
    let _ = writeln!(o, "need-app = true");
    if spec.master {
        let _ = writeln!(o, "master = true");
    }
    if spec.vacuum {
        let _ = writeln!(o, "vacuum = true");
    }
    let _ = writeln!(o, "chdir = {}", percent(&ctx.dirs.app));
    let _ = writeln!(o, "module = {}", spec.module);
    // With a user, uWSGI drops privileges before it binds a `socket` (measured: bind()
    // Permission denied in root's run directory); a `shared-socket` is bound first, as root,
    // and `socket = =0` serves it.
    match spec.socket {
        SocketKind::Tcp => {
            let bind = crate::layout::bracket_v6(ctx.bind);
            let _ = writeln!(o, "{key} = {bind}:$({var})");
        }
        SocketKind::Unix => {
            let _ = writeln!(o, "{key} = $({var})");
            // The same reach as a loopback TCP port: any local user. Restrict run_dir's mode to
            // narrow it.
            let _ = writeln!(o, "chmod-socket = 666");
        }
    }
    if spec.user.is_some() {
        let _ = writeln!(o, "socket = =0");
    }
    // uWSGI's default 4096 turns a request with a few cookies into a 502 ("invalid request
    // block size"); nginx's header limit is derived from this value.
    let _ = writeln!(o, "buffer-size = {}", spec.buffer_size);
    let _ = writeln!(o, "workers = $({WORKERS_VAR})");
    let _ = writeln!(o, "threads = {}", spec.threads);
    if spec.max_requests > 0 {
        let _ = writeln!(o, "max-requests = {}", spec.max_requests);
    }
    if spec.harakiri > 0 {
        let _ = writeln!(o, "harakiri = {}", spec.harakiri);
    }
    if let Some(backlog) = spec.listen_backlog {
        let _ = writeln!(o, "listen = {backlog}");
    }
    // `trident status` reads each replica's workers here; supervisord names the program.
    let _ = writeln!(
        o,
        "stats = {}",
        percent(
            &ctx.layout
                .stats_socket_of(&format!("$({PROCESS_NAME_VAR})"))
        )
    );
    let _ = writeln!(o, "env = {LANG_VAR}={}", spec.lang);
    out
}

/// With a user, uWSGI drops to the user and group (and the user's supplementary groups)
/// right after binding its shared socket, before it loads the app; started by anyone else it
/// ignores them. Without one, a replica started as root refuses to start instead of running the app
/// as root: `%u` is uWSGI's uid, and `if-opt` compares an option's whole value.
fn run_as(ctx: &Context<'_>, o: &mut String) {
    match ctx.spec.run_as() {
        Some((user, group)) => {
            let _ = writeln!(o, "uid = {user}");
            let _ = writeln!(o, "gid = {group}");
        }
        None => {
            let _ = writeln!(o, "set-placeholder = trident_uid=%u");
            let _ = writeln!(o, "if-opt = set-placeholder=trident_uid=0");
            let _ = writeln!(
                o,
                "print = {} refuses to run the app as root: set user (trident --user NAME), or start supervisord as an unprivileged user",
                crate::files::UWSGI_INI
            );
            let _ = writeln!(o, "hook-asap = {GUARD_EXIT}");
            let _ = writeln!(o, "endif =");
        }
    }
}
