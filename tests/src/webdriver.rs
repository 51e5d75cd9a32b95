//! A WebDriver session on [`ChromeDriver`], and the chromedriver endpoints fantoccini has no
//! method for (permissions, the browser log, DevTools commands).

use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

use crate::ChromeDriver;

/// A new session on `driver`: headless Chromium with a 1280x1000 window.
pub async fn connect(driver: &ChromeDriver) -> Client {
    connect_sized(driver, 1280, 1000).await
}

/// A new session on `driver` with a `width` x `height` window. Creating a session starts
/// Chromium, which can fail once on a loaded 2-core machine: one retry, then a panic with
/// both errors.
pub async fn connect_sized(driver: &ChromeDriver, width: u32, height: u32) -> Client {
    let caps: serde_json::Map<String, Value> =
        serde_json::from_str(&driver.capabilities(width, height)).expect("capabilities are JSON");
    let url = format!("http://127.0.0.1:{}", driver.port);
    let session = || async {
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
    };
    match session().await {
        Ok(client) => client,
        Err(first) => {
            // A back-off before the one retry (not a wait for a condition).
            tokio::time::sleep(Duration::from_secs(1)).await;
            session().await.unwrap_or_else(|again| {
                panic!("no chromedriver session on {url}: {first}; retried: {again}")
            })
        }
    }
}

/// The instrumented page (built with the `bench` feature, which records in-page timings):
/// `$TRIDENT_DIST`, or `target/dist-bench` as `cargo xtask bench` builds it. Panics with
/// the build command when it is missing.
pub fn bench_dist() -> std::path::PathBuf {
    let dist = std::env::var_os("TRIDENT_DIST")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::workspace().join("target/dist-bench"));
    assert!(
        dist.join("index.html").exists(),
        "{} has no instrumented page; build it with: trunk build --release --features bench --dist target/dist-bench (or run cargo xtask bench)",
        dist.display()
    );
    dist
}

/// `POST /session/{id}/{path}` with a JSON body, e.g. `se/log`, `permissions` or
/// `goog/cdp/execute`.
#[derive(Debug)]
pub struct Post {
    /// Path under the session.
    pub path: &'static str,
    /// Request body.
    pub body: Value,
}

impl WebDriverCompatibleCommand for Post {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/{}",
            session.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// Polls `script` (a function body that returns a value) every 25 ms until it returns
/// something other than `null`, `false` or `""`, for at most 15 s; returns that value, or
/// panics naming `what` and the last value.
pub async fn wait_until(c: &Client, script: &str, what: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let v = c.execute(script, vec![]).await.unwrap_or(Value::Null);
        let done = !matches!(&v, Value::Null | Value::Bool(false))
            && v.as_str().is_none_or(|s| !s.is_empty());
        if done {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "waited 15 s for {what}; last: {v}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits for two animation frames: every scroll event queued before has been handled.
pub async fn two_frames(c: &Client) {
    c.execute_async(
        "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
        vec![],
    )
    .await
    .expect("animation frames");
}

/// Script that returns the text of every pane once each holds some, else null (three panes
/// on one host; with app hosts, the load balancer's two).
pub const PANES_FILLED: &str = "const t = [...document.querySelectorAll('.pane code')].map(c => c.textContent); return t.length >= 2 && t.every(x => x.length > 0) ? t : null;";

/// Opens the page at `url` and waits until its panes hold their files.
pub async fn open_page(c: &Client, url: &str) {
    c.goto(url).await.expect("open the page");
    wait_until(c, PANES_FILLED, "the panes to be filled").await;
}

/// Sends `moves` input events to the Replicas number box, alternating `n + 1` and `n`,
/// `gap_ms` apart, and returns the page's `window.__tridentTimings` recorded meanwhile
/// (`[input time, pane, ms since input]` per patched pane).
pub async fn move_replicas(c: &Client, n: u32, moves: usize, gap_ms: u32) -> Value {
    let script = r#"
        const [n, moves, gap, done] = arguments;
        const box = document.querySelector('#f-replicas + input.number');
        window.__tridentTimings = [];
        let i = 0;
        const step = () => {
            if (i === moves) { done(window.__tridentTimings); return; }
            box.value = String(i % 2 === 0 ? n + 1 : n);
            box.dispatchEvent(new Event('input', { bubbles: true }));
            i += 1;
            setTimeout(step, gap);
        };
        step();
    "#;
    c.execute_async(script, vec![json!(n), json!(moves), json!(gap_ms)])
        .await
        .expect("move the Replicas box")
}

/// Replaces what an input holds with `text`, typed key by key (one input event per key).
pub async fn retype(el: &fantoccini::elements::Element, text: &str) {
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

/// Clicks the button or summary whose visible text is `text`; fails if there is none.
pub async fn click_text(c: &Client, text: &str) {
    let done = c
        .execute(
            "const b = [...document.querySelectorAll('button, summary')].find(b => b.textContent.trim() === arguments[0]); if (b) { b.click(); return true; } return false;",
            vec![json!(text)],
        )
        .await
        .unwrap();
    assert_eq!(done, json!(true), "no button {text:?}");
}
