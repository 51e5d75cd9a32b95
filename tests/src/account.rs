//! The unprivileged account a stack runs as when the suite runs as root (CI does): started
//! as root without one, a generated stack refuses to run the app.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

/// Debian's `nobody`, so that no test creates accounts on the machine.
pub const STACK_USER: &str = "nobody";
/// Debian's group of `nobody`.
pub const STACK_GROUP: &str = "nogroup";

/// Whether the suite runs as root (`/proc/self` belongs to the effective uid).
pub fn running_as_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `--user`/`--group` for a stack this suite starts: the stack user as root, none otherwise.
pub fn stack_user_flags() -> &'static [&'static str] {
    if running_as_root() {
        &["--user", STACK_USER, "--group", STACK_GROUP]
    } else {
        &[]
    }
}

/// Runs `args` as `user`:`group` (util-linux `setpriv`, no supplementary groups).
pub fn as_user(user: &str, group: &str, args: &[&str]) -> std::process::Output {
    Command::new("setpriv")
        .args([
            &format!("--reuid={user}"),
            &format!("--regid={group}"),
            "--clear-groups",
        ])
        .args(args)
        .output()
        .expect("run setpriv (util-linux)")
}

/// The uid or gid (`-g`) of the stack user, from `id`.
pub fn stack_id(flag: &str) -> u32 {
    let o = Command::new("id")
        .args([flag, STACK_USER])
        .output()
        .expect("run id");
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("id {flag} {STACK_USER}: {o:?}"))
}

/// Creates `path` (empty) owned by the stack user when the suite is root: a file the app
/// itself writes, as an admin would give the app its own data.
pub fn app_writable(path: &Path) {
    fs::write(path, "").unwrap();
    if running_as_root() {
        std::os::unix::fs::chown(path, Some(stack_id("-u")), Some(stack_id("-g"))).unwrap();
    }
}
