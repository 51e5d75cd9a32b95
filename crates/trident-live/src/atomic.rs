//! Whole-or-nothing file writes, for trident-live's own files and the CLI's `--out`.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `text` to a new file beside `path` (`.NAME.trident-TAG-PID`), synced to disk, and
/// returns its path; on failure nothing is left behind.
pub fn write_beside(path: &Path, text: &str, tag: &str) -> io::Result<PathBuf> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.trident-{tag}-{}", std::process::id()));
    let written = fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Writes `path` whole or not at all: a synced file beside it, renamed over it.
pub fn write_atomic(path: &Path, text: &str) -> io::Result<()> {
    let tmp = write_beside(path, text, "live")?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_leaves_nothing_beside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.conf");
        fs::write(&path, "old").unwrap();
        write_atomic(&path, "new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        // Into a directory that does not exist: an error, and nothing written.
        assert!(write_atomic(&dir.path().join("no/f.conf"), "x").is_err());
    }
}
