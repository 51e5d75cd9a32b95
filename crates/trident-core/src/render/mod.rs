//! Renderers: one function per file, each writing into a `String` with `fmt::Write`.
//!
//! They take a [`ValidSpec`], so every value they write has passed the rules in
//! [`crate::validate`]; what a grammar can escape is escaped here, at the point of writing.

mod nftables;
mod nginx;
mod supervisord;
mod uwsgi;

use std::fmt::Write as _;

use crate::fields::non_default;
use crate::layout::{Dirs, HostLayout, Layout, LB_DIR};
use crate::spec::Spec;
use crate::validate::ValidSpec;

/// The version stamped into every file.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// File name of the supervisord config.
pub const SUPERVISORD_CONF: &str = "supervisord.conf";
/// File name of the uWSGI config shared by every replica.
pub const UWSGI_INI: &str = "webapp.ini";
/// File name of the nginx config.
pub const NGINX_CONF: &str = "nginx.conf";

/// File name of an app host's nftables rule set (with hosts).
pub const NFTABLES_CONF: &str = "nftables.conf";

/// Every file Trident writes for one host, in output order.
pub const FILE_NAMES: [&str; 3] = [SUPERVISORD_CONF, UWSGI_INI, NGINX_CONF];

/// One rendered file, to be placed in the spec's `conf_dir` of its host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedFile {
    /// The host it belongs to: empty on one host, else `lb` or an app host's name (its
    /// directory under `--out`).
    pub host: String,
    /// File name (no directory).
    pub name: &'static str,
    /// Complete contents, ending with a newline.
    pub contents: String,
}

impl RenderedFile {
    /// `HOST/NAME`, or `NAME` on one host: where `--out` puts it, and how the page and the
    /// CLI's headers name it.
    pub fn path(&self) -> String {
        if self.host.is_empty() {
            self.name.to_string()
        } else {
            format!("{}/{}", self.host, self.name)
        }
    }
}

/// What a set of files is for.
#[derive(Clone, Copy)]
pub(crate) enum Role<'a> {
    /// nginx and every replica on one host.
    Whole,
    /// The load balancer: nginx only.
    Balancer,
    /// An app host: its replicas only.
    App(&'a HostLayout),
}

/// Renders every file: three on one host; with hosts, the load balancer's `supervisord.conf`
/// and `nginx.conf`, then each app host's `supervisord.conf`, `webapp.ini` and
/// `nftables.conf`.
pub fn render(valid: &ValidSpec) -> Vec<RenderedFile> {
    let ctx = Context::new(valid);
    let file = |host: &str, name, contents| RenderedFile {
        host: host.to_string(),
        name,
        contents,
    };
    let hosts = &valid.layout().hosts;
    if hosts.is_empty() {
        return vec![
            file("", SUPERVISORD_CONF, supervisord::render(&ctx)),
            file("", UWSGI_INI, uwsgi::render(&ctx)),
            file("", NGINX_CONF, nginx::render(&ctx)),
        ];
    }
    let lb = Context {
        role: Role::Balancer,
        ..Context::new(valid)
    };
    let mut files = vec![
        file(LB_DIR, SUPERVISORD_CONF, supervisord::render(&lb)),
        file(LB_DIR, NGINX_CONF, nginx::render(&lb)),
    ];
    for host in hosts {
        let layout = valid.layout().for_host(host);
        let ctx = Context {
            layout: &layout,
            dirs: &layout.dirs,
            bind: &host.address,
            role: Role::App(host),
            ..Context::new(valid)
        };
        files.push(file(
            &host.name,
            SUPERVISORD_CONF,
            supervisord::render(&ctx),
        ));
        files.push(file(&host.name, UWSGI_INI, uwsgi::render(&ctx)));
        files.push(file(&host.name, NFTABLES_CONF, nftables::render(&ctx)));
    }
    files
}

/// `nginx.conf` with the replicas in `down` out of rotation (see [`crate::live`]).
pub(crate) fn nginx_with_down(valid: &ValidSpec, down: &[u32]) -> String {
    let ctx = Context {
        down,
        ..Context::new(valid)
    };
    nginx::render(&ctx)
}

/// Values every renderer needs, computed once.
pub(crate) struct Context<'a> {
    pub spec: &'a Spec,
    pub layout: &'a Layout,
    pub dirs: &'a Dirs,
    pub command: String,
    /// Replicas nginx is to leave out of rotation (rollout and apply; empty otherwise).
    pub down: &'a [u32],
    /// The address the replicas bind (TCP): the spec's `bind`, or the app host's address.
    pub bind: &'a str,
    /// Which host's files these are.
    pub role: Role<'a>,
}

impl<'a> Context<'a> {
    fn new(valid: &'a ValidSpec) -> Self {
        Context {
            spec: valid.spec(),
            layout: valid.layout(),
            dirs: &valid.layout().dirs,
            command: reproduce_command(valid.spec()),
            down: &[],
            bind: &valid.spec().bind,
            role: Role::Whole,
        }
    }

    /// Path of a file in the conf directory.
    pub fn conf(&self, name: &str) -> String {
        self.layout.conf(name)
    }

    /// Writes the two comment lines every file opens with.
    pub fn header(&self, out: &mut String, comment: &str) {
        let _ = writeln!(
            out,
            "{comment} Generated by Trident {VERSION}. Edits are lost when it is run again."
        );
        let _ = writeln!(out, "{comment} Reproduce with: {}", self.command);
        let count = self.spec.hosts.len();
        match self.role {
            Role::Whole => {}
            Role::Balancer => {
                let _ = writeln!(
                    out,
                    "{comment} Load balancer: copy this file to {} on the host at {} (nginx spreads requests over {count} app host(s)).",
                    self.conf_dir_shown(),
                    self.spec.lb_address.as_deref().unwrap_or("?")
                );
            }
            Role::App(host) => {
                let _ = writeln!(
                    out,
                    "{comment} App host {} of {count}: copy this file to {} on the host at {}.",
                    host.name,
                    self.conf_dir_shown(),
                    host.address
                );
            }
        }
    }

    fn conf_dir_shown(&self) -> String {
        let conf = &self.dirs.conf;
        if conf.ends_with('/') {
            conf.clone()
        } else {
            format!("{conf}/")
        }
    }
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

/// `%` is supervisord's and uWSGI's expansion character; `%%` is a literal `%` in both.
pub(crate) fn percent(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('%') {
        s.replace('%', "%%").into()
    } else {
        s.into()
    }
}
