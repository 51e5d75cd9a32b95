//! `trident import`: the spec a stack's files describe (stdout), the report of where each
//! field came from and what could not be carried over (stderr), or with `--diff` what
//! regenerating the files would change.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anstyle::{AnsiColor, Style};
use trident_core::lint::import::{import, Imported, NoteKind};
use trident_core::lint::{Kind, Source};
use trident_core::{generate, Spec};

use super::out_err;
use crate::args::SpecFormat;
use crate::error::{print_diagnostics, Error, DIM, INVALID};
use crate::files;

const ADDED: Style = AnsiColor::Green.on_default();
const REMOVED: Style = AnsiColor::Red.on_default();
const FIXED: Style = AnsiColor::Yellow.on_default().bold();
const UNMAPPED: Style = AnsiColor::Magenta.on_default().bold();

/// Imports the files; exit 1 when the spec written does not validate.
pub fn run(
    paths: &[PathBuf],
    format: SpecFormat,
    diff: bool,
    prefix: Option<&Path>,
) -> Result<ExitCode, Error> {
    let loaded = files::load(paths, prefix)?;
    if !loaded
        .sources
        .iter()
        .any(|s| matches!(s.kind, Some(Kind::Supervisord | Kind::Uwsgi | Kind::Nginx)))
    {
        return Err(Error::Usage(
            "no supervisord, uWSGI or nginx file among the inputs: give the files of the stack, or the directory holding them".into(),
        ));
    }
    let im = import(&loaded.sources, &loaded.includes, &Default::default());
    let mut err = anstream::stderr().lock();
    report(&mut err, &im).map_err(out_err)?;
    let generated = generate(&im.spec);
    if let Err(diags) = &generated {
        writeln!(
            err,
            "the imported spec needs an edit before trident generate takes it:"
        )
        .map_err(out_err)?;
        drop(err);
        print_diagnostics(diags);
    } else {
        drop(err);
    }
    let mut out = anstream::stdout().lock();
    if diff {
        if let Ok(g) = &generated {
            for f in &g.files {
                let old = counterpart(&loaded.sources, &f.host, f.name);
                let (path, before) = match old {
                    Some(s) => (s.path.clone(), s.text.as_deref().unwrap_or("")),
                    None => (format!("{}{}", host_dir(&f.host), f.name), ""),
                };
                print_diff(&mut out, &path, f.name, &f.host, before, &f.contents)
                    .map_err(out_err)?;
            }
        }
    } else {
        let text = match format {
            SpecFormat::Toml => toml_with_origins(&im),
            SpecFormat::Json => {
                serde_json::to_string_pretty(&im.spec).expect("a Spec always serializes") + "\n"
            }
        };
        out.write_all(text.as_bytes()).map_err(out_err)?;
    }
    Ok(ExitCode::from(if generated.is_err() { INVALID } else { 0 }))
}

fn host_dir(host: &str) -> String {
    if host.is_empty() {
        String::new()
    } else {
        format!("{host}/")
    }
}

/// The input a regenerated file replaces: the source of the same kind in the host's
/// directory (by name for nginx's main file and the uWSGI ini).
fn counterpart<'s>(sources: &'s [Source], host: &str, name: &str) -> Option<&'s Source> {
    let kind = match name {
        trident_core::SUPERVISORD_CONF => Kind::Supervisord,
        trident_core::UWSGI_INI => Kind::Uwsgi,
        trident_core::NFTABLES_CONF => Kind::Nftables,
        _ => Kind::Nginx,
    };
    let in_host = |s: &&Source| {
        host.is_empty()
            || Path::new(&s.path)
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|d| d == host)
    };
    let of_kind: Vec<&Source> = sources
        .iter()
        .filter(|s| s.kind == Some(kind))
        .filter(in_host)
        .collect();
    of_kind
        .iter()
        .find(|s| s.path.ends_with(name))
        .or(of_kind.first())
        .copied()
}

fn print_diff(
    out: &mut impl Write,
    path: &str,
    name: &str,
    host: &str,
    before: &str,
    after: &str,
) -> std::io::Result<()> {
    let d = similar::TextDiff::from_lines(before, after);
    writeln!(out, "--- {path}")?;
    writeln!(out, "+++ {}{name} (trident generate)", host_dir(host))?;
    for hunk in d.unified_diff().context_radius(2).iter_hunks() {
        writeln!(
            out,
            "{}{}{}",
            DIM.render(),
            hunk.header(),
            DIM.render_reset()
        )?;
        for change in hunk.iter_changes() {
            let (sign, style) = match change.tag() {
                similar::ChangeTag::Delete => ("-", REMOVED),
                similar::ChangeTag::Insert => ("+", ADDED),
                similar::ChangeTag::Equal => (" ", Style::new()),
            };
            let line = change.value();
            write!(
                out,
                "{}{sign}{}{}",
                style.render(),
                line.trim_end_matches('\n'),
                style.render_reset()
            )?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// The report on stderr: fixes and lines not carried over first, then where each field
/// came from, then the defaulted fields on one line.
fn report(err: &mut impl Write, im: &Imported) -> std::io::Result<()> {
    let at = |n: &trident_core::lint::import::Note| {
        if n.file.is_empty() {
            String::new()
        } else {
            format!("{}:{}: ", n.file, n.line)
        }
    };
    for (kind, style, word) in [
        (NoteKind::Fixed, FIXED, "fixed"),
        (NoteKind::Unmapped, UNMAPPED, "not mapped"),
    ] {
        for n in im.notes.iter().filter(|n| n.kind == kind) {
            writeln!(
                err,
                "{}{}{word}{}: {}",
                at(n),
                style.render(),
                style.render_reset(),
                n.message
            )?;
        }
    }
    for n in im.notes.iter().filter(|n| n.kind == NoteKind::Mapped) {
        writeln!(
            err,
            "{}{}mapped{}: {}",
            at(n),
            DIM.render(),
            DIM.render_reset(),
            n.message
        )?;
    }
    let defaulted: Vec<&str> = im
        .notes
        .iter()
        .filter(|n| n.kind == NoteKind::Defaulted)
        .filter_map(|n| n.field)
        .collect();
    if !defaulted.is_empty() {
        writeln!(
            err,
            "{}defaulted{} (nothing in the files says otherwise): {}",
            DIM.render(),
            DIM.render_reset(),
            defaulted.join(", ")
        )?;
    }
    let count = |k: NoteKind| im.notes.iter().filter(|n| n.kind == k).count();
    writeln!(
        err,
        "imported: {} mapped, {} fixed, {} not mapped, {} defaulted",
        count(NoteKind::Mapped),
        count(NoteKind::Fixed),
        count(NoteKind::Unmapped),
        count(NoteKind::Defaulted)
    )
}

/// The spec as TOML with only the fields that differ from the defaults, each top-level key
/// followed by the line it came from.
fn toml_with_origins(im: &Imported) -> String {
    let minimal = minimal(&im.spec);
    let text = toml::to_string_pretty(&minimal).expect("a Spec always serializes");
    let mut origin: BTreeMap<&str, String> = BTreeMap::new();
    for n in &im.notes {
        if let (Some(f), false, NoteKind::Mapped | NoteKind::Fixed) =
            (n.field, n.file.is_empty(), n.kind)
        {
            origin.entry(f).or_insert_with(|| {
                let word = if n.kind == NoteKind::Fixed {
                    "fixed, was "
                } else {
                    ""
                };
                format!("{word}{}:{}", n.file, n.line)
            });
        }
    }
    let mut out = String::from(
        "# Imported by trident import: trident generate --spec FILE writes the fixed stack.\n",
    );
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with('[') {
            in_table = true;
        }
        let key = line.split(" = ").next().unwrap_or("");
        match (in_table, origin.get(key)) {
            (false, Some(o)) if line.contains(" = ") => {
                out.push_str(line);
                out.push_str("  # ");
                out.push_str(o);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// `spec` as a TOML table without the fields equal to their defaults.
fn minimal(spec: &Spec) -> toml::Table {
    let full = toml::Table::try_from(spec).expect("a Spec always serializes");
    let default = toml::Table::try_from(Spec::default()).expect("a Spec always serializes");
    full.into_iter()
        .filter(|(k, v)| default.get(k) != Some(v))
        .collect()
}
