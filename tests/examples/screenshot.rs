//! A screenshot of the built page (`dist/`) at 1400 x 900 after Replicas goes 3 -> 12, for
//! the README: `cargo run -p trident-e2e --example screenshot -- docs/screenshot.png`.

use trident_e2e::webdriver::{connect_sized, open_page, two_frames};
use trident_e2e::{workspace, ChromeDriver};
use trident_static::StaticServer;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "docs/screenshot.png".into());
    let server = StaticServer::start(&workspace().join("dist"), 0).unwrap();
    let driver = ChromeDriver::start();
    let c = connect_sized(&driver, 1400, 900).await;
    open_page(&c, &server.url()).await;
    let slider = c
        .find(fantoccini::Locator::Css("#f-replicas"))
        .await
        .expect("the Replicas slider");
    for _ in 0..9 {
        slider.send_keys("\u{E014}").await.unwrap();
    }
    trident_e2e::webdriver::wait_until(
        &c,
        "return document.body.textContent.includes('[program:p11]');",
        "twelve replicas",
    )
    .await;
    two_frames(&c).await;
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(workspace().join(&out), png).unwrap();
    println!("wrote {out}");
    c.close().await.unwrap();
}
