//! The module graph of the core and the CLI has no circle: no module uses, directly or
//! through others, a module that uses it. A use is a path through `crate::` or `super::`
//! outside comments and unit tests. A directory module and its files are one unit (their
//! `super::` is how a module's private parts share its context); the crate root only
//! declares and re-exports, so it is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`render::nginx`) → source without comment lines.
fn modules(src: &Path) -> BTreeMap<String, String> {
    fn go(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                go(&path, &format!("{prefix}{stem}::"), out);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let name = match stem.as_str() {
                "lib" | "main" if prefix.is_empty() => String::new(),
                "mod" => prefix.trim_end_matches("::").to_string(),
                _ => format!("{prefix}{stem}"),
            };
            let text = std::fs::read_to_string(&path).unwrap();
            // Unit tests aside.
            let code = text.split("\n#[cfg(test)]").next().unwrap().to_string();
            out.insert(name, code);
        }
    }
    let mut out = BTreeMap::new();
    go(src, "", &mut out);
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The longest module named by `path` (`a::b::Item` → `a::b` when that is a module).
fn resolve(path: &[&str], mods: &BTreeMap<String, String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| mods.contains_key(m))
}

/// The unit a module belongs to: its top-level module.
fn unit(module: &str) -> String {
    module.split("::").next().unwrap_or(module).to_string()
}

/// Each unit's uses of other units.
fn edges(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, code) in mods {
        if name.is_empty() {
            continue;
        }
        // Code only: comment lines aside.
        let code: String = code
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| l.to_string() + "\n")
            .collect();
        let parent: Vec<&str> = {
            let mut p: Vec<&str> = name.split("::").collect();
            p.pop();
            p
        };
        let mut targets = BTreeSet::new();
        let bytes = code.as_bytes();
        for (i, _) in code.char_indices() {
            let before_ok = i == 0
                || !(bytes[i - 1].is_ascii_alphanumeric()
                    || bytes[i - 1] == b'_'
                    || bytes[i - 1] == b':');
            if !before_ok {
                continue;
            }
            let rest = &code[i..];
            let (base, after): (Vec<&str>, &str) = if let Some(r) = rest.strip_prefix("crate::") {
                (Vec::new(), r)
            } else if let Some(r) = rest.strip_prefix("super::") {
                (parent.clone(), r)
            } else {
                continue;
            };
            let mut path = base;
            let mut r = after;
            loop {
                let id = ident_at(r);
                if id.is_empty() {
                    break;
                }
                path.push(id);
                match r[id.len()..].strip_prefix("::") {
                    Some(next) => r = next,
                    None => break,
                }
            }
            // `use crate::x::{a, b}`: the braces name items of x (or its children).
            if let Some(group) = r.strip_prefix('{') {
                for item in group.split('}').next().unwrap_or("").split(',') {
                    let mut p = path.clone();
                    p.extend(
                        item.trim()
                            .split("::")
                            .map(str::trim)
                            .filter(|s| !s.is_empty()),
                    );
                    if let Some(m) = resolve(&p, mods) {
                        targets.insert(m);
                    }
                }
            } else if let Some(m) = resolve(&path, mods) {
                targets.insert(m);
            }
        }
        let own = unit(name);
        out.entry(own.clone()).or_default().extend(
            targets
                .iter()
                .map(|t| unit(t))
                .filter(|t| *t != own && !t.is_empty()),
        );
    }
    out
}

/// Every circle, each as the path that closes it.
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for start in edges.keys() {
        // Depth-first from `start`, looking for a way back to it.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in edges.get(&at).into_iter().flatten() {
                if next == start {
                    let mut c = path.clone();
                    c.push(start.clone());
                    found.push(c);
                } else if next > start && seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    found
}

fn check(crate_dir: &str) -> Vec<Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(crate_dir)
        .join("src");
    circles(&edges(&modules(&src)))
}

#[test]
fn the_core_has_no_import_circle() {
    let found = check("trident-core");
    assert!(found.is_empty(), "circles: {found:#?}");
}

#[test]
fn the_cli_has_no_import_circle() {
    let found = check("trident-cli");
    assert!(found.is_empty(), "circles: {found:#?}");
}

#[test]
fn the_checker_finds_a_circle() {
    let mods: BTreeMap<String, String> = [
        ("a", "use crate::b::X;\n"),
        ("b", "fn f() { crate::c::g() }\n"),
        ("c", "use crate::{a::Y, d};\n"),
        ("d", "// crate::a in a comment is no use\n"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let found = circles(&edges(&mods));
    assert_eq!(found, [["a", "b", "c", "a"]]);
}
