//! Component tests in a real headless Chromium (`wasm-bindgen-test`): the app is mounted and
//! driven through DOM events, as a user drives it.

#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use trident_web::components::app::App;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, Event, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

async fn mount() -> Element {
    // The app reads its spec from the share query, which an earlier test's app writes up to
    // 250 ms after its last change (even after its root is removed): let that write land,
    // then start every test from the defaults.
    yew::platform::time::sleep(Duration::from_millis(300)).await;
    trident_web::browser::replace_query("");
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<App>::with_root(root.clone()).render();
    until(|| {
        root.query_selector("#pane-nginx-conf")
            .ok()
            .flatten()
            .is_some()
            && !pane(&root, "nginx.conf").is_empty()
    })
    .await;
    root
}

/// Lets Yew render and run effects.
async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(30)).await;
}

/// Waits until `done` holds, at most 5 s in 10 ms steps (the assertions after it then say
/// what is wrong). Yew renders and runs effects on its own schedule, which an unoptimized
/// test build on a busy machine can stretch past any fixed pause.
async fn until(done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        yew::platform::time::sleep(Duration::from_millis(10)).await;
    }
}

fn input(root: &Element, selector: &str) -> HtmlInputElement {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into()
}

async fn type_into(el: &HtmlInputElement, value: &str) {
    el.set_value(value);
    el.dispatch_event(&Event::new("input").unwrap()).unwrap();
    settle().await;
}

fn pane(root: &Element, name: &str) -> String {
    let id = format!("pane-{}", name.replace('.', "-"));
    let heading = root
        .query_selector(&format!("#{id}"))
        .unwrap()
        .expect("pane heading");
    heading
        .closest("section")
        .unwrap()
        .unwrap()
        .query_selector("code")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap()
}

#[wasm_bindgen_test]
async fn slider_updates_every_pane_to_match_the_core() {
    let root = mount().await;
    type_into(&input(&root, "#f-replicas"), "10").await;
    let spec = trident_core::Spec {
        replicas: 10,
        ..Default::default()
    };
    let want = trident_core::generate(&spec).unwrap();
    until(|| want.files.iter().all(|f| pane(&root, f.name) == f.contents)).await;
    for f in &want.files {
        assert_eq!(
            pane(&root, f.name),
            f.contents,
            "{} differs from the core's output",
            f.name
        );
    }
    // Changed lines are flagged for the highlight.
    assert!(root.query_selector(".line.changed").unwrap().is_some());
    root.remove();
}

#[wasm_bindgen_test]
async fn invalid_value_shows_error_beside_field_and_keeps_last_files() {
    let root = mount().await;
    let before = pane(&root, "nginx.conf");
    let number = input(&root, "#f-base_port ~ input.number");
    type_into(&number, "65534").await;
    until(|| root.query_selector("#d-base_port").ok().flatten().is_some()).await;
    assert_eq!(
        number.get_attribute("aria-invalid").as_deref(),
        Some("true")
    );
    let diag = root
        .query_selector("#d-base_port")
        .unwrap()
        .expect("diagnostic beside the field");
    let text = diag.text_content().unwrap();
    assert!(text.contains("65536") && text.contains("65533"), "{text}");
    assert_eq!(
        pane(&root, "nginx.conf"),
        before,
        "panes keep the last valid files"
    );
    assert!(
        root.query_selector(".pane.stale").unwrap().is_some(),
        "panes are marked out of date"
    );
    // Recovering clears it.
    type_into(&number, "9000").await;
    until(|| pane(&root, "nginx.conf").contains("server 127.0.0.1:9002 ")).await;
    assert!(root.query_selector(".pane.stale").unwrap().is_none());
    assert!(pane(&root, "nginx.conf").contains("server 127.0.0.1:9002 "));
    root.remove();
}

#[wasm_bindgen_test]
async fn hostile_text_never_breaks_the_app() {
    let root = mount().await;
    let module = input(&root, "#f-module");
    for text in [
        "",
        "x\n[program:evil]",
        "%(ENV_HOME)s",
        "\u{0}",
        "🙂:app",
        &"a".repeat(10_000),
    ] {
        type_into(&module, text).await;
    }
    type_into(&module, "site.wsgi:app").await;
    until(|| pane(&root, "webapp.ini").contains("module = site.wsgi:app")).await;
    assert!(pane(&root, "webapp.ini").contains("module = site.wsgi:app"));
    root.remove();
}
