//! One output file: a region named after the file, its text patched line by line, with Copy
//! and Download.

use std::cell::RefCell;
use std::rc::Rc;

use web_sys::{Document, Element, Node};
use yew::prelude::*;

use crate::browser;
use crate::lines::{classify, diff, line_ranges, Kind};

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
    // The text currently in the DOM and its line nodes, to diff against.
    let shown: Rc<RefCell<Shown>> = use_mut_ref(Shown::default);
    let copy_state = use_state(|| CopyState::Idle);

    {
        let code = code.clone();
        let name = props.name.clone();
        use_effect_with(props.contents.clone(), move |contents| {
            if let Some(el) = code.cast::<Element>() {
                shown.borrow_mut().patch(&el, contents);
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

/// What a pane's `<code>` shows: the text, where its lines start, and one node per line.
#[derive(Default)]
struct Shown {
    /// The text in the DOM (an `AttrValue` clone shares it; nothing is copied).
    text: AttrValue,
    /// Byte range of each line of `text`, without its `\n`.
    lines: Vec<(usize, usize)>,
    /// The `<span class="line">` of each line, in order: indexed here, not through the
    /// DOM's live `children` collection, whose `item(i)` walks the siblings.
    nodes: Vec<Element>,
}

impl Shown {
    /// Turns the lines in `el` into those of `contents`, touching only changed lines.
    fn patch(&mut self, el: &Element, contents: &AttrValue) {
        let Some(document) = el.owner_document() else {
            return;
        };
        let new_lines = line_ranges(contents);
        let old: Vec<&str> = self.lines.iter().map(|&(a, b)| &self.text[a..b]).collect();
        let new: Vec<&str> = new_lines.iter().map(|&(a, b)| &contents[a..b]).collect();
        let first = old.is_empty();
        // Apply back to front so earlier indices stay valid.
        for h in diff(&old, &new).iter().rev() {
            let gone = h.old_at..h.old_at + h.old_len;
            for node in &self.nodes[gone.clone()] {
                node.remove();
            }
            let before: Option<Node> = self.nodes.get(gone.end).map(|e| e.clone().into());
            let added: Vec<Element> = new[h.new_at..h.new_at + h.new_len]
                .iter()
                .map(|line| {
                    let node = line_node(&document, line, !first);
                    let _ = el.insert_before(&node, before.as_ref());
                    node
                })
                .collect();
            self.nodes.splice(gone, added);
        }
        self.lines = new_lines;
        self.text = contents.clone();
    }
}

/// One line: `<span class="line …">` with light highlighting, ending in `\n`, built with
/// text nodes only (never HTML parsing), in as few browser calls as the kind of line allows.
fn line_node(document: &Document, line: &str, changed: bool) -> Element {
    let span = document.create_element("span").expect("span");
    let kind = classify(line);
    let class = match (kind, changed) {
        (Kind::Comment, false) => "line c",
        (Kind::Comment, true) => "line changed c",
        (Kind::Section, false) => "line s",
        (Kind::Section, true) => "line changed s",
        (_, false) => "line",
        (_, true) => "line changed",
    };
    span.set_class_name(class);
    match kind {
        Kind::Keyed(at) if line.is_char_boundary(at) => {
            let key = document.create_element("span").expect("span");
            key.set_class_name("k");
            key.set_text_content(Some(&line[..at]));
            let _ = span.append_with_node_1(&key);
            let _ = span.append_with_str_1(&format!("{}\n", &line[at..]));
        }
        _ => span.set_text_content(Some(&format!("{line}\n"))),
    }
    span
}
