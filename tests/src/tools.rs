//! The real programs the suite runs, and the `trident` binary under test.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The Debian packages the suite runs.
pub const INSTALL: &str =
    "apt-get update && apt-get install -y nginx uwsgi uwsgi-plugin-python3 supervisor python3-django";

/// Fails loudly, naming the install command, when a real program is missing.
pub fn require_tools() {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let needed = [
            ("/usr/sbin/nginx", "nginx"),
            ("/usr/bin/uwsgi", "uwsgi"),
            ("/usr/lib/uwsgi/plugins/python3_plugin.so", "uwsgi-plugin-python3"),
            ("/usr/bin/supervisord", "supervisor"),
            ("/usr/bin/supervisorctl", "supervisor"),
            ("/usr/lib/python3/dist-packages/django/__init__.py", "python3-django"),
            ("/usr/bin/python3", "python3"),
        ];
        let missing: Vec<String> = needed
            .iter()
            .filter(|(path, _)| !Path::new(path).exists())
            .map(|(path, pkg)| format!("{path} (package {pkg})"))
            .collect();
        assert!(
            missing.is_empty(),
            "the end-to-end suite needs real servers; missing: {}\ninstall them with: {INSTALL}\n(or run `cargo xtask test`, which does)",
            missing.join(", ")
        );
    });
}

/// Path of the real `trident` binary, built once per test run.
pub fn trident_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let exe = std::env::current_exe().expect("test path");
        // The profile of this binary (a measurement runs with --release).
        let release = exe.components().any(|c| c.as_os_str() == "release");
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "trident-cli"])
            .args(release.then_some("--release"))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build -p trident-cli failed");
        // target/debug/deps/e2e-HASH → target/debug/trident
        let bin = exe
            .parent()
            .and_then(Path::parent)
            .expect("target dir")
            .join("trident");
        assert!(bin.exists(), "{} was not built", bin.display());
        bin
    })
}

/// Runs `trident` with `args`.
pub fn trident(args: &[&str]) -> Output {
    Command::new(trident_bin())
        .args(args)
        .output()
        .expect("run trident")
}

/// The fixture Django project (`app.wsgi:application`, plus `static/`).
pub fn django_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/django")
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "__pycache__" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}
