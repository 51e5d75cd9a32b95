//! `generate --out`: all files or none. Plan first (which files change, which would be
//! replaced without `--force`), then stage every changed file under a temporary name, keep
//! a link to each file it replaces, and rename into place; a failed rename puts every earlier
//! file back, so the directory holds the old files or the new ones, never a mix.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use trident_core::RenderedFile;

/// One file of the plan.
pub struct Step<'a> {
    /// Where it goes.
    pub path: PathBuf,
    /// What it holds.
    pub file: &'a RenderedFile,
    /// False when the file on disk is already identical.
    pub changed: bool,
}

/// Why the plan stops before anything is written.
pub enum Refusal {
    /// These files exist with other content and `--force` was not given.
    Differs(Vec<PathBuf>),
    /// A file could not be read.
    Unreadable(PathBuf, io::Error),
}

/// Decides, without writing, which files change.
pub fn plan<'a>(
    dir: &Path,
    files: &[&'a RenderedFile],
    force: bool,
) -> Result<Vec<Step<'a>>, Refusal> {
    let mut steps = Vec::new();
    let mut differs = Vec::new();
    for file in files {
        let path = dir.join(file.path());
        let changed = match fs::read(&path) {
            Ok(old) if old == file.contents.as_bytes() => false,
            Ok(_) if !force => {
                differs.push(path);
                continue;
            }
            Ok(_) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => true,
            Err(e) => return Err(Refusal::Unreadable(path, e)),
        };
        steps.push(Step {
            path,
            file,
            changed,
        });
    }
    if differs.is_empty() {
        Ok(steps)
    } else {
        Err(Refusal::Differs(differs))
    }
}

/// A failure while writing, after which the directory is as it was.
pub struct WriteError {
    /// What was being done.
    pub what: String,
    /// The error.
    pub error: io::Error,
}

/// Writes the changed files of `steps` into `dir`, all or none.
pub fn apply(dir: &Path, steps: &[Step<'_>]) -> Result<(), WriteError> {
    apply_with(dir, steps, &mut |from, to| fs::rename(from, to))
}

/// A file being replaced: its staged new content, and a link to the old one if it existed.
struct Staged {
    tmp: PathBuf,
    backup: Option<PathBuf>,
    path: PathBuf,
}

/// [`apply`] with the rename step given, so a test can make it fail.
pub fn apply_with(
    dir: &Path,
    steps: &[Step<'_>],
    rename: &mut dyn FnMut(&Path, &Path) -> io::Result<()>,
) -> Result<(), WriteError> {
    fs::create_dir_all(dir).map_err(|error| WriteError {
        what: format!("cannot create {}", dir.display()),
        error,
    })?;
    let pid = std::process::id();
    let mut staged: Vec<Staged> = Vec::new();
    let fail = |staged: &[Staged], what: String, error: io::Error| {
        for s in staged {
            let _ = fs::remove_file(&s.tmp);
            if let Some(b) = &s.backup {
                let _ = fs::remove_file(b);
            }
        }
        WriteError { what, error }
    };
    // Host directories (`lb/`, `web1/`) this run creates, removed again if it fails.
    let mut made: Vec<PathBuf> = Vec::new();
    let fail = |staged: &[Staged], made: &[PathBuf], what: String, error: io::Error| {
        let e = fail(staged, what, error);
        for d in made.iter().rev() {
            let _ = fs::remove_dir(d);
        }
        e
    };
    for step in steps.iter().filter(|s| s.changed) {
        let name = step.file.name;
        let parent = step.path.parent().unwrap_or(dir);
        if !parent.exists() {
            if let Err(e) = fs::create_dir(parent) {
                return Err(fail(
                    &staged,
                    &made,
                    format!("cannot create {}", parent.display()),
                    e,
                ));
            }
            made.push(parent.to_path_buf());
        }
        let tmp = match trident_live::atomic::write_beside(&step.path, &step.file.contents, "new") {
            Ok(tmp) => tmp,
            Err(e) => {
                return Err(fail(
                    &staged,
                    &made,
                    format!("cannot write a new {} beside it", step.path.display()),
                    e,
                ))
            }
        };
        // A second name for the file being replaced, to put back if a later rename fails.
        let backup = if step.path.exists() {
            let b = parent.join(format!(".{name}.trident-old-{pid}"));
            let _ = fs::remove_file(&b);
            if let Err(e) =
                fs::hard_link(&step.path, &b).or_else(|_| fs::copy(&step.path, &b).map(drop))
            {
                let _ = fs::remove_file(&tmp);
                return Err(fail(
                    &staged,
                    &made,
                    format!("cannot keep a copy of {}", step.path.display()),
                    e,
                ));
            }
            Some(b)
        } else {
            None
        };
        staged.push(Staged {
            tmp,
            backup,
            path: step.path.clone(),
        });
    }
    for (i, s) in staged.iter().enumerate() {
        if let Err(e) = rename(&s.tmp, &s.path) {
            // Put back what the earlier renames replaced; remove what they added.
            for done in &staged[..i] {
                match &done.backup {
                    Some(b) => {
                        let _ = fs::rename(b, &done.path);
                    }
                    None => {
                        let _ = fs::remove_file(&done.path);
                    }
                }
            }
            return Err(fail(
                &staged,
                &made,
                format!("cannot replace {}", s.path.display()),
                e,
            ));
        }
    }
    for s in &staged {
        if let Some(b) = &s.backup {
            let _ = fs::remove_file(b);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &'static str, contents: &str) -> RenderedFile {
        RenderedFile {
            host: String::new(),
            name,
            contents: contents.into(),
        }
    }

    fn listing(dir: &Path) -> Vec<(String, String)> {
        let mut out: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read_to_string(e.path()).unwrap(),
                )
            })
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_failed_rename_puts_every_earlier_file_back() {
        let files = [
            file("a.conf", "new a"),
            file("b.ini", "new b"),
            file("c.conf", "new c"),
        ];
        let refs: Vec<&RenderedFile> = files.iter().collect();
        for fail_at in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            // a and c exist with old content; b is new.
            fs::write(dir.path().join("a.conf"), "old a").unwrap();
            fs::write(dir.path().join("c.conf"), "old c").unwrap();
            let before = listing(dir.path());
            let steps = plan(dir.path(), &refs, true).ok().unwrap();
            let mut calls = 0;
            let result = apply_with(dir.path(), &steps, &mut |from, to| {
                calls += 1;
                if calls == fail_at + 1 {
                    Err(io::Error::other("injected"))
                } else {
                    fs::rename(from, to)
                }
            });
            assert!(result.is_err(), "rename {fail_at} was to fail");
            assert_eq!(listing(dir.path()), before, "rename {fail_at} failed");
        }
    }

    #[test]
    fn all_renames_succeed_and_leave_no_stray_file() {
        let files = [file("a.conf", "new a"), file("b.ini", "same")];
        let refs: Vec<&RenderedFile> = files.iter().collect();
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.conf"), "old a").unwrap();
        fs::write(dir.path().join("b.ini"), "same").unwrap();
        let steps = plan(dir.path(), &refs, true).ok().unwrap();
        assert_eq!(
            steps.iter().map(|s| s.changed).collect::<Vec<_>>(),
            [true, false]
        );
        apply(dir.path(), &steps).ok().unwrap();
        assert_eq!(
            listing(dir.path()),
            [
                ("a.conf".into(), "new a".into()),
                ("b.ini".into(), "same".into())
            ]
        );
    }

    #[test]
    fn differing_files_are_refused_without_force() {
        let files = [file("a.conf", "new a")];
        let refs: Vec<&RenderedFile> = files.iter().collect();
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.conf"), "old a").unwrap();
        assert!(matches!(plan(dir.path(), &refs, false), Err(Refusal::Differs(p)) if p.len() == 1));
    }
}
