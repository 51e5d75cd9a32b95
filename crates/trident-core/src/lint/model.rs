//! A stack read from its files: supervisord's programs with their environment, the uWSGI
//! file each replica reads with its `$(VAR)`s expanded, nginx's files with their includes
//! followed. The lint rules and `import` read the stack through here.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::{Facts, Include, Kind, Resolved, Source, DEBIAN_UWSGI_PARAMS};
use crate::read::{NginxConf, SupervisordConf, UwsgiIni};
use crate::syntax::ini::{Entry, Section};
use crate::syntax::nginx::Directive;
use crate::syntax::Pos;

/// How deep includes are followed (nginx has no limit; a loop is cut here).
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// A parsed source.
pub enum Parsed<'a> {
    /// supervisord's ini.
    Supervisord(SupervisordConf<'a>),
    /// A uWSGI ini file.
    Uwsgi(UwsgiIni<'a>),
    /// nginx.
    Nginx(NginxConf<'a>),
    /// Anything else (nftables, unknown, unreadable).
    Other,
}

/// What a supervisord program runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Runs {
    /// uWSGI, with the ini file it reads (an index into the sources) and the options its
    /// command line sets.
    Uwsgi {
        /// The binary as the command names it.
        bin: String,
        /// The `--ini` source, when one of the inputs is that file.
        ini: Option<usize>,
        /// The `--ini` argument as written.
        ini_arg: Option<String>,
        /// `--key value` options of the command line.
        options: Vec<(String, String)>,
    },
    /// nginx, with its `-p` and `-c`.
    Nginx {
        /// The binary as the command names it.
        bin: String,
        /// `-p PREFIX`.
        prefix: Option<String>,
        /// `-c FILE`.
        conf: Option<String>,
    },
    /// Something else.
    Other,
}

/// One `[program:x]`.
pub struct Program<'a> {
    /// Its name.
    pub name: &'a str,
    /// The supervisord source holding it.
    pub file: usize,
    /// Its section.
    pub section: &'a Section<'a>,
    /// `[supervisord] environment` and its own, as supervisord gives them to the child; or
    /// supervisord's refusal.
    pub env: Result<BTreeMap<String, String>, String>,
    /// Its command split as supervisord splits it (`shlex.split`).
    pub argv: Vec<String>,
    /// What the command runs.
    pub runs: Runs,
}

/// The ini file and environment of a uWSGI program: its options as the replica reads them.
pub struct Replica<'a> {
    /// The program.
    pub program: &'a Program<'a>,
    /// The uWSGI source, if among the inputs.
    pub ini: Option<usize>,
    /// `[uwsgi]` options then the command line's, values with `$(VAR)` expanded from the
    /// program's environment (an unset variable stays literal, as uWSGI leaves it).
    pub options: Vec<Opt<'a>>,
}

/// One uWSGI option of a replica.
pub struct Opt<'a> {
    /// Its key.
    pub key: Cow<'a, str>,
    /// Its value, `$(VAR)`s expanded.
    pub value: String,
    /// The ini entry, when it comes from the file (`None`: the command line).
    pub entry: Option<&'a Entry<'a>>,
    /// Variables it reads that the environment does not set.
    pub unset: Vec<String>,
}

impl<'a> Replica<'a> {
    /// The last value of any of `keys` (uWSGI's last one wins for single-valued options).
    pub fn last(&self, keys: &[&str]) -> Option<&Opt<'a>> {
        self.options
            .iter()
            .rev()
            .find(|o| keys.contains(&o.key.as_ref()))
    }

    /// Every value of any of `keys`.
    pub fn all<'s>(&'s self, keys: &'s [&'s str]) -> impl Iterator<Item = &'s Opt<'a>> + 's {
        self.options
            .iter()
            .filter(move |o| keys.contains(&o.key.as_ref()))
    }

    /// Its uwsgi sockets, normalized ([`address`]); `=N` is the N-th `shared-socket`, with
    /// that entry.
    pub fn sockets(&self) -> Vec<(String, &Opt<'a>)> {
        let shared: Vec<&Opt<'a>> = self.all(&["shared-socket"]).collect();
        self.all(&["socket", "uwsgi-socket"])
            .map(|o| {
                let target = o
                    .value
                    .trim()
                    .strip_prefix('=')
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| shared.get(n).copied())
                    .unwrap_or(o);
                (address(&target.value), target)
            })
            .collect()
    }
}

/// `host:port` or `unix:/path`, as nginx's upstream servers and uWSGI's sockets compare:
/// `localhost` is `127.0.0.1`, a bare `:PORT` or `0.0.0.0`/`*`/`[::]` is `*:PORT`.
pub fn address(raw: &str) -> String {
    let raw = raw.trim();
    if let Some(path) = raw.strip_prefix("unix:") {
        // `unix:///tmp/x.sock` is `/tmp/x.sock`: the kernel reads repeated slashes as one.
        let path = match path.trim_start_matches('/') {
            rest if path.starts_with('/') => format!("/{rest}"),
            _ => path.to_string(),
        };
        return format!("unix:{path}");
    }
    if raw.starts_with('/') || raw.starts_with('@') || raw.starts_with('.') {
        return format!("unix:{raw}");
    }
    match raw.rsplit_once(':') {
        Some((host, port)) => {
            let host = match host {
                "" | "0.0.0.0" | "*" | "[::]" => "*",
                "localhost" => "127.0.0.1",
                h => h,
            };
            format!("{host}:{port}")
        }
        None => raw.to_string(),
    }
}

/// Whether an upstream address reaches a socket bound at `bound` (`*:PORT` takes every
/// address of its port).
pub fn reaches(upstream: &str, bound: &str) -> bool {
    upstream == bound
        || match (upstream.rsplit_once(':'), bound.rsplit_once(':')) {
            (Some((_, up)), Some(("*", bp))) => !upstream.starts_with("unix:") && up == bp,
            _ => false,
        }
}

/// Each source parsed as its kind says, by index: the storage a [`Model`] borrows.
pub fn parse_all(sources: &[Source]) -> Vec<Parsed<'_>> {
    sources
        .iter()
        .map(|s| match (&s.text, s.kind) {
            (Ok(t), Some(Kind::Supervisord)) => Parsed::Supervisord(SupervisordConf::parse(t)),
            (Ok(t), Some(Kind::Uwsgi)) => Parsed::Uwsgi(UwsgiIni::parse(t)),
            (Ok(t), Some(Kind::Nginx)) => Parsed::Nginx(NginxConf::parse(t)),
            _ => Parsed::Other,
        })
        .collect()
}

/// The stack: the sources parsed ([`parse_all`]), the programs, nginx's files.
pub struct Model<'m> {
    /// The sources.
    pub sources: &'m [Source],
    /// Each source parsed, by index.
    pub parsed: &'m [Parsed<'m>],
    /// The includes, as resolved.
    pub includes: &'m [Include],
    /// Debian's `uwsgi_params`, parsed once for includes of it.
    pub debian_params: NginxConf<'static>,
    /// Every `[program:x]` of every supervisord source, in order.
    pub programs: Vec<Program<'m>>,
    /// `%(ENV_X)s` values known to the caller.
    pub env: &'m BTreeMap<String, String>,
}

impl<'m> Model<'m> {
    /// Reads the programs of the parsed sources.
    pub fn read(
        sources: &'m [Source],
        parsed: &'m [Parsed<'m>],
        includes: &'m [Include],
        facts: &'m Facts,
    ) -> Model<'m> {
        let uwsgi_sources: Vec<usize> = (0..sources.len())
            .filter(|&i| sources[i].kind == Some(Kind::Uwsgi))
            .collect();
        let mut programs = Vec::new();
        for (file, p) in parsed.iter().enumerate() {
            let Parsed::Supervisord(conf) = p else {
                continue;
            };
            let base_env: BTreeMap<String, String> = conf
                .ini
                .section("supervisord")
                .and_then(|s| SupervisordConf::env(s).ok())
                .map(owned)
                .unwrap_or_default();
            for (name, section) in conf.programs() {
                let env = SupervisordConf::env(section).map(|pairs| {
                    let mut env = base_env.clone();
                    env.extend(
                        crate::read::supervisord_sets(name).map(|(k, v)| (k.to_string(), v)),
                    );
                    env.extend(owned(pairs));
                    env
                });
                let argv = section
                    .value("command")
                    .map(|c| split_command(&crate::read::unpercent(c)))
                    .unwrap_or_default();
                let mut runs = runs(&argv);
                if let Runs::Uwsgi { ini, ini_arg, .. } = &mut runs {
                    *ini = match_ini(sources, &uwsgi_sources, file, ini_arg.as_deref());
                }
                programs.push(Program {
                    name,
                    file,
                    section,
                    env,
                    argv,
                    runs,
                });
            }
        }
        Model {
            sources,
            parsed,
            includes,
            debian_params: NginxConf::parse(DEBIAN_UWSGI_PARAMS),
            programs,
            env: &facts.env,
        }
    }

    /// Whether every nginx file parsed and supervisord took every program's environment:
    /// rules across files compare only a complete picture.
    pub fn complete(&self) -> bool {
        self.programs.iter().all(|p| p.env.is_ok())
            && self.parsed.iter().all(|p| match p {
                Parsed::Nginx(n) => n.conf.error.is_none(),
                _ => true,
            })
    }

    /// Indices of the sources of `kind`.
    pub fn kind_indices(&self, kind: Kind) -> Vec<usize> {
        (0..self.sources.len())
            .filter(|&i| self.sources[i].kind == Some(kind))
            .collect()
    }

    /// The uWSGI programs with their options (not those whose environment supervisord
    /// refuses: they do not start).
    pub fn replicas(&self) -> Vec<Replica<'_>> {
        self.programs
            .iter()
            .filter(|p| p.env.is_ok())
            .filter_map(|p| {
                let Runs::Uwsgi { ini, options, .. } = &p.runs else {
                    return None;
                };
                let env = p.env.as_ref().ok();
                let mut opts = Vec::new();
                if let Some(section) = ini.and_then(|i| self.uwsgi(i)).and_then(|u| u.uwsgi()) {
                    for e in &section.entries {
                        let (value, unset) = expand(&e.value, env);
                        opts.push(Opt {
                            key: Cow::Borrowed(e.key.as_ref()),
                            value,
                            entry: Some(e),
                            unset,
                        });
                    }
                }
                for (k, v) in options {
                    let (value, unset) = expand(v, env);
                    opts.push(Opt {
                        key: Cow::Owned(k.clone()),
                        value,
                        entry: None,
                        unset,
                    });
                }
                Some(Replica {
                    program: p,
                    ini: *ini,
                    options: opts,
                })
            })
            .collect()
    }

    /// The nginx sources no include reaches: the files nginx is started with.
    pub fn nginx_roots(&self) -> Vec<usize> {
        self.kind_indices(Kind::Nginx)
            .into_iter()
            .filter(|&i| !super::is_included(self.includes, i))
            .collect()
    }

    /// The nginx source `i`.
    pub fn nginx(&self, i: usize) -> Option<&'m NginxConf<'m>> {
        match &self.parsed[i] {
            Parsed::Nginx(n) => Some(n),
            _ => None,
        }
    }

    /// The uWSGI source `i`.
    pub fn uwsgi(&self, i: usize) -> Option<&'m UwsgiIni<'m>> {
        match &self.parsed[i] {
            Parsed::Uwsgi(u) => Some(u),
            _ => None,
        }
    }

    /// The supervisord source `i`.
    pub fn supervisord(&self, i: usize) -> Option<&'m SupervisordConf<'m>> {
        match &self.parsed[i] {
            Parsed::Supervisord(s) => Some(s),
            _ => None,
        }
    }

    /// The directives of `list` (in source `file`) with includes replaced by what they
    /// name, each with the source it is written in; bounded by [`MAX_INCLUDE_DEPTH`].
    pub fn expand<'s>(
        &'s self,
        file: usize,
        list: &'s [Directive<'m>],
    ) -> Vec<(usize, &'s Directive<'m>)> {
        let mut out = Vec::new();
        self.expand_into(file, list, &mut vec![file], &mut out);
        out
    }

    /// `stack`: the files being expanded; one of them again is a loop, not followed.
    fn expand_into<'s>(
        &'s self,
        file: usize,
        list: &'s [Directive<'m>],
        stack: &mut Vec<usize>,
        out: &mut Vec<(usize, &'s Directive<'m>)>,
    ) {
        for d in list {
            if d.name() != "include" || stack.len() > MAX_INCLUDE_DEPTH {
                out.push((file, d));
                continue;
            }
            let to = self
                .includes
                .iter()
                .find(|inc| inc.from == file && inc.at == d.name.at)
                .map(|inc| &inc.to);
            match to {
                Some(Resolved::Files(files)) => {
                    for &f in files {
                        if let (Some(conf), false) = (self.nginx(f), stack.contains(&f)) {
                            stack.push(f);
                            self.expand_into(f, &conf.conf.directives, stack, out);
                            stack.pop();
                        }
                    }
                }
                Some(Resolved::DebianUwsgiParams) => {
                    for p in &self.debian_params.conf.directives {
                        out.push((file, p));
                    }
                }
                _ => out.push((file, d)),
            }
        }
    }
}

fn owned(pairs: crate::syntax::env::Pairs<'_>) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `$(VAR)` expanded from `env`; an unset variable stays literal and is named.
pub fn expand(value: &str, env: Option<&BTreeMap<String, String>>) -> (String, Vec<String>) {
    let mut out = String::with_capacity(value.len());
    let mut unset = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("$(") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find(')') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let var = &after[..end];
        match env.and_then(|e| e.get(var)) {
            Some(v) => out.push_str(v),
            None => {
                out.push_str(&rest[start..start + 3 + end]);
                if !unset.iter().any(|u| u == var) {
                    unset.push(var.to_string());
                }
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    (out, unset)
}

/// A command split as Python's `shlex.split` (POSIX mode) splits it: quotes, backslashes,
/// `#` comments not honoured (supervisor turns them off). An unclosed quote ends the word.
pub fn split_command(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(n @ ('"' | '\\' | '$' | '`')) => word.push(n),
                            Some(n) => {
                                word.push('\\');
                                word.push(n);
                            }
                            None => {}
                        },
                        q => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        out.push(word);
    }
    out
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// What `argv` runs: uWSGI (`uwsgi`, `uwsgi-core`, `uwsgi_python3`...), nginx, or either
/// behind `sh -c '... exec nginx ...'`.
fn runs(argv: &[String]) -> Runs {
    let Some(first) = argv.first() else {
        return Runs::Other;
    };
    let name = basename(first);
    if name.starts_with("uwsgi") {
        let mut ini_arg = None;
        let mut options = Vec::new();
        let mut i = 1;
        while i < argv.len() {
            let a = &argv[i];
            if let Some(opt) = a.strip_prefix("--") {
                let (key, value) = match opt.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (opt.to_string(), None),
                };
                let value = match value {
                    Some(v) => v,
                    None if argv.get(i + 1).is_some_and(|n| !n.starts_with('-')) => {
                        i += 1;
                        argv[i].clone()
                    }
                    None => "true".into(),
                };
                if key == "ini" {
                    ini_arg = Some(value);
                } else {
                    options.push((key, value));
                }
            }
            i += 1;
        }
        return Runs::Uwsgi {
            bin: first.clone(),
            ini: None,
            ini_arg,
            options,
        };
    }
    if name == "nginx" {
        let flag = |f: &str| {
            argv.iter()
                .position(|a| a == f)
                .and_then(|i| argv.get(i + 1).cloned())
        };
        return Runs::Nginx {
            bin: first.clone(),
            prefix: flag("-p"),
            conf: flag("-c"),
        };
    }
    if matches!(name, "sh" | "bash" | "dash") {
        if let Some(i) = argv.iter().position(|a| a == "-c") {
            if let Some(script) = argv.get(i + 1) {
                // The script's last simple command that runs nginx or uWSGI.
                for part in script.rsplit([';', '&', '|']) {
                    let words = split_command(part);
                    let start = words
                        .iter()
                        .position(|w| basename(w) == "nginx" || basename(w).starts_with("uwsgi"));
                    if let Some(s) = start {
                        return runs(&words[s..]);
                    }
                }
            }
        }
    }
    Runs::Other
}

/// Which uWSGI source a program's `--ini` names: the same file name in the program's own
/// input directory, then the same path, then the same file name anywhere, then the only
/// uWSGI source.
fn match_ini(
    sources: &[Source],
    uwsgi: &[usize],
    program_file: usize,
    arg: Option<&str>,
) -> Option<usize> {
    let dir = |p: &str| p.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    if let Some(arg) = arg {
        let name = basename(arg);
        let here = dir(&sources[program_file].path);
        let by = |f: &dyn Fn(&Source) -> bool| {
            let hits: Vec<usize> = uwsgi.iter().copied().filter(|&i| f(&sources[i])).collect();
            (hits.len() == 1).then(|| hits[0])
        };
        if let Some(i) = by(&|s| basename(&s.path) == name && dir(&s.path) == here) {
            return Some(i);
        }
        if let Some(i) = by(&|s| s.path == arg) {
            return Some(i);
        }
        if let Some(i) = by(&|s| basename(&s.path) == name) {
            return Some(i);
        }
    }
    (uwsgi.len() == 1).then(|| uwsgi[0])
}

/// Where an entry's value starts, or the entry's key for a command-line option.
pub fn opt_pos(o: &Opt<'_>) -> Option<Pos> {
    o.entry.map(|e| e.value_at)
}
