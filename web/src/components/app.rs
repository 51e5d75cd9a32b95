//! The page: settings on the left, the three files and what to do with them on the right.

use std::rc::Rc;

use trident_core::fields::Group;
use trident_core::{RenderedFile, FIELDS};
use yew::prelude::*;

use crate::components::check::Check;
use crate::components::field::FieldControl;
use crate::components::golive::{command, go_live};
use crate::components::header::header;
use crate::components::hosts::{hosts, HostsProps};
use crate::components::pane::Pane;
use crate::components::status::{notice, status};
use crate::state::{Action, State};
use crate::{browser, share, zip};

/// The whole page.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| share::from_query(&browser::query()));

    // Write the share query at most every 250 ms while a slider is dragged; the query is
    // built when the timer fires, from the texts of the latest render, not on every move.
    let latest = use_mut_ref(|| None::<Rc<Vec<String>>>);
    let pending = use_mut_ref(|| None::<gloo::timers::callback::Timeout>);
    {
        let (latest, pending) = (latest.clone(), pending.clone());
        use_effect_with(state.texts.clone(), move |texts| {
            *latest.borrow_mut() = Some(texts.clone());
            if pending.borrow().is_none() {
                let (latest, pending_inner) = (latest.clone(), pending.clone());
                *pending.borrow_mut() =
                    Some(gloo::timers::callback::Timeout::new(250, move || {
                        if let Some(texts) = latest.borrow_mut().take() {
                            browser::replace_query(&share::to_query(&texts));
                        }
                        pending_inner.borrow_mut().take();
                    }));
            }
        });
    }

    // The reducer's dispatcher as a callback is the same for the page's lifetime, so a field
    // whose text and diagnostics did not change has equal props and is not rendered again
    // (one input re-renders one control).
    let dispatch: Callback<Action> = state.dispatcher().into();
    let (shown_host, picker) = host_picker(&state, &dispatch);
    let (errors, warnings) = trident_core::counts(&state.diags);
    let on_download_all = download_all(state.files.clone());

    // Wide screens: the controls on the left, the three files beside them in one column as
    // tall as the window, each pane scrolling to its change. Narrow screens: controls first.
    html! {
        <>
        <main class="layout">
            <div class="side">
                { header(&dispatch, &state.texts, state.share_label) }
                if let Some(text) = &state.notice {
                    { notice(text, &dispatch) }
                }
                { controls(&state, &dispatch) }
                <Check dispatch={dispatch.clone()} />
            </div>
            <section class="outputs" aria-label="Generated files">
                <div class="files">
                    { status(state.stale, errors, warnings) }
                    { for picker }
                    { for state.files.iter().filter(|f| f.host == shown_host).map(|f| {
                        let (key, name) = (f.path(), AttrValue::from(f.path()));
                        html! {
                            <Pane {key} {name} contents={AttrValue::from(f.contents.clone())} stale={state.stale} />
                        }
                    }) }
                </div>
                // Which files changed, spoken once the value settles (not on every step).
                <p id="changes-live" class="visually-hidden" aria-live="polite" aria-atomic="true"></p>
                { command(&state.valid) }
                <div class="box">
                    <button type="button" onclick={on_download_all}>{ "Download all (.zip)" }</button>
                </div>
                { go_live(&state.valid) }
            </section>
        </main>
        <footer><p class="small">{ footer() }</p></footer>
        </>
    }
}

/// A run of field controls. Each control is a component with its own props, so a move of
/// one slider renders that control again and no other.
fn field_group(fields: &[usize], state: &State, dispatch: &Callback<Action>) -> Html {
    fields
        .iter()
        .map(|&i| {
            let name = FIELDS[i].name;
            html! {
                <FieldControl key={name} index={i} text={AttrValue::from(state.texts[i].clone())}
                    diags={state.diags_of(name)} dispatch={dispatch.clone()} />
            }
        })
        .collect()
}

/// The settings: Basics, the Hosts section, the rest under Advanced (open when one of them
/// has an error).
fn controls(state: &State, dispatch: &Callback<Action>) -> Html {
    // The field table's sections, as indices (a few dozen comparisons: cheaper to redo
    // than a memo hook's code in the wasm).
    let index = |name: &str| FIELDS.iter().position(|f| f.name == name);
    let in_group = |g: Group| (0..FIELDS.len()).filter(move |i| FIELDS[*i].group == g);
    let basic: Vec<usize> = in_group(Group::Basics).collect();
    let advanced: Vec<usize> = (0..FIELDS.len())
        .filter(|i| !matches!(FIELDS[*i].group, Group::Basics | Group::Hosts))
        .collect();
    let (hosts_i, lb_i) = (
        index("hosts").unwrap_or(0),
        index("lb_address").unwrap_or(0),
    );
    let advanced_error = state.diags.iter().any(|d| {
        d.is_error()
            && index(d.top_field())
                .is_some_and(|i| !matches!(FIELDS[i].group, Group::Basics | Group::Hosts))
    });
    html! {
        <section class="controls" aria-label="Settings">
            { field_group(&basic, state, dispatch) }
            { hosts(&HostsProps {
                hosts: hosts_i,
                lb_address: lb_i,
                text: AttrValue::from(state.texts[hosts_i].clone()),
                lb_text: AttrValue::from(state.texts[lb_i].clone()),
                diags: state.diags_of("hosts"),
                lb_diags: state.diags_of("lb_address"),
                dispatch: dispatch.clone(),
            }) }
            <details open={advanced_error}>
                <summary>{ "Advanced" }</summary>
                { field_group(&advanced, state, dispatch) }
            </details>
        </section>
    }
}

/// With app hosts, the host whose files are shown and the picker's buttons.
fn host_picker(state: &State, dispatch: &Callback<Action>) -> (String, Option<Html>) {
    // With app hosts, one host's files at a time: the picker's choice, or the first host
    // (the load balancer) when the chosen one is gone.
    let file_hosts: Vec<&str> = {
        let mut v: Vec<&str> = Vec::new();
        for f in state.files.iter() {
            if !v.contains(&f.host.as_str()) {
                v.push(&f.host);
            }
        }
        v
    };
    let shown_host = state
        .picked
        .as_deref()
        .filter(|h| file_hosts.contains(h))
        .or(file_hosts.first().copied())
        .unwrap_or("")
        .to_string();
    let picker = (file_hosts.len() > 1).then(|| {
        html! {
            <div class="host-picker" role="group" aria-label="Show the files of host">
                { for file_hosts.iter().map(|h| {
                    let pressed = *h == shown_host;
                    let host = h.to_string();
                    let onclick = dispatch.reform(move |_| Action::Pick(host.clone()));
                    html! {
                        <button type="button" aria-pressed={if pressed { "true" } else { "false" }} {onclick}>{ *h }</button>
                    }
                }) }
            </div>
        }
    });
    (shown_host, picker)
}

/// Downloads every file as one zip.
fn download_all(files: Rc<Vec<RenderedFile>>) -> Callback<MouseEvent> {
    Callback::from(move |_| {
        let paths: Vec<String> = files.iter().map(|f| f.path()).collect();
        let entries: Vec<(&str, &[u8])> = files
            .iter()
            .zip(&paths)
            .map(|(f, p)| (p.as_str(), f.contents.as_bytes()))
            .collect();
        browser::download(
            "trident-config.zip",
            "application/zip",
            &zip::zip("trident-config", &entries),
        );
    })
}

/// What runs where, and what the sliders cover (from the field table).
fn footer() -> String {
    format!(
        "Trident {}. Everything runs in your browser; nothing is sent anywhere. Sliders cover {}; type any value in the boxes.",
        trident_core::VERSION,
        FIELDS
            .iter()
            .filter_map(|f| f.slider.map(|(lo, hi)| format!("{} {lo}–{hi}", f.name)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}
