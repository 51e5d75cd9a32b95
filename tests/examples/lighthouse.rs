//! Lighthouse's scores for the shipped page (run by `cargo xtask bench`, which installs
//! `bench/lighthouse` from its lockfile): the release build in `dist/`, served from
//! 127.0.0.1, audited by the Debian Chromium the browser tests use, once with Lighthouse's
//! default mobile settings (simulated slow 4G and a 4× slower CPU) and once with its desktop
//! preset. Prints Markdown.

use std::path::Path;
use std::process::Command;

use trident_static::StaticServer;

/// The flags every headless Chromium here needs as root on a closed network.
const CHROME_FLAGS: &str = "--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync";

fn main() {
    let root = trident_e2e::workspace();
    let dist = root.join("dist");
    let lighthouse = root.join("bench/lighthouse/node_modules/lighthouse/cli/index.js");
    assert!(
        dist.join("index.html").exists(),
        "{} has no page: build it with `cargo xtask web` (or run cargo xtask bench)",
        dist.display()
    );
    assert!(
        lighthouse.exists(),
        "{} is missing: run `npm ci` in bench/lighthouse (cargo xtask bench does)",
        lighthouse.display()
    );
    let server = StaticServer::start(&dist, 0).expect("serve dist/");
    let version = String::from_utf8_lossy(
        &Command::new("node")
            .arg(&lighthouse)
            .arg("--version")
            .output()
            .expect("run node")
            .stdout,
    )
    .trim()
    .to_string();
    println!("Lighthouse {version} (`cargo run -p trident-e2e --example lighthouse`) on the shipped page from `dist/`, served from 127.0.0.1; the performance score uses Lighthouse's simulated throttling, so it moves by a few points between runs on this shared machine.\n");
    println!("| settings | performance | accessibility | best practices | first contentful paint | largest contentful paint | total blocking time | cumulative layout shift |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, preset) in [
        ("mobile (default: slow 4G, 4× CPU slowdown)", None),
        ("desktop preset", Some("desktop")),
    ] {
        let report = audit(&lighthouse, &server.url(), preset);
        let score = |c: &str| {
            report["categories"][c]["score"]
                .as_f64()
                .map_or("n/a".to_string(), |s| format!("{:.0}", s * 100.0))
        };
        let shown = |a: &str| {
            report["audits"][a]["displayValue"]
                .as_str()
                .unwrap_or("n/a")
                .replace('\u{a0}', " ")
        };
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} |",
            score("performance"),
            score("accessibility"),
            score("best-practices"),
            shown("first-contentful-paint"),
            shown("largest-contentful-paint"),
            shown("total-blocking-time"),
            shown("cumulative-layout-shift"),
        );
    }
    println!();
}

/// One Lighthouse run; its JSON report.
fn audit(lighthouse: &Path, url: &str, preset: Option<&str>) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let mut cmd = Command::new("node");
    cmd.arg(lighthouse)
        .arg(url)
        .args([
            "--quiet",
            "--output=json",
            "--only-categories=performance,accessibility,best-practices",
        ])
        .arg(format!("--output-path={}", out.display()))
        .arg(format!(
            "--chrome-flags={CHROME_FLAGS} --user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .env("CHROME_PATH", "/usr/bin/chromium");
    if let Some(p) = preset {
        cmd.arg(format!("--preset={p}"));
    }
    let status = cmd.status().expect("run lighthouse");
    assert!(status.success(), "lighthouse failed: {status}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("lighthouse report"))
            .expect("lighthouse JSON");
    if let Some(e) = report.get("runtimeError") {
        panic!("lighthouse could not audit {url}: {e}");
    }
    report
}
