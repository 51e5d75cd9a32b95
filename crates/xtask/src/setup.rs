//! Installs what the tests need when it is missing: the wasm target, and Debian's nginx,
//! uWSGI with its Python 3 plugin, supervisor and Django. Re-running it changes nothing.

use std::path::Path;
use std::process::Command;

use crate::run;

/// Debian packages and a file each one provides, to tell whether it is installed.
const PACKAGES: &[(&str, &str)] = &[
    ("nginx", "/usr/sbin/nginx"),
    ("uwsgi", "/usr/bin/uwsgi"),
    (
        "uwsgi-plugin-python3",
        "/usr/lib/uwsgi/plugins/python3_plugin.so",
    ),
    ("supervisor", "/usr/bin/supervisord"),
    (
        "python3-django",
        "/usr/lib/python3/dist-packages/django/__init__.py",
    ),
    ("curl", "/usr/bin/curl"),
];

pub fn all() -> Result<(), String> {
    wasm_target()?;
    debian(PACKAGES)
}

fn wasm_target() -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("cannot run rustup: {e}"))?;
    if String::from_utf8_lossy(&installed.stdout).contains("wasm32-unknown-unknown") {
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// Installs the packages whose marker file is missing, then stops any system service the
/// install started (tests run their own servers on free loopback ports).
pub fn debian(packages: &[(&str, &str)]) -> Result<(), String> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(_, marker)| !Path::new(marker).exists())
        .map(|(name, _)| *name)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let sudo = if is_root() { None } else { Some("sudo") };
    let apt = |args: &[&str]| {
        let mut cmd = Command::new(sudo.unwrap_or("apt-get"));
        if sudo.is_some() {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    let hint = format!(
        "install them by hand: sudo apt-get update && sudo apt-get install -y {}",
        missing.join(" ")
    );
    run(&mut apt(&["update", "-qq"])).map_err(|e| format!("{e}\n{hint}"))?;
    run(apt(&["install", "-y", "-qq"]).args(&missing)).map_err(|e| format!("{e}\n{hint}"))?;
    for service in ["nginx", "supervisor", "uwsgi"] {
        if missing.iter().any(|m| m.starts_with(service)) {
            // Where policy-rc.d or the lack of an init system kept it from starting, this
            // is a no-op.
            let _ = Command::new("service").args([service, "stop"]).status();
        }
    }
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}
