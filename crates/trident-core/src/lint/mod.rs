//! Lint: hand-written (or generated) supervisord, uWSGI and nginx files, each on its own
//! and against each other, with the rules of [`rules::RULES`].
//!
//! Pure like the rest of the core: the caller reads the files, resolves nginx `include`s
//! (the CLI on disk, the page among the pasted files, see [`resolve_by_name`]) and, when the
//! stack runs on the machine that lints it, says which paths exist ([`Facts`]). Then
//! [`lint`] reads everything through [`crate::syntax`] and returns every finding at once.

pub mod import;
pub mod known;
pub mod model;
mod nginx;
pub mod rules;
mod stack;
mod supervisord;
mod uwsgi;

use std::collections::BTreeMap;

use serde::Serialize;

pub use rules::{Rule, RuleId, RULES};

use crate::syntax::Pos;
use crate::Severity;

/// What a file configures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// supervisord's ini (`[supervisord]`, `[program:x]` ...).
    Supervisord,
    /// A uWSGI ini file (`[uwsgi]`).
    Uwsgi,
    /// An nginx configuration or a file it includes.
    Nginx,
    /// An nftables ruleset (the firewall of an app host).
    Nftables,
}

/// Reading stops here: larger inputs are refused with a finding, so a lint is bounded.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// One input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The path as the user gave it (or as an include found it); findings name it.
    pub path: String,
    /// The text, or why it is not text a server reads.
    pub text: Result<String, Unreadable>,
    /// What it configures, from its content ([`detect`]) or as an include's target.
    pub kind: Option<Kind>,
}

/// Why a file cannot be read as configuration, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    /// Where the trouble starts.
    pub at: Pos,
    /// What it is.
    pub message: String,
}

impl Source {
    /// A file from its bytes: invalid UTF-8, a NUL byte or more than [`MAX_FILE_BYTES`]
    /// make it unreadable (named at the first bad byte); otherwise its kind is detected.
    pub fn from_bytes(path: impl Into<String>, bytes: &[u8]) -> Source {
        let path = path.into();
        let text = decode(bytes);
        let kind = text.as_ref().ok().and_then(|t| detect(t));
        Source { path, text, kind }
    }

    /// A file known to be text.
    pub fn from_text(path: impl Into<String>, text: impl Into<String>) -> Source {
        Source::from_bytes(path, text.into().as_bytes())
    }
}

fn pos_of(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[start..]).chars().count() as u32 + 1;
    Pos { line, col }
}

fn decode(bytes: &[u8]) -> Result<String, Unreadable> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Unreadable {
            at: Pos { line: 1, col: 1 },
            message: format!(
                "{} bytes: larger than the {} MiB a configuration file may be here",
                bytes.len(),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        });
    }
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Err(Unreadable {
            at: pos_of(bytes, i),
            message: "a NUL byte: this is a binary file, not a configuration".into(),
        });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => Err(Unreadable {
            at: pos_of(bytes, e.valid_up_to()),
            message: format!(
                "invalid UTF-8 (byte 0x{:02x}): save the file as UTF-8",
                bytes[e.valid_up_to()]
            ),
        }),
    }
}

/// What `text` configures, from its content: supervisord's and uWSGI's section headers, an
/// nftables `table`, or nginx directives (the first one a directive nginx knows).
pub fn detect(text: &str) -> Option<Kind> {
    const SUPERVISOR: &[&str] = &[
        "supervisord",
        "supervisorctl",
        "unix_http_server",
        "inet_http_server",
        "include",
        "program:",
        "group:",
        "eventlistener:",
        "fcgi-program:",
        "rpcinterface:",
    ];
    for line in text.lines().take(10_000) {
        let t = line.trim();
        if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            if name == "uwsgi" {
                return Some(Kind::Uwsgi);
            }
            if SUPERVISOR
                .iter()
                .any(|s| name == *s || (s.ends_with(':') && name.starts_with(s)))
            {
                return Some(Kind::Supervisord);
            }
        }
        if t.starts_with("table ") && (t.contains(" inet ") || t.contains(" ip")) {
            return Some(Kind::Nftables);
        }
    }
    let conf = crate::syntax::nginx::parse(text);
    let first = conf.directives.first()?;
    known::contains(known::nginx(), first.name()).then_some(Kind::Nginx)
}

/// What an nginx `include` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// These sources (a glob may match several, or none).
    Files(Vec<usize>),
    /// Debian's `/etc/nginx/uwsgi_params`, known by name where the file itself is not at
    /// hand.
    DebianUwsgiParams,
    /// No such file: where nginx would look.
    Missing(String),
    /// Not followed: why (a loop, a file outside the directory, too many files).
    Refused(String),
}

/// One `include` of an nginx source, resolved by the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    /// The source holding the directive.
    pub from: usize,
    /// Where the directive stands.
    pub at: Pos,
    /// Its argument.
    pub pattern: String,
    /// What it resolves to.
    pub to: Resolved,
}

/// Debian's `/etc/nginx/uwsgi_params` (nginx 1.22.1-9+deb12), for an include of it where the
/// file is not at hand.
pub const DEBIAN_UWSGI_PARAMS: &str = "uwsgi_param QUERY_STRING $query_string;
uwsgi_param REQUEST_METHOD $request_method;
uwsgi_param CONTENT_TYPE $content_type;
uwsgi_param CONTENT_LENGTH $content_length;
uwsgi_param REQUEST_URI $request_uri;
uwsgi_param PATH_INFO $document_uri;
uwsgi_param DOCUMENT_ROOT $document_root;
uwsgi_param SERVER_PROTOCOL $server_protocol;
uwsgi_param REQUEST_SCHEME $scheme;
uwsgi_param HTTPS $https if_not_empty;
uwsgi_param REMOTE_ADDR $remote_addr;
uwsgi_param REMOTE_PORT $remote_port;
uwsgi_param SERVER_PORT $server_port;
uwsgi_param SERVER_NAME $server_name;
uwsgi_param HTTP_HOST $host;
";

/// What the machine that runs the stack says about the paths the files name: given when
/// the lint runs there (`trident lint --this-host`), empty otherwise.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Whether each path exists (and is a directory), for the paths [`paths_to_check`]
    /// names.
    pub paths: BTreeMap<String, PathState>,
    /// Environment variables supervisord's `%(ENV_X)s` expands, where known.
    pub env: BTreeMap<String, String>,
}

/// What is at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathState {
    /// A directory.
    Dir,
    /// Something else that exists.
    File,
    /// Nothing.
    Missing,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's stable id, e.g. `nginx/uwsgi-params`.
    pub rule: &'static str,
    /// From the rule.
    pub severity: Severity,
    /// The file, as the source names it.
    pub file: String,
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1, in characters.
    pub column: u32,
    /// What is wrong here.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// What the real server does with it.
    pub why: &'static str,
}

/// Findings being collected, one file at a time.
pub(crate) struct Out<'s> {
    sources: &'s [Source],
    findings: Vec<Finding>,
}

impl Out<'_> {
    pub(crate) fn add(
        &mut self,
        rule: RuleId,
        file: usize,
        at: Pos,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let r = rule.rule();
        self.findings.push(Finding {
            rule: r.id,
            severity: r.severity,
            file: self.sources[file].path.clone(),
            line: at.line.max(1),
            column: at.col.max(1),
            message: message.into(),
            hint: hint.into(),
            why: r.why,
        });
    }
}

/// The start of a file, for findings about what it lacks.
pub(crate) const START: Pos = Pos { line: 1, col: 1 };

/// Every finding for `sources`, sorted by file (in input order), line, column and rule.
pub fn lint(sources: &[Source], includes: &[Include], facts: &Facts) -> Vec<Finding> {
    let named = ini_targets(sources, includes, facts);
    let owned: Vec<Source>;
    let sources = if named.is_empty() {
        sources
    } else {
        owned = sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut s = s.clone();
                if named.contains(&i) {
                    s.kind = Some(Kind::Uwsgi);
                }
                s
            })
            .collect();
        &owned
    };
    let mut out = Out {
        sources,
        findings: Vec::new(),
    };
    for (i, s) in sources.iter().enumerate() {
        match (&s.text, s.kind) {
            (Err(e), _) => out.add(RuleId::Unreadable, i, e.at, e.message.clone(), "give the configuration file itself, as UTF-8 text"),
            (Ok(_), None) if !is_included(includes, i) => out.add(
                RuleId::UnknownKind,
                i,
                START,
                "not a supervisord, uWSGI or nginx configuration",
                "a supervisord file has [supervisord] or [program:NAME], a uWSGI file [uwsgi], an nginx file directives such as http { ... }",
            ),
            _ => {}
        }
    }
    let parsed = model::parse_all(sources);
    let model = model::Model::read(sources, &parsed, includes, facts);
    // Read once: every rule looks at the replicas.
    let replicas = model.replicas();
    supervisord::check(&model, &replicas, facts, &mut out);
    uwsgi::check(&model, &replicas, &mut out);
    nginx::check(&model, &replicas, &mut out);
    stack::check(&model, &replicas, &mut out);
    let order: BTreeMap<&str, usize> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| (s.path.as_str(), i))
        .collect();
    let mut findings = out.findings;
    findings.sort_by(|a, b| {
        (order.get(a.file.as_str()), a.line, a.column, a.rule).cmp(&(
            order.get(b.file.as_str()),
            b.line,
            b.column,
            b.rule,
        ))
    });
    findings.dedup();
    findings
}

/// Sources of no known kind that a uWSGI program's `--ini` names: uWSGI reads them, so they
/// are uWSGI files (one without `[uwsgi]` is that rule's finding, not an unknown file).
fn ini_targets(sources: &[Source], includes: &[Include], facts: &Facts) -> Vec<usize> {
    if !sources.iter().any(|s| s.kind.is_none() && s.text.is_ok()) {
        return Vec::new();
    }
    let parsed = model::parse_all(sources);
    let model = model::Model::read(sources, &parsed, includes, facts);
    let mut out = Vec::new();
    for p in &model.programs {
        if let model::Runs::Uwsgi {
            ini_arg: Some(arg),
            ini: None,
            ..
        } = &p.runs
        {
            let name = arg.rsplit('/').next().unwrap_or(arg);
            for (i, s) in sources.iter().enumerate() {
                if s.kind.is_none()
                    && s.text.is_ok()
                    && s.path.rsplit('/').next() == Some(name)
                    && !out.contains(&i)
                {
                    out.push(i);
                }
            }
        }
    }
    out
}

/// Whether a file lies directly in a directory every user writes (`/tmp/x.pid`, not
/// `/tmp/deploy/run/x.pid`, whose directory the deployment owns).
pub(crate) fn in_shared_tmp(path: &str) -> bool {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    matches!(dir, "/tmp" | "/var/tmp" | "/dev/shm")
}

fn is_included(includes: &[Include], i: usize) -> bool {
    includes
        .iter()
        .any(|inc| matches!(&inc.to, Resolved::Files(f) if f.contains(&i)))
}

/// The paths [`Facts::paths`] should answer for `sources`: directories supervisord needs and
/// the places a bare command may be found.
pub fn paths_to_check(sources: &[Source], includes: &[Include], facts: &Facts) -> Vec<String> {
    let parsed = model::parse_all(sources);
    let model = model::Model::read(sources, &parsed, includes, facts);
    let mut out = supervisord::paths_to_check(&model);
    out.sort();
    out.dedup();
    out
}

/// The `include`s of every nginx source, resolved among `sources` by file name as the page
/// has them (no directories there): a pattern matches a source whose path ends with the
/// pattern's last component (a `*` in it matches any run of characters); `uwsgi_params` with
/// no such source is Debian's. Sources found this way become nginx sources.
pub fn resolve_by_name(sources: &mut [Source]) -> Vec<Include> {
    let mut out = Vec::new();
    for from in 0..sources.len() {
        let Ok(text) = &sources[from].text else {
            continue;
        };
        if sources[from].kind != Some(Kind::Nginx) {
            continue;
        }
        let conf = crate::read::NginxConf::parse(text);
        for (pattern, at) in conf.includes() {
            let last = pattern.rsplit('/').next().unwrap_or(&pattern);
            let hits: Vec<usize> = (0..sources.len())
                .filter(|&j| {
                    j != from && glob(last, sources[j].path.rsplit('/').next().unwrap_or(""))
                })
                .collect();
            let to = if !hits.is_empty() || pattern.contains('*') {
                Resolved::Files(hits)
            } else if last == "uwsgi_params" {
                Resolved::DebianUwsgiParams
            } else if debian_ships(&pattern) {
                // On the page, the user's /etc/nginx is not there to read: Debian's own
                // files are taken as present (their directives set nothing lint checks).
                Resolved::Files(Vec::new())
            } else {
                Resolved::Missing(pattern.to_string())
            };
            out.push(Include {
                from,
                at,
                pattern: pattern.into_owned(),
                to,
            });
        }
    }
    for inc in &out {
        if let Resolved::Files(f) = &inc.to {
            for &j in f {
                if sources[j].kind.is_none() {
                    sources[j].kind = Some(Kind::Nginx);
                }
            }
        }
    }
    out
}

/// Whether Debian's nginx package ships the file an include names (`/etc/nginx/mime.types`,
/// `fastcgi_params`, ...): present on every host that runs Debian's nginx.
pub fn debian_ships(pattern: &str) -> bool {
    const SHIPPED: &[&str] = &[
        "mime.types",
        "fastcgi_params",
        "fastcgi.conf",
        "scgi_params",
        "proxy_params",
        "koi-utf",
        "koi-win",
        "win-utf",
    ];
    let name = pattern.strip_prefix("/etc/nginx/").unwrap_or(pattern);
    SHIPPED.contains(&name)
}

/// Shell-style `*` and `?` matching, as nginx's `glob()` does for one path component.
pub fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative wildcard match with one backtrack point: linear in practice, never
    // exponential.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == '*' {
        i += 1;
    }
    i == p.len()
}

/// Findings kept at `min` severity and above, the `allowed` rules left out.
pub fn filter(findings: Vec<Finding>, min: Severity, allowed: &[&str]) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| f.severity <= min && !allowed.contains(&f.rule))
        .collect()
}

/// Whether any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}
