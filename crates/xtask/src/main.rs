//! `cargo xtask`: the project's commands. Each installs what it needs first, idempotently, so
//! a fresh machine with only Rust, node/npm, python3 and apt runs them unchanged.
//!
//! - `cargo xtask serve [PORT]`: the main job: build the playground and serve it on 127.0.0.1.
//! - `cargo xtask test`: set up, then fmt, clippy, wasm check, web build, every test.
//! - `cargo xtask bench`: measure everything and write BENCHMARKS.md.
//! - `cargo xtask web`: build the playground into dist/ and print its size table.
//! - `cargo xtask setup`: only install what is missing.

mod bench;
mod setup;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("serve") => serve(args.get(1).map(String::as_str)),
        Some("web") => setup::web_tools().and_then(|()| web_build()).map(|_| ()),
        Some("setup") => setup::all(),
        Some("bench") => setup::all()
            .and_then(|()| setup::bench_tools())
            .and_then(|()| bench::bench()),
        _ => {
            eprintln!(
                "usage: cargo xtask <serve [PORT]|test|bench|web|setup>\n\n  serve  the main job: build the playground and serve it on 127.0.0.1 (default port 8080)\n  test   install what is missing, then fmt, clippy, wasm check, web build, every test\n  bench  measure core, CLI, page and real stack; write BENCHMARKS.md\n  web    build the playground into dist/ and print its size table\n  setup  install what is missing"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Runs a command, failing with its command line if it fails.
pub fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("+ {}", show(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {}: {e}", show(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed with {status}", show(cmd)))
    }
}

fn show(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `cargo` in the workspace root.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// PATH with the npm-installed binaryen first, so Trunk finds wasm-opt 123.
pub(crate) fn tool_path() -> String {
    format!(
        "{}:{}",
        root().join("node_modules/.bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// `trunk build --release`, then the size table of dist/. Returns the table.
pub fn web_build() -> Result<String, String> {
    trunk_build(&[])?;
    let table = sizes(&root().join("dist"))?;
    println!("{table}");
    Ok(table)
}

/// `trunk build --release` with extra arguments (another `--dist`, `--features`).
pub fn trunk_build(extra: &[&str]) -> Result<(), String> {
    run(Command::new("trunk")
        .args(["build", "--release"])
        .args(extra)
        .current_dir(root())
        .env("PATH", tool_path())
        .env("TRUNK_SKIP_VERSION_CHECK", "true"))
}

/// Where `cargo xtask bench` builds the instrumented page (the `bench` feature: in-page
/// timings) that `web_bench` and `web_profile` drive.
pub const BENCH_DIST: &str = "target/dist-bench";

/// Most bytes (gzip -9) the shipped page's wasm, JS and CSS may take together. Issue 12
/// asks for 125 KB. Earlier savings (lol_alloc, wasm-opt --converge and stripping, minified
/// CSS and HTML, no IpAddr formatting) brought the page to 127.5 KB; following the change in
/// every pane added 4.7 KB and app hosts (issue 13) 13.5 KB, to 145.7 KB. Then, measured one
/// by one: terser for the JS (-1.8 KB); view functions instead of components where nothing
/// is memoized (-5.1 KB: each component costs its own lifecycle code); the reducer's
/// dispatcher as the one stable callback, no memo hooks, the picked host and the share label
/// in the state (-1.7 KB); a non-inlined `Diagnostic` constructor and pointer equality for
/// the spec props (-0.9 KB); the clipboard without a Rust future (-0.4 KB); class names as
/// the `className` property, not Yew's `Classes` (-2.9 KB); wasm-opt -O1 instead of -Oz
/// (-1.2 KB); one diagnostics filter for every control (-0.1 KB): 131.3 KB (131404 bytes).
/// 125 KB is not met (BENCHMARKS.md's floor table shows what Yew and the core take), and
/// the brief has since released it: the guard stays just above the page, and each feature
/// that grows it says what it cost. The unprivileged account (issue 21: the `user` and
/// `group` fields, their rules and messages, the `useradd` go-live step) +1481 bytes; the
/// WCAG AA fixes (issue 22: marker labels, the go-live region's tab stop, the hosts table's
/// header) +339 bytes: 133224 bytes; bounded logs (the `log_max_mb` and `log_backups`
/// fields, their rules and lines) +367 bytes: 133591 bytes; the module restructure
/// (diagnostics' flags filled from the field table where they leave the core) +169 bytes:
/// 133760 bytes; ranges, sliders and sections in the field table (each row's bounds, one
/// range loop, the page's sections from the rows' groups) +175 bytes: 133935 bytes; the
/// go-live text from the core's one typed list (`golive::steps`) +316 bytes and the page's
/// `app` and `pane` split into named functions +89 bytes: 134340 bytes. *Check my files*
/// (issue 19: the view, reading picked files, starting the worker and reading its answers;
/// lint and import themselves are in the worker) +10283 bytes, and its go-live step
/// `trident lint --this-host` +36 bytes: 144659 bytes. With lint and import in the page's own
/// wasm it was 246187 bytes (measured: +111.8 KB), hence the worker. `trident status`
/// (issue 20: the stats and stub_status lines in the rendered files, the status directory
/// in the go-live `mkdir` step, the `trident status` step and its sentence) +651 bytes:
/// 145312 bytes. Issue 21's expert settings: the error pages that name no software (the
/// `error_page` lines and their named locations) and the `backlog-over-somaxconn` warning
/// +555 bytes: 145922 bytes. The guard leaves about 140 bytes for build-to-build jitter
/// (terser and wasm-opt vary by a few bytes).
pub const PAGE_BUDGET: u64 = 146_060;

/// Most bytes (gzip -9) of *Check my files*' worker (`check*`: its wasm, wasm-bindgen's JS
/// and Trunk's loader), fetched only when the view is first used: lint's rules and the
/// known-name lists of nginx, uWSGI and supervisor, import, the zip inflater. 138165 bytes;
/// then nginx 1.22's argument counts (nginx/arguments), nginx/unknown-upstream,
/// supervisord/env-name, one finding per hand edit and the hashed stack comparisons
/// (3x faster at 1,000 replicas; sorted maps instead cost 2.6 KB more): 144929 bytes;
/// the status server and stats line import reads as Trident's own, supervisord's own
/// variables, a prefix ending in a digit (issue 20) +199 bytes: 145128 bytes; the rule
/// nginx/buffering-off with its measured cost (issue 21) +267 bytes: 145408 bytes.
pub const WORKER_BUDGET: u64 = 145_550;

/// Whether a dist/ file is the worker's (loaded on demand, not with the page).
pub fn is_worker(name: &str) -> bool {
    name.starts_with("check")
}

/// Fails when dist/'s wasm + JS + CSS exceed [`PAGE_BUDGET`] (gzip -9), or the worker's
/// exceed [`WORKER_BUDGET`].
pub fn page_budget() -> Result<(), String> {
    let mut total = 0;
    let mut worker = 0;
    let mut parts = Vec::new();
    for entry in std::fs::read_dir(root().join("dist")).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path
            .extension()
            .is_some_and(|e| e == "wasm" || e == "js" || e == "css")
        {
            let size = bench::gzip_size(&path)?;
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if is_worker(&name) {
                worker += size;
                continue;
            }
            total += size;
            parts.push(format!(
                "{} {size}",
                path.file_name().unwrap_or_default().to_string_lossy()
            ));
        }
    }
    if total > PAGE_BUDGET {
        return Err(format!(
            "the page is {total} bytes gzip ({}), over its budget of {PAGE_BUDGET}: find what grew (cargo xtask bench reports where the bytes go) or make room",
            parts.join(", ")
        ));
    }
    if worker > WORKER_BUDGET {
        return Err(format!(
            "Check my files' worker is {worker} bytes gzip, over its budget of {WORKER_BUDGET}: find what grew in lint or import, or make room"
        ));
    }
    if worker == 0 {
        return Err("dist/ has no check_bg.wasm: the worker of Check my files was not built (web/index.html's data-type=\"worker\" link)".into());
    }
    eprintln!("page: {total} bytes gzip (wasm + JS + CSS), budget {PAGE_BUDGET}; Check my files' worker (loaded when used): {worker}, budget {WORKER_BUDGET}");
    Ok(())
}

/// Raw, gzip -9 and brotli sizes of every asset in `dist`, as a Markdown table.
pub fn sizes(dist: &Path) -> Result<String, String> {
    let mut rows = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dist)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    let (mut raw_t, mut gz_t, mut br_t) = (0, 0, 0);
    let mut lazy = Vec::new();
    for path in entries.iter().filter(|p| p.is_file()) {
        let raw = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
        let compressed = |tool: &str, args: &[&str]| -> Result<u64, String> {
            let out = Command::new(tool)
                .args(args)
                .arg(path)
                .output()
                .map_err(|e| format!("{tool}: {e}"))?;
            Ok(out.stdout.len() as u64)
        };
        let gz = compressed("gzip", &["-9", "-c"])?;
        let br = compressed("brotli", &["-q", "11", "-c"])?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if is_worker(&name) {
            lazy.push((name.into_owned(), raw, gz, br));
            continue;
        }
        raw_t += raw;
        gz_t += gz;
        br_t += br;
        rows.push(format!("| {name} | {raw} | {gz} | {br} |"));
    }
    let (mut lr, mut lg, mut lb) = (0, 0, 0);
    for (name, raw, gz, br) in &lazy {
        rows.push(format!(
            "| {name} (when Check my files is used) | {raw} | {gz} | {br} |"
        ));
        lr += raw;
        lg += gz;
        lb += br;
    }
    Ok(format!(
        "| asset | raw bytes | gzip -9 | brotli -q 11 |\n|---|---|---|---|\n{}\n| **first load** | {raw_t} | {gz_t} | {br_t} |\n| **Check my files' worker** | {lr} | {lg} | {lb} |",
        rows.join("\n")
    ))
}

fn test(extra: &[String]) -> Result<(), String> {
    setup::all()?;
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The core must stay free of I/O and build for the browser.
    run(cargo().args([
        "check",
        "-p",
        "trident-core",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;
    web_build()?;
    page_budget()?;
    run(cargo()
        .args(["test", "--workspace"])
        .args(extra)
        .env("INSTA_UPDATE", "no"))?;
    // Component tests in headless Chromium.
    run(cargo()
        .args([
            "test",
            "-p",
            "trident-web",
            "--target",
            "wasm32-unknown-unknown",
            "--test",
            "browser",
        ])
        .env("CHROMEDRIVER", "/usr/bin/chromedriver")
        .env(
            "WASM_BINDGEN_TEST_WEBDRIVER_JSON",
            root().join("web/webdriver.json"),
        )
        .env("PATH", tool_path()))
}

fn serve(port: Option<&str>) -> Result<(), String> {
    setup::web_tools()?;
    web_build()?;
    let port: u16 = port
        .map(str::parse)
        .transpose()
        .map_err(|e| format!("bad port: {e}"))?
        .unwrap_or(8080);
    let server = trident_static::StaticServer::start(&root().join("dist"), port).map_err(|e| {
        format!(
            "cannot listen on 127.0.0.1:{port}: {e} (pass another port: cargo xtask serve 8081)"
        )
    })?;
    println!("Trident playground: {}  (Ctrl+C to stop)", server.url());
    loop {
        std::thread::park();
    }
}
