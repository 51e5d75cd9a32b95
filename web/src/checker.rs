//! The worker side of *Check my files*: lint and import run in a Web Worker of their own
//! (`src/bin/check.rs`), loaded only when the view is used, so the page's first load carries
//! none of their code (measured: lint, import, the known-name lists and the zip inflater
//! are about 110 KB gzip of wasm).
//!
//! The messages are plain JS arrays of strings and numbers, read on the page with js-sys:
//! neither side needs a serializer.
//!
//! - page → worker: `[[name, Uint8Array], ...]`; a name starting with `pasted-` is pasted
//!   text, named here by what it configures.
//! - worker → page: `[files, findings, notes, texts]` with `files` `[[path, kind, text]]`,
//!   `findings` `[[file, line, column, level, rule, message, hint, why]]`, `notes`
//!   `[[kind, file, line, message]]` (what import fixed or could not map) and `texts` the
//!   imported spec as every field's text in `FIELDS` order, or `null`.

use js_sys::{Array, Uint8Array};
use trident_core::lint::import::{import, NoteKind};
use trident_core::lint::{self, Facts, Kind, Source};
use trident_core::{Severity, FIELDS};
use wasm_bindgen::{JsCast, JsValue};

/// Most files one check holds (a zip of a whole /etc stops here).
pub const MAX_FILES: usize = 64;

/// What a file configures, as the page names it.
fn kind_name(kind: Option<Kind>) -> &'static str {
    match kind {
        Some(Kind::Supervisord) => "supervisord",
        Some(Kind::Uwsgi) => "uWSGI",
        Some(Kind::Nginx) => "nginx",
        Some(Kind::Nftables) => "nftables",
        None => "unknown",
    }
}

/// A file name for pasted text: what it configures, numbered when taken.
fn name_for(bytes: &[u8], taken: &[String]) -> String {
    let kind = std::str::from_utf8(bytes).ok().and_then(lint::detect);
    let base = match kind {
        Some(Kind::Supervisord) => "supervisord.conf",
        Some(Kind::Uwsgi) => "webapp.ini",
        Some(Kind::Nftables) => "nftables.conf",
        Some(Kind::Nginx) => "nginx.conf",
        None => "pasted.txt",
    };
    let free = |n: &str| !taken.iter().any(|t| t == n);
    if free(base) {
        return base.to_string();
    }
    (2..)
        .map(|k| format!("{k}-{base}"))
        .find(|n| free(n))
        .unwrap_or_default()
}

/// The files of a message: zips opened, pasted text named, at most [`MAX_FILES`].
pub fn files_of(input: &Array) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for item in input.iter() {
        let pair: Array = item.unchecked_into();
        let name = pair.get(0).as_string().unwrap_or_default();
        let bytes = pair
            .get(1)
            .dyn_into::<Uint8Array>()
            .map(|b| b.to_vec())
            .unwrap_or_default();
        let entries = match crate::zip::unzip(&bytes) {
            Some(entries) => entries,
            None if name.starts_with("pasted-") => {
                let taken: Vec<String> = out.iter().map(|(n, _)| n.clone()).collect();
                vec![(name_for(&bytes, &taken), bytes)]
            }
            None => vec![(name, bytes)],
        };
        for e in entries {
            if out.len() < MAX_FILES {
                out.push(e);
            }
        }
    }
    out
}

fn strings<const N: usize>(items: [&str; N]) -> Array {
    items.iter().map(|s| JsValue::from_str(s)).collect()
}

/// Lints and imports the files of `input`; the answer as the module docs say.
pub fn check(input: &Array) -> Array {
    let files = files_of(input);
    let mut sources: Vec<Source> = files
        .iter()
        .map(|(name, bytes)| Source::from_bytes(name.clone(), bytes))
        .collect();
    let includes = lint::resolve_by_name(&mut sources);
    let facts = Facts::default();
    let findings = lint::lint(&sources, &includes, &facts);
    let out_files: Array = sources
        .iter()
        .map(|s| strings([&s.path, kind_name(s.kind), s.text.as_deref().unwrap_or("")]))
        .collect();
    let out_findings: Array = findings
        .iter()
        .map(|f| {
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let row = strings([&f.file, "", "", level, f.rule, &f.message, &f.hint, f.why]);
            row.set(1, JsValue::from(f.line));
            row.set(2, JsValue::from(f.column));
            row
        })
        .collect();
    let (notes, texts) = if sources.iter().any(|s| s.kind.is_some()) {
        let im = import(&sources, &includes, &facts);
        let notes: Array = im
            .notes
            .iter()
            .filter(|n| matches!(n.kind, NoteKind::Fixed | NoteKind::Unmapped))
            .map(|n| {
                let kind = if n.kind == NoteKind::Fixed {
                    "fixed"
                } else {
                    "not mapped"
                };
                let row = strings([kind, &n.file, "", &n.message]);
                row.set(2, JsValue::from(n.line));
                row
            })
            .collect();
        let texts: Array = FIELDS
            .iter()
            .map(|f| JsValue::from_str(&f.get(&im.spec).join("\n")))
            .collect();
        (notes, JsValue::from(texts))
    } else {
        (Array::new(), JsValue::NULL)
    };
    let answer = Array::new();
    answer.push(&out_files);
    answer.push(&out_findings);
    answer.push(&notes);
    answer.push(&texts);
    answer
}
