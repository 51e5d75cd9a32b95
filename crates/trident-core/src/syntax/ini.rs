//! The two ini dialects.
//!
//! - **supervisord** reads its file with Python's `RawConfigParser` as supervisor 4.2 sets it
//!   up: `=` or `:` between key and value, keys lower-cased, `;` and `#` start a comment at
//!   the start of a line or after whitespace, an indented line continues the value above
//!   (blank lines inside it kept), a repeated section adds to the first and a repeated key
//!   replaces the first's value. A line before any section header stops the read.
//! - **uWSGI** (`core/ini.c`): a line is a `[section]`, a comment (`;` or `#` first), or
//!   `key = value` split at the first `=` (no `=`: an empty value); only spaces, tabs and
//!   carriage returns are trimmed; no quotes, no inline comments, no continuation lines; a
//!   key may repeat and every occurrence counts.

use std::borrow::Cow;
use std::collections::HashMap;

use super::{column, lines, Pos, SyntaxError};

/// Which program reads the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Python's `RawConfigParser`, as supervisor 4.2 sets it up.
    Supervisord,
    /// uWSGI's `core/ini.c`.
    Uwsgi,
}

/// A parsed ini file: its sections in file order, and what the program would refuse.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ini<'a> {
    /// Sections in file order.
    pub sections: Vec<Section<'a>>,
    /// What the program would refuse, each at its line.
    pub errors: Vec<SyntaxError>,
}

/// One section; a name given twice is one section, as both programs read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section<'a> {
    /// The name between the brackets.
    pub name: &'a str,
    /// Where each of its headers is.
    pub headers: Vec<Pos>,
    /// Its entries in file order.
    pub entries: Vec<Entry<'a>>,
}

/// `key = value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// As the program matches it (lower-cased by supervisord).
    pub key: Cow<'a, str>,
    /// With continuation lines joined by `\n` (supervisord), comments and edge spaces gone.
    pub value: Cow<'a, str>,
    /// Where the key starts.
    pub at: Pos,
    /// Where the value starts.
    pub value_at: Pos,
}

impl<'a> Ini<'a> {
    /// The section named `name`.
    pub fn section(&self, name: &str) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }
}

impl<'a> Section<'a> {
    /// The entry the program uses for `key`: the only one in supervisord, the last in uWSGI.
    pub fn get(&self, key: &str) -> Option<&Entry<'a>> {
        self.entries.iter().rev().find(|e| e.key == key)
    }

    /// The value of `key`, if set.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key).map(|e| e.value.as_ref())
    }

    /// Every entry for `key`, in order (uWSGI's repeatable options).
    pub fn all<'s>(&'s self, key: &'s str) -> impl Iterator<Item = &'s Entry<'a>> + 's {
        self.entries.iter().filter(move |e| e.key == key)
    }
}

/// Reads `text` as `dialect` reads it.
pub fn parse(text: &str, dialect: Dialect) -> Ini<'_> {
    match dialect {
        Dialect::Supervisord => supervisord(text),
        Dialect::Uwsgi => uwsgi(text),
    }
}

/// Where a supervisord line's comment starts, as `RawConfigParser._read` finds it: the
/// whole line when its first non-space is `;` or `#`, else the first `;` or `#` at the start
/// or after whitespace, searched the way Python searches (each prefix from its last hit,
/// round by round).
fn comment_start(line: &str) -> Option<usize> {
    let t = line.trim_start();
    if t.starts_with(';') || t.starts_with('#') {
        return Some(0);
    }
    let bytes = line.as_bytes();
    if !bytes.iter().any(|&b| b == b';' || b == b'#') {
        return None;
    }
    // Each prefix with where its next search starts; `None` once it is not found.
    let mut from = [Some((b';', 0)), Some((b'#', 0))];
    while from.iter().any(Option::is_some) {
        let mut start = None::<usize>;
        let mut next = [None, None];
        for (slot, &(prefix, at)) in from
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some((i, f.as_ref()?)))
        {
            let Some(i) = bytes[at..]
                .iter()
                .position(|&b| b == prefix)
                .map(|i| i + at)
            else {
                continue;
            };
            next[slot] = Some((prefix, i + 1));
            let after_space = i == 0
                || line[..i]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_whitespace);
            if after_space {
                start = Some(start.map_or(i, |s: usize| s.min(i)));
            }
        }
        if start.is_some() {
            return start;
        }
        from = next;
    }
    None
}

struct Open<'a> {
    section: usize,
    entry: usize,
    /// Lines of a value that runs on; joined when the next key or section comes.
    more: Vec<&'a str>,
}

/// The section `name`, opened anew or, if seen before, again.
fn open_section<'a>(
    ini: &mut Ini<'a>,
    index: &mut HashMap<&'a str, usize>,
    name: &'a str,
    pos: Pos,
) -> usize {
    let i = *index.entry(name).or_insert_with(|| {
        ini.sections.push(Section {
            name,
            headers: Vec::with_capacity(1),
            entries: Vec::new(),
        });
        ini.sections.len() - 1
    });
    ini.sections[i].headers.push(pos);
    i
}

fn supervisord(text: &str) -> Ini<'_> {
    let mut ini = Ini::default();
    let mut index = HashMap::new();
    let mut current: Option<usize> = None;
    let mut open: Option<Open<'_>> = None;
    let mut indent_level = 0usize;
    for (n, raw) in lines(text) {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let comment = comment_start(line);
        let value = line[..comment.unwrap_or(line.len())].trim();
        if value.is_empty() {
            // A blank line (not a comment) inside a value is part of it.
            if let (None, Some(o)) = (comment, open.as_mut()) {
                o.more.push("");
            }
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if let (Some(o), true) = (open.as_mut(), indent > indent_level) {
            o.more.push(value);
            continue;
        }
        indent_level = indent;
        finish(&mut ini, open.take());
        let at_value = |v: &str| Pos {
            line: n,
            col: column(line, v.as_ptr() as usize - line.as_ptr() as usize),
        };
        if let Some(name) = header(value) {
            let pos = at_value(value);
            current = Some(open_section(&mut ini, &mut index, name, pos));
            continue;
        }
        let Some(section) = current else {
            ini.errors.push(SyntaxError {
                at: at_value(value),
                message: "a line before the first [section] header: supervisord reads nothing of this file"
                    .into(),
            });
            return ini;
        };
        let Some(d) = value.find(['=', ':']) else {
            ini.errors.push(SyntaxError {
                at: at_value(value),
                message: format!("`{value}` is neither a [section] nor key = value"),
            });
            continue;
        };
        let key = value[..d].trim_end();
        if key.is_empty() {
            ini.errors.push(SyntaxError {
                at: at_value(value),
                message: "a value with no key before its `=`".into(),
            });
            continue;
        }
        let val = value[d + 1..].trim_start();
        let key = if key.bytes().any(|b| b.is_ascii_uppercase()) || !key.is_ascii() {
            Cow::Owned(key.to_lowercase())
        } else {
            Cow::Borrowed(key)
        };
        let entry = Entry {
            key,
            value: Cow::Borrowed(val),
            at: at_value(value),
            value_at: if val.is_empty() {
                at_value(&value[value.len()..])
            } else {
                at_value(val)
            },
        };
        let entries = &mut ini.sections[section].entries;
        // A repeated key replaces the first's value where the first stood.
        let i = match entries.iter().position(|e| e.key == entry.key) {
            Some(i) => {
                entries[i] = entry;
                i
            }
            None => {
                entries.push(entry);
                entries.len() - 1
            }
        };
        open = Some(Open {
            section,
            entry: i,
            more: Vec::new(),
        });
    }
    finish(&mut ini, open);
    ini
}

/// Joins a value's continuation lines, as `_join_multiline_values` does (trailing blank
/// lines dropped).
fn finish(ini: &mut Ini<'_>, open: Option<Open<'_>>) {
    let Some(o) = open else { return };
    if o.more.iter().all(|l| l.is_empty()) {
        return;
    }
    let entry = &mut ini.sections[o.section].entries[o.entry];
    let mut joined = entry.value.to_string();
    for l in o.more {
        joined.push('\n');
        joined.push_str(l);
    }
    entry.value = Cow::Owned(joined.trim_end().to_string());
}

/// `[name]` as Python's `\[(?P<header>.+)\]` matches it: from the first `[` to the last `]`.
fn header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

fn trim_uwsgi(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r'])
}

fn uwsgi(text: &str) -> Ini<'_> {
    let trim = trim_uwsgi;
    let mut ini = Ini::default();
    let mut index = HashMap::new();
    let mut current: Option<usize> = None;
    for (n, raw) in lines(text) {
        let line = trim(raw);
        let at = |s: &str| Pos {
            line: n,
            col: column(raw, s.as_ptr() as usize - raw.as_ptr() as usize),
        };
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            // ini.c drops the last character, whatever it is.
            let name = &rest[..rest.char_indices().last().map_or(0, |(i, _)| i)];
            let pos = at(line);
            current = Some(open_section(&mut ini, &mut index, name, pos));
            continue;
        }
        // Before any header the section is "", which uWSGI never asks for.
        let Some(section) = current else { continue };
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (trim(k), trim(v)),
            None => (line, &line[line.len()..]),
        };
        ini.sections[section].entries.push(Entry {
            key: Cow::Borrowed(key),
            value: Cow::Borrowed(value),
            at: at(key),
            value_at: at(value),
        });
    }
    ini
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sup(text: &str) -> Ini<'_> {
        parse(text, Dialect::Supervisord)
    }

    #[test]
    fn supervisord_comments_continuations_and_repeats() {
        let ini = sup("; top\n[program:a]\nCommand = /bin/a --x ; inline\n  --y\n\n  --z\n\nenvironment=A=\"1;2\";x\nurl=http://h#frag\n[program:a]\ncommand: /bin/b\n");
        assert!(ini.errors.is_empty(), "{:?}", ini.errors);
        let a = ini.section("program:a").unwrap();
        assert_eq!(a.headers.len(), 2);
        assert_eq!(
            a.value("command"),
            Some("/bin/b"),
            "a repeated key replaces"
        );
        assert_eq!(a.get("command").unwrap().at, Pos { line: 11, col: 1 });
        // `;` after a non-space is not a comment; `#` after one is not either.
        assert_eq!(a.value("environment"), Some("A=\"1;2\";x"));
        assert_eq!(a.value("url"), Some("http://h#frag"));
        let ini = sup("[x]\nk = v ; c\n    more\n\n    last\n\n");
        assert_eq!(ini.sections[0].value("k"), Some("v\nmore\n\nlast"));
    }

    #[test]
    fn supervisord_refusals() {
        let ini = sup("command=/bin/a\n[x]\n");
        assert_eq!(ini.errors[0].at, Pos { line: 1, col: 1 });
        assert!(
            ini.sections.is_empty(),
            "nothing read after the first refusal"
        );
        let ini = sup("[x]\njust words\n = v\n");
        assert_eq!(ini.errors.len(), 2);
        assert_eq!(ini.errors[1].at.line, 3);
    }

    #[test]
    fn uwsgi_keeps_quotes_repeats_and_drops_the_last_header_character() {
        let ini = parse(
            "[uwsgi]\nenv = A=\"x\" ; not a comment\nenv=B=2\nmaster\n  # c\n[uwsgi\nk=v\n",
            Dialect::Uwsgi,
        );
        let s = ini.section("uwsgi").unwrap();
        let envs: Vec<&str> = s.all("env").map(|e| e.value.as_ref()).collect();
        assert_eq!(envs, ["A=\"x\" ; not a comment", "B=2"]);
        assert_eq!(s.value("master"), Some(""));
        assert_eq!(ini.section("uwsg").unwrap().value("k"), Some("v"));
        assert_eq!(s.get("env").unwrap().value_at, Pos { line: 3, col: 5 });
    }
}
