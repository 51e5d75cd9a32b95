//! The status line above the files, and the notice about the link the page was opened with.

use yew::prelude::*;

use crate::state::Action;

/// Props of [`Status`].
#[derive(Properties, PartialEq)]
pub struct StatusProps {
    /// The files are from earlier, valid input.
    pub stale: bool,
    /// Number of errors.
    pub errors: usize,
    /// Number of warnings.
    pub warnings: usize,
}

/// Valid, valid with warnings, or out of date: announced politely.
#[function_component(Status)]
pub fn status(props: &StatusProps) -> Html {
    let text = if props.stale {
        format!("{} error(s): the files below are out of date, from your last valid settings. Fix the marked fields to update them.", props.errors)
    } else if props.warnings > 0 {
        format!(
            "Valid, with {} warning(s) beside the fields.",
            props.warnings
        )
    } else {
        "Valid.".to_string()
    };
    html! {
        <p class={classes!("status", props.stale.then_some("stale"))} role="status" aria-live="polite">{ text }</p>
    }
}

/// Props of [`Notice`].
#[derive(Properties, PartialEq)]
pub struct NoticeProps {
    /// What to say.
    pub text: AttrValue,
    /// Sends the dismissal.
    pub dispatch: Callback<Action>,
}

/// A dismissible message about the URL the page was opened with.
#[function_component(Notice)]
pub fn notice(props: &NoticeProps) -> Html {
    let onclick = props.dispatch.reform(|_| Action::DismissNotice);
    html! {
        <div class="notice" role="status">
            { props.text.clone() }
            <button type="button" {onclick}>{ "Dismiss" }</button>
        </div>
    }
}
