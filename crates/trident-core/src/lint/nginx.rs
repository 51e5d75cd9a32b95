//! nginx's rules: what nginx 1.22 refuses, what `nginx -t` passes and fails at runtime, and
//! what Trident guarantees in the files it writes (an unspoofable scheme, header limits
//! that fit uWSGI, balancing that routes around a blocked replica).

use super::known::{did_you_mean, nginx, nginx_knows};
use super::model::{Model, Replica};
use super::{Out, Resolved, RuleId, START};
use crate::syntax::nginx::Directive;

/// Blocks whose lines are data, not directives.
const DATA_BLOCKS: &[&str] = &[
    "types",
    "map",
    "geo",
    "split_clients",
    "charset_map",
    "match",
];

const TEMP_PATHS: &[&str] = &[
    "client_body_temp_path",
    "proxy_temp_path",
    "fastcgi_temp_path",
    "uwsgi_temp_path",
    "scgi_temp_path",
];

/// Headers a client sends that the app must not believe, and the `uwsgi_param` that stops
/// each.
const SPOOFABLE: &[(&str, &str)] = &[
    (
        "HTTP_X_FORWARDED_PROTO",
        "uwsgi_param HTTP_X_FORWARDED_PROTO $scheme;",
    ),
    (
        "HTTP_X_FORWARDED_SSL",
        "uwsgi_param HTTP_X_FORWARDED_SSL \"\";",
    ),
    (
        "HTTP_X_FORWARDED_FOR",
        "uwsgi_param HTTP_X_FORWARDED_FOR $remote_addr;",
    ),
    ("HTTP_PROXY", "uwsgi_param HTTP_PROXY \"\";"),
];

pub(super) fn check(model: &Model<'_>, replicas: &[Replica<'_>], out: &mut Out<'_>) {
    for f in model.kind_indices(super::Kind::Nginx) {
        let Some(conf) = model.nginx(f) else { continue };
        if let Some(e) = &conf.conf.error {
            out.add(
                RuleId::NginxSyntax,
                f,
                e.at,
                e.message.clone(),
                "fix the file where nginx stops reading; nothing after it was checked",
            );
        }
        let modules = conf
            .conf
            .directives
            .iter()
            .any(|d| d.name() == "load_module");
        file_rules(&conf.conf.directives, f, modules, false, out);
    }
    for inc in model.includes {
        match &inc.to {
            Resolved::Missing(path) => out.add(
                RuleId::NginxIncludeMissing,
                inc.from,
                inc.at,
                format!("include {} does not resolve: nginx would open {path}", inc.pattern),
                if inc.pattern.ends_with("uwsgi_params") {
                    "write include /etc/nginx/uwsgi_params; (Debian's), or ship uwsgi_params beside nginx.conf: a relative include resolves in the directory of the -c file".to_string()
                } else {
                    "give the path from the directory of the -c file, or an absolute path".to_string()
                },
            ),
            Resolved::Refused(why) => out.add(RuleId::NginxIncludeMissing, inc.from, inc.at, format!("include {} was not followed: {why}", inc.pattern), "include files inside the configuration's directory, without loops"),
            _ => {}
        }
    }
    include_loops(model, out);
    for root in model.nginx_roots() {
        let Some(conf) = model.nginx(root) else {
            continue;
        };
        let main = model.expand(root, &conf.conf.directives);
        let is_main = main
            .iter()
            .any(|(_, d)| matches!(d.name(), "http" | "events"));
        if is_main {
            main_rules(model, replicas, root, &main, out);
        }
        let mut ctx = Ctx {
            model,
            params: None,
            blind: false,
            out,
        };
        ctx.walk(&main, &mut Vec::new());
    }
}

fn file_rules(list: &[Directive<'_>], f: usize, modules: bool, in_data: bool, out: &mut Out<'_>) {
    for d in list {
        if !in_data && !nginx_knows(d.name()) {
            let hint = match did_you_mean(d.name(), nginx().iter().copied()) {
                Some(k) => format!("did you mean `{k}`?"),
                None => "see nginx.org/en/docs/dirindex.html for nginx 1.22's directives".into(),
            };
            let message = if modules {
                format!(
                    "nginx 1.22 has no directive `{}` (unless a loaded module adds it)",
                    d.name()
                )
            } else {
                format!("nginx 1.22 has no directive `{}`", d.name())
            };
            out.add(RuleId::NginxUnknownDirective, f, d.name.at, message, hint);
        }
        if in_data {
            continue;
        }
        arguments(d, f, out);
        match d.name() {
            "error_log" if d.arg(0) == Some("/dev/null") => out.add(
                RuleId::NginxErrorLogNull,
                f,
                d.args[0].at,
                "error_log /dev/null throws every error away",
                "write error_log stderr; under supervisord, which captures it into a rotated log",
            ),
            "uwsgi_next_upstream" if d.args.iter().any(|a| a.text == "non_idempotent") => out.add(
                RuleId::NginxNonIdempotent,
                f,
                d.name.at,
                "uwsgi_next_upstream retries POST and other non-idempotent requests",
                "drop non_idempotent unless the app de-duplicates POSTs",
            ),
            "uwsgi_buffering" if d.arg(0) == Some("off") => out.add(
                RuleId::NginxBufferingOff,
                f,
                d.args[0].at,
                "uwsgi_buffering off ties a replica's worker to each client's reading speed",
                "remove it (nginx's default, on, takes the answer and frees the worker); for one streaming view, have the app send X-Accel-Buffering: no",
            ),
            "upstream" => {
                let servers = d.children().iter().filter(|c| c.name() == "server").count();
                let balanced = d.children().iter().any(|c| {
                    matches!(
                        c.name(),
                        "least_conn" | "hash" | "ip_hash" | "random" | "least_time"
                    )
                });
                if servers > 1 && !balanced {
                    out.add(RuleId::NginxRoundRobin, f, d.name.at, format!("upstream {} balances {servers} replicas round-robin", d.arg(0).unwrap_or("")), "add least_conn; (with zone NAME 64k;) so nginx sends new requests to the replica with the fewest open ones");
                }
            }
            _ => {}
        }
        if let Some(block) = &d.block {
            file_rules(block, f, modules, DATA_BLOCKS.contains(&d.name()), out);
        }
    }
}

/// A directive with an argument count nginx refuses. A name that is a block in one context
/// and not in another (`server` in `http` and in `upstream`) is checked only where its shape
/// matches the table's.
fn arguments(d: &Directive<'_>, f: usize, out: &mut Out<'_>) {
    let Some(arity) = super::known::nginx_arity(d.name()) else {
        return;
    };
    let n = d.args.len();
    if arity.block != d.block.is_some() || arity.takes(n) {
        return;
    }
    // A missing `;` makes the next line's directive an argument of this one.
    let joined = d
        .args
        .windows(2)
        .find(|w| w[1].at.line > w[0].at.line && !w[1].quoted && nginx_knows(&w[1].text));
    let hint = match joined {
        Some(w) => format!(
            "end line {} with `;`: `{}` on line {} is a directive of its own",
            w[0].at.line, w[1].text, w[1].at.line
        ),
        None => format!("give `{}` {}", d.name(), arity.describe()),
    };
    out.add(
        RuleId::NginxArguments,
        f,
        d.name.at,
        format!("`{}` takes {}, here {n}", d.name(), arity.describe()),
        hint,
    );
}

fn main_rules(
    model: &Model<'_>,
    replicas: &[Replica<'_>],
    root: usize,
    main: &[(usize, &Directive<'_>)],
    out: &mut Out<'_>,
) {
    // `event {` is one defect: the unknown directive's finding names it (did you mean).
    let events_misspelled = main.iter().any(|(_, d)| {
        d.block.is_some()
            && !nginx_knows(d.name())
            && did_you_mean(d.name(), std::iter::once("events")).is_some()
    });
    if !events_misspelled && !main.iter().any(|(_, d)| d.name() == "events") {
        out.add(
            RuleId::NginxNoEvents,
            root,
            START,
            "no events block",
            "add events { worker_connections 1024; }",
        );
    }
    let misspelled_pid = main
        .iter()
        .any(|(_, d)| matches!(d.name(), "pidfile" | "pid_file"));
    match main.iter().find(|(_, d)| d.name() == "pid") {
        None if !misspelled_pid => out.add(
            RuleId::NginxPid,
            root,
            START,
            "no pid directive: nginx writes /run/nginx.pid, which only root may",
            "write pid PATH; under the deployment's run directory",
        ),
        Some((f, d)) if d.arg(0).is_some_and(super::in_shared_tmp) => out.add(
            RuleId::NginxPid,
            *f,
            d.args[0].at,
            format!(
                "pid {} lies in a directory every user writes",
                d.arg(0).unwrap_or("")
            ),
            "write pid PATH; under the deployment's run directory",
        ),
        _ => {}
    }
    for (f, http) in main.iter().filter(|(_, d)| d.name() == "http") {
        let inside = model.expand(*f, http.children());
        let missing: Vec<&str> = TEMP_PATHS
            .iter()
            .copied()
            .filter(|t| !inside.iter().any(|(_, d)| d.name() == *t))
            .collect();
        // `user` is read only by a master started as root, which creates /var/lib/nginx's
        // directories itself: the defaults then work.
        let as_root = main.iter().any(|(_, d)| d.name() == "user");
        if !missing.is_empty() && !as_root {
            out.add(RuleId::NginxTempPaths, *f, http.name.at, format!("{} left at /var/lib/nginx", missing.join(", ")), "set each under the deployment's run directory (e.g. client_body_temp_path /srv/webapp/run/nginx-client_body;)");
        }
        header_buffers(model, replicas, *f, http, &inside, out);
    }
}

/// nginx's header limit (its 1 KiB buffer plus the large ones) against the smallest
/// uWSGI `buffer-size` of the replicas (uWSGI's default is 4096).
fn header_buffers(
    model: &Model<'_>,
    replicas: &[Replica<'_>],
    f: usize,
    http: &Directive<'_>,
    inside: &[(usize, &Directive<'_>)],
    out: &mut Out<'_>,
) {
    let sizes: Vec<u64> = replicas
        .iter()
        // An ini without [uwsgi] is its own finding; what it would set is unknown.
        .filter(|r| {
            r.ini
                .and_then(|i| model.uwsgi(i))
                .is_some_and(|u| u.uwsgi().is_some())
        })
        .map(|r| {
            r.last(&["buffer-size"])
                .and_then(|o| o.value.trim().parse().ok())
                .unwrap_or(4096)
        })
        .collect();
    let Some(&buffer) = sizes.iter().min() else {
        return;
    };
    let large = inside
        .iter()
        .rev()
        .find(|(_, d)| d.name() == "large_client_header_buffers");
    let (number, size) = large
        .and_then(|(_, d)| {
            Some((
                d.arg(0)?.parse::<u64>().ok()?,
                u64::from(crate::read::size(d.arg(1)?)?),
            ))
        })
        .unwrap_or((4, 8192));
    let accepted = 1024 + number * size;
    if accepted > buffer {
        let (file, at) = large.map_or((f, http.name.at), |(lf, d)| (*lf, d.name.at));
        out.add(
            RuleId::NginxHeaderBuffers,
            file,
            at,
            format!("nginx accepts {accepted} bytes of request headers, uWSGI's buffer-size holds {buffer}"),
            "keep 1k + number x size <= buffer-size: e.g. buffer-size = 32768 in the uWSGI file and large_client_header_buffers 1 28k; in nginx's http block (what trident generate writes)",
        );
    }
}

struct Ctx<'m, 'o, 's> {
    model: &'m Model<'m>,
    /// The `uwsgi_param` names in force: the innermost level that sets any.
    params: Option<Vec<String>>,
    /// An include in scope did not resolve: what it would add is unknown, and its own
    /// finding (nginx/include-missing or include-loop) names the defect.
    blind: bool,
    out: &'o mut Out<'s>,
}

impl Ctx<'_, '_, '_> {
    fn walk(&mut self, list: &[(usize, &Directive<'_>)], path: &mut Vec<String>) {
        let own: Vec<String> = list
            .iter()
            .filter(|(_, d)| d.name() == "uwsgi_param")
            .filter_map(|(_, d)| d.arg(0).map(str::to_string))
            .collect();
        let saved = self.params.clone();
        if !own.is_empty() {
            self.params = Some(own);
        }
        // Resolved includes are expanded away: one left did not resolve.
        let saved_blind = self.blind;
        self.blind |= list.iter().any(|(_, d)| d.name() == "include");
        let headers_off = list
            .iter()
            .any(|(_, d)| d.name() == "uwsgi_pass_request_headers" && d.arg(0) == Some("off"));
        for (f, d) in list {
            match d.name() {
                "uwsgi_pass" => self.uwsgi_pass(*f, d, headers_off),
                "server"
                    if path.last().map(String::as_str) == Some("http")
                        && !self
                            .model
                            .expand(*f, d.children())
                            .iter()
                            .any(|(_, c)| c.name() == "listen") =>
                {
                    self.out.add(
                        RuleId::NginxNoListen,
                        *f,
                        d.name.at,
                        "server without listen: nginx binds 0.0.0.0:80 (as root) or 0.0.0.0:8000",
                        "write listen 127.0.0.1:PORT; (or the address clients reach)",
                    );
                }
                _ => {}
            }
            if d.block.is_some() && !DATA_BLOCKS.contains(&d.name()) && d.name() != "upstream" {
                let inner = self.model.expand(*f, d.children());
                path.push(d.name().to_string());
                self.walk(&inner, path);
                path.pop();
            }
        }
        self.params = saved;
        self.blind = saved_blind;
    }

    fn uwsgi_pass(&mut self, f: usize, d: &Directive<'_>, headers_off: bool) {
        self.upstream_named(f, d);
        if self.blind {
            return;
        }
        let params = self.params.clone().unwrap_or_default();
        if !params.iter().any(|p| p == "REQUEST_METHOD") {
            self.out.add(RuleId::NginxUwsgiParams, f, d.name.at, "uwsgi_pass without the uwsgi params: the app gets no REQUEST_METHOD, PATH_INFO or QUERY_STRING", "add include /etc/nginx/uwsgi_params; (or uwsgi_param lines) beside uwsgi_pass");
        }
        if headers_off {
            return;
        }
        let open: Vec<(&str, &str)> = SPOOFABLE
            .iter()
            .copied()
            .filter(|(name, _)| !params.iter().any(|p| p == name))
            .collect();
        if !open.is_empty() {
            let names: Vec<&str> = open.iter().map(|(n, _)| *n).collect();
            let fixes: Vec<&str> = open.iter().map(|(_, fix)| *fix).collect();
            self.out.add(
                RuleId::NginxSpoofableScheme,
                f,
                d.name.at,
                format!("the client's own {} reach the app", names.join(", ")),
                format!("add {}", fixes.join(" ")),
            );
        }
    }
}

impl Ctx<'_, '_, '_> {
    /// `uwsgi_pass NAME` where no upstream is NAME and NAME is no `host:port` or socket.
    fn upstream_named(&mut self, f: usize, d: &Directive<'_>) {
        let Some(target) = d.arg(0) else { return };
        let bare = target.trim_start_matches("uwsgi://");
        if bare.contains(':') || bare.starts_with('/') || bare.contains('$') {
            return;
        }
        let mut names: Vec<String> = Vec::new();
        for i in self.model.kind_indices(super::Kind::Nginx) {
            if let Some(conf) = self.model.nginx(i) {
                conf.conf.visit(&mut |_, u| {
                    if u.name() == "upstream" {
                        if let Some(n) = u.arg(0) {
                            names.push(n.to_string());
                        }
                    }
                });
            }
        }
        if names.iter().any(|n| n == bare) {
            return;
        }
        let hint = match did_you_mean(bare, names.iter().map(String::as_str)) {
            Some(n) => format!("did you mean `{n}`?"),
            None if names.is_empty() => {
                "define upstream NAME { server ...; } in the http block, or pass HOST:PORT".into()
            }
            None => format!("the upstream blocks are: {}", names.join(", ")),
        };
        self.out.add(
            RuleId::NginxUnknownUpstream,
            f,
            d.args[0].at,
            format!("uwsgi_pass {target}: no upstream is named {bare}, and it has no port"),
            hint,
        );
    }
}

/// Every include that closes a loop (a file reached again from itself), once each.
fn include_loops(model: &Model<'_>, out: &mut Out<'_>) {
    fn go(
        model: &Model<'_>,
        file: usize,
        stack: &mut Vec<usize>,
        done: &mut Vec<usize>,
        out: &mut Out<'_>,
    ) {
        if done.contains(&file) {
            return;
        }
        stack.push(file);
        for inc in model.includes.iter().filter(|i| i.from == file) {
            let Resolved::Files(targets) = &inc.to else {
                continue;
            };
            for &t in targets {
                if let Some(at) = stack.iter().position(|&s| s == t) {
                    let chain: Vec<&str> = stack[at..]
                        .iter()
                        .chain(std::iter::once(&t))
                        .map(|&s| model.sources[s].path.as_str())
                        .collect();
                    out.add(
                        RuleId::NginxIncludeLoop,
                        file,
                        inc.at,
                        format!(
                            "include {} closes a loop: {}",
                            inc.pattern,
                            chain.join(" -> ")
                        ),
                        "remove the include that leads back",
                    );
                } else if stack.len() < super::model::MAX_INCLUDE_DEPTH {
                    go(model, t, stack, done, out);
                }
            }
        }
        stack.pop();
        done.push(file);
    }
    let mut done = Vec::new();
    for f in model.kind_indices(super::Kind::Nginx) {
        go(model, f, &mut Vec::new(), &mut done, out);
    }
}
