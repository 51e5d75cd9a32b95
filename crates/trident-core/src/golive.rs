//! Going live: the commands that create, check and start a stack and change it later, as
//! one typed list. The page's go-live text, the supervisord.conf preamble, the nginx.conf
//! header and the guide all print these commands, quoted one way ([`shell_quote`]).

use std::fmt::Write as _;

use crate::files::{NFTABLES_CONF, NGINX_CONF, SUPERVISORD_CONF};
use crate::layout::Layout;
use crate::spec::fields::non_default;
use crate::spec::Spec;
use crate::validate::ValidSpec;

/// One line of the go-live steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// An explanation (a shell comment where the steps are a script).
    Say(String),
    /// A command to run.
    Run(String),
}

/// The commands of one host's stack, each quoted for a POSIX shell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commands {
    /// Creates the directories supervisord will not create; the status directory only the
    /// stack's user may enter.
    pub mkdir: String,
    /// Holds the files against each other and this host (directories, commands).
    pub lint: String,
    /// Checks nginx.conf without starting anything.
    pub check_nginx: String,
    /// Starts the stack.
    pub start: String,
    /// Shows each program's state, as supervisord sees it.
    pub status: String,
    /// Shows each replica: serving, blocked, drained, failing or down, with its numbers.
    pub trident_status: String,
    /// Restarts the replicas in turn (new code).
    pub rollout: String,
    /// Brings the running stack to a changed spec.
    pub apply: String,
    /// Loads an app host's firewall.
    pub firewall: String,
}

/// The commands for `valid`'s stack (with hosts: the same paths on every host).
pub fn commands(spec: &Spec, layout: &Layout) -> Commands {
    let dirs = &layout.dirs;
    let conf = |name: &str| shell_quote(&layout.conf(name));
    let sup = conf(SUPERVISORD_CONF);
    let flags = reproduce_command(spec);
    let flags = flags.strip_prefix("trident generate").unwrap_or("");
    Commands {
        mkdir: format!(
            "mkdir -p {} {} {} && install -d -m 0700{} {}",
            shell_quote(&dirs.app),
            shell_quote(&dirs.run),
            shell_quote(&dirs.log),
            spec.run_as()
                .map(|(u, g)| format!(" -o {u} -g {g}"))
                .unwrap_or_default(),
            shell_quote(&layout.status_dir())
        ),
        lint: format!("trident lint --this-host {}", shell_quote(&dirs.conf)),
        check_nginx: format!(
            "{} -t -p {} -c {}",
            shell_quote(&spec.nginx_bin),
            shell_quote(&format!("{}/", dirs.run)),
            conf(NGINX_CONF)
        ),
        start: format!("supervisord -c {sup}"),
        status: format!("supervisorctl -c {sup} status"),
        trident_status: format!("trident status{flags}"),
        rollout: format!("trident rollout{flags}"),
        apply: format!("trident apply{flags}"),
        firewall: format!("nft -f {}", conf(NFTABLES_CONF)),
    }
}

/// Every step from files in place to a running stack, and how to change it later: on one
/// host, or per host in start order (app hosts first; nginx waits for their replicas).
pub fn steps(valid: &ValidSpec) -> Vec<Line> {
    let (spec, layout) = (valid.spec(), valid.layout());
    let c = commands(spec, layout);
    let mut out = Vec::new();
    let everywhere = if layout.hosts.is_empty() {
        ""
    } else {
        " on every host"
    };
    if let Some(step) = user_step(spec) {
        let (user, _) = spec.run_as().unwrap_or_default();
        out.push(Line::Say(format!(
            "as root{everywhere}: the app and nginx's workers run as {user}, who writes none of these directories"
        )));
        out.push(Line::Run(step));
    }
    if layout.hosts.is_empty() {
        out.extend([
            Line::Run(c.mkdir),
            Line::Run(c.lint),
            Line::Run(c.check_nginx),
            Line::Run(c.start),
            Line::Say(
                "each replica: serving, blocked (every worker busy), drained, failing or down:"
                    .into(),
            ),
            Line::Run(c.trident_status),
            Line::Say("deploy new code, one replica at a time, no failed request:".into()),
            Line::Run(c.rollout),
            Line::Say("after changing settings here, on the running stack:".into()),
            Line::Run(c.apply),
        ]);
    } else {
        let lb = spec.lb_address.as_deref().unwrap_or("the load balancer");
        out.insert(
            0,
            Line::Say(format!(
                "trident-out/HOST/ holds each host's files; copy them to {} on that host.",
                layout.dirs.conf
            )),
        );
        for h in &layout.hosts {
            out.push(Line::Say(format!(
                "1. App host {} ({}): its files, your app in {}; as root the firewall first (it admits only {lb}), then the replicas:",
                h.name, h.address, layout.dirs.app
            )));
            out.extend([
                Line::Run(c.firewall.clone()),
                Line::Run(c.mkdir.clone()),
                Line::Run(c.lint.clone()),
                Line::Run(c.start.clone()),
            ]);
        }
        out.push(Line::Say(format!(
            "2. Load balancer ({}): the lb/ files; check nginx, then start it (it waits for the app hosts' replicas):",
            spec.lb_address.as_deref().unwrap_or("?")
        )));
        out.extend([
            Line::Run(c.mkdir),
            Line::Run(c.lint),
            Line::Run(c.check_nginx),
            Line::Run(c.start),
            Line::Run(c.trident_status),
            Line::Say("Keep the rules across reboots: include nftables.conf from /etc/nftables.conf on each app host.".into()),
        ]);
    }
    for line in https_steps(spec, layout) {
        out.push(match line.strip_prefix("  ") {
            Some(command) => Line::Run(command.to_string()),
            None => Line::Say(line),
        });
    }
    out
}

/// The steps as a shell script: explanations as `#` comments.
pub fn script(lines: &[Line]) -> String {
    let mut out = String::new();
    for line in lines {
        if !out.is_empty() {
            out.push('\n');
        }
        match line {
            Line::Say(text) => {
                let _ = write!(out, "# {text}");
            }
            Line::Run(command) => out.push_str(command),
        }
    }
    out
}

/// The shell command that creates the stack's user (and group) unless it exists, when the
/// spec names one: a system account with no home and no login shell. The supervisord.conf
/// preamble, the page and the README say the same.
pub fn user_step(spec: &Spec) -> Option<String> {
    let (user, group) = spec.run_as()?;
    let nologin = "--no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin";
    Some(if user == group {
        format!("id -u {user} >/dev/null 2>&1 || useradd --system --user-group {nologin} {user}")
    } else {
        format!("getent group {group} >/dev/null || groupadd --system {group}; id -u {user} >/dev/null 2>&1 || useradd --system --gid {group} {nologin} {user}")
    })
}

/// The steps to HTTPS for `spec`, one line each (`#` lines are explanations): with an ACME
/// webroot and no certificate yet, how to get the first one; with TLS, how to reload nginx
/// for a new certificate and, with the webroot, how renewals reload it. Empty otherwise.
/// The nginx.conf header, the page and the README say the same.
pub fn https_steps(spec: &Spec, layout: &Layout) -> Vec<String> {
    let sup = layout.conf(SUPERVISORD_CONF);
    let reload = format!(
        "supervisorctl -c {} signal HUP {}",
        shell_quote(&sup),
        spec.nginx_program
    );
    let name = spec.primary_server_name().unwrap_or("example.com");
    let mut out = Vec::new();
    match (&spec.acme_dir, layout.tls) {
        (Some(acme), false) => {
            out.push("HTTPS: while this serves plain HTTP, get the first certificate through the webroot:".into());
            out.push(format!(
                "  mkdir -p {acme} && certbot certonly --webroot -w {acme} -d {name}",
                acme = shell_quote(acme)
            ));
            out.push(format!(
                "then regenerate with --tls-cert /etc/letsencrypt/live/{name}/fullchain.pem --tls-key /etc/letsencrypt/live/{name}/privkey.pem and reload nginx:"
            ));
            out.push(format!("  {reload}"));
        }
        (acme, true) => {
            out.push(
                "After a new certificate, reload nginx (gracefully: requests in flight finish):"
                    .into(),
            );
            out.push(format!("  {reload}"));
            if acme.is_some() {
                out.push("Renewals reload it too:".into());
                out.push(format!(
                    "  certbot renew --deploy-hook {}",
                    shell_quote(&reload)
                ));
            }
        }
        (None, false) => {}
    }
    out
}

/// `trident generate` followed by the flags of every non-default field, shell-quoted.
pub fn reproduce_command(spec: &Spec) -> String {
    let mut cmd = String::from("trident generate");
    for (field, value) in non_default(spec) {
        let _ = write!(cmd, " --{} {}", field.flag(), shell_quote(&value));
    }
    cmd
}

/// Quotes `s` for a POSIX shell, leaving common safe words bare.
pub fn shell_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=,@%+-".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
