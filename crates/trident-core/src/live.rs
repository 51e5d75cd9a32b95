//! What `trident rollout` and `trident apply` do to a running stack, decided without I/O:
//! nginx.conf with some replicas out of rotation, and the difference between the files a
//! stack runs and the files of a new spec, compared as the servers read them.

use crate::files::{RenderedFile, NGINX_CONF, SUPERVISORD_CONF, UWSGI_INI};
use crate::read::{nginx_shape, section_shape, NginxConf, SupervisordConf, UwsgiIni};
use crate::syntax::ini::Section;
use crate::validate::ValidSpec;

/// `nginx.conf` of `valid` with the replicas in `down` marked `down`, and a comment naming
/// them. With `down` empty it is the generated file.
pub fn nginx_with_down(valid: &ValidSpec, down: &[u32]) -> String {
    crate::render::nginx_with_down(valid, down)
}

/// The replicas an nginx.conf has out of rotation: those whose upstream server is marked
/// `down`.
pub fn drained(valid: &ValidSpec, nginx_conf: &str) -> Vec<u32> {
    let mut out: Vec<u32> = NginxConf::parse(nginx_conf)
        .upstream_servers()
        .iter()
        .filter(|s| s.down)
        .filter_map(|s| valid.layout().replica_of_endpoint(&s.address))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The `[program:NAME]` names of a supervisord.conf, in file order.
pub fn program_names(supervisord_conf: &str) -> Vec<String> {
    SupervisordConf::parse(supervisord_conf)
        .programs()
        .map(|(name, _)| name.to_string())
        .collect()
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
    /// nginx.conf differs (`down` marks aside).
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
/// `new` (rendered from `valid`): what supervisord, uWSGI and nginx read, comments and
/// layout aside.
pub fn change(old: &[RenderedFile], new: &[RenderedFile], valid: &ValidSpec) -> Change {
    fn text<'f>(files: &'f [RenderedFile], name: &str) -> &'f str {
        files
            .iter()
            .find(|f| f.name == name)
            .map_or("", |f| f.contents.as_str())
    }
    let (old_sup, new_sup) = (
        SupervisordConf::parse(text(old, SUPERVISORD_CONF)),
        SupervisordConf::parse(text(new, SUPERVISORD_CONF)),
    );
    let old_programs: Vec<_> = old_sup.programs().collect();
    let new_programs: Vec<_> = new_sup.programs().collect();
    let nginx_name = valid.spec().nginx_program.as_str();
    // nginx's program is the last of the old file's (the old spec may have named it otherwise).
    let old_nginx_name = old_programs.last().map(|(n, _)| *n).unwrap_or_default();
    let (old_ini, new_ini) = (
        UwsgiIni::parse(text(old, UWSGI_INI)),
        UwsgiIni::parse(text(new, UWSGI_INI)),
    );
    let ini_changed = shapes(old_ini.ini.sections.iter()) != shapes(new_ini.ini.sections.iter());
    let mut change = Change::default();
    for (name, section) in &new_programs {
        if *name == nginx_name {
            continue;
        }
        match old_programs.iter().find(|(n, _)| n == name) {
            None => change.added.push(name.to_string()),
            Some((_, old_section))
                if ini_changed || section_shape(old_section) != section_shape(section) =>
            {
                change.changed.push(name.to_string())
            }
            Some(_) => change.kept.push(name.to_string()),
        }
    }
    for (name, _) in &old_programs {
        if *name != old_nginx_name && !new_programs.iter().any(|(n, _)| n == name) {
            change.removed.push(name.to_string());
        }
    }
    let find = |programs: &[(&str, &Section<'_>)], name: &str| {
        programs.iter().position(|(n, _)| *n == name)
    };
    let old_ngx = find(&old_programs, old_nginx_name).map(|i| section_shape(old_programs[i].1));
    let new_ngx = find(&new_programs, nginx_name).map(|i| section_shape(new_programs[i].1));
    change.nginx_program = old_nginx_name != nginx_name || old_ngx != new_ngx;
    change.control = shapes(old_sup.control()) != shapes(new_sup.control());
    let nginx = |files| nginx_shape(&NginxConf::parse(text(files, NGINX_CONF)));
    change.nginx = nginx(old) != nginx(new);
    change
}

/// Sections as the program reads them: each name with its `(key, value)` pairs.
fn shapes<'s, 'a: 's>(
    sections: impl Iterator<Item = &'s Section<'a>>,
) -> Vec<(&'a str, Vec<(&'s str, &'s str)>)> {
    sections.map(|s| (s.name, section_shape(s))).collect()
}
