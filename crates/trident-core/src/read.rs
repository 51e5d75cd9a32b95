//! What a stack's three files say, read with the grammar readers of [`crate::syntax`]: the
//! programs and their environment, the variables uWSGI reads, the upstream servers and which
//! are `down`, pid files, includes. The cross-file check, the deploy planner and (later)
//! lint and import all read files through here.

use std::borrow::Cow;

use crate::syntax::env::{environment, Pairs};
use crate::syntax::ini::{self, Dialect, Ini, Section};
use crate::syntax::nginx::{self, Conf, Directive};
use crate::syntax::Pos;

/// `%%` undone: supervisord's (and uWSGI's) literal `%`.
pub fn unpercent(s: &str) -> Cow<'_, str> {
    // A byte scan first: most values hold no `%` at all.
    if s.as_bytes().contains(&b'%') && s.contains("%%") {
        Cow::Owned(s.replace("%%", "%"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The `&'a str` inside a value, when it borrows from the file.
fn keep<'a>(c: &Cow<'a, str>) -> Cow<'a, str> {
    match c {
        Cow::Borrowed(b) => Cow::Borrowed(b),
        Cow::Owned(o) => Cow::Owned(o.clone()),
    }
}

fn unpercent_pairs(pairs: Pairs<'_>) -> Pairs<'_> {
    pairs
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                Cow::Borrowed(b) => unpercent(b),
                Cow::Owned(o) => Cow::Owned(unpercent(&o).into_owned()),
            };
            (k, v)
        })
        .collect()
}

/// What supervisord adds to every child's environment before the program's own
/// `environment` (supervisor 4.2's `process.py`: `SUPERVISOR_ENABLED`, the program and group
/// names; `SUPERVISOR_SERVER_URL` only with a server, so it is left out here).
pub fn supervisord_sets(program: &str) -> [(&'static str, String); 3] {
    [
        ("SUPERVISOR_ENABLED", "1".to_string()),
        (crate::layout::PROCESS_NAME_VAR, program.to_string()),
        ("SUPERVISOR_GROUP_NAME", program.to_string()),
    ]
}

/// A supervisord.conf.
#[derive(Clone, Debug)]
pub struct SupervisordConf<'a> {
    /// The parsed file.
    pub ini: Ini<'a>,
}

/// A program's `environment` pairs (values unquoted, `%%` undone), or supervisord's refusal.
pub type Env<'a> = Result<Pairs<'a>, String>;

impl<'a> SupervisordConf<'a> {
    /// Reads `text` as supervisord does.
    pub fn parse(text: &'a str) -> Self {
        SupervisordConf {
            ini: ini::parse(text, Dialect::Supervisord),
        }
    }

    /// The `[program:NAME]` sections, in file order.
    pub fn programs(&self) -> impl Iterator<Item = (&'a str, &Section<'a>)> + '_ {
        self.ini
            .sections
            .iter()
            .filter_map(|s| Some((s.name.strip_prefix("program:")?, s)))
    }

    /// The sections that are not programs: supervisord's own settings.
    pub fn control(&self) -> impl Iterator<Item = &Section<'a>> + '_ {
        self.ini
            .sections
            .iter()
            .filter(|s| !s.name.starts_with("program:"))
    }

    /// A program section's environment, as supervisord reads it.
    pub fn env(section: &Section<'a>) -> Env<'a> {
        let Some(entry) = section.get("environment") else {
            return Ok(Vec::new());
        };
        match keep(&entry.value) {
            Cow::Borrowed(b) => environment(b).map(unpercent_pairs),
            Cow::Owned(o) => environment(&o).map(|pairs| {
                unpercent_pairs(pairs)
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                    .collect()
            }),
        }
    }

    /// `[supervisord] pidfile`, `%%` undone.
    pub fn pid_file(&self) -> Option<Cow<'a, str>> {
        let entry = self.ini.section("supervisord")?.get("pidfile")?;
        Some(match &entry.value {
            Cow::Borrowed(b) => unpercent(b),
            Cow::Owned(o) => Cow::Owned(unpercent(o).into_owned()),
        })
    }
}

/// A uWSGI ini file, read in its `[uwsgi]` section as uWSGI reads it.
#[derive(Clone, Debug)]
pub struct UwsgiIni<'a> {
    /// The parsed file.
    pub ini: Ini<'a>,
}

impl<'a> UwsgiIni<'a> {
    /// Reads `text` as uWSGI does.
    pub fn parse(text: &'a str) -> Self {
        UwsgiIni {
            ini: ini::parse(text, Dialect::Uwsgi),
        }
    }

    /// The `[uwsgi]` section, if there is one.
    pub fn uwsgi(&self) -> Option<&Section<'a>> {
        self.ini.section("uwsgi")
    }

    /// Environment variables the options read: each `$(VAR)` and each `if-env`/`if-not-env`
    /// test, once each, in order.
    pub fn vars(&self) -> Vec<&'a str> {
        let mut out = Vec::new();
        let Some(section) = self.uwsgi() else {
            return out;
        };
        for entry in &section.entries {
            let Cow::Borrowed(value) = entry.value else {
                continue;
            };
            if matches!(entry.key.as_ref(), "if-env" | "if-not-env") {
                add_once(&mut out, value.split('=').next().unwrap_or(value));
            }
            let mut rest = value;
            while let Some(start) = rest.find("$(") {
                let after = &rest[start + 2..];
                let Some(end) = after.find(')') else { break };
                add_once(&mut out, &after[..end]);
                rest = &after[end + 1..];
            }
        }
        out
    }

    /// `buffer-size`, when it is a number.
    pub fn buffer_size(&self) -> Option<u32> {
        self.uwsgi()?.value("buffer-size")?.parse().ok()
    }
}

fn add_once<'a>(list: &mut Vec<&'a str>, item: &'a str) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// One `server` line of an nginx `upstream` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamServer<'a> {
    /// The upstream block's name.
    pub upstream: Cow<'a, str>,
    /// Its address: `host:port` or `unix:/path`.
    pub address: Cow<'a, str>,
    /// Marked `down`: out of rotation.
    pub down: bool,
    /// Where the `server` directive stands.
    pub at: Pos,
}

/// An nginx.conf.
#[derive(Clone, Debug)]
pub struct NginxConf<'a> {
    /// The parsed file.
    pub conf: Conf<'a>,
}

impl<'a> NginxConf<'a> {
    /// Reads `text` as nginx does.
    pub fn parse(text: &'a str) -> Self {
        NginxConf {
            conf: nginx::parse(text),
        }
    }

    /// Every directive named `name`, wherever it is.
    fn named(&self, name: &str) -> Vec<&Directive<'a>> {
        let mut out = Vec::new();
        self.conf.visit(&mut |_, d| {
            if d.name() == name {
                out.push(d);
            }
        });
        out
    }

    /// The servers of every `upstream` block, in order.
    pub fn upstream_servers(&self) -> Vec<UpstreamServer<'a>> {
        let mut out = Vec::new();
        for d in self.named("upstream") {
            let upstream = d.args.first().map(|w| keep(&w.text)).unwrap_or_default();
            for s in d.children().iter().filter(|c| c.name() == "server") {
                let Some(address) = s.args.first() else {
                    continue;
                };
                out.push(UpstreamServer {
                    upstream: upstream.clone(),
                    address: keep(&address.text),
                    down: s.args[1..].iter().any(|a| a.text == "down"),
                    at: s.name.at,
                });
            }
        }
        out
    }

    /// The main context's `pid` file.
    pub fn pid_file(&self) -> Option<Cow<'a, str>> {
        let d = self.conf.directives.iter().find(|d| d.name() == "pid")?;
        d.args.first().map(|w| keep(&w.text))
    }

    /// Every `include`'s pattern, with where it stands.
    pub fn includes(&self) -> Vec<(Cow<'a, str>, Pos)> {
        self.named("include")
            .into_iter()
            .filter_map(|d| Some((keep(&d.args.first()?.text), d.name.at)))
            .collect()
    }

    /// `large_client_header_buffers`: number and size in bytes (sizes in `k`, `m` or bytes).
    pub fn header_buffers(&self) -> Option<(u32, u32)> {
        let d = *self.named("large_client_header_buffers").last()?;
        let number = d.arg(0)?.parse().ok()?;
        Some((number, size(d.arg(1)?)?))
    }
}

/// An nginx size: `8k`, `1m`, `512`.
pub fn size(s: &str) -> Option<u32> {
    let (digits, scale) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1024),
        b'm' | b'M' => (&s[..s.len() - 1], 1024 * 1024),
        _ => (s, 1),
    };
    digits.parse::<u32>().ok()?.checked_mul(scale)
}

/// What a server reads from a file, for comparing two versions of it: every entry (or
/// directive with its arguments and block path), in order, positions and comments aside.
/// `down` marks on upstream servers are left out: taking a replica out of rotation is not a
/// change of the stack.
pub fn nginx_shape(conf: &NginxConf<'_>) -> Vec<String> {
    let mut out = Vec::new();
    conf.conf.visit(&mut |path, d| {
        let mut line = path.join("/");
        line.push(':');
        line.push_str(d.name());
        let in_upstream = path.last() == Some(&"upstream") && d.name() == "server";
        for a in &d.args {
            if !(in_upstream && a.text == "down") {
                line.push(' ');
                line.push_str(&a.text);
            }
        }
        out.push(line);
    });
    out
}

/// A section's `(key, value)` pairs, for comparing two versions of it.
pub fn section_shape<'s>(section: &'s Section<'_>) -> Vec<(&'s str, &'s str)> {
    section
        .entries
        .iter()
        .map(|e| (e.key.as_ref(), e.value.as_ref()))
        .collect()
}
