//! What `trident rollout` and `trident apply` do to a running stack, decided without I/O:
//! nginx.conf with some replicas out of rotation, and the difference between the files a
//! stack runs and the files of a new spec.

use crate::consistency::read_back;
use crate::render::{RenderedFile, NGINX_CONF, SUPERVISORD_CONF, UWSGI_INI};
use crate::validate::ValidSpec;

/// The comment line that marks an nginx.conf with replicas out of rotation.
pub const DRAIN_MARK: &str =
    "# Out of rotation (trident rollout/apply at work; run it again if it was interrupted):";

/// `nginx.conf` of `valid` with the replicas in `down` marked `down`, and a comment naming
/// them. With `down` empty it is the generated file.
pub fn nginx_with_down(valid: &ValidSpec, down: &[u32]) -> String {
    crate::render::nginx_with_down(valid, down)
}

/// The program names an nginx.conf says are out of rotation, if it says so.
pub fn drained(nginx_conf: &str) -> Vec<&str> {
    nginx_conf
        .lines()
        .find_map(|l| l.strip_prefix(DRAIN_MARK))
        .map(|rest| rest.split_whitespace().collect())
        .unwrap_or_default()
}

/// The `[program:NAME]` sections of a supervisord.conf, with their text.
pub fn program_sections(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut starts: Vec<(usize, &str)> = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if let Some(name) = line
            .trim_end()
            .strip_prefix("[program:")
            .and_then(|l| l.strip_suffix(']'))
        {
            starts.push((at, name));
        } else if line.starts_with('[') {
            starts.push((at, ""));
        }
        at += line.len();
    }
    for (i, &(start, name)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(text.len(), |s| s.0);
        if !name.is_empty() {
            out.push((name, &text[start..end]));
        }
    }
    out
}

/// supervisord.conf without its program sections and comments: its own settings.
fn control_part(text: &str) -> String {
    let mut out = String::new();
    let mut in_program = false;
    for line in text.lines() {
        if line.starts_with('[') {
            in_program = line.starts_with("[program:");
        }
        if !in_program && !line.starts_with(';') && !line.trim().is_empty() {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// How a running stack's files differ from a new spec's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Change {
    /// Replicas of the new spec that the old files do not have (new program names).
    pub added: Vec<String>,
    /// Programs of the old files that the new spec does not have.
    pub removed: Vec<String>,
    /// Replicas in both whose program section or `webapp.ini` differ: to restart.
    pub changed: Vec<String>,
    /// Replicas in both with nothing to do.
    pub kept: Vec<String>,
    /// nginx.conf differs (drain marks aside).
    pub nginx: bool,
    /// nginx's own program section differs (applies at its next start).
    pub nginx_program: bool,
    /// supervisord's own sections differ (socket, logs): applies only to a new supervisord.
    pub control: bool,
}

impl Change {
    /// True when applying the new spec changes nothing.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && !self.nginx
            && !self.nginx_program
            && !self.control
    }
}

/// The replicas' program names of a valid spec, in order.
pub fn replica_programs(valid: &ValidSpec) -> Vec<String> {
    (0..valid.spec().replicas)
        .map(|k| valid.layout().program(k))
        .collect()
}

/// Compares the files a stack runs (`old`, as read from its conf directory) with the files of
/// `new` (rendered from `valid`).
pub fn change(old: &[RenderedFile], new: &[RenderedFile], valid: &ValidSpec) -> Change {
    let text = |files: &[RenderedFile], name: &str| {
        files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.contents.clone())
            .unwrap_or_default()
    };
    let (old_sup, new_sup) = (text(old, SUPERVISORD_CONF), text(new, SUPERVISORD_CONF));
    let old_sections = program_sections(&old_sup);
    let new_sections = program_sections(&new_sup);
    let nginx_name = valid.spec().nginx_program.as_str();
    let old_nginx_name = read_back(old)
        .programs
        .last()
        .map(|(n, _)| n.to_string())
        .unwrap_or_default();
    let ini_changed =
        strip_comments(&text(old, UWSGI_INI)) != strip_comments(&text(new, UWSGI_INI));
    let mut change = Change::default();
    for (name, body) in &new_sections {
        if *name == nginx_name {
            continue;
        }
        match old_sections.iter().find(|(n, _)| n == name) {
            None => change.added.push(name.to_string()),
            Some((_, old_body))
                if ini_changed || strip_comments(old_body) != strip_comments(body) =>
            {
                change.changed.push(name.to_string())
            }
            Some(_) => change.kept.push(name.to_string()),
        }
    }
    for (name, _) in &old_sections {
        if *name != old_nginx_name && !new_sections.iter().any(|(n, _)| n == name) {
            change.removed.push(name.to_string());
        }
    }
    let section = |sections: &[(&str, &str)], name: &str| {
        sections
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, b)| strip_comments(b))
    };
    change.nginx_program = old_nginx_name != nginx_name
        || section(&old_sections, &old_nginx_name) != section(&new_sections, nginx_name);
    change.control = control_part(&old_sup) != control_part(&new_sup);
    change.nginx = strip_comments(&text(old, NGINX_CONF)) != strip_comments(&text(new, NGINX_CONF));
    change
}

/// Text without comment lines and ` down` marks, for comparing what a server reads.
fn strip_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with(';') && !l.trim_start().starts_with('#'))
        .map(|l| l.replace(" down;", ";"))
        .collect::<Vec<_>>()
        .join("\n")
}
