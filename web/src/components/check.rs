//! *Check my files*: the user's own supervisord, uWSGI and nginx files, pasted, picked or
//! dropped (a zip of them too), linted by the core's rules with the CLI's ids and hints,
//! and imported into a spec that *Open as spec* loads into the controls.
//!
//! Lint and import run in a Web Worker ([`crate::checker`]) that the page starts the first
//! time files are given: their code is not part of the page's first load.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DragEvent, HtmlInputElement, HtmlTextAreaElement, MessageEvent, Worker};
use yew::prelude::*;

use crate::state::Action;

/// Most files the view holds, the worker's own limit (a constant: no worker code comes
/// with it).
use crate::checker::MAX_FILES;

/// The worker's loader, next to the page (Trunk's `data-loader-shim`).
const WORKER: &str = "./check_loader.js";

/// Props of [`Check`].
#[derive(Properties, PartialEq)]
pub struct CheckProps {
    /// Sends *Open as spec*.
    pub dispatch: Callback<Action>,
}

/// One finding, as the worker sends it.
#[derive(PartialEq)]
struct Found {
    file: String,
    line: u32,
    column: u32,
    level: String,
    rule: String,
    message: String,
    hint: String,
    why: String,
}

/// The worker's answer (see [`crate::checker`]).
#[derive(Default, PartialEq)]
struct Answer {
    /// (path, kind, text).
    files: Vec<(String, String, String)>,
    findings: Vec<Found>,
    /// (kind, file, line, message).
    notes: Vec<(String, String, u32, String)>,
    /// The imported spec, as every field's text.
    texts: Option<Rc<Vec<String>>>,
}

fn text_at(a: &Array, i: u32) -> String {
    a.get(i).as_string().unwrap_or_default()
}

fn number_at(a: &Array, i: u32) -> u32 {
    a.get(i).as_f64().unwrap_or(0.0) as u32
}

fn rows(a: &Array, i: u32) -> Vec<Array> {
    a.get(i)
        .dyn_into::<Array>()
        .map(|r| r.iter().map(JsCast::unchecked_into).collect())
        .unwrap_or_default()
}

impl Answer {
    fn read(a: &Array) -> Answer {
        Answer {
            files: rows(a, 0)
                .iter()
                .map(|r| (text_at(r, 0), text_at(r, 1), text_at(r, 2)))
                .collect(),
            findings: rows(a, 1)
                .iter()
                .map(|r| Found {
                    file: text_at(r, 0),
                    line: number_at(r, 1),
                    column: number_at(r, 2),
                    level: text_at(r, 3),
                    rule: text_at(r, 4),
                    message: text_at(r, 5),
                    hint: text_at(r, 6),
                    why: text_at(r, 7),
                })
                .collect(),
            notes: rows(a, 2)
                .iter()
                .map(|r| (text_at(r, 0), text_at(r, 1), number_at(r, 2), text_at(r, 3)))
                .collect(),
            texts: a.get(3).dyn_into::<Array>().ok().map(|t| {
                Rc::new(
                    t.iter()
                        .map(|v| v.as_string().unwrap_or_default())
                        .collect(),
                )
            }),
        }
    }
}

/// The worker, once started: messages wait until it says it is ready.
struct Link {
    worker: Worker,
    ready: bool,
    pending: Option<Array>,
    _on_message: Closure<dyn Fn(MessageEvent)>,
}

type Shared = Rc<RefCell<Option<Link>>>;

/// Sends `files` to the worker, starting it the first time.
fn send(link: &Shared, files: &[(String, Vec<u8>)], answer: UseStateSetter<Option<Rc<Answer>>>) {
    let message: Array = files
        .iter()
        .map(|(name, bytes)| {
            let pair = Array::new();
            pair.push(&JsValue::from_str(name));
            pair.push(&Uint8Array::from(bytes.as_slice()));
            JsValue::from(pair)
        })
        .collect();
    let mut slot = link.borrow_mut();
    if slot.is_none() {
        let Ok(worker) = Worker::new(WORKER) else {
            return;
        };
        let shared = link.clone();
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e.data();
            if data.as_string().as_deref() == Some("ready") {
                if let Some(l) = shared.borrow_mut().as_mut() {
                    l.ready = true;
                    if let Some(m) = l.pending.take() {
                        let _ = l.worker.post_message(&m);
                    }
                }
            } else if let Ok(a) = data.dyn_into::<Array>() {
                answer.set(Some(Rc::new(Answer::read(&a))));
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        *slot = Some(Link {
            worker,
            ready: false,
            pending: None,
            _on_message: on_message,
        });
    }
    if let Some(l) = slot.as_mut() {
        if l.ready {
            let _ = l.worker.post_message(&message);
        } else {
            l.pending = Some(message);
        }
    }
}

/// Reads picked or dropped files, then hands each to `done`.
fn read_files(list: web_sys::FileList, done: Callback<Vec<(String, Vec<u8>)>>) {
    let files: Vec<gloo::file::File> = (0..list.length().min(MAX_FILES as u32))
        .filter_map(|i| list.get(i))
        .map(gloo::file::File::from)
        .collect();
    for f in files {
        let name = f.name();
        let done = done.clone();
        // The reader lives until its callback has run.
        let reader = Rc::new(RefCell::new(None));
        let keep = reader.clone();
        *reader.borrow_mut() = Some(gloo::file::callbacks::read_as_bytes(&f, move |r| {
            if let Ok(bytes) = r {
                done.emit(vec![(name, bytes)]);
            }
            keep.borrow_mut().take();
        }));
    }
}

/// The view: where files go in, then per file its lines with their findings beside them.
#[function_component(Check)]
pub fn check(props: &CheckProps) -> Html {
    let given = use_mut_ref(Vec::<(String, Vec<u8>)>::new);
    let pasted = use_mut_ref(|| 0u32);
    let answer = use_state(|| None::<Rc<Answer>>);
    let link: Shared = use_mut_ref(|| None);
    let paste = use_node_ref();
    let add = {
        let (given, link, setter) = (given.clone(), link.clone(), answer.setter());
        Callback::from(move |more: Vec<(String, Vec<u8>)>| {
            let files = {
                let mut g = given.borrow_mut();
                for (name, bytes) in more {
                    if let Some(f) = g.iter_mut().find(|(n, _)| *n == name) {
                        f.1 = bytes;
                    } else if g.len() < MAX_FILES {
                        g.push((name, bytes));
                    }
                }
                g.clone()
            };
            send(&link, &files, setter.clone());
        })
    };
    let on_paste = {
        let (paste, add) = (paste.clone(), add.clone());
        Callback::from(move |_| {
            if let Some(area) = paste.cast::<HtmlTextAreaElement>() {
                let text = area.value();
                if !text.trim().is_empty() {
                    let n = {
                        let mut p = pasted.borrow_mut();
                        *p += 1;
                        *p
                    };
                    add.emit(vec![(format!("pasted-{n}"), text.into_bytes())]);
                    area.set_value("");
                }
            }
        })
    };
    let on_pick = {
        let add = add.clone();
        Callback::from(move |e: Event| {
            let input: Option<HtmlInputElement> = e.target().and_then(|t| t.dyn_into().ok());
            if let Some(list) = input.as_ref().and_then(HtmlInputElement::files) {
                read_files(list, add.clone());
            }
        })
    };
    let on_drop = {
        let add = add.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if let Some(list) = e.data_transfer().and_then(|d| d.files()) {
                read_files(list, add.clone());
            }
        })
    };
    let on_over = Callback::from(|e: DragEvent| e.prevent_default());
    let on_clear = {
        let (given, answer) = (given.clone(), answer.clone());
        Callback::from(move |_| {
            given.borrow_mut().clear();
            answer.set(None);
        })
    };
    html! {
        <details class="box check" id="check">
            <summary>{ "Check my files" }</summary>
            <p class="small">{ "Your own supervisord.conf, uWSGI ini files and nginx.conf (with what it includes), held against each other with the rules of trident lint. They stay in this browser." }</p>
            <div class="drop" ondrop={on_drop} ondragover={on_over}>
                <label for="check-pick">{ "Pick or drop files (or a .zip of them)" }</label>
                <input id="check-pick" type="file" multiple=true onchange={on_pick} />
            </div>
            <label for="check-paste">{ "Or paste one file" }</label>
            <textarea id="check-paste" ref={paste} rows="6" spellcheck="false" />
            <div class="row">
                <button type="button" id="check-add" onclick={on_paste}>{ "Add pasted file" }</button>
                if answer.is_some() {
                    <button type="button" onclick={on_clear}>{ "Clear" }</button>
                }
            </div>
            if let Some(a) = answer.as_ref() {
                { result(a, &props.dispatch) }
            }
        </details>
    }
}

/// The summary, *Open as spec* with import's report, and every file.
fn result(a: &Answer, dispatch: &Callback<Action>) -> Html {
    let errors = a.findings.iter().filter(|f| f.level == "error").count();
    let warnings = a.findings.len() - errors;
    html! {
        <>
            <p id="check-summary" role="status">{ format!("{} file(s): {errors} error(s), {warnings} warning(s)", a.files.len()) }</p>
            if let Some(texts) = &a.texts {
                { report(&a.notes, dispatch.reform({
                    let texts = texts.clone();
                    move |_| Action::Import(texts.clone())
                })) }
            }
            { for a.files.iter().map(|(path, kind, text)| file_view(path, kind, text, &a.findings)) }
        </>
    }
}

/// *Open as spec* and what import fixed or could not carry over.
fn report(notes: &[(String, String, u32, String)], on_open: Callback<MouseEvent>) -> Html {
    html! {
        <div class="import">
            <button type="button" id="check-open" onclick={on_open}>{ "Open as spec" }</button>
            <span class="small">{ " loads the spec these files describe into the controls, with the fixes below" }</span>
            <ul class="notes">
                { for notes.iter().map(|(kind, file, line, message)| html! {
                    <li><code>{ format!("{file}:{line}") }</code>{ format!(" {kind}: {message}") }</li>
                }) }
            </ul>
        </div>
    }
}

/// One file: its lines, each finding right after the line it is on.
fn file_view(path: &str, kind: &str, text: &str, findings: &[Found]) -> Html {
    let mine: Vec<&Found> = findings.iter().filter(|f| f.file == path).collect();
    let lines = text.lines().count();
    html! {
        <section class="checked" aria-label={path.to_string()}>
            <h2>{ format!("{path} ({kind}): {} finding(s)", mine.len()) }</h2>
            // Scrolls on its own: focusable, so a keyboard can scroll it.
            <ol class="lines" tabindex="0" aria-label={format!("lines of {path}")}>
                { for text.lines().enumerate().map(|(i, line)| {
                    let n = i as u32 + 1;
                    html! {
                        <li>
                            <code>{ line }</code>
                            { for mine.iter().filter(|f| f.line == n).map(|f| finding(f)) }
                        </li>
                    }
                }) }
            </ol>
            // Findings past the last line (a file that is empty or unreadable).
            { for mine.iter().filter(|f| f.line as usize > lines).map(|f| finding(f)) }
        </section>
    }
}

fn finding(f: &Found) -> Html {
    let class = if f.level == "error" {
        "finding error"
    } else {
        "finding warning"
    };
    html! {
        <div ~className={class} data-rule={f.rule.clone()}>
            <strong>{ format!("{}[{}]", f.level, f.rule) }</strong>{ format!(" {}:{}: {}", f.line, f.column, f.message) }
            <div class="small">{ format!("hint: {}", f.hint) }</div>
            <div class="small">{ format!("why: {}", f.why) }</div>
        </div>
    }
}
