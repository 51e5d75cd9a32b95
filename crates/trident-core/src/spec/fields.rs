//! The table of spec fields as text: one row per field with its label, help, kind, and a
//! getter and setter that speak strings.
//!
//! The rows are written by the `spec!` declaration in `spec.rs`, one per field; the text form
//! of each value type is its [`Value`] impl here, one parser per type. The CLI builds its flags
//! from the table, the rendered files' "reproduce with" line and the web page's share links are
//! the non-default rows, the page's controls and labels come from it, and the README's field
//! reference is generated from it.

use std::collections::BTreeMap;

pub use super::FIELDS;
use super::{Balance, Host, NextUpstream, SocketKind, Spec};
use crate::diag::{quote_for_message, Diagnostic};

/// Which part of the deployment a field belongs to, for grouping in help and UIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Group {
    /// Replicas, ports, module, names visible to users.
    Basics,
    /// Directories and binaries.
    Paths,
    /// uWSGI process settings.
    Uwsgi,
    /// Load balancing and failover.
    Failover,
    /// Program and upstream names.
    Names,
    /// What the internet meets: HTTPS, limits, compression, caching, proxies in front.
    Edge,
    /// App hosts behind one load balancer.
    Hosts,
}

/// What kind of text a field takes, which picks its control in UIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A whole number (empty for an unset optional one).
    Number,
    /// Free text (empty for an unset optional one).
    Text,
    /// `true` or `false`.
    Switch,
    /// One word of [`Field::choices`].
    Choice,
    /// Comma-separated words of [`Field::choices`].
    List,
    /// Entries (`KEY=VALUE`, or a word), one per flag: the flag is repeatable.
    Entries,
}

/// One spec field seen as text. Rows are made by the `spec!` declaration only.
pub struct Field {
    /// Spec key (`base_port`); the flag is its kebab-case form (see [`Field::flag`]).
    pub name: &'static str,
    /// The flag when it is not the name's kebab-case form (`host` for `hosts`).
    pub flag_name: Option<&'static str>,
    /// Label in UIs (`Base port`), also the control's accessible name.
    pub label: &'static str,
    /// Placeholder in help (`PORT`).
    pub value_name: &'static str,
    /// One-line description.
    pub help: &'static str,
    /// Grouping for help and UIs.
    pub group: Group,
    /// What text it takes.
    pub kind: Kind,
    /// Accepted words, for [`Kind::Choice`] and [`Kind::List`].
    pub choices: &'static [&'static str],
    /// The numbers validation accepts (`replicas`, `base_port` and `listen` have rules of
    /// their own, across fields).
    pub range: Option<Range>,
    /// The span of the page's slider, for the fields that have one.
    pub slider: Option<(u32, u32)>,
    pub(crate) number: fn(&Spec) -> Option<u32>,
    pub(crate) get: fn(&Spec) -> Vec<String>,
    pub(crate) set: fn(&mut Spec, &str) -> Result<(), String>,
}

/// A numeric field's accepted values, and why they end there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// The least value.
    pub lo: u32,
    /// The greatest value.
    pub hi: u32,
    /// What the value means or why it stops there, for the hint.
    pub why: &'static str,
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Field {
    /// The flag without dashes: the name in kebab-case (`base-port`), or its own (`host`).
    pub fn flag(&self) -> String {
        self.flag_name.unwrap_or(self.name).replace('_', "-")
    }

    /// True when the flag may be given more than once (each adds an entry).
    pub fn repeatable(&self) -> bool {
        self.kind == Kind::Entries
    }

    /// The field's value as text: empty for an unset option, one item per entry for a map.
    pub fn get(&self, spec: &Spec) -> Vec<String> {
        (self.get)(spec)
    }

    /// Sets the field from text (for a repeatable field: adds one entry).
    ///
    /// The error names the field and flag and says which values are accepted; the value is
    /// not range-checked here, [`crate::validate`] does that.
    pub fn set(&self, spec: &mut Spec, text: &str) -> Result<(), Diagnostic> {
        (self.set)(spec, text).map_err(|hint| {
            let mut d = Diagnostic::error(
                "invalid-value",
                self.name,
                format!("{} cannot be {}", self.name, quote_for_message(text)),
                hint,
            );
            d.flag = format!("--{}", self.flag());
            d
        })
    }
}

/// Looks a field up by spec key or flag (`base_port`, `base-port`, `--base-port`).
pub fn field(name: &str) -> Option<&'static Field> {
    let name = name.trim_start_matches('-').replace('-', "_");
    FIELDS
        .iter()
        .find(|f| f.name == name || f.flag_name == Some(name.as_str()))
}

/// Every field's value in `Spec::default()`, in table order, computed once: the page asks on
/// every slider move.
pub fn default_values() -> &'static [Vec<String>] {
    static DEFAULTS: std::sync::OnceLock<Vec<Vec<String>>> = std::sync::OnceLock::new();
    DEFAULTS.get_or_init(|| {
        let spec = Spec::default();
        FIELDS.iter().map(|f| f.get(&spec)).collect()
    })
}

/// The `(flag, value)` pairs that turn `Spec::default()` into `spec`, in table order.
pub fn non_default(spec: &Spec) -> Vec<(&'static Field, String)> {
    let mut out = Vec::new();
    for (f, default) in FIELDS.iter().zip(default_values()) {
        let ours = f.get(spec);
        if &ours == default {
            continue;
        }
        if f.repeatable() {
            out.extend(ours.into_iter().map(|v| (f, v)));
        } else {
            out.push((f, ours.into_iter().next().unwrap_or_default()));
        }
    }
    out
}

/// How a value type reads and writes itself as text: one parser per type, used by the flags,
/// the share links and the page (and, for enumerations, by serde through the same `parse`).
pub trait Value {
    /// Which control and flag shape it takes.
    const KIND: Kind;
    /// Accepted words, for choices and lists.
    const CHOICES: &'static [&'static str] = &[];
    /// The value as text: empty when unset, one item per entry.
    fn texts(&self) -> Vec<String>;
    /// Sets the value from text (an entry type adds one entry); the error is a hint.
    fn set_text(&mut self, text: &str) -> Result<(), String>;
    /// The value as a number, for range checks: none for an unset option or a non-number.
    fn number(&self) -> Option<u32> {
        None
    }
}

impl Value for u32 {
    const KIND: Kind = Kind::Number;
    fn number(&self) -> Option<u32> {
        Some(*self)
    }
    fn texts(&self) -> Vec<String> {
        vec![self.to_string()]
    }
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        *self = parse_u32(text)?;
        Ok(())
    }
}

impl Value for Option<u32> {
    const KIND: Kind = Kind::Number;
    fn number(&self) -> Option<u32> {
        *self
    }
    fn texts(&self) -> Vec<String> {
        self.iter().map(u32::to_string).collect()
    }
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        *self = if text.is_empty() {
            None
        } else {
            Some(parse_u32(text)?)
        };
        Ok(())
    }
}

impl Value for String {
    const KIND: Kind = Kind::Text;
    fn texts(&self) -> Vec<String> {
        vec![self.clone()]
    }
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        text.clone_into(self);
        Ok(())
    }
}

impl Value for Option<String> {
    const KIND: Kind = Kind::Text;
    fn texts(&self) -> Vec<String> {
        self.iter().cloned().collect()
    }
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        *self = (!text.is_empty()).then(|| text.to_string());
        Ok(())
    }
}

impl Value for bool {
    const KIND: Kind = Kind::Switch;
    const CHOICES: &'static [&'static str] = &["true", "false"];
    fn texts(&self) -> Vec<String> {
        vec![self.to_string()]
    }
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        *self = match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => true,
            "false" | "no" | "off" | "0" => false,
            _ => return Err("give true or false".into()),
        };
        Ok(())
    }
}

/// One [`Value`] impl per enumeration declared with `choices!`, all through its `parse`.
macro_rules! choice_value {
    ($($ty:ty),*) => {$(
        impl Value for $ty {
            const KIND: Kind = Kind::Choice;
            const CHOICES: &'static [&'static str] = <$ty>::NAMES;
            fn texts(&self) -> Vec<String> {
                vec![self.as_str().to_string()]
            }
            fn set_text(&mut self, text: &str) -> Result<(), String> {
                *self = <$ty>::parse(text).ok_or_else(<$ty>::hint)?;
                Ok(())
            }
        }
    )*};
}
choice_value!(SocketKind, Balance);

impl Value for Vec<NextUpstream> {
    const KIND: Kind = Kind::List;
    const CHOICES: &'static [&'static str] = NextUpstream::NAMES;
    fn texts(&self) -> Vec<String> {
        let words: Vec<&str> = self.iter().map(|n| n.as_str()).collect();
        vec![words.join(",")]
    }
    /// Duplicates are kept, so validation can name them.
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        *self = text
            .split([',', ' '])
            .filter(|w| !w.is_empty())
            .map(|w| {
                NextUpstream::parse(w)
                    .ok_or_else(|| format!("a comma-separated list; {}", NextUpstream::hint()))
            })
            .collect::<Result<_, _>>()?;
        Ok(())
    }
}

impl Value for BTreeMap<String, String> {
    const KIND: Kind = Kind::Entries;
    fn texts(&self) -> Vec<String> {
        self.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        let (key, value) = text.split_once('=').ok_or_else(|| {
            "give KEY=VALUE, e.g. --env DJANGO_SETTINGS_MODULE=app.settings".to_string()
        })?;
        self.insert(key.to_string(), value.to_string());
        Ok(())
    }
}

impl Value for Vec<String> {
    const KIND: Kind = Kind::Entries;
    fn texts(&self) -> Vec<String> {
        self.clone()
    }
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("give a value, e.g. 10.0.0.0/8".into());
        }
        // Duplicates are kept, so validation can name them.
        self.push(text.to_string());
        Ok(())
    }
}

impl Value for Vec<Host> {
    const KIND: Kind = Kind::Entries;
    fn texts(&self) -> Vec<String> {
        self.iter().map(Host::to_text).collect()
    }
    /// Duplicates are kept, so validation can name them.
    fn set_text(&mut self, text: &str) -> Result<(), String> {
        self.push(Host::parse(text)?);
        Ok(())
    }
}

pub(super) fn parse_u32(text: &str) -> Result<u32, String> {
    text.trim()
        .parse()
        .map_err(|_| "give a whole number from 0 to 4294967295".to_string())
}

/// The flag that sets `field`: `base_port` → `--base-port`, `env.KEY` → `--env`, `hosts` →
/// `--host`.
pub fn flag_of(field: &str) -> String {
    let top = field.split('.').next().unwrap_or(field);
    match self::field(top) {
        Some(f) => format!("--{}", f.flag()),
        None => format!("--{}", top.replace('_', "-")),
    }
}

/// `diagnostics` with each flag taken from the field table (a [`Diagnostic`] knows only the
/// field's name).
pub(crate) fn with_flags(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    for d in &mut diagnostics {
        d.flag = flag_of(&d.field);
    }
    diagnostics
}

impl Field {
    /// The field's value as a number, when it is one and set.
    pub fn number(&self, spec: &Spec) -> Option<u32> {
        (self.number)(spec)
    }
}
