//! The page's header: title, presets, reset, and the share-link button.

use std::rc::Rc;

use yew::prelude::*;

use crate::state::{Action, PRESETS};
use crate::{browser, share};

/// Title, presets, reset and share: `dispatch` sends an action to the page's state, `texts`
/// (every field's text) make the share link, and `share_label` is what the share button says.
/// A view function, not a component: each component costs the wasm its own lifecycle code.
pub fn header(
    dispatch: &Callback<Action>,
    texts: &Rc<Vec<String>>,
    share_label: &'static str,
) -> Html {
    let on_share = {
        let dispatch = dispatch.clone();
        let texts = texts.clone();
        // The link is built on click, not on every render (renders follow every slider move).
        Callback::from(move |_| {
            let query = share::to_query(&texts);
            let link = if query.is_empty() {
                browser::address()
            } else {
                format!("{}?{query}", browser::address())
            };
            let dispatch = dispatch.clone();
            browser::copy(&link, move |copied| {
                dispatch.emit(Action::ShareLabel(if copied {
                    "Link copied"
                } else {
                    "Copy the address bar"
                }));
            });
        })
    };
    let on_reset = dispatch.reform(|_| Action::Reset);
    html! {
        <header class="top">
            <h1>{ "Trident" }</h1>
            <p>{ "One spec, three matching files: supervisord.conf, uWSGI webapp.ini and nginx.conf for N replicas of a Python WSGI app." }</p>
            <nav aria-label="Presets">
                { for PRESETS.iter().map(|p| {
                    let onclick = dispatch.reform(move |_| Action::Preset(p));
                    html! { <button type="button" {onclick}>{ p.name }</button> }
                }) }
                <button type="button" onclick={on_reset}>{ "Reset to defaults" }</button>
                <button type="button" onclick={on_share}>{ share_label }</button>
            </nav>
        </header>
    }
}
