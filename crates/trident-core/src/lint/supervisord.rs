//! supervisord's rules: what supervisor 4.2.5 refuses, ignores or puts somewhere odd.

use super::known::{did_you_mean, supervisor_keys};
use super::model::{Model, Program, Replica};
use super::{Facts, Out, PathState, RuleId, START};
use crate::syntax::ini::{Entry, Section};
use crate::syntax::Pos;

/// Where a bare command may be found in a non-root login PATH (Debian's).
const USER_PATH: &[&str] = &["/usr/local/bin", "/usr/bin", "/bin"];

pub(super) fn check(model: &Model<'_>, replicas: &[Replica<'_>], facts: &Facts, out: &mut Out<'_>) {
    let files = model.kind_indices(super::Kind::Supervisord);
    let Some(&first) = files.first() else { return };
    let section = |name: &str| {
        files.iter().find_map(|&f| {
            let s = model.supervisord(f)?.ini.section(name)?;
            Some((f, s))
        })
    };
    // The file that needs the control sections: the one with [supervisord], else the first
    // with programs.
    let main = section("supervisord")
        .map(|(f, _)| f)
        .unwrap_or_else(|| model.programs.first().map_or(first, |p| p.file));
    // A required section spelled wrong: its finding goes on that header, once.
    const REQUIRED: &[&str] = &[
        "supervisord",
        "supervisorctl",
        "unix_http_server",
        "rpcinterface:supervisor",
    ];
    let near = |want: &str| -> Option<(usize, Pos, &str)> {
        files.iter().find_map(|&f| {
            let conf = model.supervisord(f)?;
            conf.ini.sections.iter().find_map(|s| {
                let close = s.name != want
                    && !REQUIRED.contains(&s.name)
                    && (did_you_mean(s.name, std::iter::once(want)).is_some()
                        || (want.starts_with("rpcinterface:")
                            && s.name.starts_with("rpcinterface:")));
                close.then(|| (f, s.headers[0], s.name))
            })
        })
    };
    let at_or_start = |want: &str, what: &str| -> (usize, Pos, String) {
        match near(want) {
            Some((f, at, name)) => (f, at, format!("no [{want}] section: [{name}] is not it")),
            None => (main, START, what.to_string()),
        }
    };
    for &f in &files {
        let Some(conf) = model.supervisord(f) else {
            continue;
        };
        for e in &conf.ini.errors {
            out.add(RuleId::SupervisordSyntax, f, e.at, e.message.clone(), "fix the line as the message says; supervisord reads the file with Python's configparser");
        }
        for s in &conf.ini.sections {
            // A near miss of a missing required section is that section's finding.
            let missing_near = REQUIRED.iter().any(|want| {
                section(want).is_none() && near(want).is_some_and(|(_, _, n)| n == s.name)
            });
            if missing_near {
                continue;
            }
            unknown_keys(s, f, out);
            for e in &s.entries {
                percent(e, f, out);
                env_names(e, f, facts, out);
            }
        }
    }
    if section("supervisord").is_none() {
        let (f, at, msg) = at_or_start("supervisord", "no [supervisord] section");
        out.add(RuleId::SupervisordNoSupervisord, f, at, msg, "add [supervisord] with logfile, pidfile and childlogdir under the deployment's directory");
    } else if let Some((f, s)) = section("supervisord") {
        default_paths(model, f, s, out);
    }
    if section("supervisorctl").is_none() {
        let (f, at, msg) = at_or_start("supervisorctl", "no [supervisorctl] section");
        out.add(
            RuleId::SupervisordNoSupervisorctl,
            f,
            at,
            msg,
            "add [supervisorctl] with serverurl = unix://PATH/supervisor.sock",
        );
    }
    if section("unix_http_server").is_none() && section("inet_http_server").is_none() {
        let (f, at, msg) = at_or_start(
            "unix_http_server",
            "no [unix_http_server]: supervisorctl has nothing to talk to",
        );
        out.add(RuleId::SupervisordNoServer, f, at, msg, "add [unix_http_server] with file = PATH/supervisor.sock and chmod = 0700, and the same path in [supervisorctl] serverurl");
    }
    if section("rpcinterface:supervisor").is_none() {
        let (f, at, msg) = at_or_start(
            "rpcinterface:supervisor",
            "no [rpcinterface:supervisor] section",
        );
        out.add(RuleId::SupervisordNoRpc, f, at, msg, "add [rpcinterface:supervisor] with supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface");
    }
    for p in &model.programs {
        if let Err(e) = &p.env {
            let at = p
                .section
                .get("environment")
                .map_or(p.section.headers[0], |e| e.value_at);
            // A `%` problem is the percent rule's.
            if !e.contains("format") {
                out.add(RuleId::SupervisordSyntax, p.file, at, format!("environment of [program:{}]: {e}", p.name), "write KEY=\"value\" pairs separated by commas; quote values holding @, spaces or commas");
            }
        }
        command_path(p, facts, out);
        missing_dirs(model, Some(p), facts, out);
    }
    missing_dirs(model, None, facts, out);
    let mut quit_with_die: Vec<(usize, crate::syntax::Pos, Vec<&str>)> = Vec::new();
    for r in replicas {
        let p = r.program;
        let signal = p.section.get("stopsignal");
        let name = signal.map_or("TERM", |e| e.value.as_ref());
        let name = name.trim().trim_start_matches("SIG").to_ascii_uppercase();
        let die_on_term = r.last(&["die-on-term"]).is_some_and(|o| truthy(&o.value));
        // A master hook that maps TERM to a graceful stop (uWSGI's documented
        // `unix_signal:15 gracefully_kill_them_all`) makes TERM a clean stop too.
        let term_hooked = r
            .all(&["hook-master-start"])
            .any(|o| o.value.contains("unix_signal:15") && o.value.contains("kill_them_all"));
        if (name == "TERM" || name == "15") && !die_on_term && !term_hooked {
            let at = signal.map_or(p.section.headers[0], |e| e.value_at);
            out.add(
                RuleId::SupervisordStopSignal,
                p.file,
                at,
                format!("[program:{}] runs uWSGI and stops it with TERM", p.name),
                "write stopsignal = QUIT (uWSGI 2.0 exits at once on QUIT)",
            );
        }
        if (name == "QUIT" || name == "3") && die_on_term {
            if let (Some(o), Some(ini)) = (r.last(&["die-on-term"]), r.ini) {
                if let Some(e) = o.entry {
                    // One finding per line of the ini, naming every program it concerns.
                    match quit_with_die
                        .iter_mut()
                        .find(|(f, at, _)| *f == ini && *at == e.at)
                    {
                        Some((_, _, names)) => names.push(p.name),
                        None => quit_with_die.push((ini, e.at, vec![p.name])),
                    }
                }
            }
        }
    }
    for (ini, at, names) in quit_with_die {
        let programs: Vec<String> = names.iter().map(|n| format!("[program:{n}]")).collect();
        out.add(
            RuleId::UwsgiDieOnTerm,
            ini,
            at,
            format!(
                "die-on-term while {} stop uWSGI with QUIT",
                programs.join(", ")
            ),
            "remove die-on-term (QUIT then stops uWSGI at once), or stop with TERM",
        );
    }
}

pub(crate) fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "on" | ""
    )
}

fn unknown_keys(s: &Section<'_>, f: usize, out: &mut Out<'_>) {
    let Some(keys) = supervisor_keys(s.name) else {
        let kinds = [
            "supervisord",
            "supervisorctl",
            "unix_http_server",
            "inet_http_server",
            "include",
            "program",
            "group",
            "eventlistener",
            "fcgi-program",
            "rpcinterface",
        ];
        let (kind, rest) = s
            .name
            .split_once(':')
            .map_or((s.name, None), |(k, r)| (k, Some(r)));
        let hint = match did_you_mean(kind, kinds.iter().copied()) {
            Some(k) => format!("did you mean [{k}{}]?", rest.map(|r| format!(":{r}")).unwrap_or_default()),
            None => "supervisor reads [supervisord], [supervisorctl], [unix_http_server], [inet_http_server], [include], [program:x], [group:x], [eventlistener:x], [fcgi-program:x] and [rpcinterface:x]".into(),
        };
        out.add(
            RuleId::SupervisordUnknownKey,
            f,
            s.headers[0],
            format!("supervisor does not read a [{}] section", s.name),
            hint,
        );
        return;
    };
    let Some(keys) = keys else { return };
    for e in &s.entries {
        if keys.contains(&e.key.as_ref()) {
            continue;
        }
        let hint = match did_you_mean(&e.key, keys.iter().copied()) {
            Some(k) => format!("did you mean `{k}`?"),
            None => format!("[{}] reads: {}", s.name, keys.join(", ")),
        };
        out.add(
            RuleId::SupervisordUnknownKey,
            f,
            e.at,
            format!("supervisor 4.2 does not read `{}` in [{}]", e.key, s.name),
            hint,
        );
    }
}

/// A `%` that is neither `%%` nor `%(name)s`/`%(name)d`/`%(name)r`.
/// `%(ENV_X)s` in a value: supervisord refuses the file where X is unset. Known unset on
/// this host (`--this-host`): the refusal itself; otherwise a warning, once per value.
fn env_names(e: &Entry<'_>, f: usize, facts: &Facts, out: &mut Out<'_>) {
    let v = e.value.as_ref();
    let mut names = Vec::new();
    let mut rest = v;
    while let Some(i) = rest.find("%(ENV_") {
        let after = &rest[i + 6..];
        let Some(end) = after.find(")s") else { break };
        names.push(&after[..end]);
        rest = &after[end..];
    }
    if names.is_empty() {
        return;
    }
    let this_host = !facts.env.is_empty();
    let unset: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !facts.env.contains_key(*n))
        .collect();
    let hint = if names.contains(&"HOME") {
        "write the path itself, or %(here)s (the directory of this file): it needs no environment"
            .to_string()
    } else {
        format!(
            "write the value itself, or set {} in the unit or script that starts supervisord",
            names.join(", ")
        )
    };
    if this_host && !unset.is_empty() {
        out.add(
            RuleId::SupervisordSyntax,
            f,
            e.value_at,
            format!(
                "`{}` = {v}: {} is not set here, and supervisord refuses the file",
                e.key,
                unset.join(", ")
            ),
            hint,
        );
    } else if !this_host {
        out.add(
            RuleId::SupervisordEnvName,
            f,
            e.value_at,
            format!(
                "`{}` = {v} holds only where supervisord starts with {} set",
                e.key,
                names.join(", ")
            ),
            hint,
        );
    }
}

fn percent(e: &Entry<'_>, f: usize, out: &mut Out<'_>) {
    let v = e.value.as_ref();
    let bytes = v.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'%') => i += 2,
            Some(b'(') => match v[i..].find(')') {
                Some(close)
                    if matches!(bytes.get(i + close + 1), Some(b's' | b'd' | b'r' | b'i')) =>
                {
                    i += close + 2
                }
                _ => {
                    bad_percent(e, f, i, out);
                    return;
                }
            },
            _ => {
                bad_percent(e, f, i, out);
                return;
            }
        }
    }
}

fn bad_percent(e: &Entry<'_>, f: usize, offset: usize, out: &mut Out<'_>) {
    out.add(
        RuleId::SupervisordPercent,
        f,
        offset_pos(e, offset),
        format!("`%` in `{}` is neither `%%` nor `%(name)s`", e.key),
        "write a literal percent sign as %% (date +%%s, \"50%%\")",
    );
}

/// The position of byte `offset` of an entry's value (on its first line).
fn offset_pos(e: &Entry<'_>, offset: usize) -> Pos {
    let v = e.value.as_ref();
    match v[..offset].rfind('\n') {
        None => Pos {
            line: e.value_at.line,
            col: e.value_at.col + v[..offset].chars().count() as u32,
        },
        Some(nl) => Pos {
            line: e.value_at.line + v[..offset].matches('\n').count() as u32,
            col: v[nl + 1..offset].chars().count() as u32 + 1,
        },
    }
}

fn default_paths(model: &Model<'_>, f: usize, s: &Section<'_>, out: &mut Out<'_>) {
    let mut missing: Vec<&str> = ["logfile", "pidfile"]
        .into_iter()
        .filter(|k| s.get(k).is_none())
        .collect();
    let child_logs = model.programs.iter().any(|p| {
        let stdout = p.section.get("stdout_logfile").is_some();
        let stderr = p.section.get("stderr_logfile").is_some()
            || p.section.value("redirect_stderr").is_some_and(truthy);
        !(stdout && stderr)
    });
    if child_logs && s.get("childlogdir").is_none() {
        missing.push("childlogdir");
    }
    if !missing.is_empty() {
        out.add(
            RuleId::SupervisordDefaultPaths,
            f,
            s.headers[0],
            format!("[supervisord] leaves {} at the default (the start directory, /tmp for child logs)", missing.join(", ")),
            "set them under the deployment's directory, e.g. logfile = %(here)s/../log/supervisord.log",
        );
    }
}

fn command_path(p: &Program<'_>, facts: &Facts, out: &mut Out<'_>) {
    let Some(cmd) = p.argv.first() else { return };
    if cmd.contains('/') || cmd.is_empty() {
        return;
    }
    let candidates: Vec<String> = USER_PATH.iter().map(|d| format!("{d}/{cmd}")).collect();
    let known: Vec<PathState> = candidates
        .iter()
        .filter_map(|c| facts.paths.get(c).copied())
        .collect();
    let missing = if known.is_empty() {
        // Not on the machine that runs the stack: what Debian installs where.
        cmd == "nginx"
    } else {
        !known.contains(&PathState::File)
    };
    if missing {
        let at = p
            .section
            .get("command")
            .map_or(p.section.headers[0], |e| e.value_at);
        let absolute = if cmd == "nginx" {
            "/usr/sbin/nginx".to_string()
        } else {
            format!("/usr/sbin/{cmd}")
        };
        out.add(
            RuleId::SupervisordCommandPath,
            p.file,
            at,
            format!(
                "[program:{}] runs `{cmd}`, which is not in a non-root PATH ({})",
                p.name,
                USER_PATH.join(":")
            ),
            format!("write the absolute path, e.g. command = {absolute} ..."),
        );
    }
}

/// supervisord's `%(name)s` expanded for program `p`, or `None` where a name is unknown.
pub(super) fn expand_path(
    model: &Model<'_>,
    p: Option<&Program<'_>>,
    file: usize,
    value: &str,
) -> Option<String> {
    let here = model.sources[file]
        .path
        .rsplit_once('/')
        .map_or(".", |(d, _)| if d.is_empty() { "/" } else { d });
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(a) = after.strip_prefix('%') {
            out.push('%');
            rest = a;
            continue;
        }
        let inner = after.strip_prefix('(')?;
        let close = inner.find(')')?;
        let name = &inner[..close];
        let value = match name {
            "here" => here.to_string(),
            "program_name" | "group_name" => p?.name.to_string(),
            "process_num" | "numprocs_start" => "0".into(),
            "numprocs" => "1".into(),
            n => model.env.get(n.strip_prefix("ENV_")?)?.clone(),
        };
        out.push_str(&value);
        rest = inner.get(close + 2..)?;
    }
    out.push_str(rest);
    Some(out)
}

fn parent(path: &str) -> Option<&str> {
    let (d, _) = path.rsplit_once('/')?;
    Some(if d.is_empty() { "/" } else { d })
}

/// The directories a program (or supervisord) needs before the start, with the entry
/// naming each.
fn needed_dirs<'e>(
    model: &Model<'_>,
    p: Option<&Program<'_>>,
    file: usize,
    s: &'e Section<'_>,
) -> Vec<(String, &'e Entry<'e>)> {
    let mut out = Vec::new();
    for e in &s.entries {
        let dir = match e.key.as_ref() {
            "directory" | "childlogdir" => expand_path(model, p, file, &e.value),
            "logfile" | "pidfile" | "stdout_logfile" | "stderr_logfile" | "file" => {
                let v = e.value.trim();
                if matches!(v.to_ascii_uppercase().as_str(), "AUTO" | "NONE" | "SYSLOG")
                    || v.starts_with("/dev/")
                {
                    None
                } else {
                    expand_path(model, p, file, v).and_then(|x| parent(&x).map(str::to_string))
                }
            }
            _ => None,
        };
        if let Some(d) = dir.filter(|d| d.starts_with('/')) {
            out.push((d, e));
        }
    }
    out
}

/// Directories of program `p`, or of supervisord's own sections (`None`), that the facts
/// say are missing.
fn missing_dirs(model: &Model<'_>, p: Option<&Program<'_>>, facts: &Facts, out: &mut Out<'_>) {
    let report = |dir: String, e: &Entry<'_>, file: usize, out: &mut Out<'_>| {
        if facts.paths.get(&dir) == Some(&PathState::Missing) {
            out.add(
                RuleId::SupervisordMissingDir,
                file,
                e.value_at,
                format!(
                    "`{}` needs the directory {dir}, which does not exist",
                    e.key
                ),
                format!(
                    "create it before the start: mkdir -p {}",
                    crate::shell_quote(&dir)
                ),
            );
        }
    };
    match p {
        Some(p) => {
            for (dir, e) in needed_dirs(model, Some(p), p.file, p.section) {
                report(dir, e, p.file, out);
            }
        }
        None => {
            for f in model.kind_indices(super::Kind::Supervisord) {
                let Some(conf) = model.supervisord(f) else {
                    continue;
                };
                for s in conf.control() {
                    for (dir, e) in needed_dirs(model, None, f, s) {
                        report(dir, e, f, out);
                    }
                }
            }
        }
    }
}

pub(super) fn paths_to_check(model: &Model<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for p in &model.programs {
        if let Some(cmd) = p.argv.first().filter(|c| !c.contains('/')) {
            out.extend(USER_PATH.iter().map(|d| format!("{d}/{cmd}")));
        }
        out.extend(
            needed_dirs(model, Some(p), p.file, p.section)
                .into_iter()
                .map(|(d, _)| d),
        );
    }
    for f in model.kind_indices(super::Kind::Supervisord) {
        let Some(conf) = model.supervisord(f) else {
            continue;
        };
        for s in conf.control() {
            out.extend(needed_dirs(model, None, f, s).into_iter().map(|(d, _)| d));
        }
    }
    out
}
