//! One output file: a region named after the file, its text patched line by line, with Copy
//! and Download.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Node};
use yew::prelude::*;

use crate::browser;
use crate::lines::{classify, diff, Kind};

/// Props of [`Pane`].
#[derive(Properties, PartialEq)]
pub struct PaneProps {
    /// File name, also the region's name.
    pub name: AttrValue,
    /// Full file text.
    pub contents: AttrValue,
    /// The text is from an earlier, valid input.
    pub stale: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum CopyState {
    Idle,
    Copied,
    Selected,
}

/// An output pane.
#[function_component(Pane)]
pub fn pane(props: &PaneProps) -> Html {
    let code = use_node_ref();
    // The text currently in the DOM, to diff against.
    let shown: Rc<RefCell<AttrValue>> = use_mut_ref(AttrValue::default);
    let copy_state = use_state(|| CopyState::Idle);

    {
        let code = code.clone();
        let name = props.name.clone();
        use_effect_with(props.contents.clone(), move |contents| {
            if let Some(el) = code.cast::<Element>() {
                let mut shown = shown.borrow_mut();
                patch(&el, &shown, contents);
                // An AttrValue clone shares the text; nothing is copied.
                *shown = contents.clone();
                browser::mark_patched(&name);
            }
        });
    }

    let on_copy = {
        let contents = props.contents.clone();
        let copy_state = copy_state.clone();
        let code = code.clone();
        Callback::from(move |_| {
            let contents = contents.clone();
            let copy_state = copy_state.clone();
            let code = code.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match browser::copy(&contents).await {
                    Ok(()) => copy_state.set(CopyState::Copied),
                    Err(()) => {
                        if let Some(node) = code.cast::<Node>() {
                            browser::select_all(&node);
                        }
                        copy_state.set(CopyState::Selected);
                    }
                }
                let reset = copy_state.clone();
                gloo::timers::callback::Timeout::new(2_000, move || reset.set(CopyState::Idle))
                    .forget();
            });
        })
    };
    let on_download = {
        let (name, contents) = (props.name.clone(), props.contents.clone());
        Callback::from(move |_| browser::download(&name, "text/plain", contents.as_bytes()))
    };
    let id = format!("pane-{}", props.name.replace('.', "-"));
    let copy_label = match *copy_state {
        CopyState::Idle => "Copy",
        CopyState::Copied => "Copied",
        CopyState::Selected => "Selected: press Ctrl+C",
    };
    html! {
        <section class={classes!("pane", props.stale.then_some("stale"))} role="region" aria-labelledby={id.clone()}>
            <header>
                <h2 id={id}>{ &props.name }</h2>
                <button type="button" onclick={on_copy} aria-label={format!("Copy {}", props.name)}>{ copy_label }</button>
                <button type="button" onclick={on_download} aria-label={format!("Download {}", props.name)}>{ "Download" }</button>
            </header>
            <pre tabindex="0" aria-label={format!("{} contents", props.name)}><code ref={code}></code></pre>
        </section>
    }
}

/// Turns the DOM lines in `el` from `shown` into `contents`, touching only changed lines.
/// Lines are borrowed slices of the two texts: no allocation per line.
fn patch(el: &Element, shown: &str, contents: &str) {
    let document = el.owner_document().expect("document");
    let old: Vec<&str> = shown.lines().collect();
    let new: Vec<&str> = contents.lines().collect();
    let first = old.is_empty();
    let children = el.children();
    // Apply back to front so earlier indices stay valid.
    for h in diff(&old, &new).iter().rev() {
        for _ in 0..h.old_len {
            if let Some(child) = children.item(h.old_at as u32) {
                child.remove();
            }
        }
        let before: Option<Node> = children.item(h.old_at as u32).map(Into::into);
        for line in &new[h.new_at..h.new_at + h.new_len] {
            let _ = el.insert_before(&line_node(&document, line, !first), before.as_ref());
        }
    }
}

/// One line: `<span class="line [changed]">` with light highlighting, ending in `\n`, built
/// with text nodes only (never HTML parsing).
fn line_node(document: &Document, line: &str, changed: bool) -> Node {
    let span = document.create_element("span").expect("span");
    span.set_class_name(if changed { "line changed" } else { "line" });
    let part = |class: &str, text: &str| {
        let s = document.create_element("span").expect("span");
        s.set_class_name(class);
        s.set_text_content(Some(text));
        let _ = span.append_child(&s);
    };
    match classify(line) {
        Kind::Comment => part("c", line),
        Kind::Section => part("s", line),
        Kind::Keyed(at) if line.is_char_boundary(at) => {
            part("k", &line[..at]);
            let _ = span.append_child(&document.create_text_node(&line[at..]));
        }
        _ => {
            let _ = span.append_child(&document.create_text_node(line));
        }
    }
    let _ = span.append_child(&document.create_text_node("\n"));
    span.unchecked_into()
}
