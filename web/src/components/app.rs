//! The page: settings on the left, the three files and what to do with them on the right.

use std::rc::Rc;

use trident_core::{reproduce_command, shell_quote, FIELDS};
use yew::prelude::*;

use crate::components::field::{FieldControl, SLIDERS};
use crate::components::pane::Pane;
use crate::state::{Action, PRESETS};
use crate::{browser, share, zip};

/// Fields shown above the Advanced section, in this order.
const BASIC: &[&str] = &[
    "replicas",
    "base_port",
    "listen",
    "workers",
    "threads",
    "module",
    "home",
    "server_name",
    "balance",
    "socket",
];

/// The whole page.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| share::from_query(&browser::query()));

    // Write the share query at most every 250 ms while a slider is dragged.
    let latest = use_mut_ref(String::new);
    let pending = use_mut_ref(|| None::<gloo::timers::callback::Timeout>);
    {
        let (latest, pending) = (latest.clone(), pending.clone());
        use_effect_with(state.texts.clone(), move |texts| {
            *latest.borrow_mut() = share::to_query(texts);
            if pending.borrow().is_none() {
                let (latest, pending_inner) = (latest.clone(), pending.clone());
                *pending.borrow_mut() =
                    Some(gloo::timers::callback::Timeout::new(250, move || {
                        browser::replace_query(&latest.borrow());
                        pending_inner.borrow_mut().take();
                    }));
            }
        });
    }

    // One callback for the page's lifetime, so a field whose text and diagnostics did not
    // change has equal props and is not rendered again (one input re-renders one control).
    let on_set = {
        let dispatcher = state.dispatcher();
        use_callback((), move |(i, text): (usize, String), _| {
            dispatcher.dispatch(Action::Set(i, text))
        })
    };
    let field = |name: &str| {
        let i = FIELDS
            .iter()
            .position(|f| f.name == name)
            .expect("known field");
        let diags: Vec<_> = state.diags_for(name).cloned().collect();
        html! { <FieldControl key={name.to_string()} index={i} text={AttrValue::from(state.texts[i].clone())} diags={Rc::new(diags)} on_set={on_set.clone()} /> }
    };
    let advanced_error = state
        .diags
        .iter()
        .any(|d| d.is_error() && !BASIC.contains(&d.top_field()));
    let (errors, warnings) = trident_core::counts(&state.diags);
    let spec = &state.spec;
    let dirs = spec.dirs();
    let conf = |name: &str| shell_quote(&format!("{}/{name}", dirs.conf));
    let command = format!(
        "{} --out {}",
        reproduce_command(spec),
        shell_quote(&dirs.conf)
    );
    let go_live = format!(
        "mkdir -p {app} {run} {log}\n{nginx} -t -p {run_slash} -c {nginx_conf}\nsupervisord -c {sup}\nsupervisorctl -c {sup} status",
        app = shell_quote(&dirs.app),
        run = shell_quote(&dirs.run),
        log = shell_quote(&dirs.log),
        nginx = shell_quote(&spec.nginx_bin),
        run_slash = shell_quote(&format!("{}/", dirs.run)),
        nginx_conf = conf("nginx.conf"),
        sup = conf("supervisord.conf"),
    );

    let on_download_all = {
        let files = state.files.clone();
        Callback::from(move |_| {
            let entries: Vec<(&str, &[u8])> = files
                .iter()
                .map(|f| (f.name, f.contents.as_bytes()))
                .collect();
            browser::download(
                "trident-config.zip",
                "application/zip",
                &zip::zip("trident-config", &entries),
            );
        })
    };
    let share_state = use_state(|| "Copy share link");
    let on_share = {
        let share_state = share_state.clone();
        let state = state.clone();
        // The link is built on click, not on every render (renders follow every slider move).
        Callback::from(move |_| {
            let query = share::to_query(&state.texts);
            let link = if query.is_empty() {
                browser::address()
            } else {
                format!("{}?{query}", browser::address())
            };
            let share_state = share_state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                share_state.set(if browser::copy(&link).await.is_ok() {
                    "Link copied"
                } else {
                    "Copy the address bar"
                });
            });
        })
    };

    html! {
        <>
        <header class="top">
            <h1>{ "Trident" }</h1>
            <p>{ "One spec, three matching files: supervisord.conf, uWSGI webapp.ini and nginx.conf for N replicas of a Python WSGI app." }</p>
            <nav aria-label="Presets">
                { for PRESETS.iter().map(|p| {
                    let state = state.clone();
                    html! { <button type="button" onclick={Callback::from(move |_| state.dispatch(Action::Preset(p)))}>{ p.name }</button> }
                }) }
                <button type="button" onclick={{ let s = state.clone(); Callback::from(move |_| s.dispatch(Action::Reset)) }}>{ "Reset to defaults" }</button>
                <button type="button" onclick={on_share}>{ *share_state }</button>
            </nav>
        </header>
        if let Some(notice) = &state.notice {
            <div class="notice" role="status">
                { notice }
                <button type="button" onclick={{ let s = state.clone(); Callback::from(move |_| s.dispatch(Action::DismissNotice)) }}>{ "Dismiss" }</button>
            </div>
        }
        <main class="layout">
            <section class="controls" aria-label="Settings">
                { for BASIC.iter().map(|n| field(n)) }
                <details open={advanced_error}>
                    <summary>{ "Advanced" }</summary>
                    { for FIELDS.iter().filter(|f| !BASIC.contains(&f.name)).map(|f| field(f.name)) }
                </details>
            </section>
            <section class="outputs" aria-label="Generated files">
                <p class={classes!("status", state.stale.then_some("stale"))} role="status" aria-live="polite">
                    if state.stale {
                        { format!("{errors} error(s): the files below are out of date, from your last valid settings. Fix the marked fields to update them.") }
                    } else if warnings > 0 {
                        { format!("Valid, with {warnings} warning(s) beside the fields.") }
                    } else {
                        { "Valid." }
                    }
                </p>
                <div class="box">
                    <h2>{ "Command" }</h2>
                    <pre class="command" aria-label="Equivalent trident command">{ &command }</pre>
                </div>
                { for state.files.iter().map(|f| html! {
                    <Pane key={f.name} name={f.name} contents={AttrValue::from(f.contents.clone())} stale={state.stale} />
                }) }
                <div class="box">
                    <button type="button" onclick={on_download_all}>{ "Download all (.zip)" }</button>
                </div>
                <div class="box">
                    <h2>{ "Go live" }</h2>
                    <p>{ "Put the three files in the config directory, then create the directories supervisord will not create, check, and start:" }</p>
                    <pre aria-label="Go-live commands">{ go_live }</pre>
                    <p class="small">{ "A stopped or crashed replica costs no request. A slow one is avoided by least_conn when clients are concurrent. No setting rescues the one request already sent to a replica that hangs: it waits for the read timeout, then a GET may run twice and a POST gets 504. See the README for each option's cost." }</p>
                </div>
            </section>
        </main>
        <footer><p class="small">{ format!("Trident {}. Everything runs in your browser; nothing is sent anywhere. Sliders cover {}; type any value in the boxes.", trident_core::VERSION, SLIDERS.iter().map(|(n, lo, hi)| format!("{n} {lo}–{hi}")).collect::<Vec<_>>().join(", ")) }</p></footer>
        </>
    }
}
