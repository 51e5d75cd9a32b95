//! The shipped page under axe-core (Deque's engine, the one behind Lighthouse's
//! accessibility score), pinned in package-lock.json: every state the other browser tests
//! reach, at 1400 x 900 and 360 x 800, in light and dark mode. Any serious or critical
//! violation fails; a moderate or minor one only with a reason in [`ACCEPTED`].

use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use trident_e2e::webdriver::{click_text, connect_sized, open_page, retype, wait_until, Post};
use trident_e2e::{workspace, ChromeDriver};
use trident_static::StaticServer;

/// Moderate or minor rules accepted, each with its reason. Empty: none is.
const ACCEPTED: &[(&str, &str)] = &[];

/// axe-core's browser build, as `npm ci` installs it from the lockfile.
fn axe_source() -> String {
    let path = workspace().join("node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; install the pinned axe-core with `npm ci` (cargo xtask test does)",
            path.display()
        )
    })
}

fn serve() -> StaticServer {
    let dist = workspace().join("dist");
    assert!(
        dist.join("index.html").exists(),
        "{} has no built page: run `cargo xtask test` (it builds it) or `trunk build --release`",
        dist.display()
    );
    StaticServer::start(&dist, 0).expect("serve dist")
}

/// Runs axe on the page as it is now; returns one line per violation that fails the test.
async fn audit(c: &Client, axe: &str, state: &str) -> Vec<String> {
    let loaded = c
        .execute(
            &format!("{axe}\n;window.axe = axe; return typeof window.axe.run;"),
            vec![],
        )
        .await
        .expect("inject axe-core");
    assert_eq!(loaded, json!("function"), "axe-core did not load");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.helpUrl,
                   targets: v.nodes.map(n => n.target.join(' ')) }))))
               .catch(e => done([{ id: 'axe-error', impact: 'critical', help: String(e), targets: [] }]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    let mut failing = Vec::new();
    for v in found.as_array().cloned().unwrap_or_default() {
        let id = v["id"].as_str().unwrap_or_default();
        let impact = v["impact"].as_str().unwrap_or("serious");
        let accepted =
            matches!(impact, "moderate" | "minor") && ACCEPTED.iter().any(|(rule, _)| *rule == id);
        if !accepted {
            failing.push(format!(
                "{state}: {id} ({impact}) on {} — {}",
                v["targets"],
                v["help"].as_str().unwrap_or_default()
            ));
        }
    }
    failing
}

/// Sets `prefers-color-scheme` through the DevTools protocol.
async fn color_scheme(c: &Client, value: &str) {
    c.issue_cmd(Post {
        path: "goog/cdp/execute",
        body: json!({"cmd": "Emulation.setEmulatedMedia",
                     "params": {"features": [{"name": "prefers-color-scheme", "value": value}]}}),
    })
    .await
    .expect("emulate the color scheme");
    let dark = c
        .execute(
            "return matchMedia('(prefers-color-scheme: dark)').matches",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(dark, Value::Bool(value == "dark"), "color scheme {value}");
}

/// Every state, audited in one session of `width` x `height` in `scheme`.
async fn audit_states(
    driver: &ChromeDriver,
    server: &StaticServer,
    axe: &str,
    (width, height): (u32, u32),
    scheme: &str,
) -> Vec<String> {
    let c = connect_sized(driver, width, height).await;
    let at = format!("{width}x{height} {scheme}");
    let mut failing = Vec::new();
    open_page(&c, &server.url()).await;
    color_scheme(&c, scheme).await;
    failing.extend(audit(&c, axe, &format!("{at}, untouched")).await);

    // Replicas 3 -> 12: every pane shows its change marker, its changed lines highlighted
    // (audited at once, while the highlight is on).
    let slider = c.find(Locator::Css("#f-replicas")).await.unwrap();
    for _ in 0..9 {
        slider.send_keys("\u{E014}").await.unwrap(); // ArrowRight
    }
    wait_until(
        &c,
        "return document.querySelectorAll('.pane .marker').length === 3 && document.querySelector('.line.changed') !== null;",
        "three change markers and a highlighted line",
    )
    .await;
    failing.extend(audit(&c, axe, &format!("{at}, replicas 12 with markers")).await);

    // A validation error beside its field.
    let number = c
        .find(Locator::Css("#f-base_port + input.number"))
        .await
        .unwrap();
    retype(&number, "65534").await;
    wait_until(
        &c,
        "return document.getElementById('d-base_port') !== null;",
        "the base port error",
    )
    .await;
    failing.extend(audit(&c, axe, &format!("{at}, base port error")).await);
    retype(&number, "8080").await;

    // The Hosts section open, with two hosts.
    click_text(&c, "Hosts").await;
    click_text(&c, "Add host").await;
    click_text(&c, "Add host").await;
    wait_until(
        &c,
        "return document.querySelector('input[aria-label=\"Replicas of host 2\"]') !== null && document.querySelector('[aria-label=\"Show the files of host\"]') !== null;",
        "two hosts and the host picker",
    )
    .await;
    failing.extend(audit(&c, axe, &format!("{at}, two hosts")).await);

    // The Advanced group open.
    click_text(&c, "Advanced").await;
    wait_until(
        &c,
        "const d = [...document.querySelectorAll('details')].find(d => d.querySelector('summary').textContent.trim() === 'Advanced'); return d && d.open;",
        "the Advanced group to open",
    )
    .await;
    failing.extend(audit(&c, axe, &format!("{at}, Advanced open")).await);

    // Check my files open, with the seed's nginx.conf and its findings beside the lines.
    click_text(&c, "Check my files").await;
    let seed = std::fs::read_to_string(
        workspace().join("crates/trident-core/tests/fixtures/seed/nginx.conf"),
    )
    .unwrap();
    c.execute(
        "document.getElementById('check-paste').value = arguments[0]",
        vec![json!(seed)],
    )
    .await
    .unwrap();
    click_text(&c, "Add pasted file").await;
    wait_until(
        &c,
        "return document.querySelector('.finding.error') !== null && document.getElementById('check-open') !== null;",
        "the seed's findings",
    )
    .await;
    failing.extend(audit(&c, axe, &format!("{at}, Check my files with findings")).await);
    c.close().await.unwrap();
    failing
}

#[tokio::test(flavor = "current_thread")]
async fn axe_core_finds_no_violation_in_any_state_size_or_color_scheme() {
    let (axe, server) = (axe_source(), serve());
    let driver = ChromeDriver::start();
    let mut failing = Vec::new();
    for size in [(1400, 900), (360, 800)] {
        for scheme in ["light", "dark"] {
            failing.extend(audit_states(&driver, &server, &axe, size, scheme).await);
        }
    }
    assert!(
        failing.is_empty(),
        "axe-core found {} violation(s):\n{}",
        failing.len(),
        failing.join("\n")
    );
}
