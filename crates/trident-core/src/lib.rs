//! Trident's core: a deployment [`Spec`] in, validated, and rendered into `supervisord.conf`,
//! `webapp.ini` and `nginx.conf` that agree with each other.
//!
//! **No I/O**: input is a value, output is strings and [`Diagnostic`]s. The CLI and the web
//! playground are thin layers over [`generate`].
//!
//! ```
//! let spec = trident_core::Spec { replicas: 4, ..Default::default() };
//! let out = trident_core::generate(&spec).unwrap();
//! assert!(out.files[0].contents.contains("[program:p3]"));
//! ```

pub mod consistency;
mod diag;
pub mod files;
pub mod golive;
pub mod layout;
pub mod lint;
pub mod live;
pub mod plan;
pub mod read;
mod render;
mod spec;
pub mod status;
pub mod syntax;
mod validate;

pub use diag::{errors_first, Diagnostic, Severity};
pub use files::{RenderedFile, FILE_NAMES, NFTABLES_CONF, NGINX_CONF, SUPERVISORD_CONF, UWSGI_INI};
pub use golive::{https_steps, reproduce_command, shell_quote, user_step};
pub use layout::{Dirs, Layout};
pub use render::{render, VERSION};
pub use spec::fields::{self, Field, Kind, FIELDS};
pub use spec::MAX_REPLICAS;
pub use spec::{Balance, Host, NextUpstream, SocketKind, Spec};
pub use validate::{counts, validate, ValidSpec};

/// The rendered files, and the validated spec they came from (its layout and warnings
/// included), so no caller validates twice or works the layout out again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generated {
    /// `supervisord.conf`, `webapp.ini`, `nginx.conf`, in that order (see [`render`]).
    pub files: Vec<RenderedFile>,
    /// The spec, validated.
    pub valid: ValidSpec,
}

impl Generated {
    /// Warnings: rendered anyway, worth a look.
    pub fn warnings(&self) -> &[Diagnostic] {
        self.valid.warnings()
    }
}

/// Validates `spec`, renders every file and checks them against each other.
///
/// On error returns every diagnostic at once (errors first, then warnings).
pub fn generate(spec: &Spec) -> Result<Generated, Vec<Diagnostic>> {
    let valid = validate(spec)?;
    let files = render(&valid);
    let problems = consistency::check(&valid, &files);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Generated { files, valid })
}

/// [`generate`] without the cross-file read-back: the same validation and the same files.
///
/// For the web page, which renders on every keystroke: the read-back is a test oracle (it
/// costs about two thirds of `generate` at 64 replicas, measured with `cargo bench -p
/// trident-core`), and the CLI, the golden tests and 2,000 property cases run it on every
/// render; the page's output is compared with the CLI's byte for byte in the browser tests.
pub fn generate_unchecked(spec: &Spec) -> Result<Generated, Vec<Diagnostic>> {
    let valid = validate(spec)?;
    Ok(Generated {
        files: render(&valid),
        valid,
    })
}
