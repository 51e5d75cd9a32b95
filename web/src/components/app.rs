//! The page: settings on the left, the three files and what to do with them on the right.

use std::rc::Rc;

use trident_core::{Diagnostic, FIELDS};
use yew::prelude::*;

use crate::components::field::{FieldControl, SLIDERS};
use crate::components::golive::{Command, GoLive};
use crate::components::header::Header;
use crate::components::hosts::Hosts;
use crate::components::pane::Pane;
use crate::components::status::{Notice, Status};
use crate::state::Action;
use crate::{browser, share, zip};

/// Fields shown above the Advanced section, in this order.
pub const BASIC: &[&str] = &[
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

/// The fields of the Hosts section, not shown under Advanced.
pub const HOSTS: [&str; 2] = ["hosts", "lb_address"];

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

    // One callback for the page's lifetime, so a field whose text and diagnostics did not
    // change has equal props and is not rendered again (one input re-renders one control).
    let on_set = {
        let dispatcher = state.dispatcher();
        use_callback((), move |(i, text): (usize, String), _| {
            dispatcher.dispatch(Action::Set(i, text))
        })
    };
    // Field indices of the two groups, computed once.
    let groups = use_memo((), |_| {
        let index = |name: &str| FIELDS.iter().position(|f| f.name == name);
        let basic: Vec<usize> = BASIC.iter().filter_map(|n| index(n)).collect();
        let advanced: Vec<usize> = (0..FIELDS.len())
            .filter(|i| !basic.contains(i) && !HOSTS.contains(&FIELDS[*i].name))
            .collect();
        let hosts = (index(HOSTS[0]).unwrap_or(0), index(HOSTS[1]).unwrap_or(0));
        (Rc::new(basic), Rc::new(advanced), hosts)
    });
    let (basic, advanced, (hosts_i, lb_i)) = (groups.0.clone(), groups.1.clone(), groups.2);
    let advanced_error = state.diags.iter().any(|d| {
        d.is_error() && !BASIC.contains(&d.top_field()) && !HOSTS.contains(&d.top_field())
    });
    let diags_of = |name: &str| -> Rc<Vec<Diagnostic>> {
        Rc::new(
            state
                .diags
                .iter()
                .filter(|d| d.top_field() == name)
                .cloned()
                .collect(),
        )
    };
    // With app hosts, one host's files at a time: the picker's choice, or the first host
    // (the load balancer) when the chosen one is gone.
    let picked = use_state(|| None::<String>);
    let file_hosts: Vec<&str> = {
        let mut v: Vec<&str> = Vec::new();
        for f in state.files.iter() {
            if !v.contains(&f.host.as_str()) {
                v.push(&f.host);
            }
        }
        v
    };
    let shown_host = picked
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
                    let (picked, h_owned) = (picked.clone(), h.to_string());
                    let onclick = Callback::from(move |_| picked.set(Some(h_owned.clone())));
                    html! {
                        <button type="button" aria-pressed={if pressed { "true" } else { "false" }} {onclick}>{ *h }</button>
                    }
                }) }
            </div>
        }
    });
    let (errors, warnings) = trident_core::counts(&state.diags);
    let dispatch = {
        let dispatcher = state.dispatcher();
        use_callback((), move |action: Action, _| dispatcher.dispatch(action))
    };
    let on_download_all = {
        let files = state.files.clone();
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
    };
    let footer = use_memo((), |_| {
        AttrValue::from(format!(
            "Trident {}. Everything runs in your browser; nothing is sent anywhere. Sliders cover {}; type any value in the boxes.",
            trident_core::VERSION,
            SLIDERS
                .iter()
                .map(|(n, lo, hi)| format!("{n} {lo}–{hi}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    });

    // Wide screens: the controls on the left, the three files beside them in one column as
    // tall as the window, each pane scrolling to its change. Narrow screens: controls first.
    html! {
        <>
        <main class="layout">
            <div class="side">
                <Header dispatch={dispatch.clone()} texts={state.texts.clone()} />
                if let Some(notice) = &state.notice {
                    <Notice text={AttrValue::from(notice.clone())} dispatch={dispatch.clone()} />
                }
                <section class="controls" aria-label="Settings">
                    <FieldGroup fields={basic} texts={state.texts.clone()} diags={state.diags.clone()} on_set={on_set.clone()} />
                    <Hosts hosts={hosts_i} lb_address={lb_i}
                        text={AttrValue::from(state.texts[hosts_i].clone())}
                        lb_text={AttrValue::from(state.texts[lb_i].clone())}
                        diags={diags_of(HOSTS[0])} lb_diags={diags_of(HOSTS[1])} on_set={on_set.clone()} />
                    <details open={advanced_error}>
                        <summary>{ "Advanced" }</summary>
                        <FieldGroup fields={advanced} texts={state.texts.clone()} diags={state.diags.clone()} on_set={on_set} />
                    </details>
                </section>
            </div>
            <section class="outputs" aria-label="Generated files">
                <div class="files">
                    <Status stale={state.stale} {errors} {warnings} />
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
                <Command spec={state.spec.clone()} />
                <div class="box">
                    <button type="button" onclick={on_download_all}>{ "Download all (.zip)" }</button>
                </div>
                <GoLive spec={state.spec.clone()} />
            </section>
        </main>
        <footer><p class="small">{ (*footer).clone() }</p></footer>
        </>
    }
}

/// Props of [`FieldGroup`].
#[derive(Properties)]
pub struct GroupProps {
    /// Indices in `FIELDS` of the fields shown, in order.
    pub fields: Rc<Vec<usize>>,
    /// Every field's text.
    pub texts: Rc<Vec<String>>,
    /// Every diagnostic.
    pub diags: Rc<Vec<Diagnostic>>,
    /// Called with (index, new text).
    pub on_set: Callback<(usize, String)>,
}

impl PartialEq for GroupProps {
    /// Equal when the group's own fields read the same and have the same diagnostics, so a
    /// move of one slider re-renders only the group that holds it.
    fn eq(&self, other: &Self) -> bool {
        let mine = |d: &&Diagnostic| self.fields.iter().any(|&i| FIELDS[i].name == d.top_field());
        Rc::ptr_eq(&self.fields, &other.fields)
            && self.on_set == other.on_set
            && self.fields.iter().all(|&i| self.texts[i] == other.texts[i])
            && (Rc::ptr_eq(&self.diags, &other.diags)
                || self
                    .diags
                    .iter()
                    .filter(mine)
                    .eq(other.diags.iter().filter(mine)))
    }
}

/// A run of field controls, rendered again only when one of its own fields changes.
#[function_component(FieldGroup)]
fn field_group(props: &GroupProps) -> Html {
    props
        .fields
        .iter()
        .map(|&i| {
            let name = FIELDS[i].name;
            let diags: Vec<Diagnostic> = props
                .diags
                .iter()
                .filter(|d| d.top_field() == name)
                .cloned()
                .collect();
            html! {
                <FieldControl key={name} index={i} text={AttrValue::from(props.texts[i].clone())}
                    diags={Rc::new(diags)} on_set={props.on_set.clone()} />
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Action, State};
    use yew::Reducible;

    fn props(
        state: &State,
        fields: &Rc<Vec<usize>>,
        on_set: &Callback<(usize, String)>,
    ) -> GroupProps {
        GroupProps {
            fields: fields.clone(),
            texts: state.texts.clone(),
            diags: state.diags.clone(),
            on_set: on_set.clone(),
        }
    }

    fn index(name: &str) -> usize {
        FIELDS.iter().position(|f| f.name == name).unwrap()
    }

    #[test]
    fn a_group_changes_only_when_its_own_fields_or_their_diagnostics_change() {
        let basic = Rc::new(vec![index("replicas"), index("base_port")]);
        let advanced = Rc::new(vec![index("harakiri")]);
        let on_set = Callback::from(|_: (usize, String)| ());
        let before = Rc::new(State::default());

        // A replicas move: the basic group renders again, the advanced group does not.
        let moved = before
            .clone()
            .reduce(Action::Set(index("replicas"), "10".into()));
        assert!(props(&before, &basic, &on_set) != props(&moved, &basic, &on_set));
        assert!(props(&before, &advanced, &on_set) == props(&moved, &advanced, &on_set));

        // An invalid harakiri: the advanced group shows its error.
        let bad = moved
            .clone()
            .reduce(Action::Set(index("harakiri"), "x".into()));
        assert!(props(&moved, &advanced, &on_set) != props(&bad, &advanced, &on_set));
        assert!(props(&moved, &basic, &on_set) == props(&bad, &basic, &on_set));

        // A diagnostic on a field whose text did not change (a rule that spans fields)
        // re-renders the group that holds that field, and only that group.
        let mut cross = props(&moved, &advanced, &on_set);
        cross.diags = Rc::new(vec![Diagnostic::error("x", "harakiri", "m", "h")]);
        assert!(props(&moved, &advanced, &on_set) != cross);
        let mut same_basic = props(&moved, &basic, &on_set);
        same_basic.diags = cross.diags.clone();
        assert!(props(&moved, &basic, &on_set) == same_basic);
    }
}
