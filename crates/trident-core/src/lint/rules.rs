//! Every lint rule once: its stable id, severity, one-line summary and why it matters (what
//! the real server does, as measured on nginx 1.22, uWSGI 2.0.21 and supervisor 4.2.5).

use crate::Severity;

/// One rule of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, `program/what`.
    pub id: &'static str,
    /// Error: the stack fails or is unsafe; warning: it runs, at a cost.
    pub severity: Severity,
    /// What the rule looks for.
    pub summary: &'static str,
    /// The failure a real server shows.
    pub why: &'static str,
}

macro_rules! rules {
    ($($variant:ident = $id:literal, $sev:ident, $summary:literal, $why:literal;)*) => {
        /// A rule, by name; [`RuleId::rule`] gives its row.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum RuleId { $(#[doc = $summary] $variant,)* }

        /// Every rule, in the order the reference lists them.
        pub static RULES: &[Rule] = &[
            $(Rule { id: $id, severity: Severity::$sev, summary: $summary, why: $why },)*
        ];

        impl RuleId {
            /// Every rule id, in table order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant,)*];
        }
    };
}

impl RuleId {
    /// The rule's row.
    pub fn rule(self) -> &'static Rule {
        &RULES[self as usize]
    }

    /// The rule whose id is `id`.
    pub fn from_id(id: &str) -> Option<RuleId> {
        RuleId::ALL.iter().copied().find(|r| r.rule().id == id)
    }
}

rules! {
    Unreadable = "input/unreadable", Error,
        "a file that is not text the servers can read",
        "nginx, uWSGI and supervisord stop at bytes they cannot read; nothing else in the file was checked";
    UnknownKind = "input/unknown-kind", Warning,
        "a file that is neither a supervisord, a uWSGI nor an nginx configuration",
        "it was not checked";

    NginxSyntax = "nginx/syntax", Error,
        "nginx cannot read the file",
        "nginx -t prints `[emerg] ...` and nginx does not start";
    NginxUnknownDirective = "nginx/unknown-directive", Error,
        "a directive nginx 1.22 does not know",
        "nginx -t: `[emerg] unknown directive \"pidfile\"`; nginx does not start";
    NginxArguments = "nginx/arguments", Error,
        "a directive with more or fewer arguments than nginx takes",
        "nginx -t: `[emerg] invalid number of arguments in \"server_tokens\" directive`; nginx does not start (a missing `;` joins two lines into one directive)";
    NginxUnknownUpstream = "nginx/unknown-upstream", Error,
        "`uwsgi_pass` names neither an upstream block nor an address with a port",
        "nginx -t: `[emerg] no port in upstream \"tripel\"`; nginx does not start";
    NginxNoEvents = "nginx/no-events", Error,
        "the main file has no `events` block",
        "nginx -t: `[emerg] no \"events\" section in configuration`; nginx does not start";
    NginxIncludeMissing = "nginx/include-missing", Error,
        "an `include` that does not resolve to a file",
        "nginx -t: `[emerg] open() \".../uwsgi_params\" failed (2: No such file or directory)`: a relative include resolves in the directory of the -c file, even with -p";
    NginxIncludeLoop = "nginx/include-loop", Error,
        "files that include each other",
        "nginx follows includes without end until it runs out of open files, and does not start";
    NginxUwsgiParams = "nginx/uwsgi-params", Error,
        "`uwsgi_pass` without the uwsgi params (`include uwsgi_params` or `uwsgi_param REQUEST_METHOD ...`)",
        "nginx -t passes, but the app gets no REQUEST_METHOD or PATH_INFO: Django raises `KeyError: 'REQUEST_METHOD'`, nginx answers 502 and marks every replica failed for fail_timeout";
    NginxErrorLogNull = "nginx/error-log-null", Warning,
        "`error_log /dev/null`",
        "every runtime error, each 502's cause included, is thrown away";
    NginxNoListen = "nginx/no-listen", Warning,
        "a `server` block with no `listen`",
        "nginx then binds 0.0.0.0:80 as root and 0.0.0.0:8000 otherwise: every interface";
    NginxTempPaths = "nginx/temp-paths", Warning,
        "temp paths left at the compiled-in /var/lib/nginx",
        "as non-root on a fresh Debian: `[emerg] mkdir() \"/var/lib/nginx/body\" failed (13: Permission denied)`";
    NginxPid = "nginx/pid", Warning,
        "the pid file is nginx's default /run/nginx.pid or lies in a shared /tmp",
        "as non-root: `[emerg] open() \"/tmp/nginx.pid\" failed (13: Permission denied)` once root has run nginx -t (it leaves the file behind)";
    NginxSpoofableScheme = "nginx/spoofable-scheme", Warning,
        "the client's X-Forwarded-Proto, X-Forwarded-Ssl or Proxy header reaches the app",
        "uWSGI takes wsgi.url_scheme from HTTP_X_FORWARDED_PROTO: a plain-HTTP client sending `X-Forwarded-Proto: https` makes Django's is_secure() true; HTTP_PROXY is httpoxy";
    NginxHeaderBuffers = "nginx/header-buffers", Warning,
        "nginx accepts request headers larger than uWSGI's buffer-size holds",
        "uWSGI drops the request (`invalid request block size`) and nginx answers 502 where 400 or 431 was due";
    NginxRoundRobin = "nginx/round-robin", Warning,
        "an upstream of several replicas balanced round-robin",
        "round-robin keeps sending to a replica blocked on slow I/O: 30 requests from 3 clients took 50 s against 5.0 s with least_conn";
    NginxNonIdempotent = "nginx/non-idempotent", Warning,
        "`uwsgi_next_upstream ... non_idempotent`",
        "a POST that timed out on a slow replica is sent again: measured to run twice";
    NginxBufferingOff = "nginx/buffering-off", Warning,
        "`uwsgi_buffering off`",
        "a slow client holds the replica's worker: measured, a client leaving a 32 MiB answer unread held a one-worker replica 3.8 s (the next request waited that long) and got 6.5-8.3 MiB before uWSGI's 4 s socket-timeout cut it";

    UwsgiNoSection = "uwsgi/no-section", Error,
        "a uWSGI ini file without a `[uwsgi]` section",
        "uWSGI reads only `[uwsgi]` (or the section named after the file): every option is ignored";
    UwsgiUnknownOption = "uwsgi/unknown-option", Error,
        "an option uWSGI 2.0 with its python3 plugin does not know",
        "with strict: `[strict-mode] unknown config directive`; without it the option is ignored in silence";
    UwsgiNoPlugin = "uwsgi/no-plugin", Error,
        "Debian's plugin-based uwsgi without `plugins = python3`",
        "`no request plugin is loaded, you will not be able to manage requests`: the process keeps running and `module=` is ignored";
    UwsgiAllInterfaces = "uwsgi/all-interfaces", Warning,
        "a uwsgi socket bound on every interface (`:PORT`, `0.0.0.0`, `[::]`)",
        "the uwsgi protocol has no authentication: anyone who reaches the port bypasses nginx and chooses every CGI variable (REMOTE_ADDR...)";
    UwsgiStatsExposed = "uwsgi/stats-exposed", Warning,
        "uWSGI's stats server on a TCP port or an abstract socket (`stats = 127.0.0.1:9191`, `:9191`, `@name`)",
        "anyone who can connect (every local user; on `:PORT` every host) reads each running request's headers, cookies and Authorization included, and every worker's state";
    UwsgiWorkersZero = "uwsgi/workers-zero", Error,
        "`workers` that resolves to 0 for some program",
        "`$(VAR)` of an unset variable stays literal and reads as 0: `*** Operational MODE: no-workers ***`, the socket is bound and nobody ever answers (504 after 3 x uwsgi_read_timeout)";
    UwsgiUnsetVar = "uwsgi/unset-var", Error,
        "`$(VAR)` that some program's environment does not set",
        "uWSGI keeps `$(S_PORT)` literal: `socket = :$(S_PORT)` bound a random port, `pidfile` became `/tmp/uwsgi-$(S_PORT).pid`";
    UwsgiQuotedEnv = "uwsgi/quoted-env", Warning,
        "`env = KEY='value'`: uWSGI keeps the quotes",
        "the app saw `LANG=\"'en_US.UTF-8'\"`, and Python fell back to the ascii file system encoding";
    UwsgiNoNeedApp = "uwsgi/no-need-app", Warning,
        "no `need-app`",
        "an import error leaves uWSGI in `full dynamic mode`: it runs on and answers every request 500 (`no python application found`)";
    UwsgiPidfile = "uwsgi/pidfile", Warning,
        "a uWSGI pidfile in a shared /tmp",
        "under supervisord the pid file is not needed; in /tmp another user can take the name first";
    UwsgiDieOnTerm = "uwsgi/die-on-term", Error,
        "`die-on-term` with `stopsignal = QUIT`",
        "with die-on-term, SIGQUIT becomes uWSGI's reload signal: the stop took 10.2 s and ended in SIGKILL";
    UwsgiRoot = "uwsgi/root", Warning,
        "nothing keeps the app from running as root",
        "supervisord started as root runs uWSGI as root (`*** WARNING: you are running uWSGI as root !!!`): a hole in the app is a root shell";

    SupervisordSyntax = "supervisord/syntax", Error,
        "supervisord cannot read the file or a value",
        "supervisord exits with `Error: ...` before it starts anything";
    SupervisordNoSupervisord = "supervisord/no-supervisord", Error,
        "no `[supervisord]` section",
        "`Error: .ini file does not include supervisord section` (exit 2)";
    SupervisordNoSupervisorctl = "supervisord/no-supervisorctl", Error,
        "no `[supervisorctl]` section",
        "supervisorctl: `Error: .ini file does not include supervisorctl section`";
    SupervisordNoServer = "supervisord/no-server", Error,
        "no `[unix_http_server]` (or `[inet_http_server]`) for supervisorctl to reach",
        "supervisorctl: `http://localhost:9001 refused connection` (exit 4)";
    SupervisordNoRpc = "supervisord/no-rpcinterface", Error,
        "no `[rpcinterface:supervisor]`",
        "supervisorctl: `supervisord responded but did not recognize the supervisor namespace commands`";
    SupervisordDefaultPaths = "supervisord/default-paths", Warning,
        "`logfile`, `pidfile` or `childlogdir` left at its default",
        "supervisord then writes its log and pid file into whatever directory it was started from, and child logs into /tmp";
    SupervisordPercent = "supervisord/percent", Error,
        "a `%` that is not `%%` or `%(name)s`",
        "`Error: Format string ... is badly formatted: unsupported format character`, or in silence: `date +%s` put the whole expansion dictionary on the command line";
    SupervisordEnvName = "supervisord/env-name", Warning,
        "a `%(ENV_X)s` that holds only where supervisord is started with X set",
        "`Error: Format string '%(ENV_HOME)s/app' for 'program:p0.directory' contains names ('ENV_HOME') which cannot be expanded`: systemd, cron and `env -i` start supervisord without HOME";
    SupervisordCommandPath = "supervisord/command-path", Error,
        "a command supervisord will not find in its own PATH",
        "`spawnerr: can't find command 'nginx'` then BACKOFF and FATAL: nginx lives in /usr/sbin, outside a non-root PATH";
    SupervisordMissingDir = "supervisord/missing-dir", Error,
        "a directory that must exist before the start and does not",
        "supervisord creates no directories: `Error: The directory named as part of the path ... does not exist`";
    SupervisordUnknownKey = "supervisord/unknown-key", Warning,
        "a key or section supervisor 4.2 does not read",
        "supervisord ignores it in silence: a misspelled stopsignal stops uWSGI with TERM";
    SupervisordStopSignal = "supervisord/stopsignal", Error,
        "a uWSGI program stopped with TERM (supervisord's default) without die-on-term",
        "on TERM uWSGI 2.0 reloads instead of exiting: the stop took 10.2 s and ended in SIGKILL, an orphaned worker still held the port";

    StackUpstreamNotReplica = "stack/upstream-not-replica", Error,
        "an upstream server that is no replica's socket",
        "nginx sends a share of the requests there: refused connections, 502s, and every replica marked failed in turn";
    StackReplicaNotInUpstream = "stack/replica-not-in-upstream", Error,
        "a replica that no upstream server points at",
        "it runs and takes memory, and serves nothing";
    StackSharedSocket = "stack/shared-socket", Error,
        "two programs on one socket or port",
        "the second uWSGI fails to bind (`Address already in use`) and supervisord restarts it until FATAL";
    StackListenOnReplica = "stack/listen-on-replica", Error,
        "nginx listening on a replica's port",
        "nginx or the replica fails to bind, whichever starts second";
    StackSharedPidfile = "stack/shared-pidfile", Error,
        "one pid file written by several programs",
        "each program overwrites the others' pid: a stop or reload by pid file hits the wrong process";
    StackNoFirewall = "stack/no-firewall", Warning,
        "uwsgi sockets on a non-loopback address and no firewall file given",
        "the uwsgi protocol has no authentication: every host that reaches the address may send requests with any CGI variables";
}
