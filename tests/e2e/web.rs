//! The built playground (`dist/`, from `trunk build --release`) in headless Chromium through
//! chromedriver: driven by its labels and keys as a user drives it, and compared with the
//! real `trident` binary's output.

use fantoccini::{Client, Locator};
use serde_json::json;
use trident_e2e::webdriver::{
    click_text, connect, connect_sized, open_page, retype, two_frames, wait_until, Post,
};
use trident_e2e::{trident, workspace, ChromeDriver};
use trident_static::StaticServer;

/// The built page, served on a free port.
fn serve() -> StaticServer {
    let dist = workspace().join("dist");
    assert!(
        dist.join("index.html").exists(),
        "{} has no built page: run `cargo xtask test` (it builds it) or `trunk build --release`",
        dist.display()
    );
    StaticServer::start(&dist, 0).expect("serve dist")
}

/// A permission granted to the page (W3C permissions extension).
fn grant(name: &str) -> Post {
    Post {
        path: "permissions",
        body: json!({"descriptor": {"name": name}, "state": "granted"}),
    }
}

/// Console errors so far (a panic would show here).
async fn console_errors(c: &Client) -> Vec<String> {
    let log = c
        .issue_cmd(Post {
            path: "se/log",
            body: json!({"type": "browser"}),
        })
        .await
        .expect("browser log");
    log.as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e["level"] == "SEVERE")
                .map(|e| e["message"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn open(c: &Client, server: &StaticServer, query: &str) {
    open_page(c, &format!("{}{query}", server.url())).await;
}

/// Waits until the pane for `name` reads `want`; returns what it read.
async fn wait_for_pane(c: &Client, name: &str, want: &str) -> String {
    let id = format!("pane-{}", name.replace(['.', '/'], "-"));
    let script = format!(
        "const t = document.getElementById('{id}').closest('section').querySelector('code').textContent; return t === {} ? t : null;",
        serde_json::to_string(want).unwrap()
    );
    wait_until(c, &script, &format!("{name} to read as the CLI prints it"))
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The text of the pane for `name`, as the page shows it.
async fn pane(c: &Client, name: &str) -> String {
    let id = format!("pane-{}", name.replace(['.', '/'], "-"));
    let v = c
        .execute(&format!("return document.getElementById('{id}').closest('section').querySelector('code').textContent"), vec![])
        .await
        .unwrap();
    v.as_str().unwrap_or_default().to_string()
}

/// The control whose visible label is `label` (slider first when a slider has a number box).
async fn by_label(c: &Client, label: &str) -> fantoccini::elements::Element {
    let id = c
        .execute(
            "const l = [...document.querySelectorAll('label')].find(l => l.textContent.trim() === arguments[0]); return l ? l.htmlFor : null",
            vec![json!(label)],
        )
        .await
        .unwrap();
    let id = id
        .as_str()
        .unwrap_or_else(|| panic!("no label {label:?}"))
        .to_string();
    c.find(Locator::Id(&id)).await.unwrap()
}

fn cli(args: &[&str], only: &str) -> String {
    let mut all = vec!["generate", "--only", only];
    all.extend_from_slice(args);
    let o = trident(&all);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

const FILES: [&str; 3] = ["supervisord.conf", "webapp.ini", "nginx.conf"];

#[tokio::test(flavor = "current_thread")]
async fn replicas_slider_moved_by_keyboard_renders_ten_replicas() {
    let (driver, server) = (ChromeDriver::start(), serve());
    let c = connect(&driver).await;
    open(&c, &server, "").await;
    let slider = by_label(&c, "Replicas").await;
    for _ in 0..7 {
        slider.send_keys("\u{E014}").await.unwrap(); // ArrowRight
    }
    let sup = wait_for_pane(
        &c,
        "supervisord.conf",
        &cli(&["--replicas", "10"], "supervisord.conf"),
    )
    .await;
    assert!(
        sup.contains("[program:p9]") && !sup.contains("[program:p10]"),
        "{sup}"
    );
    assert_eq!(
        pane(&c, "nginx.conf")
            .await
            .matches("        server 127.0.0.1:")
            .count(),
        10
    );
    for f in FILES {
        assert_eq!(
            pane(&c, f).await,
            cli(&["--replicas", "10"], f),
            "{f} differs from the CLI"
        );
    }
    assert_eq!(console_errors(&c).await, Vec::<String>::new());
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn invalid_base_port_shows_error_beside_field_and_the_app_stays_alive() {
    let (driver, server) = (ChromeDriver::start(), serve());
    let c = connect(&driver).await;
    open(&c, &server, "").await;
    let number = c
        .find(Locator::Css("#f-base_port + input.number"))
        .await
        .unwrap();
    retype(&number, "65534").await;
    wait_until(
        &c,
        "return document.getElementById('d-base_port') && document.querySelector('#f-base_port + input.number').getAttribute('aria-invalid') === 'true';",
        "the base port error",
    )
    .await;
    // Typed key by key, "6553" was the last valid value.
    let before = cli(&["--base-port", "6553"], "nginx.conf");
    assert_eq!(
        number.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    let diag = c
        .find(Locator::Id("d-base_port"))
        .await
        .expect("error beside the field")
        .text()
        .await
        .unwrap();
    assert!(diag.contains("65536") && diag.contains("65533"), "{diag}");
    assert_eq!(
        pane(&c, "nginx.conf").await,
        before,
        "last valid files are kept"
    );
    assert!(
        c.find(Locator::Css(".pane.stale")).await.is_ok(),
        "panes marked out of date"
    );
    // Still alive: fix the value and the panes follow.
    retype(&number, "9000").await;
    let want = cli(&["--base-port", "9000"], "nginx.conf");
    assert_eq!(wait_for_pane(&c, "nginx.conf", &want).await, want);
    assert_eq!(
        console_errors(&c).await,
        Vec::<String>::new(),
        "no panic or error in the console"
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn copy_puts_the_exact_pane_text_on_the_clipboard() {
    let (driver, server) = (ChromeDriver::start(), serve());
    let c = connect(&driver).await;
    open(&c, &server, "?replicas=4").await;
    c.issue_cmd(grant("clipboard-read"))
        .await
        .expect("grant clipboard-read");
    c.issue_cmd(grant("clipboard-write"))
        .await
        .expect("grant clipboard-write");
    let button = c
        .find(Locator::Css("button[aria-label='Copy webapp.ini']"))
        .await
        .unwrap();
    button.click().await.unwrap();
    wait_until(
        &c,
        "return document.querySelector(\"button[aria-label='Copy webapp.ini']\").textContent === 'Copied';",
        "the Copy button to say Copied",
    )
    .await;
    let clip = c
        .execute_async("const done = arguments[0]; navigator.clipboard.readText().then(done, e => done('ERR ' + e))", vec![])
        .await
        .unwrap();
    let clip = clip.as_str().unwrap_or_default().to_string();
    assert_eq!(clip, pane(&c, "webapp.ini").await);
    assert_eq!(clip, cli(&["--replicas", "4"], "webapp.ini"));
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn share_link_round_trips_and_garbage_falls_back_with_a_notice() {
    let (driver, server) = (ChromeDriver::start(), serve());
    let c = connect(&driver).await;
    open(&c, &server, "").await;
    let module = by_label(&c, "Module").await;
    retype(&module, "site.wsgi:app").await;
    let slider = by_label(&c, "Replicas").await;
    slider.send_keys("\u{E014}").await.unwrap();
    // URL writes are throttled: wait for the one that carries both changes.
    wait_until(
        &c,
        "return location.search.includes('replicas=4') && location.search.includes('module=site.wsgi');",
        "the share query",
    )
    .await;
    let url = c.current_url().await.unwrap();
    assert!(
        url.as_str().contains("replicas=4") && url.as_str().contains("module=site.wsgi:app"),
        "{url}"
    );
    let panes: Vec<String> = futures_join(&c).await;
    c.goto(url.as_str()).await.unwrap();
    open(
        &c,
        &server,
        &format!("?{}", url.query().unwrap_or_default()),
    )
    .await;
    assert_eq!(
        futures_join(&c).await,
        panes,
        "the link restores the same files"
    );
    assert_eq!(
        by_label(&c, "Module")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("site.wsgi:app")
    );

    open(
        &c,
        &server,
        "?replicas=banana&base_port=99999&module=%0A%5Bprogram%3Aevil%5D&zzz=1&home=%",
    )
    .await;
    let notice = c
        .find(Locator::Css(".notice"))
        .await
        .expect("a notice")
        .text()
        .await
        .unwrap();
    for field in ["replicas", "base_port", "module", "home", "zzz"] {
        assert!(notice.contains(field), "{field} not named in: {notice}");
    }
    for f in FILES {
        assert_eq!(
            pane(&c, f).await,
            cli(&[], f),
            "{f}: bad link fields fall back to defaults"
        );
    }
    assert_eq!(console_errors(&c).await, Vec::<String>::new());
    c.close().await.unwrap();
}

async fn futures_join(c: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for f in FILES {
        out.push(pane(c, f).await);
    }
    out
}

#[tokio::test(flavor = "current_thread")]
async fn panes_equal_the_cli_for_a_non_default_spec() {
    let (driver, server) = (ChromeDriver::start(), serve());
    let c = connect(&driver).await;
    open(&c, &server, "?replicas=7&socket=unix&home=/srv/x%20y&balance=ip_hash&env=A%3D1%2C2&env=B%3D50%25&static_url=/static/&listen_backlog=16").await;
    let args = [
        "--replicas",
        "7",
        "--socket",
        "unix",
        "--home",
        "/srv/x y",
        "--balance",
        "ip_hash",
        "--env",
        "A=1,2",
        "--env",
        "B=50%",
        "--static-url",
        "/static/",
        "--listen-backlog",
        "16",
    ];
    for f in FILES {
        assert_eq!(pane(&c, f).await, cli(&args, f), "{f}");
    }
    c.close().await.unwrap();
}

/// Lines added and removed between two texts (through a longest common subsequence).
fn changed_lines(before: &str, after: &str) -> (usize, usize) {
    let (a, b): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    (b.len() - lcs[0][0], a.len() - lcs[0][0])
}

/// True when the line of pane `file` that starts with `start` is inside both its pane's
/// visible part and the window.
async fn line_in_view(c: &Client, file: &str, start: &str) -> bool {
    let id = format!("pane-{}", file.replace('.', "-"));
    let script = format!(
        "const pre = document.getElementById('{id}').closest('section').querySelector('pre');
         const line = [...pre.querySelectorAll('.line')].find(l => l.textContent.startsWith({}));
         if (!line) return false;
         const r = line.getBoundingClientRect(), p = pre.getBoundingClientRect();
         return r.top >= Math.max(0, p.top) && r.bottom <= Math.min(innerHeight, p.bottom);",
        serde_json::to_string(start).unwrap()
    );
    c.execute(&script, vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap_or(false)
}

#[tokio::test(flavor = "current_thread")]
async fn at_1400_by_900_every_change_is_in_view_and_marked() {
    let (driver, server) = (ChromeDriver::start(), serve());
    let c = connect_sized(&driver, 1400, 900).await;
    open(&c, &server, "").await;
    let slider = by_label(&c, "Replicas").await;
    for _ in 0..9 {
        slider.send_keys("\u{E014}").await.unwrap(); // ArrowRight: 3 -> 12
    }
    let want = cli(&["--replicas", "12"], "supervisord.conf");
    wait_for_pane(&c, "supervisord.conf", &want).await;
    wait_for_pane(&c, "nginx.conf", &cli(&["--replicas", "12"], "nginx.conf")).await;
    // Panes scroll in the next animation frame.
    two_frames(&c).await;
    assert!(
        line_in_view(&c, "supervisord.conf", "[program:p11]").await,
        "[program:p11] is not in view"
    );
    assert!(
        line_in_view(&c, "nginx.conf", "        server 127.0.0.1:8091 ").await,
        "the twelfth upstream server is not in view"
    );
    // Each heading's marker counts the lines added and removed since the move began.
    for file in FILES {
        let (added, removed) = changed_lines(&cli(&[], file), &cli(&["--replicas", "12"], file));
        let id = format!("pane-{}", file.replace('.', "-"));
        let marker = c
            .execute(
                &format!("const m = document.getElementById('{id}').closest('section').querySelector('.marker'); return m ? m.textContent : null;"),
                vec![],
            )
            .await
            .unwrap();
        if added + removed == 0 {
            assert!(marker.is_null(), "{file}: {marker}");
        } else {
            assert_eq!(
                marker.as_str(),
                Some(format!("+{added} \u{2212}{removed}").as_str()),
                "{file}"
            );
        }
    }
    // Once the value settles, one polite announcement names the files and the counts.
    let (added, removed) = changed_lines(&cli(&[], "supervisord.conf"), &want);
    let said = wait_until(
        &c,
        "const t = document.getElementById('changes-live').textContent; return t.length ? t : null;",
        "the live region's announcement",
    )
    .await;
    assert!(
        said.as_str().unwrap_or_default().contains(&format!(
            "supervisord.conf changed: {added} lines added, {removed} removed"
        )),
        "{said}"
    );
    assert_eq!(console_errors(&c).await, Vec::<String>::new());
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_pane_the_user_scrolled_is_not_pulled_back() {
    let (driver, server) = (ChromeDriver::start(), serve());
    let c = connect_sized(&driver, 1400, 900).await;
    open(&c, &server, "?replicas=8").await;
    let pre =
        "document.getElementById('pane-supervisord-conf').closest('section').querySelector('pre')";
    // The user scrolls the pane to its top.
    c.execute(&format!("{pre}.scrollTop = 0; return true;"), vec![])
        .await
        .unwrap();
    c.execute(&format!("{pre}.scrollTop = 40; return true;"), vec![])
        .await
        .unwrap();
    two_frames(&c).await;
    let slider = by_label(&c, "Replicas").await;
    slider.send_keys("\u{E014}").await.unwrap(); // 8 -> 9: a change far below
    wait_for_pane(
        &c,
        "supervisord.conf",
        &cli(&["--replicas", "9"], "supervisord.conf"),
    )
    .await;
    two_frames(&c).await;
    let top = c
        .execute(&format!("return {pre}.scrollTop;"), vec![])
        .await
        .unwrap();
    assert_eq!(
        top.as_f64(),
        Some(40.0),
        "the pane was pulled away from where the user put it"
    );
    // The marker still brings the change into view.
    c.find(Locator::Css("#pane-supervisord-conf ~ .marker"))
        .await
        .expect("a marker beside the heading")
        .click()
        .await
        .unwrap();
    assert!(line_in_view(&c, "supervisord.conf", "[program:p8]").await);
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn at_360_px_the_controls_come_first_and_nothing_scrolls_sideways() {
    let (driver, server) = (ChromeDriver::start(), serve());
    let c = connect_sized(&driver, 360, 800).await;
    open(&c, &server, "").await;
    let width = c
        .execute(
            "return [document.documentElement.scrollWidth, innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let (scroll, inner) = (width[0].as_f64().unwrap(), width[1].as_f64().unwrap());
    assert!(
        scroll <= inner,
        "the page is {scroll} px wide in a {inner} px window"
    );
    let order = c
        .execute(
            "return document.getElementById('f-replicas').getBoundingClientRect().top < document.getElementById('pane-supervisord-conf').getBoundingClientRect().top;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        order.as_bool(),
        Some(true),
        "the controls come before the files"
    );
    // After a change every pane's heading holds a marker too (`+111 −3`), and still fits.
    let slider = by_label(&c, "Replicas").await;
    for _ in 0..9 {
        slider.send_keys("\u{E014}").await.unwrap(); // ArrowRight: 3 -> 12
    }
    let width = wait_until(
        &c,
        "return document.querySelectorAll('.pane .marker').length === 3 ? [document.documentElement.scrollWidth, innerWidth] : null;",
        "a change marker in every pane",
    )
    .await;
    let (scroll, inner) = (width[0].as_f64().unwrap(), width[1].as_f64().unwrap());
    assert!(
        scroll <= inner,
        "with the change markers the page is {scroll} px wide in a {inner} px window"
    );
    c.close().await.unwrap();
}

/// The host picker's buttons: (text, pressed).
async fn picker(c: &Client) -> Vec<(String, bool)> {
    let v = c
        .execute(
            "return [...document.querySelectorAll('[aria-label=\"Show the files of host\"] button')].map(b => [b.textContent, b.getAttribute('aria-pressed') === 'true'])",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn hosts_are_added_edited_removed_and_every_host_file_equals_the_cli() {
    let (driver, server) = (ChromeDriver::start(), serve());
    let c = connect(&driver).await;
    open(&c, &server, "").await;
    click_text(&c, "Hosts").await;
    click_text(&c, "Add host").await;
    click_text(&c, "Add host").await;
    let two = [
        "--host",
        "web1=10.0.0.11",
        "--host",
        "web2=10.0.0.12",
        "--lb-address",
        "10.0.0.10",
    ];
    wait_for_pane(&c, "lb/nginx.conf", &cli(&two, "lb/nginx.conf")).await;
    assert_eq!(
        picker(&c).await,
        [
            ("lb".into(), true),
            ("web1".into(), false),
            ("web2".into(), false)
        ]
    );
    assert_eq!(
        pane(&c, "lb/supervisord.conf").await,
        cli(&two, "lb/supervisord.conf")
    );

    // Another host's files, then its replica count typed in its row.
    click_text(&c, "web2").await;
    for f in ["supervisord.conf", "webapp.ini", "nftables.conf"] {
        let path = format!("web2/{f}");
        wait_for_pane(&c, &path, &cli(&two, &path)).await;
    }
    let replicas = c
        .find(Locator::Css("input[aria-label='Replicas of host 2']"))
        .await
        .unwrap();
    replicas.send_keys("5").await.unwrap();
    let five = [
        "--host",
        "web1=10.0.0.11",
        "--host",
        "web2=10.0.0.12:5",
        "--lb-address",
        "10.0.0.10",
    ];
    let sup = wait_for_pane(
        &c,
        "web2/supervisord.conf",
        &cli(&five, "web2/supervisord.conf"),
    )
    .await;
    assert!(sup.contains("[program:p4]"), "{sup}");

    // The share link carries the hosts: a fresh page opened with it shows the same files.
    two_frames(&c).await;
    let query = wait_until(
        &c,
        "const q = window.location.search; return q.includes('hosts=') && decodeURIComponent(q).includes('web2=10.0.0.12:5') ? q : null;",
        "the share link to carry the hosts",
    )
    .await;
    // A browser of its own: one chromedriver runs one session at a time here.
    let driver2 = ChromeDriver::start();
    let c2 = connect(&driver2).await;
    open(&c2, &server, query.as_str().unwrap()).await;
    wait_for_pane(&c2, "lb/nginx.conf", &cli(&five, "lb/nginx.conf")).await;
    c2.close().await.unwrap();

    // Removing a host removes its files; the picker keeps the host it showed.
    click_text(&c, "Remove").await;
    let one = ["--host", "web2=10.0.0.12:5", "--lb-address", "10.0.0.10"];
    wait_for_pane(&c, "web2/webapp.ini", &cli(&one, "web2/webapp.ini")).await;
    assert_eq!(
        picker(&c).await,
        [("lb".into(), false), ("web2".into(), true)]
    );
    let go_live = c
        .execute(
            "return document.querySelector('[aria-label=\"Go-live commands\"]').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        go_live
            .as_str()
            .unwrap_or_default()
            .contains("App host web2 (10.0.0.12)"),
        "{go_live}"
    );
    assert_eq!(console_errors(&c).await, Vec::<String>::new());
    c.close().await.unwrap();
}

fn seed_file(name: &str) -> std::path::PathBuf {
    workspace()
        .join("crates/trident-core/tests/fixtures/seed")
        .join(name)
}

/// The files `trident generate` writes from the spec `trident import` reads in the seed's
/// three files.
fn cli_of_imported_seed() -> Vec<String> {
    let files: Vec<String> = FILES
        .iter()
        .map(|f| seed_file(f).display().to_string())
        .collect();
    let mut args = vec!["import"];
    args.extend(files.iter().map(String::as_str));
    let o = trident(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("imported.toml");
    std::fs::write(&spec, &o.stdout).unwrap();
    FILES
        .iter()
        .map(|f| cli(&["--spec", spec.to_str().unwrap()], f))
        .collect()
}

/// The page with *Check my files* open.
async fn open_check(c: &Client, server: &StaticServer) {
    open(c, server, "").await;
    c.execute("document.querySelector('#check summary').click()", vec![])
        .await
        .unwrap();
}

async fn check_summary(c: &Client, want: &str) {
    let script = format!(
        "const s = document.getElementById('check-summary'); return s && s.textContent === {} ? s.textContent : null;",
        serde_json::to_string(want).unwrap()
    );
    wait_until(c, &script, &format!("the check summary to read {want:?}")).await;
}

#[tokio::test(flavor = "current_thread")]
async fn checked_seed_files_show_their_findings_and_open_as_the_imported_spec() {
    let (driver, server) = (ChromeDriver::start(), serve());
    let c = connect(&driver).await;
    open_check(&c, &server).await;
    for f in FILES {
        let text = std::fs::read_to_string(seed_file(f)).unwrap();
        c.execute(
            "document.getElementById('check-paste').value = arguments[0]",
            vec![json!(text)],
        )
        .await
        .unwrap();
        c.find(Locator::Id("check-add"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    // The CLI's count, ids and lines.
    let o = trident(&[
        "lint",
        seed_file("supervisord.conf").to_str().unwrap(),
        seed_file("webapp.ini").to_str().unwrap(),
        seed_file("nginx.conf").to_str().unwrap(),
    ]);
    let cli_summary = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string();
    check_summary(&c, &cli_summary).await;
    let at = c
        .execute(
            "const f = document.querySelector('section[aria-label=\"nginx.conf\"] .finding[data-rule=\"nginx/unknown-directive\"]'); return f ? f.closest('li').querySelector('code').textContent + ' | ' + f.textContent : null",
            vec![],
        )
        .await
        .unwrap();
    let at = at.as_str().unwrap_or_default();
    assert!(
        at.starts_with("pidfile /tmp/nginx.pid; | error[nginx/unknown-directive] 3:1:"),
        "{at}"
    );
    assert!(at.contains("hint: did you mean `pid`?"), "{at}");
    // Open as spec: the panes are `trident generate` of `trident import`'s spec.
    c.find(Locator::Id("check-open"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let want = cli_of_imported_seed();
    wait_for_pane(&c, "nginx.conf", &want[2]).await;
    for (f, w) in FILES.iter().zip(&want) {
        assert_eq!(&pane(&c, f).await, w, "{f}");
    }
    assert_eq!(console_errors(&c).await, Vec::<String>::new());
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_zip_of_the_seed_files_picked_is_opened_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("stack.zip");
    // Deflated, with a directory entry and macOS metadata, as Finder and zip(1) write them.
    let o = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\nz.writestr('etc/', '')\nz.writestr('__MACOSX/etc/._nginx.conf', 'junk')\nfor p in sys.argv[2:]:\n    z.write(p, 'etc/' + p.rsplit('/', 1)[1])\nz.close()")
        .arg(&zip)
        .args(FILES.iter().map(|f| seed_file(f)))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (driver, server) = (ChromeDriver::start(), serve());
    let c = connect(&driver).await;
    open_check(&c, &server).await;
    let input = c.find(Locator::Id("check-pick")).await.unwrap();
    input.send_keys(zip.to_str().unwrap()).await.unwrap();
    check_summary(&c, "3 file(s): 10 error(s), 15 warning(s)").await;
    let sections = c
        .execute(
            "return [...document.querySelectorAll('section.checked')].map(s => s.getAttribute('aria-label')).join(' ')",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        sections,
        "etc/supervisord.conf etc/webapp.ini etc/nginx.conf"
    );
    c.close().await.unwrap();
}
