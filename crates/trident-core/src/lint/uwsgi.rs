//! uWSGI's rules: options uWSGI 2.0.21 does not know or reads as something else, and what
//! each replica reads once supervisord's environment fills its `$(VAR)`s.

use std::collections::BTreeMap;

use super::known::{contains, did_you_mean, uwsgi};
use super::model::{Model, Replica, Runs};
use super::supervisord::truthy;
use super::{Out, RuleId, START};
use crate::syntax::ini::Section;
use crate::syntax::Pos;

/// Options that load a Python app.
const APP_OPTIONS: &[&str] = &[
    "module",
    "wsgi-file",
    "wsgi",
    "file",
    "callable",
    "mount",
    "pymodule-alias",
    "wsgi-env-behaviour",
];

pub(super) fn check(model: &Model<'_>, replicas: &[Replica<'_>], out: &mut Out<'_>) {
    for f in model.kind_indices(super::Kind::Uwsgi) {
        let Some(ini) = model.uwsgi(f) else { continue };
        for e in &ini.ini.errors {
            out.add(
                RuleId::UwsgiNoSection,
                f,
                e.at,
                e.message.clone(),
                "uWSGI reads `key = value` lines under [uwsgi]",
            );
        }
        let Some(section) = ini.uwsgi() else {
            out.add(
                RuleId::UwsgiNoSection,
                f,
                START,
                "no [uwsgi] section",
                "put the options under a [uwsgi] header",
            );
            continue;
        };
        file_rules(model, f, section, out);
    }
    replica_rules(replicas, out);
}

fn file_rules(model: &Model<'_>, f: usize, s: &Section<'_>, out: &mut Out<'_>) {
    let strict = s.value("strict").is_some_and(truthy);
    let plugins: Vec<String> = s
        .all("plugins")
        .chain(s.all("plugin"))
        .flat_map(|e| {
            e.value
                .split(',')
                .map(|p| p.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty())
        .collect();
    let other_plugins = plugins.iter().any(|p| !p.starts_with("python"));
    let text = model.sources[f].text.as_deref().unwrap_or("");
    for e in &s.entries {
        let key = e.key.as_ref();
        if contains(uwsgi(), key) {
            continue;
        }
        // Without strict, an unknown key is a placeholder: fine when `%(key)` reads it.
        if !strict && text.contains(&format!("%({key})")) {
            continue;
        }
        let suggestion = did_you_mean(key, uwsgi().iter().copied());
        if other_plugins && suggestion.is_none() {
            continue; // maybe an option of the other plugin
        }
        let hint = match suggestion {
            Some(k) => format!("did you mean `{k}`?"),
            None => "see `uwsgi --plugin python3 --help` for the options".into(),
        };
        let message = if strict {
            format!("uWSGI does not know `{key}` (strict: it refuses to start)")
        } else {
            format!("uWSGI does not know `{key}` and ignores it")
        };
        out.add(RuleId::UwsgiUnknownOption, f, e.at, message, hint);
    }
    let app = s
        .entries
        .iter()
        .find(|e| APP_OPTIONS.contains(&e.key.as_ref()));
    if let Some(app) = app {
        if !plugins.iter().any(|p| p.starts_with("python")) && !own_build(model, f) {
            out.add(RuleId::UwsgiNoPlugin, f, app.at, format!("`{}` needs the python3 plugin, and no `plugins` loads it", app.key), "add plugins = python3 (Debian's uwsgi); pip's uwsgi has Python built in: allow this rule");
        }
        if !s.value("need-app").is_some_and(truthy) {
            out.add(
                RuleId::UwsgiNoNeedApp,
                f,
                s.headers[0],
                "no need-app: an app that fails to import leaves uWSGI running and answering 500",
                "add need-app = true: uWSGI then exits (22) and supervisord shows the failure",
            );
        }
    }
    for e in s.all("env") {
        let Some((k, v)) = e.value.split_once('=') else {
            continue;
        };
        let quoted = v.len() >= 2
            && ((v.starts_with('\'') && v.ends_with('\''))
                || (v.starts_with('"') && v.ends_with('"')));
        if quoted {
            out.add(
                RuleId::UwsgiQuotedEnv,
                f,
                e.value_at,
                format!("env {k} keeps its quotes: the app sees {v}"),
                format!("write env = {k}={} without quotes", &v[1..v.len() - 1]),
            );
        }
    }
    for e in s.all("pidfile").chain(s.all("pidfile2")) {
        if super::in_shared_tmp(&e.value) {
            out.add(
                RuleId::UwsgiPidfile,
                f,
                e.value_at,
                format!("pidfile {} lies in a directory every user writes", e.value),
                "drop it (supervisord tracks the pid) or put it in the deployment's run directory",
            );
        }
    }
    root(model, f, s, out);
}

/// Whether a program runs the file with a uWSGI of its own (pip's, in a virtualenv: Python
/// built in) rather than Debian's plugin-based `/usr/bin/uwsgi`.
fn own_build(model: &Model<'_>, f: usize) -> bool {
    model.programs.iter().any(|p| {
        matches!(&p.runs, Runs::Uwsgi { ini: Some(i), .. } if *i == f)
            && p.argv
                .first()
                .is_some_and(|c| c.contains('/') && !c.starts_with("/usr/bin/"))
    })
}

/// Whether the file refuses to run as root: a `%u` placeholder tested for 0 by `if-opt`.
fn root_guard(s: &Section<'_>) -> bool {
    let placeholders: Vec<&str> = s
        .all("set-placeholder")
        .filter_map(|e| e.value.split_once("=%u").map(|(n, _)| n.trim()))
        .collect();
    s.all("if-opt").any(|e| {
        placeholders
            .iter()
            .any(|p| e.value.trim() == format!("set-placeholder={p}=0"))
    })
}

fn root(model: &Model<'_>, f: usize, s: &Section<'_>, out: &mut Out<'_>) {
    if s.get("uid").is_some() || root_guard(s) {
        return;
    }
    let programs: Vec<_> = model
        .programs
        .iter()
        .filter(|p| matches!(&p.runs, Runs::Uwsgi { ini: Some(i), .. } if *i == f))
        .collect();
    if programs.is_empty() {
        return;
    }
    let supervisord_user = |file: usize| {
        model
            .supervisord(file)
            .and_then(|c| c.ini.section("supervisord"))
            .and_then(|s| s.value("user"))
            .is_some_and(|u| u.trim() != "root")
    };
    let unguarded: Vec<&str> = programs
        .iter()
        .filter(|p| {
            let own = p.section.value("user").is_some_and(|u| u.trim() != "root");
            !own && !supervisord_user(p.file)
        })
        .map(|p| p.name)
        .collect();
    if !unguarded.is_empty() {
        out.add(
            RuleId::UwsgiRoot,
            f,
            s.headers[0],
            format!("started by a root supervisord, {} run the app as root: no uid here, no user in supervisord", unguarded.join(", ")),
            "set uid and gid to an unprivileged user here, or user = NAME in each [program:x] (trident generate --user NAME does this)",
        );
    }
}

/// A stats address others can connect to: TCP (`HOST:PORT`, `:PORT`) or a Linux abstract
/// socket (`@name`, no file permissions); a path is a file only its directory guards.
fn stats_exposed(value: &str) -> bool {
    value.starts_with('@') || (!value.starts_with('/') && value.contains(':'))
}

/// What the replicas read once `$(VAR)`s are expanded: one finding per entry, naming every
/// program it holds for.
fn replica_rules(replicas: &[Replica<'_>], out: &mut Out<'_>) {
    type Key = (RuleId, usize, Pos);
    // Each entry's message and the programs it holds for.
    let mut found: BTreeMap<Key, (String, Vec<&str>)> = BTreeMap::new();
    for r in replicas {
        let Some(ini) = r.ini else { continue };
        let workers = r.last(&["workers", "processes"]);
        for o in &r.options {
            let Some(e) = o.entry else { continue };
            let is_workers = workers.is_some_and(|w| std::ptr::eq(w, o));
            let key = (
                if is_workers && (!o.unset.is_empty() || o.value.trim() == "0") {
                    RuleId::UwsgiWorkersZero
                } else if !o.unset.is_empty() {
                    RuleId::UwsgiUnsetVar
                } else if matches!(o.key.as_ref(), "socket" | "uwsgi-socket")
                    && super::model::address(&o.value).starts_with("*:")
                {
                    RuleId::UwsgiAllInterfaces
                } else if matches!(o.key.as_ref(), "stats" | "stats-server")
                    && stats_exposed(o.value.trim())
                {
                    RuleId::UwsgiStatsExposed
                } else {
                    continue;
                },
                ini,
                e.value_at,
            );
            let detail = match key.0 {
                RuleId::UwsgiWorkersZero if !o.unset.is_empty() => format!(
                    "workers = {} reads {} unset: uWSGI starts 0 workers",
                    e.value,
                    o.unset.join(", ")
                ),
                RuleId::UwsgiWorkersZero => "workers = 0".to_string(),
                RuleId::UwsgiUnsetVar => format!(
                    "`{}` reads $({}), which the environment does not set",
                    e.key,
                    o.unset.join("), $(")
                ),
                RuleId::UwsgiStatsExposed => format!(
                    "{} = {} serves every running request's headers to whoever connects",
                    e.key, e.value
                ),
                _ => format!("socket = {} binds every interface", e.value),
            };
            found
                .entry(key)
                .or_insert_with(|| (detail, Vec::new()))
                .1
                .push(r.program.name);
        }
    }
    for ((rule, file, at), (detail, programs)) in found {
        let whom = format!(" (for {})", programs.join(", "));
        let hint = match rule {
            RuleId::UwsgiWorkersZero => "write a literal number (workers = 2), or set the variable in each program's environment".to_string(),
            RuleId::UwsgiUnsetVar => "set it in each [program:x] environment (environment = VAR=\"value\") or write the value here".to_string(),
            RuleId::UwsgiStatsExposed => "serve it on a unix socket in a directory only the app's user enters: stats = /srv/app/run/status/$(SUPERVISOR_PROCESS_NAME).stats, the directory made with install -d -m 0700 (trident generate does this)".to_string(),
            _ => "bind loopback: socket = 127.0.0.1:$(S_PORT) (or a unix socket in the run directory)".to_string(),
        };
        out.add(rule, file, at, format!("{detail}{whom}"), hint);
    }
}
