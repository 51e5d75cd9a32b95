//! The page's state: the raw text of every field (so an invalid value stays on screen), and
//! what is derived from it: the spec, its diagnostics, and the last valid files.

use std::rc::Rc;

// The page renders without the cross-file read-back (a test oracle; see
// `trident_core::generate_unchecked`).
use trident_core::{generate_unchecked, Diagnostic, RenderedFile, Spec, ValidSpec, FIELDS};
use yew::Reducible;

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Raw text per field, in `FIELDS` order (`env`: one `KEY=VALUE` per line). Shared, so
    /// a render can hold on to it without copying 38 strings.
    pub texts: Rc<Vec<String>>,
    /// Errors and warnings of the current texts.
    pub diags: Rc<Vec<Diagnostic>>,
    /// The files of the last valid texts.
    pub files: Rc<Vec<RenderedFile>>,
    /// The validated spec the files were rendered from (its layout feeds the go-live text).
    pub valid: Rc<ValidSpec>,
    /// True while the current texts have errors and `files` are from earlier texts.
    pub stale: bool,
    /// A message about the URL the page was opened with.
    pub notice: Option<String>,
    /// The host whose files are shown, once one is picked.
    pub picked: Option<String>,
    /// What the share button says.
    pub share_label: &'static str,
}

/// What the share button says before it is clicked.
pub const SHARE_LABEL: &str = "Copy share link";

/// What the user did.
pub enum Action {
    /// Field `index` now reads `text`.
    Set(usize, String),
    /// Apply a preset on top of the defaults.
    Preset(&'static Preset),
    /// Back to the defaults.
    Reset,
    /// Hide the notice.
    DismissNotice,
    /// Show the files of this host.
    Pick(String),
    /// The share button now says this.
    ShareLabel(&'static str),
    /// Load a spec (from *Check my files*: every field's text) into the controls.
    Import(Rc<Vec<String>>),
}

/// A named starting point.
pub struct Preset {
    /// Button text.
    pub name: &'static str,
    /// Field values on top of the defaults.
    pub values: &'static [(&'static str, &'static str)],
}

/// The presets offered on the page.
pub static PRESETS: &[Preset] = &[
    Preset {
        name: "The seed's setup",
        values: &[("balance", "round_robin")],
    },
    Preset {
        name: "Django",
        values: &[
            ("module", "app.wsgi:application"),
            ("static_url", "/static/"),
            ("env", "DJANGO_SETTINGS_MODULE=app.settings"),
        ],
    },
    Preset {
        name: "Flask",
        values: &[("module", "app:app"), ("workers", "2"), ("threads", "4")],
    },
    Preset {
        name: "Public HTTPS site",
        values: &[
            ("listen", "80"),
            ("listen_address", "0.0.0.0"),
            ("user", "webapp"),
            ("server_name", "example.com www.example.com"),
            (
                "tls_cert",
                "/etc/letsencrypt/live/example.com/fullchain.pem",
            ),
            ("tls_key", "/etc/letsencrypt/live/example.com/privkey.pem"),
            ("acme_dir", "/srv/webapp/acme"),
            ("hsts", "300"),
            ("static_url", "/static/"),
            ("static_max_age", "86400"),
        ],
    },
    Preset {
        name: "Three app hosts",
        values: &[
            ("hosts", "web1=10.0.0.11\nweb2=10.0.0.12\nweb3=10.0.0.13"),
            ("lb_address", "10.0.0.10"),
            ("listen_address", "10.0.0.10"),
            ("user", "webapp"),
        ],
    },
    Preset {
        name: "High availability",
        values: &[
            ("replicas", "6"),
            ("balance", "least_conn"),
            ("max_conns", "4"),
            ("read_timeout", "30"),
            ("harakiri", "30"),
            ("fail_timeout", "5"),
        ],
    },
];

/// The default text of every field, computed once.
pub fn defaults() -> &'static [String] {
    static DEFAULTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    DEFAULTS.get_or_init(|| {
        trident_core::fields::default_values()
            .iter()
            .map(|v| v.join("\n"))
            .collect()
    })
}

/// The default texts, to edit.
pub fn default_texts() -> Vec<String> {
    defaults().to_vec()
}

/// Applies texts to the defaults; returns the spec and the errors of texts that do not parse.
pub fn spec_of(texts: &[String]) -> (Spec, Vec<Diagnostic>) {
    let mut spec = Spec::default();
    let mut errors = Vec::new();
    for (field, text) in FIELDS.iter().zip(texts) {
        // Entries start from the default, which holds none: each line adds one.
        let result = if field.repeatable() {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .try_for_each(|line| field.set(&mut spec, line))
        } else {
            field.set(&mut spec, text.trim())
        };
        if let Err(d) = result {
            errors.push(d);
        }
    }
    (spec, errors)
}

impl State {
    /// The state for `texts`, keeping `previous` files when the texts are invalid.
    pub fn from_texts(texts: Vec<String>, previous: Option<&State>) -> State {
        // Fields whose text does not parse keep their default in `spec`, so every other
        // field is still validated: all problems show at once.
        let (spec, mut diags) = spec_of(&texts);
        let generated = match generate_unchecked(&spec) {
            Ok(g) if diags.is_empty() => Ok(g),
            Ok(g) => Err(g.warnings().to_vec()),
            Err(more) => Err(more),
        };
        let (files, valid, stale) = match generated {
            Ok(g) => {
                diags = g.warnings().to_vec();
                (Rc::new(g.files), Rc::new(g.valid), false)
            }
            Err(more) => {
                diags.extend(more);
                trident_core::errors_first(&mut diags);
                match previous {
                    Some(p) => (p.files.clone(), p.valid.clone(), true),
                    None => {
                        // The defaults are valid (a test says so); no `expect`, which
                        // would pull Debug formatting into the wasm.
                        let Ok(g) = generate_unchecked(&Spec::default()) else {
                            unreachable!()
                        };
                        (Rc::new(g.files), Rc::new(g.valid), true)
                    }
                }
            }
        };
        State {
            texts: Rc::new(texts),
            diags: Rc::new(diags),
            files,
            valid,
            stale,
            notice: previous.and_then(|p| p.notice.clone()),
            picked: previous.and_then(|p| p.picked.clone()),
            share_label: previous.map_or(SHARE_LABEL, |p| p.share_label),
        }
    }

    /// Diagnostics about field `name`.
    pub fn diags_for<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Diagnostic> + 'a {
        self.diags.iter().filter(move |d| d.top_field() == name)
    }

    /// The same, as a control's props hold them.
    pub fn diags_of(&self, name: &str) -> Rc<Vec<Diagnostic>> {
        Rc::new(self.diags_for(name).cloned().collect())
    }
}

impl Default for State {
    fn default() -> Self {
        State::from_texts(default_texts(), None)
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        match action {
            Action::Set(i, text) => {
                if self.texts[i] == text {
                    return self;
                }
                let mut texts = (*self.texts).clone();
                texts[i] = text;
                Rc::new(State::from_texts(texts, Some(&self)))
            }
            Action::Preset(preset) => {
                let mut texts = default_texts();
                for (name, value) in preset.values {
                    if let Some(i) = FIELDS.iter().position(|f| f.name == *name) {
                        texts[i] = value.to_string();
                    }
                }
                Rc::new(State::from_texts(texts, Some(&self)))
            }
            Action::Reset => Rc::new(State {
                notice: None,
                ..State::default()
            }),
            Action::DismissNotice => Rc::new(State {
                notice: None,
                ..(*self).clone()
            }),
            Action::Pick(host) => Rc::new(State {
                picked: Some(host),
                ..(*self).clone()
            }),
            Action::Import(texts) if texts.len() == FIELDS.len() => {
                Rc::new(State::from_texts(texts.to_vec(), Some(&self)))
            }
            Action::Import(_) => self,
            Action::ShareLabel(label) => Rc::new(State {
                share_label: label,
                ..(*self).clone()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(name: &str) -> usize {
        FIELDS.iter().position(|f| f.name == name).unwrap()
    }

    #[test]
    fn invalid_text_keeps_last_valid_files_and_marks_them_stale() {
        let s = Rc::new(State::default());
        let s = s.reduce(Action::Set(index("replicas"), "10".into()));
        assert!(!s.stale && s.files[0].contents.contains("[program:p9]"));
        let s = s.reduce(Action::Set(index("base_port"), "70000".into()));
        assert!(s.stale, "invalid input must mark the files stale");
        assert!(
            s.files[0].contents.contains("[program:p9]"),
            "last valid files kept"
        );
        assert!(s.diags_for("base_port").any(|d| d.is_error()));
        let s = s.reduce(Action::Set(index("base_port"), "abc".into()));
        assert!(s.diags_for("base_port").any(|d| d.code == "invalid-value"));
        assert_eq!(s.texts[index("base_port")], "abc", "the typed text stays");
    }

    #[test]
    fn every_field_name_the_page_uses_exists() {
        let exists = |name: &str| FIELDS.iter().any(|f| f.name == name);
        for name in ["hosts", "lb_address"] {
            assert!(exists(name), "the page names {name}, which is no field");
        }
        for p in PRESETS {
            for (name, _) in p.values {
                assert!(
                    exists(name),
                    "preset {} sets {name}, which is no field",
                    p.name
                );
            }
        }
    }

    #[test]
    fn presets_are_valid() {
        for p in PRESETS {
            let s = Rc::new(State::default()).reduce(Action::Preset(p));
            assert!(!s.stale, "{}: {:?}", p.name, s.diags);
        }
    }

    #[test]
    fn the_https_preset_renders_https_and_its_go_live_steps() {
        let preset = PRESETS
            .iter()
            .find(|p| p.name == "Public HTTPS site")
            .unwrap();
        let s = Rc::new(State::default()).reduce(Action::Preset(preset));
        assert!(
            s.files[2].contents.contains("ssl_certificate"),
            "{:?}",
            s.diags
        );
        let steps = crate::components::golive::go_live_text(&s.valid);
        assert!(steps.contains("certbot renew --deploy-hook"), "{steps}");
    }

    #[test]
    fn the_hosts_preset_renders_a_bundle_per_host_and_their_go_live_steps() {
        let preset = PRESETS
            .iter()
            .find(|p| p.name == "Three app hosts")
            .unwrap();
        let s = Rc::new(State::default()).reduce(Action::Preset(preset));
        let paths: Vec<String> = s.files.iter().map(|f| f.path()).collect();
        assert_eq!(paths.len(), 2 + 3 * 3, "{paths:?}");
        assert_eq!(paths[0], "lb/supervisord.conf");
        assert!(paths.contains(&"web3/nftables.conf".to_string()));
        let steps = crate::components::golive::go_live_text(&s.valid);
        assert!(steps.contains("App host web2 (10.0.0.12)"), "{steps}");
        assert!(steps.contains("nft -f"), "{steps}");
    }

    #[test]
    fn env_lines() {
        let s =
            Rc::new(State::default()).reduce(Action::Set(index("env"), "A=1\n\nB=x y\n".into()));
        assert!(!s.stale, "{:?}", s.diags);
        assert!(s.files[0].contents.contains("A=\"1\",B=\"x y\""));
    }
}
