//! The files Trident writes: their names and one rendered file. A leaf: the renderers, the
//! cross-file check, the deploy planner and the front ends all name files from here.

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
