//! One output file: a region named after the file, its text patched line by line, with Copy
//! and Download.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, Node};
use yew::prelude::*;

use crate::browser;
use crate::lines::{classify, diff, line_ranges, Hunk, Kind};

/// Lines added and removed between two texts.
fn count(before: &str, after: &str) -> (usize, usize) {
    let (a, b): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    diff(&a, &b)
        .iter()
        .fold((0, 0), |(add, rem), h| (add + h.new_len, rem + h.old_len))
}

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

/// How long after the user scrolled a pane it is left where they put it.
const USER_SCROLL_MS: f64 = 3_000.0;
/// Changes closer together than this are one burst: the marker counts from the burst's start.
const BURST_MS: f64 = 1_500.0;

/// Where a pane is scrolled, and by whom; and what changed since the burst began.
#[derive(Default)]
struct Follow {
    /// When the user last scrolled the pane (ms since navigation), or never.
    user_scrolled_at: Option<f64>,
    /// The scroll position the page itself set last, whose scroll event is not the user's.
    set_by_page: Option<i32>,
    /// The text when the current burst of changes began.
    base: AttrValue,
    /// When the latest change came, if one did.
    last_change_at: Option<f64>,
    /// The line to bring into view: the first changed line of the latest change.
    target: Option<usize>,
    /// The animation frame that will bring it into view, once per frame: reading where a
    /// line is forces a layout, which the frame computes anyway, but not the input handler.
    frame: Option<gloo::render::AnimationFrame>,
}

impl Follow {
    /// Brings [`Follow::target`] into view in the pane whose `<code>` is `code`.
    fn reveal_target(&mut self, code: &NodeRef, shown: &Shown) {
        let pre = code
            .cast::<Element>()
            .and_then(|c| c.parent_element())
            .and_then(|p| p.dyn_into::<HtmlElement>().ok());
        let line = self
            .target
            .and_then(|i| shown.nodes.get(i))
            .and_then(|l| l.dyn_ref::<HtmlElement>().cloned());
        if let (Some(pre), Some(line)) = (pre, line) {
            self.reveal(&pre, &line);
        }
    }

    /// Scrolls `pre` so that line node `line` is in view, unless it is already; the position
    /// is remembered as the page's, not the user's.
    fn reveal(&mut self, pre: &HtmlElement, line: &HtmlElement) {
        let (top, view, at) = (line.offset_top(), pre.client_height(), pre.scroll_top());
        let height = line.offset_height().max(1);
        if top >= at && top + height <= at + view {
            return;
        }
        pre.set_scroll_top((top - view / 4).max(0));
        self.set_by_page = Some(pre.scroll_top());
    }
}

/// An output pane.
#[function_component(Pane)]
pub fn pane(props: &PaneProps) -> Html {
    let code = use_node_ref();
    let section = use_node_ref();
    // The text currently in the DOM and its line nodes, to diff against.
    let shown: Rc<RefCell<Shown>> = use_mut_ref(Shown::default);
    let follow: Rc<RefCell<Follow>> = use_mut_ref(Follow::default);
    // Lines added and removed since the current burst of changes began.
    let marker = use_state(|| None::<(usize, usize)>);
    let copy_state = use_state(|| CopyState::Idle);

    {
        let (code, shown, follow, marker) =
            (code.clone(), shown.clone(), follow.clone(), marker.clone());
        let name = props.name.clone();
        use_effect_with(props.contents.clone(), move |contents| {
            follow_change(&code, &shown, &follow, &marker, &name, contents)
        });
    }

    // A scroll that the page did not make is the user's: leave the pane alone for a while.
    let on_scroll = {
        let follow = follow.clone();
        Callback::from(move |e: Event| {
            let pre: HtmlElement = e.target_unchecked_into();
            let mut f = follow.borrow_mut();
            match f.set_by_page.take() {
                Some(at) if (at - pre.scroll_top()).abs() <= 1 => {}
                _ => f.user_scrolled_at = Some(browser::now()),
            }
        })
    };
    // The marker brings the pane, and its change, into view.
    let on_marker = {
        let (code, section, shown, follow) =
            (code.clone(), section.clone(), shown.clone(), follow.clone());
        Callback::from(move |_| {
            if let Some(section) = section.cast::<Element>() {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                if !browser::prefers_reduced_motion() {
                    options.set_behavior(web_sys::ScrollBehavior::Smooth);
                }
                section.scroll_into_view_with_scroll_into_view_options(&options);
            }
            let mut f = follow.borrow_mut();
            f.user_scrolled_at = None;
            f.reveal_target(&code, &shown.borrow());
        })
    };

    let on_copy = copy_button(props.contents.clone(), copy_state.clone(), code.clone());
    let on_download = {
        let (name, contents) = (props.name.clone(), props.contents.clone());
        Callback::from(move |_| {
            browser::download(&name.replace('/', "-"), "text/plain", contents.as_bytes())
        })
    };
    let id = format!("pane-{}", props.name.replace(['.', '/'], "-"));
    let copy_label = match *copy_state {
        CopyState::Idle => "Copy",
        CopyState::Copied => "Copied",
        CopyState::Selected => "Selected: press Ctrl+C",
    };
    // The accessible name begins with the visible text, so a voice-control user who says
    // what they see presses it (WCAG 2.5.3, label in name).
    let marker = marker.map(|(added, removed)| {
        let shown = format!("+{added} \u{2212}{removed}");
        html! {
            <button type="button" class="marker" onclick={on_marker}
                aria-label={format!("{shown}: {} changed, {added} lines added, {removed} removed. Show the change", props.name)}>
                { shown }
            </button>
        }
    });
    // `~className`, not a computed `class=`: see the module docs of `components`.
    html! {
        <section ref={section} ~className={if props.stale { "pane stale" } else { "pane" }} role="region" aria-labelledby={id.clone()}>
            <header>
                <h2 id={id}>{ &props.name }</h2>
                { for marker }
                <button type="button" onclick={on_copy} aria-label={format!("Copy {}", props.name)}>{ copy_label }</button>
                <button type="button" onclick={on_download} aria-label={format!("Download {}", props.name)}>{ "Download" }</button>
            </header>
            <pre tabindex="0" aria-label={format!("{} contents", props.name)} onscroll={on_scroll}><code ref={code}></code></pre>
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
    /// Turns the lines in `el` into those of `contents`, touching only changed lines; returns
    /// the hunks it applied.
    fn patch(&mut self, el: &Element, contents: &AttrValue) -> Vec<Hunk> {
        let Some(document) = el.owner_document() else {
            return Vec::new();
        };
        let new_lines = line_ranges(contents);
        let old: Vec<&str> = self.lines.iter().map(|&(a, b)| &self.text[a..b]).collect();
        let new: Vec<&str> = new_lines.iter().map(|&(a, b)| &contents[a..b]).collect();
        let first = old.is_empty();
        let hunks = diff(&old, &new);
        // Apply back to front so earlier indices stay valid.
        for h in hunks.iter().rev() {
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
        hunks
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

/// After the pane's text changed: patch the DOM, update the marker's counts, announce the
/// change, and bring its first changed line into view in the next frame (unless the user
/// scrolled the pane lately).
fn follow_change(
    code: &NodeRef,
    shown: &Rc<RefCell<Shown>>,
    follow: &Rc<RefCell<Follow>>,
    marker: &UseStateHandle<Option<(usize, usize)>>,
    name: &AttrValue,
    contents: &AttrValue,
) {
    let Some(el) = code.cast::<Element>() else {
        return;
    };
    let before = shown.borrow().text.clone();
    let hunks = shown.borrow_mut().patch(&el, contents);
    browser::mark_patched(name);
    if before.is_empty() || hunks.is_empty() {
        return;
    }
    let now = browser::now();
    let mut f = follow.borrow_mut();
    if f.last_change_at.is_none_or(|t| now - t > BURST_MS) {
        f.base = before;
    }
    f.last_change_at = Some(now);
    let counts = count(&f.base, contents);
    if **marker != Some(counts) {
        marker.set(Some(counts));
    }
    browser::announce_change(name, counts.0, counts.1);
    // The first changed line that is not a comment (the "Reproduce with" line changes
    // with every move), or else the first changed line.
    let s = shown.borrow();
    // Lazily: a program-prefix keystroke at 1,024 replicas changes thousands of lines.
    let mut changed = hunks.iter().flat_map(|h| h.new_at..h.new_at + h.new_len);
    let first = changed.clone().next();
    f.target = changed
        .find(|&i| {
            let (a, b) = s.lines[i];
            !matches!(classify(&s.text[a..b]), Kind::Comment)
        })
        .or(first)
        .or_else(|| {
            hunks
                .first()
                .map(|h| h.new_at.min(s.nodes.len().saturating_sub(1)))
        });
    let user_recently = f.user_scrolled_at.is_some_and(|t| now - t < USER_SCROLL_MS);
    if user_recently || f.frame.is_some() {
        return;
    }
    drop(s);
    let (shown, follow2, code) = (shown.clone(), follow.clone(), code.clone());
    f.frame = Some(gloo::render::request_animation_frame(move |_| {
        let mut f = follow2.borrow_mut();
        f.frame = None;
        f.reveal_target(&code, &shown.borrow());
    }));
}

/// Copy: to the clipboard, or, where the browser refuses, the text selected for Ctrl+C.
fn copy_button(
    contents: AttrValue,
    copy_state: UseStateHandle<CopyState>,
    code: NodeRef,
) -> Callback<MouseEvent> {
    Callback::from(move |_| {
        let (copy_state, code) = (copy_state.clone(), code.clone());
        browser::copy(&contents, move |copied| {
            if copied {
                copy_state.set(CopyState::Copied);
            } else {
                if let Some(node) = code.cast::<Node>() {
                    browser::select_all(&node);
                }
                copy_state.set(CopyState::Selected);
            }
            let reset = copy_state.clone();
            gloo::timers::callback::Timeout::new(2_000, move || reset.set(CopyState::Idle))
                .forget();
        });
    })
}
