//! Diagnostics: what is wrong with a spec, where, and how to fix it.

use std::fmt;

use serde::Serialize;

/// Whether a diagnostic stops rendering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The spec cannot be rendered.
    Error,
    /// The spec renders, but the result is risky or surprising.
    Warning,
}

/// One problem with one field of a spec.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable kebab-case identifier, e.g. `port-out-of-range`.
    pub code: &'static str,
    /// Path of the field in the spec, e.g. `base_port` or `env.DATABASE_URL`.
    pub field: String,
    /// The command-line flag that sets the field, e.g. `--base-port` (from the field table,
    /// filled in where diagnostics leave the core: validation, `Field::set`, the check).
    pub flag: String,
    /// What is wrong, in lowercase, without a trailing period.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl Diagnostic {
    /// An error on `field`.
    pub fn error(
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(
            Severity::Error,
            code,
            field.into(),
            message.into(),
            hint.into(),
        )
    }

    /// A warning on `field`.
    pub fn warning(
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(
            Severity::Warning,
            code,
            field.into(),
            message.into(),
            hint.into(),
        )
    }

    /// One body for the 70 rule sites, not one inlined copy each.
    #[inline(never)]
    fn new(
        severity: Severity,
        code: &'static str,
        field: String,
        message: String,
        hint: String,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            // The field table's business: set where diagnostics leave the core.
            flag: String::new(),
            field,
            message,
            hint,
        }
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The top-level spec field this diagnostic is about (`env` for `env.KEY`).
    pub fn top_field(&self) -> &str {
        self.field.split('.').next().unwrap_or(&self.field)
    }
}

/// Puts errors before warnings, keeping each group in order. (A partition, not a sort: no
/// sort code in the web page's wasm.)
pub fn errors_first(diagnostics: &mut Vec<Diagnostic>) {
    let (mut errors, warnings): (Vec<_>, Vec<_>) =
        diagnostics.drain(..).partition(Diagnostic::is_error);
    errors.extend(warnings);
    *diagnostics = errors;
}

/// Shows user text in double quotes without letting it break the message's line: `\`, `"`
/// and control characters are escaped. (Hand-written: `{:?}` would pull Unicode tables into
/// the web page's wasm.)
pub fn quote_for_message(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars().take(200) {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    if text.chars().nth(200).is_some() {
        out.push_str("...");
    }
    out.push('"');
    out
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{level}[{}]: {} ({}): {}\n  hint: {}",
            self.code, self.field, self.flag, self.message, self.hint
        )
    }
}
