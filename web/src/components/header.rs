//! The page's header: title, presets, reset, and the share-link button.

use std::rc::Rc;

use yew::prelude::*;

use crate::state::{Action, PRESETS};
use crate::{browser, share};

/// Props of [`Header`].
#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    /// Sends an action to the page's state.
    pub dispatch: Callback<Action>,
    /// Every field's text, for the share link.
    pub texts: Rc<Vec<String>>,
}

/// Title, presets, reset and share.
#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    let share_state = use_state(|| "Copy share link");
    let on_share = {
        let share_state = share_state.clone();
        let texts = props.texts.clone();
        // The link is built on click, not on every render (renders follow every slider move).
        Callback::from(move |_| {
            let query = share::to_query(&texts);
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
    let on_reset = props.dispatch.reform(|_| Action::Reset);
    html! {
        <header class="top">
            <h1>{ "Trident" }</h1>
            <p>{ "One spec, three matching files: supervisord.conf, uWSGI webapp.ini and nginx.conf for N replicas of a Python WSGI app." }</p>
            <nav aria-label="Presets">
                { for PRESETS.iter().map(|p| {
                    let onclick = props.dispatch.reform(move |_| Action::Preset(p));
                    html! { <button type="button" {onclick}>{ p.name }</button> }
                }) }
                <button type="button" onclick={on_reset}>{ "Reset to defaults" }</button>
                <button type="button" onclick={on_share}>{ *share_state }</button>
            </nav>
        </header>
    }
}
