//! The status line above the files, and the notice about the link the page was opened with.

use yew::prelude::*;

use crate::state::Action;

// Plain view functions, not components: the page renders them again with every change
// anyway, and each component costs the wasm its own lifecycle code.

/// Valid, valid with warnings, or out of date (`stale`: the files are from earlier, valid
/// input): announced politely.
pub fn status(stale: bool, errors: usize, warnings: usize) -> Html {
    let text = if stale {
        format!("{errors} error(s): the files below are out of date, from your last valid settings. Fix the marked fields to update them.")
    } else if warnings > 0 {
        format!("Valid, with {warnings} warning(s) beside the fields.")
    } else {
        "Valid.".to_string()
    };
    // `~className`, not a computed `class=`: see the module docs of `components`.
    html! {
        <p ~className={if stale { "status stale" } else { "status" }} role="status" aria-live="polite">{ text }</p>
    }
}

/// A dismissible message about the URL the page was opened with; `dispatch` sends the
/// dismissal.
pub fn notice(text: &str, dispatch: &Callback<Action>) -> Html {
    let onclick = dispatch.reform(|_| Action::DismissNotice);
    html! {
        <div class="notice" role="status">
            { text }
            <button type="button" {onclick}>{ "Dismiss" }</button>
        </div>
    }
}
