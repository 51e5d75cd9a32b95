//! Where the page spends a slider move: drives the Replicas box of the built `dist/` in
//! headless Chromium while the DevTools CPU profiler samples every 20 µs, then prints the
//! functions with the most time per move, inclusive (with callees) and self.
//!
//! `N=64 MOVES=400 cargo run -p trident-e2e --example web_profile` (build the page first,
//! `cargo xtask web`). Wasm functions have names only in a build with a name section: add
//! `data-keep-debug="true"` and `-g` to the wasm-opt parameters in `web/index.html` for
//! the run. Sampling slows the page, so read the shares, not the absolute times; the
//! latency figures come from `web_bench`.

use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};
use trident_e2e::webdriver::{connect, move_replicas, open_page, Post};
use trident_e2e::ChromeDriver;
use trident_static::StaticServer;

/// A Chrome DevTools Protocol command, through chromedriver's `goog/cdp/execute`.
fn cdp(cmd: &str, params: Value) -> Post {
    Post {
        path: "goog/cdp/execute",
        body: json!({ "cmd": cmd, "params": params }),
    }
}

fn env(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (n, moves) = (env("N", 64), env("MOVES", 400));
    let server = StaticServer::start(&trident_e2e::webdriver::bench_dist(), 0).unwrap();
    let driver = ChromeDriver::start();
    let c = connect(&driver).await;
    open_page(
        &c,
        &format!("{}?replicas={n}&base_port=10000", server.url()),
    )
    .await;

    c.issue_cmd(cdp("Profiler.enable", json!({})))
        .await
        .unwrap();
    c.issue_cmd(cdp(
        "Profiler.setSamplingInterval",
        json!({ "interval": 20 }),
    ))
    .await
    .unwrap();
    c.issue_cmd(cdp("Profiler.start", json!({}))).await.unwrap();
    move_replicas(&c, n, moves as usize, 20).await;
    let stopped = c.issue_cmd(cdp("Profiler.stop", json!({}))).await.unwrap();
    c.close().await.unwrap();

    let profile = &stopped["profile"];
    let nodes = profile["nodes"].as_array().expect("profile nodes");
    let mut name = HashMap::new();
    let mut parent = HashMap::new();
    for node in nodes {
        let id = node["id"].as_i64().unwrap();
        let frame = &node["callFrame"];
        let file = frame["url"].as_str().unwrap_or("");
        let file = file.rsplit('/').next().unwrap_or("");
        name.insert(
            id,
            format!("{} {file}", frame["functionName"].as_str().unwrap_or("")),
        );
        for child in node["children"].as_array().into_iter().flatten() {
            parent.insert(child.as_i64().unwrap(), id);
        }
    }
    // Sample i lasts until sample i + 1.
    let samples = profile["samples"].as_array().unwrap();
    let deltas = profile["timeDeltas"].as_array().unwrap();
    let mut own: HashMap<&str, f64> = HashMap::new();
    let mut inclusive: HashMap<&str, f64> = HashMap::new();
    for (sample, next) in samples.iter().zip(deltas.iter().skip(1)) {
        let ms = next.as_f64().unwrap() / 1000.0;
        let mut id = sample.as_i64().unwrap();
        *own.entry(name[&id].as_str()).or_default() += ms;
        let mut seen = HashSet::new();
        loop {
            if seen.insert(name[&id].as_str()) {
                *inclusive.entry(name[&id].as_str()).or_default() += ms;
            }
            match parent.get(&id) {
                Some(&p) => id = p,
                None => break,
            }
        }
    }
    let print = |title: &str, map: HashMap<&str, f64>| {
        let mut rows: Vec<_> = map
            .into_iter()
            .filter(|(k, _)| !k.starts_with('('))
            .collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        println!("\n{title} (ms per move, {moves} moves at {n} replicas)");
        for (k, ms) in rows.iter().take(40) {
            println!("{:8.3}  {}", ms / f64::from(moves), &k[..k.len().min(140)]);
        }
    };
    print("inclusive", inclusive);
    print("self", own);
}
