//! In-browser figures for BENCHMARKS.md (run by `cargo xtask bench`): time from navigation to
//! the first rendered panes, and from a Replicas input event to every pane updated, at 3, 64
//! and 1,024 replicas, in headless Chromium. Prints Markdown.

use trident_e2e::webdriver::{connect, move_replicas, open_page};
use trident_e2e::ChromeDriver;
use trident_static::StaticServer;

fn median_p95(mut v: Vec<f64>) -> (f64, f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |p: f64| v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1];
    (at(0.5), at(0.95), v[0], v[v.len() - 1])
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let moves: usize = std::env::var("MOVES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let server = StaticServer::start(&trident_e2e::webdriver::bench_dist(), 0).unwrap();
    let driver = ChromeDriver::start();
    let c = connect(&driver).await;

    let mut firsts = Vec::new();
    for _ in 0..7 {
        open_page(&c, &server.url()).await;
        let v = c
            .execute("return window.__tridentFirstPatch", vec![])
            .await
            .unwrap();
        firsts.push(v.as_f64().expect("first patch time"));
    }
    let (m, _, lo, hi) = median_p95(firsts);
    println!("Navigation start to first rendered panes (7 loads, served from 127.0.0.1): median **{m:.1} ms**, min {lo:.1}, max {hi:.1}.\n");

    println!("| replicas | input events | input to every pane updated: median | p95 | max |");
    println!("|---|---|---|---|---|");
    for n in [3u32, 64, 1024] {
        open_page(
            &c,
            &format!("{}?replicas={n}&base_port=10000", server.url()),
        )
        .await;
        // Alternate between n and n+1 through the Replicas number box, one input event per
        // move, waiting for the page to settle between moves.
        let timings = move_replicas(&c, n, moves, 120).await;
        // Entries are [input time, pane, ms since input]; an input is done when its slowest
        // pane is.
        let mut per_input: std::collections::BTreeMap<u64, f64> = std::collections::BTreeMap::new();
        for e in timings.as_array().unwrap() {
            let at = (e[0].as_f64().unwrap() * 1000.0) as u64;
            let ms = e[2].as_f64().unwrap();
            let slot = per_input.entry(at).or_insert(0.0);
            *slot = slot.max(ms);
        }
        let count = per_input.len();
        let (med, p95, _, max) = median_p95(per_input.into_values().collect());
        println!("| {n} | {count} | {med:.2} ms | {p95:.2} ms | {max:.2} ms |");
    }
    c.close().await.unwrap();
}
