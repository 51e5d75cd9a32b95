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

/// An `--out` write in progress: the directories it created, the files it staged, how many
/// it renamed into place. Dropped before [`Transaction::commit`], it puts the directory back
/// as it was: renamed files get their old content back (or go, if they are new), staged
/// files and backups go, created directories go.
#[derive(Default)]
struct Transaction {
    made: Vec<PathBuf>,
    staged: Vec<Staged>,
    renamed: usize,
    committed: bool,
}

impl Transaction {
    /// Writes `step`'s new content beside its file and keeps a second name for the old one.
    fn stage(&mut self, dir: &Path, step: &Step<'_>) -> Result<(), WriteError> {
        let parent = step.path.parent().unwrap_or(dir);
        if !parent.exists() {
            fs::create_dir(parent)
                .map_err(|e| failed(format!("cannot create {}", parent.display()), e))?;
            self.made.push(parent.to_path_buf());
        }
        let tmp = trident_live::atomic::write_beside(&step.path, &step.file.contents, "new")
            .map_err(|e| {
                failed(
                    format!("cannot write a new {} beside it", step.path.display()),
                    e,
                )
            })?;
        let mut staged = Staged {
            tmp,
            backup: None,
            path: step.path.clone(),
        };
        if step.path.exists() {
            // A second name for the file being replaced, to put back if a later rename fails.
            let b = parent.join(format!(
                ".{}.trident-old-{}",
                step.file.name,
                std::process::id()
            ));
            let _ = fs::remove_file(&b);
            let kept =
                fs::hard_link(&step.path, &b).or_else(|_| fs::copy(&step.path, &b).map(drop));
            staged.backup = Some(b);
            if let Err(e) = kept {
                self.staged.push(staged);
                return Err(failed(
                    format!("cannot keep a copy of {}", step.path.display()),
                    e,
                ));
            }
        }
        self.staged.push(staged);
        Ok(())
    }

    /// Renames every staged file into place, in order.
    fn install(
        &mut self,
        rename: &mut dyn FnMut(&Path, &Path) -> io::Result<()>,
    ) -> Result<(), WriteError> {
        while let Some(s) = self.staged.get(self.renamed) {
            rename(&s.tmp, &s.path)
                .map_err(|e| failed(format!("cannot replace {}", s.path.display()), e))?;
            self.renamed += 1;
        }
        Ok(())
    }

    /// Keeps what was written; only the backups go.
    fn commit(mut self) {
        self.committed = true;
        for s in &self.staged {
            if let Some(b) = &s.backup {
                let _ = fs::remove_file(b);
            }
        }
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        for (i, s) in self.staged.iter().enumerate() {
            if i < self.renamed {
                match &s.backup {
                    Some(b) => {
                        let _ = fs::rename(b, &s.path);
                    }
                    None => {
                        let _ = fs::remove_file(&s.path);
                    }
                }
            }
            let _ = fs::remove_file(&s.tmp);
            if let Some(b) = &s.backup {
                let _ = fs::remove_file(b);
            }
        }
        for d in self.made.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }
}

fn failed(what: String, error: io::Error) -> WriteError {
    WriteError { what, error }
}

/// [`apply`] with the rename step given, so a test can make it fail.
pub fn apply_with(
    dir: &Path,
    steps: &[Step<'_>],
    rename: &mut dyn FnMut(&Path, &Path) -> io::Result<()>,
) -> Result<(), WriteError> {
    fs::create_dir_all(dir).map_err(|e| failed(format!("cannot create {}", dir.display()), e))?;
    let mut t = Transaction::default();
    for step in steps.iter().filter(|s| s.changed) {
        t.stage(dir, step)?;
    }
    t.install(rename)?;
    t.commit();
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
    fn a_failed_write_removes_the_host_directories_it_made() {
        let mut files = [file("a.conf", "a"), file("b.conf", "b")];
        files[0].host = "lb".into();
        files[1].host = "web1".into();
        let refs: Vec<&RenderedFile> = files.iter().collect();
        let dir = tempfile::tempdir().unwrap();
        let steps = plan(dir.path(), &refs, false).ok().unwrap();
        let mut calls = 0;
        let result = apply_with(dir.path(), &steps, &mut |from, to| {
            calls += 1;
            if calls == 2 {
                Err(io::Error::other("injected"))
            } else {
                fs::rename(from, to)
            }
        });
        assert!(result.is_err());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "lb/ and web1/ are gone"
        );
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
