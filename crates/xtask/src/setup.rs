//! Installs what is missing, idempotently: Debian's servers and browser, the wasm target,
//! Trunk and wasm-bindgen-cli at pinned versions, and binaryen and terser from the npm lockfile.

use std::path::Path;
use std::process::Command;

use crate::{cargo, root, run};

/// Trunk version (newer ones need a newer rustc than this toolchain's).
pub const TRUNK: &str = "0.21.14";
/// Must equal the `=` pin of wasm-bindgen in web/Cargo.toml (checked by `check_pins`).
pub const WASM_BINDGEN: &str = "0.2.130";

/// Debian packages and a file each provides, to tell whether it is installed.
const SERVERS: &[(&str, &str)] = &[
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
    // Throwaway CAs and certificates for the HTTPS tests, and s_client for TLS versions.
    ("openssl", "/usr/bin/openssl"),
    // Network namespaces as hosts for the multi-host test, and the app hosts' firewalls.
    ("iproute2", "/usr/sbin/ip"),
    ("nftables", "/usr/sbin/nft"),
];
const BROWSER: &[(&str, &str)] = &[
    ("chromium", "/usr/bin/chromium"),
    ("chromium-driver", "/usr/bin/chromedriver"),
    ("brotli", "/usr/bin/brotli"),
];

/// What only `cargo xtask bench` needs on top of the tests' tools.
pub fn bench_tools() -> Result<(), String> {
    debian(&[("hyperfine", "/usr/bin/hyperfine")])?;
    // The size profiler behind "where the bytes go".
    cargo_tool(
        "twiggy",
        TWIGGY,
        &[
            "install",
            "twiggy",
            "--version",
            &format!("={TWIGGY}"),
            "--locked",
        ],
        Some(&["install", "twiggy", "--version", &format!("={TWIGGY}")]),
    )?;
    lighthouse()
}

/// Lighthouse, from `bench/lighthouse`'s lockfile (bench only: it is 185 MB).
pub fn lighthouse() -> Result<(), String> {
    let dir = root().join("bench/lighthouse");
    if !dir.join("node_modules/lighthouse/cli/index.js").exists() {
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir))?;
    }
    Ok(())
}

/// twiggy, the wasm size profiler `cargo xtask bench` runs.
pub const TWIGGY: &str = "0.8.0";

/// gixy-ng, the nginx security analyzer the suite runs over every golden nginx.conf.
pub const GIXY: &str = "0.2.59";
/// Where gixy-ng is installed: a virtual environment of Debian's python3, inside target/.
pub const GIXY_VENV: &str = "target/tools/gixy";

/// Everything the tests need.
pub fn all() -> Result<(), String> {
    let mut packages = SERVERS.to_vec();
    packages.extend_from_slice(BROWSER);
    packages.push(("python3-venv", "/usr/lib/python3.11/ensurepip/__init__.py"));
    debian(&packages)?;
    gixy()?;
    web_tools()
}

/// Installs gixy-ng at the pinned version into its own virtual environment (from PyPI, by
/// pip), unless it is there already.
fn gixy() -> Result<(), String> {
    let venv = root().join(GIXY_VENV);
    let bin = venv.join("bin/gixy");
    let installed = Command::new(&bin)
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(GIXY));
    if installed {
        return Ok(());
    }
    run(Command::new("/usr/bin/python3")
        .args(["-m", "venv"])
        .arg(&venv))?;
    run(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("gixy-ng=={GIXY}"),
    ]))
}

/// What building the web page needs.
pub fn web_tools() -> Result<(), String> {
    check_pins()?;
    // The size table of every build reports brotli too.
    debian(&[("brotli", "/usr/bin/brotli")])?;
    wasm_target()?;
    cargo_tool(
        "trunk",
        TRUNK,
        &[
            "install",
            "trunk",
            "--version",
            &format!("={TRUNK}"),
            "--locked",
        ],
        None,
    )?;
    let bindgen = format!("={WASM_BINDGEN}");
    cargo_tool(
        "wasm-bindgen",
        WASM_BINDGEN,
        &[
            "install",
            "wasm-bindgen-cli",
            "--version",
            &bindgen,
            "--locked",
        ],
        // --locked can fail on a yanked dependency; then resolve afresh.
        Some(&["install", "wasm-bindgen-cli", "--version", &bindgen]),
    )?;
    // Every package of the lockfile: wasm-opt (binaryen), terser (the JS minifier hook) and
    // axe-core (the browser tests' accessibility audit).
    if !root().join("node_modules/.bin/wasm-opt").exists()
        || !root().join("node_modules/terser/package.json").exists()
        || !root().join("node_modules/axe-core/axe.min.js").exists()
    {
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(root()))?;
    }
    Ok(())
}

/// The wasm-bindgen pin in web/Cargo.toml, Trunk.toml and here must agree.
fn check_pins() -> Result<(), String> {
    let web = std::fs::read_to_string(root().join("web/Cargo.toml")).map_err(|e| e.to_string())?;
    let trunk = std::fs::read_to_string(root().join("Trunk.toml")).map_err(|e| e.to_string())?;
    let pin = format!("wasm-bindgen = \"={WASM_BINDGEN}\"");
    let tool = format!("wasm_bindgen = \"{WASM_BINDGEN}\"");
    if !web.contains(&pin) || !trunk.contains(&tool) {
        return Err(format!(
            "web/Cargo.toml must pin {pin} and Trunk.toml must say {tool}"
        ));
    }
    Ok(())
}

fn version_of(tool: &str) -> Option<String> {
    let out = Command::new(tool).arg("--version").output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Installs a cargo-installed tool unless `tool --version` already reports `version`.
fn cargo_tool(
    tool: &str,
    version: &str,
    args: &[&str],
    retry: Option<&[&str]>,
) -> Result<(), String> {
    if version_of(tool).is_some_and(|v| v.contains(version)) {
        return Ok(());
    }
    let first = run(cargo().args(args));
    match (first, retry) {
        (Ok(()), _) => Ok(()),
        (Err(_), Some(again)) => run(cargo().args(again)),
        (Err(e), None) => Err(e),
    }
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
    let sudo = !is_root();
    let apt = |args: &[&str]| {
        let mut cmd = Command::new(if sudo { "sudo" } else { "apt-get" });
        if sudo {
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
            // A no-op where policy-rc.d or the lack of an init system kept it from starting.
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
