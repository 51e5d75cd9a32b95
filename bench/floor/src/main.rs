//! One Replicas slider. Without features it shows the number; with `core`, the three files
//! (or the diagnostics) that trident-core renders for that many replicas, as the page renders
//! them (`generate_unchecked`); with `plain`, the same without Yew, through web-sys calls.

#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// What the page shows for `replicas`: each file's text, or each diagnostic.
#[cfg(feature = "core")]
fn shown(replicas: u32) -> Vec<String> {
    let spec = trident_core::Spec {
        replicas,
        ..Default::default()
    };
    match trident_core::generate_unchecked(&spec) {
        Ok(g) => g.files.into_iter().map(|f| f.contents).collect(),
        Err(diags) => diags
            .into_iter()
            .map(|d| format!("{} {}", d.message, d.hint))
            .collect(),
    }
}

#[cfg(not(feature = "plain"))]
mod page {
    use web_sys::HtmlInputElement;
    use yew::prelude::*;

    #[function_component(App)]
    fn app() -> Html {
        let replicas = use_state(|| 3u32);
        let oninput = {
            let replicas = replicas.clone();
            Callback::from(move |e: InputEvent| {
                let value = e.target_unchecked_into::<HtmlInputElement>().value();
                replicas.set(value.parse().unwrap_or(1));
            })
        };
        #[cfg(feature = "core")]
        let shown: Html = super::shown(*replicas)
            .into_iter()
            .map(|text| html! { <pre>{ text }</pre> })
            .collect();
        #[cfg(not(feature = "core"))]
        let shown = html! { <p>{ *replicas }</p> };
        html! {
            <>
                <label for="replicas">{ "Replicas" }</label>
                <input id="replicas" type="range" min="1" max="64" value={replicas.to_string()} {oninput} />
                { shown }
            </>
        }
    }

    pub fn main() {
        yew::Renderer::<App>::new().render();
    }
}

#[cfg(feature = "plain")]
mod page {
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{Document, Element, HtmlInputElement};

    fn show(document: &Document, out: &Element, replicas: u32) {
        out.set_text_content(None);
        for text in super::shown(replicas) {
            if let Ok(pre) = document.create_element("pre") {
                pre.set_text_content(Some(&text));
                let _ = out.append_child(&pre);
            }
        }
    }

    pub fn main() {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let (Some(body), Ok(label), Ok(input), Ok(out)) = (
            document.body(),
            document.create_element("label"),
            document.create_element("input"),
            document.create_element("div"),
        ) else {
            return;
        };
        label.set_text_content(Some("Replicas"));
        let _ = label.set_attribute("for", "replicas");
        let input: HtmlInputElement = input.unchecked_into();
        input.set_id("replicas");
        input.set_type("range");
        input.set_min("1");
        input.set_max("64");
        input.set_value("3");
        for node in [label.as_ref(), input.as_ref(), out.as_ref()] {
            let _ = body.append_child(node);
        }
        show(&document, &out, 3);
        let slider = input.clone();
        let on_input = Closure::<dyn FnMut()>::new(move || {
            show(&document, &out, slider.value().parse().unwrap_or(1));
        });
        input.set_oninput(Some(on_input.as_ref().unchecked_ref()));
        on_input.forget();
    }
}

fn main() {
    page::main();
}
