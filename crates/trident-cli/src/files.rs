//! Reading a stack's files from disk for `lint` and `import`: the paths given (files, or
//! directories searched by content), then nginx's includes followed as nginx follows them.
//! Bounded: files larger than the core's limit are refused, a directory walk stops at a
//! depth and a count, includes are followed a bounded number of times.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use trident_core::lint::{self, glob, Include, Kind, PathState, Resolved, Source};

use crate::error::Error;

/// How deep a directory is searched.
const MAX_DEPTH: usize = 4;
/// Most files read in all (inputs and includes).
const MAX_FILES: usize = 2_000;

/// The sources, their includes, and what was skipped (for a note on stderr).
pub struct Loaded {
    /// Every file read, inputs first.
    pub sources: Vec<Source>,
    /// nginx's includes, resolved.
    pub includes: Vec<Include>,
    /// Paths passed over, with why.
    pub skipped: Vec<String>,
}

fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(lint::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Reads `paths`: each file as given (an unknown kind is reported), each directory searched
/// for files whose content is a supervisord, uWSGI, nginx or nftables configuration
/// (others passed over). `prefix` is where relative includes resolve (default: the
/// directory of the nginx file that is not itself included).
pub fn load(paths: &[PathBuf], prefix: Option<&Path>) -> Result<Loaded, Error> {
    let mut loaded = Loaded {
        sources: Vec::new(),
        includes: Vec::new(),
        skipped: Vec::new(),
    };
    let mut seen: BTreeMap<PathBuf, usize> = BTreeMap::new();
    for p in paths {
        let meta =
            fs::metadata(p).map_err(|e| Error::Io(format!("cannot read {}", p.display()), e))?;
        if meta.is_dir() {
            let root = fs::canonicalize(p)
                .map_err(|e| Error::Io(format!("cannot read {}", p.display()), e))?;
            walk(p, &root, 0, &mut loaded, &mut seen)?;
        } else {
            add(p, &mut loaded, &mut seen)?;
        }
    }
    follow_includes(&mut loaded, &mut seen, prefix);
    Ok(loaded)
}

fn add(
    path: &Path,
    loaded: &mut Loaded,
    seen: &mut BTreeMap<PathBuf, usize>,
) -> Result<usize, Error> {
    let canon = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if let Some(&i) = seen.get(&canon) {
        return Ok(i);
    }
    if loaded.sources.len() >= MAX_FILES {
        return Err(Error::Usage(format!(
            "more than {MAX_FILES} files: give the stack's own files or directory"
        )));
    }
    let bytes =
        read_bounded(path).map_err(|e| Error::Io(format!("cannot read {}", path.display()), e))?;
    loaded
        .sources
        .push(Source::from_bytes(display(path), &bytes));
    seen.insert(canon, loaded.sources.len() - 1);
    Ok(loaded.sources.len() - 1)
}

fn walk(
    dir: &Path,
    root: &Path,
    depth: usize,
    loaded: &mut Loaded,
    seen: &mut BTreeMap<PathBuf, usize>,
) -> Result<(), Error> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| Error::Io(format!("cannot read {}", dir.display()), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        let Ok(canon) = fs::canonicalize(&path) else {
            loaded
                .skipped
                .push(format!("{}: a dangling symlink", path.display()));
            continue;
        };
        if !canon.starts_with(root) {
            loaded.skipped.push(format!(
                "{}: a symlink out of {}",
                path.display(),
                root.display()
            ));
            continue;
        }
        if canon.is_dir() {
            if depth + 1 < MAX_DEPTH {
                walk(&path, root, depth + 1, loaded, seen)?;
            }
            continue;
        }
        let before = loaded.sources.len();
        let i = add(&path, loaded, seen)?;
        if i == before && loaded.sources[i].kind.is_none() {
            // Found by searching, not named: not a configuration, not reported.
            let s = loaded.sources.pop().expect("just added");
            seen.retain(|_, v| *v != i);
            let why = match &s.text {
                Ok(_) => "not a configuration".to_string(),
                Err(e) => e.message.clone(),
            };
            loaded.skipped.push(format!("{}: {why}", path.display()));
        }
    }
    Ok(())
}

/// Follows every nginx source's includes on disk, as nginx does: an absolute pattern as
/// is, a relative one in `prefix` or the directory of the including chain's first file;
/// `*` patterns list that directory. Debian's `/etc/nginx/uwsgi_params` is known by name when
/// the file is not here.
fn follow_includes(
    loaded: &mut Loaded,
    seen: &mut BTreeMap<PathBuf, usize>,
    prefix: Option<&Path>,
) {
    // The directory each nginx source's relative includes resolve in.
    let mut base: BTreeMap<usize, PathBuf> = BTreeMap::new();
    let mut next = 0;
    while next < loaded.sources.len() {
        let from = next;
        next += 1;
        if loaded.sources[from].kind != Some(Kind::Nginx) {
            continue;
        }
        let Ok(text) = &loaded.sources[from].text else {
            continue;
        };
        let includes = trident_core::read::NginxConf::parse(text).includes();
        let includes: Vec<(String, _)> = includes
            .into_iter()
            .map(|(p, at)| (p.into_owned(), at))
            .collect();
        let dir = base.get(&from).cloned().unwrap_or_else(|| {
            prefix.map(Path::to_path_buf).unwrap_or_else(|| {
                Path::new(&loaded.sources[from].path)
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default()
            })
        });
        for (pattern, at) in includes {
            let full = if Path::new(&pattern).is_absolute() {
                PathBuf::from(&pattern)
            } else {
                dir.join(&pattern)
            };
            let to = resolve(&full, &pattern, loaded, seen);
            if let Resolved::Files(files) = &to {
                for &f in files {
                    if loaded.sources[f].kind.is_none() && loaded.sources[f].text.is_ok() {
                        loaded.sources[f].kind = Some(Kind::Nginx);
                    }
                    base.entry(f).or_insert_with(|| dir.clone());
                }
            }
            loaded.includes.push(Include {
                from,
                at,
                pattern,
                to,
            });
        }
    }
}

fn resolve(
    full: &Path,
    pattern: &str,
    loaded: &mut Loaded,
    seen: &mut BTreeMap<PathBuf, usize>,
) -> Resolved {
    let name = full
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.contains(['*', '?']) {
        let parent = full.parent().unwrap_or(Path::new("."));
        let Ok(entries) = fs::read_dir(parent) else {
            return Resolved::Files(Vec::new());
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && glob(
                        &name,
                        &p.file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default(),
                    )
            })
            .collect();
        paths.sort();
        let mut files = Vec::new();
        for p in paths {
            match add(&p, loaded, seen) {
                Ok(i) => files.push(i),
                Err(e) => return Resolved::Refused(e.to_string()),
            }
        }
        return Resolved::Files(files);
    }
    if full.is_file() {
        return match add(full, loaded, seen) {
            Ok(i) => Resolved::Files(vec![i]),
            Err(e) => Resolved::Refused(e.to_string()),
        };
    }
    if pattern == "/etc/nginx/uwsgi_params" {
        return Resolved::DebianUwsgiParams;
    }
    if pattern.starts_with("/etc/nginx/") && lint::debian_ships(pattern) {
        // Not installed here; present wherever Debian's nginx runs the file.
        return Resolved::Files(Vec::new());
    }
    Resolved::Missing(display(full))
}

/// What this machine says about the paths the files name (`--this-host`).
pub fn facts(loaded: &Loaded) -> lint::Facts {
    let mut facts = lint::Facts {
        env: std::env::vars().collect(),
        ..Default::default()
    };
    for p in lint::paths_to_check(&loaded.sources, &loaded.includes, &facts) {
        let state = match fs::metadata(&p) {
            Ok(m) if m.is_dir() => PathState::Dir,
            Ok(_) => PathState::File,
            Err(_) => PathState::Missing,
        };
        facts.paths.insert(p, state);
    }
    facts
}
