//! The few browser APIs the page uses: clipboard, downloads, the URL, timings.

#[cfg(feature = "bench")]
use std::cell::Cell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    /// A promise seen through `then(onFulfilled, onRejected)` with plain JS functions
    /// (js-sys's `then2` takes Rust closures that must outlive the call).
    type Thenable;
    #[wasm_bindgen(method)]
    fn then(this: &Thenable, fulfilled: &JsValue, rejected: &JsValue);
}

fn window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

/// Writes `text` to the clipboard, then calls `done` with whether it worked (`false` when
/// the browser refuses: no permission, insecure context, no Clipboard API). One JS closure
/// handles both outcomes of the promise (`writeText` fulfils with `undefined` and rejects
/// with an error), so it runs exactly once and is freed; and no Rust future executor is
/// compiled into the page for two buttons.
pub fn copy(text: &str, done: impl FnOnce(bool) + 'static) {
    // navigator.clipboard is undefined outside secure contexts: check before calling.
    let Some(clipboard) = js_sys::Reflect::get(&window().navigator(), &"clipboard".into())
        .ok()
        .filter(JsValue::is_object)
    else {
        done(false);
        return;
    };
    let settled = Closure::once_into_js(move |outcome: JsValue| done(outcome.is_undefined()));
    clipboard
        .unchecked_into::<web_sys::Clipboard>()
        .write_text(text)
        .unchecked_into::<Thenable>()
        .then(&settled, &settled);
}

/// Selects every character inside `node`, for a manual Ctrl+C when the clipboard is refused.
pub fn select_all(node: &web_sys::Node) {
    let Ok(Some(selection)) = window().get_selection() else {
        return;
    };
    let Ok(range) = window().document().expect("document").create_range() else {
        return;
    };
    if range.select_node_contents(node).is_ok() {
        let _ = selection.remove_all_ranges();
        let _ = selection.add_range(&range);
    }
}

/// Offers `data` as a file download named `name`.
pub fn download(name: &str, mime: &str, data: &[u8]) {
    let array = js_sys::Uint8Array::from(data);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let document = window().document().expect("document");
    if let Ok(a) = document.create_element("a") {
        let a: web_sys::HtmlAnchorElement = a.unchecked_into();
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// The page's query string (`?a=b`), or empty.
pub fn query() -> String {
    window().location().search().unwrap_or_default()
}

/// The page's address without query, for share links.
pub fn address() -> String {
    let l = window().location();
    format!(
        "{}{}",
        l.origin().unwrap_or_default(),
        l.pathname().unwrap_or_default()
    )
}

/// Replaces the query in the address bar without a navigation (relative, so any sub-path
/// works).
pub fn replace_query(query: &str) {
    let url = if query.is_empty() {
        window()
            .location()
            .pathname()
            .unwrap_or_else(|_| "./".into())
    } else {
        format!("?{query}")
    };
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

/// How long after the last change the screen-reader summary is spoken: not on every
/// intermediate slider value, once the value settles.
const SETTLE_MS: u32 = 1_000;

/// Per file, the lines added and removed since the value started moving; and the timer that
/// speaks them.
type Changes = (
    Vec<(String, usize, usize)>,
    Option<gloo::timers::callback::Timeout>,
);

thread_local! {
    static CHANGES: std::cell::RefCell<Changes> = const { std::cell::RefCell::new((Vec::new(), None)) };
}

/// Records that `file` now differs by `added`/`removed` lines from before the change began,
/// and (re)arms the timer that writes the summary into the page's polite live region
/// (`#changes-live`) once changes stop for [`SETTLE_MS`].
pub fn announce_change(file: &str, added: usize, removed: usize) {
    CHANGES.with(|c| {
        let mut c = c.borrow_mut();
        match c.0.iter_mut().find(|(f, _, _)| f == file) {
            Some(entry) => (entry.1, entry.2) = (added, removed),
            None => c.0.push((file.to_string(), added, removed)),
        }
        c.1 = Some(gloo::timers::callback::Timeout::new(SETTLE_MS, || {
            CHANGES.with(|c| {
                let mut c = c.borrow_mut();
                let text: Vec<String> =
                    c.0.drain(..)
                        .map(|(f, a, r)| format!("{f} changed: {a} lines added, {r} removed"))
                        .collect();
                c.1 = None;
                if let Some(region) = window()
                    .document()
                    .and_then(|d| d.get_element_by_id("changes-live"))
                {
                    region.set_text_content(Some(&(text.join("; ") + ".")));
                }
            })
        }));
    });
}

/// True when the user asked the system for less motion.
pub fn prefers_reduced_motion() -> bool {
    window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

/// Milliseconds since navigation start.
pub fn now() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or(0.0)
}

#[cfg(feature = "bench")]
thread_local! {
    static INPUT_AT: Cell<f64> = const { Cell::new(f64::NAN) };
}

/// Remembers when the latest input event arrived (the `bench` build only).
pub fn mark_input() {
    #[cfg(feature = "bench")]
    INPUT_AT.with(|c| c.set(now()));
}

/// Does nothing outside the `bench` build: the shipped page keeps no timings.
#[cfg(not(feature = "bench"))]
pub fn mark_patched(_name: &str) {}

/// Records, in `window.__tridentTimings`, how long after the latest input event the pane
/// `name` finished updating (read by the in-browser benchmark; the `bench` build only).
#[cfg(feature = "bench")]
pub fn mark_patched(name: &str) {
    let w = window();
    // The first time panes are filled: time from navigation start to rendered panes.
    let first = JsValue::from_str("__tridentFirstPatch");
    if js_sys::Reflect::get(&w, &first).is_ok_and(|v| v.is_undefined()) {
        let _ = js_sys::Reflect::set(&w, &first, &now().into());
    }
    let since = INPUT_AT.with(Cell::get);
    if since.is_nan() {
        return;
    }
    let key = JsValue::from_str("__tridentTimings");
    let list = js_sys::Reflect::get(&w, &key)
        .ok()
        .filter(|v| v.is_object())
        .map(|v| v.unchecked_into::<js_sys::Array>())
        .unwrap_or_else(|| {
            let a = js_sys::Array::new();
            let _ = js_sys::Reflect::set(&w, &key, &a);
            a
        });
    let entry = js_sys::Array::of3(&since.into(), &name.into(), &(now() - since).into());
    list.push(&entry);
}
