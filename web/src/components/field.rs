//! One spec field as a labelled control, with its diagnostics beside it.

use std::rc::Rc;

use trident_core::{Diagnostic, Field, Kind, FIELDS};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::browser;
use crate::state::Action;

/// Props of [`FieldControl`].
#[derive(Properties, PartialEq)]
pub struct FieldProps {
    /// Index in `FIELDS`.
    pub index: usize,
    /// Current text.
    pub text: AttrValue,
    /// Diagnostics about this field.
    pub diags: Rc<Vec<Diagnostic>>,
    /// Sends `Action::Set(index, new text)`.
    pub dispatch: Callback<Action>,
}

/// A labelled control for one field.
#[function_component(FieldControl)]
pub fn field_control(props: &FieldProps) -> Html {
    let f: &Field = &FIELDS[props.index];
    let id = format!("f-{}", f.name);
    let label_id = format!("l-{}", f.name);
    let diag_id = format!("d-{}", f.name);
    let invalid = props.diags.iter().any(Diagnostic::is_error);
    let described = (!props.diags.is_empty()).then(|| diag_id.clone());
    let aria_invalid = if invalid { "true" } else { "false" };
    let index = props.index;
    let set = {
        let dispatch = props.dispatch.clone();
        move |text: String| {
            browser::mark_input();
            dispatch.emit(Action::Set(index, text));
        }
    };
    let on_input = {
        let set = set.clone();
        Callback::from(move |e: InputEvent| {
            set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };

    // A slider with a number box where the field table gives one.
    let control = if let Some((min, max)) = &f.slider {
        let slider_value = props
            .text
            .trim()
            .parse::<u32>()
            .map(|v| v.clamp(*min, *max))
            .unwrap_or(*min);
        html! {
            <div class="slider">
                <input type="range" id={id.clone()} min={min.to_string()} max={max.to_string()} step="1"
                    value={slider_value.to_string()} aria-labelledby={label_id.clone()}
                    aria-invalid={aria_invalid} aria-describedby={described.clone()} oninput={on_input.clone()} />
                <input type="number" class="number" inputmode="numeric" value={props.text.clone()}
                    aria-labelledby={label_id.clone()} aria-invalid={aria_invalid}
                    aria-describedby={described.clone()} oninput={on_input} />
            </div>
        }
    } else if f.kind == Kind::Choice {
        let on_change = {
            let set = set.clone();
            Callback::from(move |e: Event| {
                set(e.target_unchecked_into::<HtmlSelectElement>().value())
            })
        };
        html! {
            <select id={id.clone()} aria-labelledby={label_id.clone()} aria-invalid={aria_invalid}
                aria-describedby={described.clone()} onchange={on_change}>
                { for f.choices.iter().map(|c| html! { <option value={*c} selected={props.text == *c}>{ *c }</option> }) }
            </select>
        }
    } else if f.kind == Kind::Switch {
        let on_change = {
            let set = set.clone();
            Callback::from(move |e: Event| {
                set(e
                    .target_unchecked_into::<HtmlInputElement>()
                    .checked()
                    .to_string())
            })
        };
        html! {
            <input type="checkbox" id={id.clone()} checked={props.text == "true"} aria-labelledby={label_id.clone()}
                aria-invalid={aria_invalid} aria-describedby={described.clone()} onchange={on_change} />
        }
    } else if f.kind == Kind::Entries {
        let on_text = Callback::from(move |e: InputEvent| {
            set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        });
        html! {
            <textarea id={id.clone()} rows="3" spellcheck="false" placeholder="KEY=VALUE, one per line"
                aria-labelledby={label_id.clone()} aria-invalid={aria_invalid} aria-describedby={described.clone()}
                value={props.text.clone()} oninput={on_text} />
        }
    } else {
        let numeric = f.kind == Kind::Number;
        html! {
            <input type="text" id={id.clone()} spellcheck="false" inputmode={numeric.then_some("numeric")}
                placeholder={(!numeric).then_some("default")} value={props.text.clone()}
                aria-labelledby={label_id.clone()} aria-invalid={aria_invalid} aria-describedby={described.clone()}
                oninput={on_input} />
        }
    };

    // `~className`, not a computed `class=`: see the module docs of `components`.
    html! {
        <div ~className={if invalid { "field invalid" } else { "field" }}>
            <label id={label_id} for={id}>{ f.label }</label>
            { control }
            <small class="help">{ f.help }</small>
            if !props.diags.is_empty() {
                <div id={diag_id} class="diags">
                    { diag_lines(&props.diags) }
                </div>
            }
        </div>
    }
}

/// Each diagnostic as a paragraph: its level, message and hint.
pub fn diag_lines(diags: &[Diagnostic]) -> Html {
    diags
        .iter()
        .map(|d| {
            html! {
                <p ~className={if d.is_error() { "error" } else { "warning" }}>
                    <strong>{ if d.is_error() { "Error: " } else { "Warning: " } }</strong>
                    { &d.message }<br/><span class="hint">{ &d.hint }</span>
                </p>
            }
        })
        .collect()
}
