//! A WebDriver session on [`ChromeDriver`], and the chromedriver endpoints fantoccini has no
//! method for (permissions, the browser log, DevTools commands).

use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::ChromeDriver;

/// A new session on `driver`: headless Chromium with a 1280x1000 window. Creating a session
/// starts Chromium, which can fail once on a loaded 2-core machine: one retry, then a panic
/// with both errors.
pub async fn connect(driver: &ChromeDriver) -> Client {
    let caps: serde_json::Map<String, Value> =
        serde_json::from_str(&driver.capabilities(1280, 1000)).expect("capabilities are JSON");
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
            std::thread::sleep(std::time::Duration::from_secs(1));
            session().await.unwrap_or_else(|again| {
                panic!("no chromedriver session on {url}: {first}; retried: {again}")
            })
        }
    }
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

/// Opens the page at `url`, waits until its panes are rendered, then lets it settle.
pub async fn open_page(c: &Client, url: &str) {
    c.goto(url).await.expect("open the page");
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#pane-nginx-conf"))
        .await
        .expect("the page renders its panes");
    tokio::time::sleep(Duration::from_millis(300)).await;
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
