//! `cargo xtask bench`: measures everything and writes BENCHMARKS.md. Every figure comes from
//! a tool's output in this run; nothing is typed in, except nginxconfig.io's published page
//! weight, quoted for scale.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::{cargo, root, run, web_build};

fn output(cmd: &mut Command) -> Result<String, String> {
    eprintln!("+ {cmd:?}");
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn first_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_else(|_| "not found".into())
}

/// Reads a JSON file into `T`.
fn json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    serde_json::from_str(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))
}

/// A row of `target/trident-bench.json`, written by the core's bench.
#[derive(serde::Deserialize)]
struct SizeRow {
    replicas: f64,
    bytes: f64,
    allocations: u64,
}

/// The part of criterion's `estimates.json` read here.
#[derive(serde::Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(serde::Deserialize)]
struct Estimate {
    point_estimate: f64,
    confidence_interval: Interval,
}

#[derive(serde::Deserialize)]
struct Interval {
    lower_bound: f64,
    upper_bound: f64,
}

/// The part of hyperfine's `--export-json` read here: seconds.
#[derive(serde::Deserialize)]
struct Hyperfine {
    results: Vec<HyperfineResult>,
}

#[derive(serde::Deserialize)]
struct HyperfineResult {
    median: f64,
    stddev: Option<f64>,
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn human_time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

fn core(out: &mut String) -> Result<(), String> {
    run(cargo().args([
        "bench",
        "-p",
        "trident-core",
        "--bench",
        "render",
        "--",
        "--warm-up-time",
        "2",
        "--measurement-time",
        "5",
    ]))?;
    let target = root().join("target");
    let sizes: Vec<SizeRow> = json(&target.join("trident-bench.json"))?;
    let _ = writeln!(out, "## 1. Core: validate + render\n\nCriterion, `cargo bench -p trident-core --bench render` (median of 100 samples, 95% interval). Output is the three files together; the baseline copies a buffer of the same size (`Vec::clone`), the floor for producing that many bytes.\n");
    let _ = writeln!(out, "| replicas | output | time (median) | 95% interval | throughput | per replica | memcpy baseline | vs baseline | allocations |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|");
    for SizeRow {
        replicas: n,
        bytes,
        allocations: allocs,
    } in sizes
    {
        let est = |name: &str| -> Result<(f64, f64, f64), String> {
            let e: Estimates =
                json(&target.join(format!("criterion/generate/{name}/{n}/new/estimates.json")))?;
            let m = e.median;
            Ok((
                m.point_estimate,
                m.confidence_interval.lower_bound,
                m.confidence_interval.upper_bound,
            ))
        };
        let (t, lo, hi) = est("validate+render")?;
        let (copy, _, _) = est("memcpy-baseline")?;
        let _ = writeln!(
            out,
            "| {n} | {:.1} KiB | {} | {} – {} | {:.0} MiB/s | {} | {} | {:.0}x | {allocs} |",
            bytes / 1024.0,
            human_time(t),
            human_time(lo),
            human_time(hi),
            bytes / (t / 1e9) / 1048576.0,
            human_time(t / n),
            human_time(copy),
            t / copy
        );
    }
    let _ = writeln!(
        out,
        "\nGrowth is linear when the per-replica time stays flat from 64 to 10,000 replicas.\n"
    );
    Ok(())
}

fn cli(out: &mut String) -> Result<(), String> {
    run(cargo().args(["build", "--release", "-p", "trident-cli"]))?;
    let trident = root().join("target/release/trident");
    let script = root().join("bench/seed_generate.py");
    let tmp = std::env::temp_dir().join(format!("trident-bench-{}", std::process::id()));
    // The interpreter itself, not a wrapper such as a pyenv shim that would add its own
    // start-up time to the baseline.
    let python = output(Command::new("python3").args(["-c", "import sys; print(sys.executable)"]))?
        .trim()
        .to_string();
    let _ = writeln!(out, "## 2. CLI, whole process\n\n`hyperfine -N --warmup 5 --runs 40`, each run writing the three files into an emptied directory. Baseline: `bench/seed_generate.py`, the seed's ConfigParser approach extended to the same three files, on `{}`.\n", first_line(&python, &["--version"]));
    let _ = writeln!(
        out,
        "| replicas | trident (median ± σ) | Python baseline (median ± σ) | Trident faster by |"
    );
    let _ = writeln!(out, "|---|---|---|---|");
    for n in ["3", "64"] {
        let json = tmp.join(format!("h{n}.json"));
        let _ = std::fs::create_dir_all(&tmp);
        run(Command::new("hyperfine")
            .args(["-N", "--warmup", "5", "--runs", "40", "--style", "basic"])
            .arg("--prepare")
            .arg(format!("rm -rf {}/out", tmp.display()))
            .arg(format!(
                "{} generate --replicas {n} --out {}/out/t",
                trident.display(),
                tmp.display()
            ))
            .arg(format!(
                "{python} {} {n} 8080 {}/out/p",
                script.display(),
                tmp.display()
            ))
            .arg("--export-json")
            .arg(&json))?;
        let h: Hyperfine = self::json(&json)?;
        let [a, b] = &h.results[..] else {
            return Err(format!("{}: expected two results", json.display()));
        };
        let ms = |s: f64| s * 1000.0;
        let _ = writeln!(
            out,
            "| {n} | {:.2} ± {:.2} ms | {:.2} ± {:.2} ms | {:.1}x |",
            ms(a.median),
            ms(a.stddev.unwrap_or(f64::NAN)),
            ms(b.median),
            ms(b.stddev.unwrap_or(f64::NAN)),
            b.median / a.median
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
    let _ = writeln!(out);
    lint(out, &trident)
}

/// `trident lint` on the seed's files and on a generated 1,000-replica stack, whole process,
/// against `nginx -t` on the same nginx.conf.
fn lint(out: &mut String, trident: &std::path::Path) -> Result<(), String> {
    let tmp = std::env::temp_dir().join(format!("trident-bench-lint-{}", std::process::id()));
    let home = tmp.join("home");
    let etc = home.join("etc");
    for d in ["run", "log", "app"] {
        std::fs::create_dir_all(home.join(d)).map_err(|e| e.to_string())?;
    }
    run(Command::new(trident)
        .args([
            "generate",
            "--replicas",
            "1000",
            "--base-port",
            "20000",
            "--home",
        ])
        .arg(&home)
        .arg("--out")
        .arg(&etc))?;
    let seed = root().join("crates/trident-core/tests/fixtures/seed");
    let seed_files = ["supervisord.conf", "webapp.ini", "nginx.conf"]
        .map(|f| seed.join(f).display().to_string())
        .join(" ");
    let nginx_t = |conf: &std::path::Path, prefix: &std::path::Path| {
        format!(
            "/usr/sbin/nginx -q -t -p {}/ -c {}",
            prefix.display(),
            conf.display()
        )
    };
    let json = tmp.join("lint.json");
    run(Command::new("hyperfine")
        .args([
            "-N", "--warmup", "3", "--runs", "30", "--style", "basic", "-i",
        ])
        .arg(format!("{} lint {seed_files}", trident.display()))
        .arg(format!("{} lint {}", trident.display(), etc.display()))
        .arg(nginx_t(&etc.join("nginx.conf"), &home.join("run")))
        .arg("--export-json")
        .arg(&json))?;
    let h: Hyperfine = self::json(&json)?;
    let [seed_lint, big_lint, big_nginx] = &h.results[..] else {
        return Err(format!("{}: expected three results", json.display()));
    };
    let ms = |r: &HyperfineResult| {
        format!(
            "{:.2} ± {:.2} ms",
            r.median * 1000.0,
            r.stddev.unwrap_or(f64::NAN) * 1000.0
        )
    };
    let _ = writeln!(out, "### `trident lint`, whole process

`hyperfine -N --warmup 3 --runs 30`; lint exits 1 on the seed's files (its findings), 0 on the generated stack.
");
    let _ = writeln!(
        out,
        "| input | trident lint | nginx -t on its nginx.conf |
|---|---|---|"
    );
    let _ = writeln!(
        out,
        "| the seed's 3 files (25 findings) | {} | (refuses at the first error) |",
        ms(seed_lint)
    );
    let _ = writeln!(
        out,
        "| a generated 1,000-replica stack (3 files, 1,001 programs) | {} | {} |
",
        ms(big_lint),
        ms(big_nginx)
    );
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

fn web(out: &mut String) -> Result<(), String> {
    let table = web_build()?;
    let _ = writeln!(out, "## 3. Web page\n\nRelease build (`trunk build --release`: opt-level z, LTO, one codegen unit, panic=abort, wasm-opt -O1 --converge: smaller after gzip than -Oz, whose code folding compresses worse):\n\n{table}\n\nFor scale, nginxconfig.io's published weight is about 140 KB gzip of JavaScript plus 40 KB of CSS, and it generates neither uWSGI nor supervisord files.\n");
    let floors = floors()?;
    let kb = |b: u64| format!("{:.1} KB", b as f64 / 1000.0);
    let mut text = String::from("Where the bytes go: `bench/floor` is a Yew page with one slider, built like the page (profile, allocator, wasm-opt passes; gzip -9; its JS is not minified, the page's is).\n\n| build | wasm gzip | JS gzip | together |\n|---|---|---|---|\n");
    for (name, wasm, js) in &floors {
        let _ = writeln!(
            text,
            "| {name} | {} | {} | {} |",
            kb(*wasm),
            kb(*js),
            kb(wasm + js)
        );
    }
    let total = |i: usize| floors[i].1 + floors[i].2;
    let _ = writeln!(text, "\nSo Yew costs {} over web-sys calls, and the core's validation with its messages and its renderers {} with Yew, before any of the page's own features (controls, the field table's labels and help, panes with diffs, share links, presets, the zip, hosts).\n", kb(total(1).saturating_sub(total(2))), kb(total(1).saturating_sub(total(0))));
    out.push_str(&text);
    let _ = writeln!(out, "{}", where_the_bytes_go()?);
    // Timings come from the instrumented build; the sizes above are the shipped page's.
    crate::trunk_build(&["--features", "bench", "--dist", crate::BENCH_DIST])?;
    let text = output(
        cargo()
            .args([
                "run",
                "--quiet",
                "-p",
                "trident-e2e",
                "--example",
                "web_bench",
            ])
            .env("MOVES", "30")
            .env("TRIDENT_DIST", root().join(crate::BENCH_DIST)),
    )?;
    let _ = writeln!(out, "Measured in headless Chromium ({}) with `performance.now()` (`cargo run -p trident-e2e --example web_bench`): each input event goes to the Replicas number box, and an input counts as done when the last of the three panes has been patched.\n\n{text}", first_line("chromium", &["--version"]));
    // Lighthouse audits the shipped page (dist/, built by web_build above).
    let scores = example("lighthouse", false)?;
    let _ = writeln!(out, "{scores}");
    Ok(())
}

/// gzip -9 size of a file.
pub fn gzip_size(path: &Path) -> Result<u64, String> {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map_err(|e| format!("gzip: {e}"))?;
    Ok(out.stdout.len() as u64)
}

/// The page's wasm built as Trunk builds it but with names kept (`wasm-opt -O1 -g`), profiled
/// with twiggy: the top 20 crates and the top 20 functions or data segments, in bytes of the
/// optimized code (without the names section; raw, not gzip).
fn where_the_bytes_go() -> Result<String, String> {
    let target = root().join("target/profile");
    run(cargo()
        .args([
            "build",
            "-p",
            "trident-web",
            "--profile",
            "wasm-release",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .env("CARGO_TARGET_DIR", &target))?;
    let wasm = bindgen_and_opt(
        &target.join("wasm32-unknown-unknown/wasm-release/trident-web.wasm"),
        &target.join("bindgen"),
        &["-O1", "-g", "--converge"],
    )?;
    let table = output(
        Command::new("twiggy")
            .args(["top", "-n", "1000000"])
            .arg(&wasm),
    )?;
    let rows = twiggy_rows(&table);
    let items: Vec<&Row> = rows
        .iter()
        .filter(|r| !r.name.contains("\"function names\" subsection"))
        .collect();
    let total: u64 = items.iter().map(|r| r.size).sum();
    let mut by_crate: Vec<(String, u64)> = Vec::new();
    for r in &items {
        let c = crate_of(&r.name);
        match by_crate.iter_mut().find(|(n, _)| *n == c) {
            Some(e) => e.1 += r.size,
            None => by_crate.push((c, r.size)),
        }
    }
    by_crate.sort_by_key(|e| std::cmp::Reverse(e.1));
    let mut text = format!("Where the bytes go: the page's wasm with names kept (`wasm-opt -O1 -g`), profiled with twiggy {}; {total} bytes of code and data (raw, before gzip; names section left out).\n\n| crate | bytes | share |\n|---|---|---|\n", crate::setup::TWIGGY);
    for (c, size) in by_crate.iter().take(20) {
        let _ = writeln!(
            text,
            "| {c} | {size} | {:.1}% |",
            *size as f64 * 100.0 / total as f64
        );
    }
    let _ = writeln!(text, "\n| function or data | bytes |\n|---|---|");
    for r in items.iter().take(20) {
        let name = r.name.replace('|', "\\|");
        let short: String = name.chars().take(110).collect();
        let _ = writeln!(text, "| `{short}` | {} |", r.size);
    }
    Ok(text)
}

/// The crate an item belongs to: the first path segment of its (demangled) name; data
/// segments and wasm-bindgen's shims by kind.
fn crate_of(name: &str) -> String {
    if name.starts_with("data segment") {
        return "data segments (strings, tables)".into();
    }
    let trimmed = name.trim_start_matches('<').trim_start_matches('&');
    let first = trimmed
        .split("::")
        .next()
        .unwrap_or(trimmed)
        .split([' ', '[', '<'])
        .next()
        .unwrap_or("");
    if first.is_empty() || !name.contains("::") {
        "other (imports, tables, shims)".into()
    } else {
        first.to_string()
    }
}

/// One item of twiggy's `top`.
struct Row {
    name: String,
    size: u64,
}

/// The rows of twiggy's text table (`  SIZE ┊ PERCENT ┊ NAME`), without its summary lines.
fn twiggy_rows(table: &str) -> Vec<Row> {
    table
        .lines()
        .filter_map(|line| {
            let mut cols = line.split('┊');
            let size = cols.next()?.trim().parse().ok()?;
            let name = cols.nth(1)?.trim().to_string();
            (!name.starts_with("... and") && !name.starts_with("Σ")).then_some(Row { name, size })
        })
        .collect()
}

/// wasm-bindgen (`--target web`) on `wasm` into `out`, then wasm-opt with `opt` and the page's
/// features on the result, in place; returns the optimized `*_bg.wasm`.
fn bindgen_and_opt(wasm: &Path, out: &Path, opt: &[&str]) -> Result<std::path::PathBuf, String> {
    run(Command::new("wasm-bindgen")
        .args(["--target", "web", "--out-dir"])
        .arg(out)
        .arg(wasm))?;
    // wasm-bindgen keeps the crate's file name, hyphens included: trident-web_bg.wasm.
    let stem = wasm.file_stem().unwrap_or_default().to_string_lossy();
    let built = out.join(format!("{stem}_bg.wasm"));
    run(Command::new("wasm-opt")
        .env("PATH", crate::tool_path())
        .args(opt)
        .args(WASM_FEATURES)
        .arg(&built)
        .arg("-o")
        .arg(&built))?;
    Ok(built)
}

/// The wasm features the page is optimized with (as in web/index.html).
const WASM_FEATURES: [&str; 7] = [
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// The budget's floor: `bench/floor` built like the page (same profile, allocator and
/// wasm-opt passes) as a Yew page with one slider; the same rendering the three files with
/// trident-core; and that page without Yew, through web-sys calls. Returns (name, wasm gzip,
/// JS gzip) for each.
fn floors() -> Result<Vec<(&'static str, u64, u64)>, String> {
    let floor = root().join("bench/floor");
    let target = root().join("target/floor");
    let mut sizes = Vec::new();
    for (name, features) in [
        ("Yew, one slider", None),
        (
            "the same, rendering the three files with trident-core",
            Some("core"),
        ),
        ("that page without Yew (web-sys calls)", Some("plain")),
    ] {
        let mut build = cargo();
        build
            .args([
                "build",
                "--release",
                "--locked",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .arg("--manifest-path")
            .arg(floor.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target);
        if let Some(f) = features {
            build.args(["--features", f]);
        }
        run(&mut build)?;
        let out = target.join(features.unwrap_or("yew"));
        let wasm = bindgen_and_opt(
            &target.join("wasm32-unknown-unknown/release/trident-floor.wasm"),
            &out,
            &[
                "-O1",
                "--converge",
                "--strip-producers",
                "--strip-target-features",
            ],
        )?;
        sizes.push((
            name,
            gzip_size(&wasm)?,
            gzip_size(&out.join("trident-floor.js"))?,
        ));
    }
    Ok(sizes)
}

/// Runs `cargo run -p trident-e2e --example NAME` (in release when `release`: the
/// measurements whose `trident` binary is timed) and returns what it printed.
fn example(name: &str, release: bool) -> Result<String, String> {
    let mut cmd = cargo();
    cmd.args(["run", "--quiet"]);
    if release {
        cmd.arg("--release");
    }
    output(cmd.args(["-p", "trident-e2e", "--example", name]))
}

fn stack(out: &mut String) -> Result<(), String> {
    let text = example("stack_bench", false)?;
    let _ = writeln!(
        out,
        "## 4. Real stack\n\n{} / uWSGI {} / supervisor {} / Django from Debian, on 127.0.0.1 (`cargo run -p trident-e2e --example stack_bench`).\n\n{text}",
        first_line("/usr/sbin/nginx", &["-v"]),
        first_line("/usr/bin/uwsgi", &["--version"]),
        first_line("/usr/bin/supervisord", &["--version"])
    );
    Ok(())
}

fn rollout(out: &mut String) -> Result<(), String> {
    let text = example("rollout_bench", false)?;
    let breakdown = example("rollout_breakdown", true)?;
    let _ = writeln!(
        out,
        "## 5. Rollout under load

`trident rollout` on a real stack (`cargo run -p trident-e2e --example rollout_bench`).

{text}
Where a rollout's latency comes from: each of its ingredients alone under the same load, then the rollout (`cargo run --release -p trident-e2e --example rollout_breakdown`). Each ingredient alone stayed near steady state; the rollout's excess was the first request of each restarted replica's second worker (the readiness probe had warmed one worker), so rollout now asks a restarted replica until its stats show every worker has served a request.

{breakdown}"
    );
    Ok(())
}

fn status(out: &mut String) -> Result<(), String> {
    let text = example("status_bench", true)?;
    let _ = writeln!(
        out,
        "## 6. `trident status`

On a real stack (`cargo run --release -p trident-e2e --example status_bench`; the `trident` binary in release).

{text}"
    );
    Ok(())
}

fn options(out: &mut String) -> Result<(), String> {
    let text = example("options_bench", true)?;
    let _ = writeln!(
        out,
        "## 7. Expert settings

Each setting against its alternative on a real stack, the generated file edited for the alternative (`cargo run --release -p trident-e2e --example options_bench`); what Trident decided from them is in docs/guide.md, \"Expert settings, decided by measurement\".

{text}"
    );
    Ok(())
}

/// Runs every measurement and writes BENCHMARKS.md.
pub fn bench() -> Result<(), String> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .unwrap_or("unknown")
        .trim()
        .to_string();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Benchmarks\n\nWritten by `cargo xtask bench` on {} ({} cores, {}, Linux {}); {}; {}. Re-run it to compare a change: every figure below is measured in that run.\n",
        first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        first_line("nproc", &[]),
        cpu,
        first_line("uname", &["-r"]),
        first_line("rustc", &["--version"]),
        first_line("hyperfine", &["--version"]),
    );
    core(&mut out)?;
    cli(&mut out)?;
    web(&mut out)?;
    stack(&mut out)?;
    rollout(&mut out)?;
    status(&mut out)?;
    options(&mut out)?;
    std::fs::write(root().join("BENCHMARKS.md"), &out).map_err(|e| e.to_string())?;
    println!("{out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_tools_json() {
        // As criterion 0.5 and hyperfine 1.15 write them (abridged).
        let e: Estimates = serde_json::from_str(r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":33472.1,"upper_bound":36419.9},"point_estimate":34867.0,"standard_error":700.0}}"#).unwrap();
        assert_eq!(e.median.point_estimate, 34867.0);
        assert_eq!(e.median.confidence_interval.upper_bound, 36419.9);
        let h: Hyperfine = serde_json::from_str(r#"{"results":[{"command":"a","mean":0.002,"stddev":0.0008,"median":0.00205,"times":[0.002]},{"command":"b","mean":0.05,"stddev":null,"median":0.0527}]}"#).unwrap();
        assert_eq!((h.results[0].median, h.results[1].stddev), (0.00205, None));
        let rows: Vec<SizeRow> = serde_json::from_str("[{\"replicas\": 3, \"bytes\": 6522, \"allocations\": 351},\n{\"replicas\": 64, \"bytes\": 32184, \"allocations\": 922}]").unwrap();
        assert_eq!((rows[1].replicas, rows[1].allocations), (64.0, 922));
    }
}
